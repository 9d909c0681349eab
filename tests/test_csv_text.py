"""The fast CSV writer writes pandas' bytes, hostile cells included."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from manuscript_engine.core import csv_text as module
from manuscript_engine.core.csv_text import csv_text, write_csv

HOSTILE = ["plain", "", "with, comma", 'a "quote"', "line\nbreak", "cr\rreturn", " spaced ", "é ✓"]


def pandas_text(frame: pd.DataFrame, index: bool) -> str:
    return frame.to_csv(index=index, lineterminator="\n")


def frames() -> list[pd.DataFrame]:
    rng = np.random.default_rng(7)
    n = 2_000
    texts = rng.choice(["a", "b", "PVP+ITR", "1.5", ""], n).astype(object)
    texts[rng.random(n) < 0.1] = None
    with_nan = texts.copy()
    with_nan[rng.random(n) < 0.1] = np.nan
    plain = pd.DataFrame(
        {
            "text": texts,
            "str": pd.Series(rng.choice(["x", "y"], n), dtype="str"),
            "missing": with_nan,
            "count": rng.integers(-5, 5, n),
            "flag": rng.random(n) < 0.5,
        },
        index=pd.Index([f"P{i:05d}" for i in range(n)], name="patient_id"),
    )
    hostile = plain.copy()
    hostile.iloc[1_500, 0] = HOSTILE[2]  # one bad cell, in the last block
    quoted_header = plain.rename(columns={"text": "a,b"})
    floats = plain.assign(value=rng.normal(size=n))  # floats: pandas writes them
    nullable = plain.assign(count=pd.array(rng.integers(0, 3, n), dtype="Int64"))
    single = plain[["text"]]
    empty = plain.iloc[:0]
    unnamed = plain.reset_index(drop=True)
    return [plain, hostile, quoted_header, floats, nullable, single, empty, unnamed] + [
        pd.DataFrame({"a": [cell, "x"], "b": ["y", cell]}) for cell in HOSTILE
    ]


@pytest.mark.parametrize("index", [True, False])
@pytest.mark.parametrize("number", range(len(frames())))
def test_the_bytes_are_pandas_own(number, index, monkeypatch):
    monkeypatch.setattr(module, "ROWS_PER_BLOCK", 700)  # several blocks, the last short
    frame = frames()[number]
    assert csv_text(frame, index=index) == pandas_text(frame, index)


def test_plain_blocks_are_joined_and_a_block_with_a_comma_goes_to_pandas(monkeypatch):
    """The fast path is taken (it could silently never be), and refused where it must be."""
    monkeypatch.setattr(module, "ROWS_PER_BLOCK", 700)
    frame = frames()[1]  # a comma in row 1,500: the third block of three
    calls = []
    original = pd.DataFrame.to_csv

    def counting(self, *args, **kwargs):
        calls.append(len(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", counting)
    out = io.StringIO()
    write_csv(frame, out, index=True)
    assert calls == [600]  # rows 1,400 to 1,999 only
    assert out.getvalue() == original(frame, index=True, lineterminator="\n")


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({None: ["a"], "b": ["c"]}),
        pd.DataFrame({0: ["a"], 1: ["c"]}),
        pd.DataFrame({pd.Timestamp("2020-01-01"): ["a"], "b": ["c"]}),
        pd.DataFrame({"a": ["x"], "b": ["y"]}, index=pd.Index(["P1"], name=0)),
        pd.DataFrame({"a": ["x"], "b": ["y"]}, index=pd.Index(["P1"], name=5)),
        pd.DataFrame({"a": ["x"], "b": ["y"]}, index=pd.Index(["P1"], name="")),
    ],
)
def test_labels_that_are_not_text_are_printed_by_pandas(frame):
    assert csv_text(frame, index=True) == pandas_text(frame, True)
    assert csv_text(frame, index=False) == pandas_text(frame, False)
