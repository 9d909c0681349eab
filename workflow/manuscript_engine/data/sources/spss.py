"""SPSS data files (.sav), one per codebook table, read with pyreadstat.

Value labels are the codebook's codes: a value labelled with a code (or with the code's
printed label) is that code, whatever number SPSS stores. System-missing values and the
user-defined missing values the file declares are missing. Everything else is turned
into the codebook's text notation and checked by the same rules as a CSV, with each
problem named by file, case (row number and identifier) and variable.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from manuscript_engine.data.sources import spss_file
from manuscript_engine.data.sources.cells import (
    checked_header,
    code_for_label,
    file_problem,
    label_choices,
    number_text,
    problem_at,
    readable,
    text_table,
    unknown_label_rule,
)
from manuscript_engine.data.validation import Problem, RawTable

log = logging.getLogger("manuscript")

DATE_FORMATS = (
    "DATE",
    "ADATE",
    "EDATE",
    "SDATE",
    "JDATE",
    "QYR",
    "MOYR",
    "WKYR",
    "DATETIME",
    "TIME",
    "DTIME",
    "WKDAY",
    "MONTH",
)
"""SPSS display formats of dates and times (the codebook has no date columns)."""


def read_spss_tables(
    folder: Path, codebook: dict[str, Any], problems: list[Problem]
) -> tuple[dict[str, RawTable], dict[str, str]]:
    """Every table of the codebook from its .sav file in ``folder``, as text cells."""
    raw, files = {}, {}
    for name, spec in codebook["tables"].items():
        path = spss_file(folder, spec)
        files[name] = path.as_posix()
        missing = "the file is missing. Save the table from SPSS under this exact name "
        if not readable(path, Path(folder), files[name], missing + "(File > Save As).", problems):
            continue
        table = read_sav(path, files[name], spec, codebook, problems)
        if table is not None:
            raw[name] = table
    return raw, files


def read_sav(
    path: Path,
    shown_as: str,
    spec: dict[str, Any],
    codebook: dict[str, Any],
    problems: list[Problem],
) -> RawTable | None:
    import pyreadstat

    try:
        data, meta = pyreadstat.read_sav(
            str(path),
            user_missing=True,
            apply_value_formats=False,
            disable_datetime_conversion=True,
        )
    except pyreadstat.ReadstatError as exc:
        problems.append(
            file_problem(
                shown_as,
                f"SPSS cannot read this file ({exc}). Save it again from SPSS "
                "as an SPSS Statistics (.sav) file.",
            )
        )
        return None
    header = [str(c) for c in data.columns]
    key = spec["key"]

    def case_of(line: int) -> str:
        row = data.iloc[line - 1]
        ids = ", ".join(f"{k} {cell_id(row.get(k))}" for k in key if k in data.columns)
        return f"case {line}" + (f" ({ids})" if ids else "")

    def where(line: int, column: str | None) -> str:
        return f"{shown_as}, {case_of(line)}" + (f", variable {column}" if column else "")

    empty = text_table(shown_as, header, [], [], where)
    if not checked_header(empty, spec, problems, lambda column: f"{shown_as}, variable {column}"):
        return None
    if data.empty:
        problems.append(file_problem(shown_as, "the file has no cases."))
        return None
    missing_declared = 0
    columns, reported = {}, set()
    for name, column in spec["columns"].items():
        declared = meta.missing_ranges.get(name, [])
        labels = meta.variable_value_labels.get(name, {})
        fmt = str(meta.original_variable_types.get(name, ""))
        if fmt.rstrip("0123456789.").upper() in DATE_FORMATS:
            problems.append(
                problem_at(
                    shown_as,
                    None,
                    name,
                    None,
                    f"the variable has the date format {fmt} in SPSS, but the codebook says "
                    f"{column['type']}. Change its type in SPSS (Variable View > Type) to "
                    f"{'String' if column['type'] in ('string', 'category') else 'Numeric'}.",
                    f"{shown_as}, variable {name}",
                )
            )
            continue
        cells, refused = [], {}
        for line, value in enumerate(data[name].tolist(), start=1):
            if is_missing(value):
                cells.append("")
                continue
            if is_declared_missing(value, declared):
                missing_declared += 1
                cells.append("")
                continue
            text, rule = cell_text(value, labels, column, codebook)
            if rule:
                refused.setdefault((text, rule), []).append(line)
            cells.append(text)
        columns[name] = cells
        for (text, rule), lines in refused.items():
            reported.update((line, name) for line in lines)
            problems.append(
                problem_at(
                    shown_as, lines[0], name, text, rule + also(lines), where(lines[0], name)
                )
            )
    if missing_declared:
        log.info(
            "%s: %d value(s) declared missing in SPSS (user-missing) read as missing",
            shown_as,
            missing_declared,
        )
    rows = [list(r) for r in zip(*[columns.get(n, [""] * len(data)) for n in header], strict=True)]
    table = text_table(shown_as, header, rows, list(range(1, len(data) + 1)), where)
    table.reported = reported
    return table


def also(lines: list[int]) -> str:
    """The other cases with the same refused value (a label is fixed once, for all)."""
    if len(lines) == 1:
        return ""
    shown = ", ".join(map(str, lines[1:6])) + (
        f" and {len(lines) - 6} more" if len(lines) > 6 else ""
    )
    return f" The same value is in case(s) {shown}."


def cell_text(
    value: Any, labels: dict[Any, str], column: dict[str, Any], codebook: dict[str, Any]
) -> tuple[str, str | None]:
    """The codebook text of one SPSS value, and why it is refused (None when it is not)."""
    shown = number_text(value) if isinstance(value, float) else str(value)
    if column["type"] not in ("category", "boolean"):
        return shown, None
    if not labels:
        if isinstance(value, float) and shown not in label_choices(column, codebook):
            return shown, (
                f"the value {shown} is a number, but the variable has no value labels in "
                "SPSS, so it names no value of data/codebook.yaml. Label the values in SPSS "
                f"(Variable View > Values): {unknown_label_rule(shown, column, codebook)}"
            )
        return shown, None  # plain text without labels: checked as a CSV value would be
    label = labels.get(value)
    if label is None:
        return shown, (
            f"the value {shown} has no value label, so it names no value of "
            f"data/codebook.yaml. Correct the value, or label it in SPSS (Variable "
            f"View > Values): {unknown_label_rule(shown, column, codebook)}"
        )
    code = code_for_label(str(label), column, codebook)
    if code is None:
        return shown, (
            f"the value {shown} is labelled '{label}', which data/codebook.yaml does "
            f"not have for this column. Correct the label in SPSS (Variable View > "
            f"Values): {unknown_label_rule(str(label), column, codebook)}"
        )
    return code, None


def is_missing(value: Any) -> bool:
    """SPSS system-missing (a number) or an empty string."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def is_declared_missing(value: Any, declared: list[dict[str, Any]]) -> bool:
    """Whether a value falls in one of the variable's user-defined missing values/ranges."""
    for entry in declared:
        lo, hi = entry.get("lo"), entry.get("hi")
        if isinstance(value, str) or isinstance(lo, str):
            if str(value).rstrip() in (str(lo).rstrip(), str(hi).rstrip()):
                return True
        elif lo is not None and hi is not None and lo <= value <= hi:
            return True
    return False


def cell_id(value: Any) -> str:
    return number_text(value) if isinstance(value, float) else str(value)
