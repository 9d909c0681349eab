"""A REDCap project: its records export (CSV, raw values) and its data dictionary.

The dictionary is checked against the codebook first (every column a field, choices
naming the codebook's codes or labels, validation ranges agreeing), because it says
what each raw value means: the choice ``1`` of a radio field is the code its label
names. The records are then reshaped into the codebook's tables: the fields of a
table with one row per patient come from the record's own row (the event
``record_event`` of a longitudinal project, or the row outside any repeating
instrument), and a table with several rows per patient (visits) from one row per
event or per repeat instance, as config/sources.yaml maps them. REDCap's missing data
codes count as missing only when that file declares them.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manuscript_engine.data.sources.cells import (
    checked_header,
    file_problem,
    problem_at,
    readable,
    text_table,
)
from manuscript_engine.data.sources.redcap_dictionary import Field, check_dictionary
from manuscript_engine.data.validation import Problem, RawTable

EVENT, INSTRUMENT, INSTANCE = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
)
SYSTEM_COLUMNS = {
    EVENT,
    INSTRUMENT,
    INSTANCE,
    "redcap_data_access_group",
    "redcap_survey_identifier",
}
Rows = list[tuple[int, dict[str, str]]]
"""A REDCap CSV: each row with its spreadsheet line (the header is line 1)."""
Target = tuple[str, str | None]
"""A table a row fills, and the value its event gives the table's repeat column (or None)."""


def read_redcap_tables(
    records: Path,
    dictionary: Path,
    codebook: dict[str, Any],
    settings: dict[str, Any],
    problems: list[Problem],
) -> tuple[dict[str, RawTable], dict[str, str]]:
    """Every table of the codebook from a REDCap records export and its data dictionary.

    ``settings`` is the ``redcap`` part of config/sources.yaml (events, instruments,
    missing data codes).
    """
    shown = Path(records).as_posix()
    files = {name: shown for name in codebook["tables"]}
    rows_d = read_csv_rows(Path(dictionary), problems)
    rows_r = read_csv_rows(Path(records), problems)
    if rows_d is None or rows_r is None:
        return {}, files
    fields = check_dictionary(rows_d, Path(dictionary).as_posix(), codebook, settings, problems)
    if fields is None:
        return {}, files
    return reshape(rows_r, shown, fields, codebook, settings, problems), files


def read_csv_rows(path: Path, problems: list[Problem]) -> Rows | None:
    """The rows of a REDCap CSV with their spreadsheet line (header = line 1)."""
    shown = path.as_posix()
    missing = (
        "the file is missing. Export it from REDCap (Data Exports: raw data, CSV; "
        "Dictionary: download the data dictionary) under this name."
    )
    if not readable(path, path.parent, shown, missing, problems):
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(
            file_problem(shown, "the file is not UTF-8 text. Export it again from REDCap.")
        )
        return None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    for row in reader:
        if None in row:
            problems.append(
                Problem(
                    shown, reader.line_num, None, None, "the line has more cells than the header."
                )
            )
            return None
        rows.append((reader.line_num, {k: v or "" for k, v in row.items()}))
    if not rows:
        problems.append(file_problem(shown, "the file has a header but no rows."))
        return None
    return rows


# --------------------------------------------------------------------------- records
@dataclass
class Layout:
    """How the project's rows map onto the codebook's tables (config/sources.yaml)."""

    record_id: str
    record_event: str | None
    event_of: dict[str, Target]  # event -> (table, value of the table's repeat column)
    instrument_of: dict[str, str]  # repeating instrument -> table
    repeat_column: dict[str, str]  # repeated table -> the column an event names
    missing_codes: set[str]
    single: list[str] = field(default_factory=list)  # tables with one row per patient


def layout_of(settings: dict[str, Any], codebook: dict[str, Any], record_id: str) -> Layout:
    tables = codebook["tables"]
    repeated = settings.get("repeated") or {}
    return Layout(
        record_id=record_id,
        record_event=settings.get("record_event"),
        event_of={
            event: (table, value)
            for table, spec in repeated.items()
            for event, value in (spec.get("events") or {}).items()
        },
        instrument_of={
            spec["instrument"]: table for table, spec in repeated.items() if spec.get("instrument")
        },
        repeat_column={
            table: spec.get("column") or tables[table]["key"][1] for table, spec in repeated.items()
        },
        missing_codes={str(code) for code in settings.get("missing_codes") or []},
        single=[name for name, spec in tables.items() if len(spec["key"]) == 1],
    )


