"""The published paper's numbers (``data/published.yaml``) and how to read them.

Each entry keeps the number exactly as printed. :func:`printed_number` turns the
text into a value and its printed precision ("5.00" -> 5.0 with 2 decimals, "Four"
-> 4, "98.6%" -> 98.6), and :func:`evaluate` computes the same quantity from a
cohort, so the two can be compared at the printed precision.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from manuscript_engine.core.formatting import number_words
from manuscript_engine.core.yaml_schemas import load_checked_yaml
from manuscript_engine.data.vocabulary import Arms

COHORT_STATS = ("count", "percent", "mean", "sd", "min", "max")
WORDS = {"none": 0} | {number_words(i): i for i in range(100)}
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def load_published(path: Path) -> list[dict[str, Any]]:
    """All entries of the published-numbers file, in the paper's order."""
    return load_checked_yaml(Path(path), "published")["numbers"]


def printed_number(entry: dict[str, Any]) -> tuple[float, int]:
    """The value an entry prints and its number of decimals."""
    text = str(entry.get("printed_value", entry["printed"])).strip()
    if text.lower() in WORDS:
        return float(WORDS[text.lower()]), 0
    match = _NUMBER.search(text.replace("−", "-"))
    if not match:
        raise ValueError(f"{entry['id']}: no number in printed text {text!r}")
    number = match.group(0)
    return float(number), len(number.split(".", 1)[1]) if "." in number else 0


def select(
    frame: pd.DataFrame, enrollment: pd.DataFrame, of: dict[str, Any], cache: dict | None = None
) -> pd.DataFrame:
    """The patients an entry is about: arm, population and any ``among`` condition.

    With a ``cache`` (one dict per frame), the rows chosen for a population, and the
    columns taken from them, are remembered, so hundreds of published numbers about the
    same groups filter once.
    """
    chosen = {} if cache is None else cache
    if of.get("pop") == "enrolled":
        key = (id(enrollment), "enrolled", of.get("arm", "both"))
        if key not in chosen:
            rows = enrollment.assign(
                included=enrollment["included"].map({True: "yes", False: "no"})
            )
            chosen[key] = rows if key[2] == "both" else rows[rows["arm"] == key[2]]
        return chosen[key]
    among = tuple(sorted((of.get("among") or {}).items()))
    key = (id(frame), len(frame), of.get("pop"), of.get("arm", "both"), among)
    if key not in chosen:
        mask = pd.Series(True, index=frame.index)
        if of.get("pop") == "outcome":
            mask &= frame["outcome"].astype(bool)
        if key[3] != "both":
            mask &= frame["arm"] == key[3]
        for column, value in among:
            mask &= matches(frame[column], value)
        chosen[key] = mask.to_numpy()
    wanted = ["arm", "outcome", *(name for name, _ in among)]
    if "var" in of:
        wanted.append(of["var"] if "visit" not in of else f"{of['var']}_{of['visit']}")
    # Each column is taken from the rows once and kept on its own: kept per combination
    # of columns, the same column was copied for every entry (1.1 GB on a registry).
    for column in dict.fromkeys(wanted):
        if (key, column) not in chosen:
            chosen[key, column] = frame.loc[chosen[key], column]
    return pd.DataFrame(
        {column: chosen[key, column] for column in dict.fromkeys(wanted)}, copy=False
    )


def matches(series: pd.Series, value: Any) -> pd.Series:
    """Where a column equals a value written as text in published.yaml ("yes", "2", "A").

    Compared in the column's own type, without turning every cell into text.
    """
    text = str(value)
    if series.dtype == bool:
        return series == (text == "yes")
    present = series.dropna()
    if present.empty:
        return pd.Series(False, index=series.index)
    if set(present.unique()) <= {True, False}:
        return series.map({True: "yes", False: "no"}) == text
    if pd.api.types.is_numeric_dtype(series):
        try:
            return series == float(text)
        except ValueError:
            return pd.Series(False, index=series.index)
    return series.astype(object) == text


def evaluate(
    entry: dict[str, Any], frame: pd.DataFrame, enrollment: pd.DataFrame, cache: dict | None = None
) -> float:
    """Compute an entry's quantity from the cohort (patient frame and enrollment table)."""
    of = entry.get("of", {})
    rows = select(frame, enrollment, of, cache)
    stat = entry["stat"]
    if stat in ("count", "percent"):
        hits = len(rows) if "var" not in of else int(matches(rows[of["var"]], of["is"]).sum())
        return float(hits) if stat == "count" else 100.0 * hits / len(rows)
    column = of["var"] if "visit" not in of else f"{of['var']}_{of['visit']}"
    values = rows[column].dropna().astype(float)
    return float(
        {
            "mean": values.mean,
            "sd": lambda: values.std(ddof=1),
            "min": values.min,
            "max": values.max,
        }[stat]()
    )


def n_behind(
    entry: dict[str, Any], frame: pd.DataFrame, enrollment: pd.DataFrame, cache: dict | None = None
) -> int:
    """How many non-missing values a mean or SD rests on."""
    of = entry["of"]
    column = of["var"] if "visit" not in of else f"{of['var']}_{of['visit']}"
    return int(select(frame, enrollment, of, cache)[column].notna().sum())


def with_arm_keys(frame: pd.DataFrame, arms: Arms) -> pd.DataFrame:
    """A copy whose arm column holds each arm's key: published.yaml names arms by key."""
    return frame.assign(**{arms.column: frame[arms.column].map(arms.key_of)})
