"""The cohort's tables: the arms, the codebook, and reading the CSVs with their types.

Arm labels in the data are the study's (``PVP+ITR``, ``PVP``); registry keys use the
short forms (``pvp_itr``, ``pvp``) because keys allow only letters, digits and ``_``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from pandas.api.types import is_string_dtype

from .atomic_files import write_text_atomically
from .formatting import format_decimal
from .yaml_schemas import load_checked_yaml

ARMS: dict[str, str] = {"PVP+ITR": "pvp_itr", "PVP": "pvp"}
"""Arm label in the data -> key used in the registry, in the paper's column order."""

TABLES = ("enrollment", "baseline", "procedure", "visits", "followup")
CODEBOOK = Path(__file__).resolve().parents[2] / "data" / "codebook.yaml"


def load_codebook(path: Path = CODEBOOK) -> dict[str, Any]:
    """The codebook: tables, columns and the study's definitions."""
    return load_checked_yaml(path, "codebook")


def column_steps(codebook: dict[str, Any]) -> dict[str, float]:
    """Each column's recording step from the codebook (VAS 0.5, KPS 10...), where it has one."""
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


def read_cohort(data_dir: Path, codebook: dict[str, Any] | None = None) -> dict[str, pd.DataFrame]:
    """All five tables of a validated cohort folder, typed by the codebook."""
    codebook = codebook or load_codebook()
    return {
        name: read_typed_table(Path(data_dir) / spec["file"], spec["columns"])
        for name, spec in codebook["tables"].items()
    }


def visit_month(visit: str) -> int:
    """Months after the procedure at which a visit falls (preop and discharge: 0)."""
    return 0 if visit in ("preop", "discharge") else int(visit[1:])


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
        distinct = {value: _cell(value, columns[name]) for value in column.dropna().unique()}
        text[name] = column.map(distinct).fillna("")
    return text.to_csv(index=False, lineterminator="\n")


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
