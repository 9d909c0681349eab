"""What the readers of SPSS, Excel and REDCap files share: cells as codebook text.

Each reader turns its source into the text cells a cohort CSV would hold (``yes``/``no``,
codes, plain numbers, ``""`` for missing), with a place for every cell in the source's
own terms, and :func:`manuscript_engine.data.validation.validate_tables` checks them as
it checks CSVs. So one set of rules, and every message points into the file the
author edits.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from manuscript_engine.data.validation import Problem, RawTable, check_header, refused_file


def number_text(value: float) -> str:
    """A number as the shortest text that reads back as the same number (``6.5``, ``44``)."""
    if math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def code_labels(column: dict[str, Any], codebook: dict[str, Any]) -> dict[str, str]:
    """A category column's codes and how each is printed (the code when it has no label).

    The arm column takes its labels from the codebook's ``arms``.
    """
    labels = dict(column.get("labels") or {})
    arms = codebook.get("arms") or {}
    for group in arms.get("groups", []) if column.get("values") is not None else []:
        if group["code"] in column["values"]:
            labels.setdefault(group["code"], group["label"])
    return {code: str(labels.get(code, code)) for code in column.get("values", [])}


def code_for_label(label: str, column: dict[str, Any], codebook: dict[str, Any]) -> str | None:
    """The codebook value a source's label stands for, or None.

    A label may be the code itself or its printed label; for a boolean, the codebook's
    yes/no words (also True/False). Case and surrounding spaces do not matter when only
    one value matches: "male" is the code M labelled "Male".
    """
    choices = label_choices(column, codebook)
    if label in choices:
        return choices[label]
    folded = {}
    for text, code in choices.items():
        folded.setdefault(text.strip().casefold(), set()).add(code)
    found = folded.get(label.strip().casefold(), set())
    return next(iter(found)) if len(found) == 1 else None


def label_choices(column: dict[str, Any], codebook: dict[str, Any]) -> dict[str, str]:
    """Every text that names a value of the column -> that value."""
    if column["type"] == "boolean":
        yes, no = codebook["booleans"]
        return {yes: yes, no: no, "true": yes, "false": no}
    choices = {}
    for code, label in code_labels(column, codebook).items():
        choices.setdefault(label, code)
        choices[code] = code
    return choices


def unknown_label_rule(label: str, column: dict[str, Any], codebook: dict[str, Any]) -> str:
    """What a refused label should be instead, with the nearest accepted spelling."""
    if column["type"] == "boolean":
        labels = codes = list(codebook["booleans"])
    else:
        printed = code_labels(column, codebook)
        labels, codes = list(printed.values()), list(printed)
    near = difflib.get_close_matches(label, labels + codes, n=1, cutoff=0.6)
    hint = f" Did you mean '{near[0]}'?" if near else ""
    if labels == codes:
        return f"use one of: {', '.join(labels)}.{hint}"
    return f"use one of: {', '.join(labels)} (or the codes {', '.join(codes)}).{hint}"


def text_table(
    shown_as: str,
    header: list[str],
    rows: list[list[str]],
    index: list[int],
    where: Callable[[int, str | None], str],
) -> RawTable:
    """A table of text cells, indexed by the source's row numbers, for validation."""
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(index, name="line"), dtype=object)
    return RawTable(shown_as, list(header), frame, "", where)


def checked_header(
    table: RawTable,
    spec: dict[str, Any],
    problems: list[Problem],
    header_place: Callable[[str], str],
) -> bool:
    """:func:`check_header` with each problem named at the source's header (sheet row,
    SPSS variable, REDCap field) rather than at a CSV's line 1."""
    found: list[Problem] = []
    ok = check_header(table, spec, found)
    for problem in found:
        problems.append(
            Problem(
                problem.file,
                None,
                problem.column,
                None,
                problem.rule,
                header_place(problem.column or ""),
            )
        )
    return ok


def problem_at(
    shown_as: str, line: int | None, column: str | None, value: str | None, rule: str, place: str
) -> Problem:
    """A problem the reader finds itself, already named at its place (one per cell:
    validation then reports nothing more about that cell)."""
    return Problem(shown_as, line, column, value, rule, place)


def file_problem(shown_as: str, rule: str) -> Problem:
    """A problem with a whole file (missing, unreadable, empty)."""
    return Problem(shown_as, None, None, None, rule)


def readable(path: Path, folder: Path, shown_as: str, if_missing: str, problems: list) -> bool:
    """Whether a source file may be read: a regular file in its folder, present.

    Otherwise the problem is added (``if_missing`` says how to export a missing file).
    """
    refused = refused_file(path, folder, shown_as)
    if refused is None and not path.exists():
        refused = file_problem(shown_as, if_missing)
    if refused is not None:
        problems.append(refused)
    return refused is None