def reshape(
    rows: Rows,
    shown: str,
    fields: dict[str, Field],
    codebook: dict[str, Any],
    settings: dict[str, Any],
    problems: list[Problem],
) -> dict[str, RawTable]:
    """The records as the codebook's tables of text cells, each cell placed in the export.

    A table with one row per patient gets a row for a record whose own row holds any of
    its fields; a repeated table gets one for each event or instance row.
    """
    tables = codebook["tables"]
    layout = layout_of(settings, codebook, next(iter(rows[0][1])))
    where = placer(shown, dict(rows), layout.record_id)
    if not export_fields_agree(rows[0][1], fields, codebook, layout, shown, problems):
        return {}
    cells: dict[str, dict[int, dict[str, str]]] = {name: {} for name in tables}
    seen: dict[tuple[str, ...], int] = {}
    for line, row in rows:
        targets = row_targets(line, row, layout, seen, shown, where, problems)
        for table, repeat_value in targets or []:
            values = {
                column: (
                    repeat_value
                    if repeat_value is not None and column == layout.repeat_column[table]
                    else row.get(layout.record_id, "")
                    if column == layout.record_id
                    else cell_value(
                        row.get(column, ""),
                        column,
                        line,
                        fields.get(column),
                        layout.missing_codes,
                        shown,
                        where,
                        problems,
                    )
                )
                for column in tables[table]["columns"]
            }
            if table in layout.repeat_column or any(
                values[c] for c in values if c != layout.record_id
            ):
                cells[table][line] = values
        if targets is not None:
            report_misplaced(line, row, targets, codebook, layout, shown, where, problems)
    raw = {}
    for name, spec in tables.items():
        table = text_table(
            shown,
            list(spec["columns"]),
            [list(values.values()) for values in cells[name].values()],
            list(cells[name]),
            where,
        )
        if checked_header(table, spec, problems, lambda column: f"{shown}, field {column}"):
            raw[name] = table
    return raw


def placer(shown: str, row_at: dict[int, dict[str, str]], record_id: str):
    """Where a cell is: the export's line, its record, event or instance, and the field."""

    def where(line: int, column: str | None) -> str:
        row = row_at.get(line, {})
        context = [f"record {row.get(record_id, '?')}"]
        if row.get(EVENT):
            context.append(f"event {row[EVENT]}")
        if row.get(INSTRUMENT):
            context.append(f"{row[INSTRUMENT]} instance {row.get(INSTANCE, '')}")
        return f"{shown} line {line} ({', '.join(context)})" + (
            f", field {column}" if column else ""
        )

    return where


def export_fields_agree(
    header_row: dict[str, str],
    fields: dict[str, Field],
    codebook: dict[str, Any],
    layout: Layout,
    shown: str,
    problems: list[Problem],
) -> bool:
    """The export has every field the codebook needs and none it does not know."""
    found = {c.split("___")[0] for c in header_row} - SYSTEM_COLUMNS
    found = {c for c in found if not c.endswith("_complete")}  # form status, not data
    known = {c for spec in codebook["tables"].values() for c in spec["columns"]}
    count = len(problems)
    for name in sorted(found - known - {layout.record_id}):
        problems.append(
            problem_at(
                shown,
                1,
                name,
                None,
                "the export has this field, which is not in the codebook. Leave it out "
                "of the export (identifying fields such as names must not be exported) "
                "or add it to data/codebook.yaml.",
                f"{shown} line 1, field {name}",
            )
        )
    for name in sorted(set(fields) - found - {layout.record_id}):
        problems.append(
            problem_at(
                shown,
                1,
                name,
                None,
                "the export has no such field, though the codebook needs it. Export "
                "all fields of the project (raw data, CSV).",
                f"{shown} line 1, field {name}",
            )
        )
    return len(problems) == count


