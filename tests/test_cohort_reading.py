"""Reading validated cohort tables straight into the codebook's types.

The typed reader parses numbers as it reads; each cell must still equal what the
csv module and ``float()`` make of the text.
"""

from __future__ import annotations

import math

import pytest
from conftest import REPO
from independent_cohort import RAW, rows

from manuscript_engine.data.cohort import load_codebook, read_typed_table

CODEBOOK = load_codebook(REPO / "data/codebook.yaml")


def expected_cell(text: str, kind: str):
    if text == "":
        return None
    if kind in ("integer", "number"):
        return float(text)
    if kind == "boolean":
        return {"yes": True, "no": False}[text]
    return text


def same(value, wanted) -> bool:
    if wanted is None:
        return value is None or (isinstance(value, float) and math.isnan(value))
    return value == wanted and type(value) is type(wanted)


@pytest.mark.parametrize("name", list(CODEBOOK["tables"]))
def test_every_cell_has_the_value_and_type_of_its_text(name):
    spec = CODEBOOK["tables"][name]
    table = read_typed_table(RAW / spec["file"], spec["columns"])
    texts = rows(name)
    assert list(table.columns) == list(spec["columns"])
    assert len(table) == len(texts)
    for position, row in enumerate(texts):
        for column, column_spec in spec["columns"].items():
            value = table[column].iloc[position]
            value = value.item() if hasattr(value, "item") else value
            wanted = expected_cell(row[column], column_spec["type"])
            assert same(value, wanted), (name, position + 2, column, value, wanted)


def test_a_byte_order_mark_and_windows_line_endings_read_the_same(tmp_path):
    spec = CODEBOOK["tables"]["visits"]
    plain = (RAW / spec["file"]).read_text(encoding="utf-8")
    windows = tmp_path / spec["file"]
    windows.write_bytes(b"\xef\xbb\xbf" + plain.replace("\n", "\r\n").encode("utf-8"))
    a = read_typed_table(RAW / spec["file"], spec["columns"])
    b = read_typed_table(windows, spec["columns"])
    assert a.equals(b)
