"""The cohort's tables: the codebook, and reading the CSVs with their types.

The study's vocabulary (arms, their codes, labels and keys; scales) is read from the
codebook by :mod:`manuscript_engine.data.vocabulary`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_string_dtype

from manuscript_engine.core.atomic_files import write_text_atomically
from manuscript_engine.core.csv_text import csv_text
from manuscript_engine.core.formatting import format_decimal
from manuscript_engine.core.yaml_schemas import load_checked_yaml


def load_codebook(path: Path) -> dict[str, Any]:
    """The codebook: arms, tables, columns and the study's definitions.

    A column whose ``values`` is ``arms`` gets the arms' codes, so they are written once.
    """
    from manuscript_engine.data.vocabulary import expand_arm_codes

    return expand_arm_codes(load_checked_yaml(path, "codebook"))


def column_steps(codebook: dict[str, Any]) -> dict[str, float]:
    """Each column's recording step from the codebook (0.5, 10, ...), where it has one."""
    return {
        name: float(column["step"])
        for table in codebook["tables"].values()
        for name, column in table["columns"].items()
        if "step" in column
    }


def read_table(path: Path) -> pd.DataFrame:
    """Read one cohort CSV as text, keeping empty cells as missing."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")


def read_typed_table(path: Path, columns: dict[str, Any]) -> pd.DataFrame:
    """Read one valid cohort CSV straight into the codebook's types.

    Numbers are parsed by pandas' C reader as the file is read, not converted from text
    afterwards (a quarter of the time on a registry-size cohort); booleans become
    True/False. Only for files that passed validation: a cell
    that is not a number stops the reader without saying where.
    """
    numeric = [name for name, spec in columns.items() if spec["type"] in ("integer", "number")]
    table = pd.read_csv(
        path,
        dtype={name: "float64" if name in numeric else str for name in columns},
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8-sig",
    )
    for name, spec in columns.items():
        if spec["type"] == "boolean" and name in table:
            table[name] = table[name].map({"yes": True, "no": False})
    return table


def read_cohort(data_dir: Path, codebook: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Every table of a validated cohort folder, typed by the codebook."""
    return {
        name: read_typed_table(Path(data_dir) / spec["file"], spec["columns"])
        for name, spec in codebook["tables"].items()
    }


def to_csv_text(table: pd.DataFrame, columns: dict[str, Any]) -> str:
    """The table as CSV text in the codebook's notation (yes/no, fixed decimals).

    Text columns are written as they are; in the others each distinct value is
    formatted once and mapped onto its column, so writing a registry-size table costs
    about as much as pandas' own CSV writer.
    """
    text = pd.DataFrame(index=table.index)
    for name in table.columns:
        column = table[name]
        if columns[name]["type"] in ("string", "category") and is_string_dtype(column):
            text[name] = column.fillna("")
            continue
        codes, distinct = pd.factorize(column)  # code -1: a missing cell
        cells = [_cell(value, columns[name]) for value in distinct] + [""]
        text[name] = pd.Series(np.array(cells, dtype=object)[codes], index=table.index)
    return csv_text(text, index=False)


def _cell(value: Any, spec: dict[str, Any]) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if spec["type"] == "boolean":
        return "yes" if value in (True, "yes") else "no"
    if spec["type"] == "integer":
        return str(int(round(float(value))))
    if spec["type"] == "number":
        step = str(spec["step"])
        return format_decimal(float(value), len(step.split(".")[1]) if "." in step else 0)
    return str(value)


def write_table(table: pd.DataFrame, spec: dict[str, Any], path: Path) -> None:
    """Write one cohort table in the codebook's column order and notation."""
    text = to_csv_text(table[list(spec["columns"])], spec["columns"])
    write_text_atomically(path, text)