def row_targets(
    line: int,
    row: dict[str, str],
    layout: Layout,
    seen: dict[tuple[str, ...], int],
    shown: str,
    where: Callable[[int, str | None], str],
    problems: list[Problem],
) -> list[Target] | None:
    """The tables one export row fills (None, with a problem, for a row that fits none).

    ``seen`` remembers each record's own row and each instance, to refuse a copy, and each
    unmapped event or instrument, to name it once rather than on every row.
    """
    record = row.get(layout.record_id, "")
    event, instrument = row.get(EVENT, ""), row.get(INSTRUMENT, "")

    def refuse(column: str, value: str, rule: str) -> None:
        problems.append(problem_at(shown, line, column, value, rule, where(line, column)))

    if instrument:
        instance = row.get(INSTANCE, "")
        first = seen.setdefault((record, event, instrument, instance), line)
        if first != line:
            refuse(
                INSTANCE,
                instance,
                f"record {record} has instance {instance} of {instrument} twice (lines "
                f"{first} and {line}). Remove or renumber the copy.",
            )
            return None
        if instrument not in layout.instrument_of:
            if seen.setdefault(("unmapped", instrument), line) != line:
                return None  # named once, at its first row
            refuse(
                INSTRUMENT,
                instrument,
                f"the repeating instrument '{instrument}' is not mapped to a codebook table "
                "in config/sources.yaml (redcap › repeated › <table> › instrument); "
                "its rows are refused until it is."
                + did_you_mean(instrument, list(layout.instrument_of)),
            )
            return None
        return [(layout.instrument_of[instrument], None)]
    if event and event != layout.record_event:
        if event not in layout.event_of:
            if seen.setdefault(("unmapped", event), line) != line:
                return None  # named once, at its first row
            mapped = [layout.record_event or "", *layout.event_of]
            refuse(
                EVENT,
                event,
                f"the event '{event}' is not in config/sources.yaml: map it to its visit "
                "under redcap › repeated › <table> › events, or to redcap › record_event "
                f"(events mapped now: {', '.join(mapped)}); every row of this event is refused "
                "until it is." + did_you_mean(event, mapped),
            )
            return None
        return [layout.event_of[event]]
    first = seen.setdefault((record,), line)
    if first != line:
        refuse(
            layout.record_id,
            record,
            f"record {record} has a second row (the first is line {first}). Remove the copy.",
        )
        return None
    return [(name, None) for name in layout.single]


def report_misplaced(
    line: int,
    row: dict[str, str],
    targets: list[Target],
    codebook: dict[str, Any],
    layout: Layout,
    shown: str,
    where: Callable[[int, str | None], str],
    problems: list[Problem],
) -> None:
    """A value in a field of another event or instrument than the row's is refused."""
    tables = codebook["tables"]
    placed = {c for table, _ in targets for c in tables[table]["columns"]}
    known = {c for spec in tables.values() for c in spec["columns"]}
    for column in sorted(known - placed - {layout.record_id}):
        if row.get(column, "").strip():
            problems.append(
                problem_at(
                    shown,
                    line,
                    column,
                    row[column],
                    f"the field has a value ({row[column]}) in a row where it does not "
                    "belong (a field of another event or instrument). Move it to its "
                    "event or form.",
                    where(line, column),
                )
            )


def cell_value(
    text: str,
    column: str,
    line: int,
    entry: Field | None,
    missing_codes: set[str],
    shown: str,
    where: Callable[[int, str | None], str],
    problems: list[Problem],
) -> str:
    """One raw value as codebook text: a choice code to its value, a declared missing
    code to missing."""
    if text in missing_codes:
        return ""
    if entry is None or not entry.choices or text == "":
        return text
    if text not in entry.choices:
        problems.append(
            problem_at(
                shown,
                line,
                column,
                text,
                f"'{text}' is not a choice of this field in the data dictionary "
                f"(choices: {', '.join(entry.choices)})." + labels_export_hint(text, entry),
                where(line, column),
            )
        )
        return text
    return entry.choices[text]


def labels_export_hint(text: str, entry: Field) -> str:
    """A word where the dictionary's codes are numbers: most likely the records were
    exported as labels ('Female') rather than raw codes (2), which this reader expects."""
    if text.lstrip("-").isdigit() or not all(code.isdigit() for code in entry.choices):
        return ""
    return (
        " The records hold the choice codes only when exported as raw data: if they were"
        " exported as labels, export them again with 'CSV / Microsoft Excel (raw data)'."
    )


def did_you_mean(found: str, known: list[str]) -> str:
    near = difflib.get_close_matches(found, known, n=1, cutoff=0.7)
    return f" Did you mean '{near[0]}'?" if near else ""
