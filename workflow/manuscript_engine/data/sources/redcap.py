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
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manuscript_engine.data.sources.cells import (
    checked_header,
    code_for_label,
    number_text,
    problem_at,
    text_table,
    unknown_label_rule,
)
from manuscript_engine.data.validation import Problem, RawTable, refused_file

NAME, FORM, TYPE, CHOICES = (
    "Variable / Field Name",
    "Form Name",
    "Field Type",
    "Choices, Calculations, OR Slider Labels",
)
VALIDATION, MIN, MAX = (
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
)
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
NUMBER_VALIDATIONS = {"integer", "number"}
CHOICE_TYPES = {"dropdown", "radio"}
BOOLEAN_TYPES = {"yesno": {"1": "yes", "0": "no"}, "truefalse": {"1": "yes", "0": "no"}}


@dataclass
class Field:
    """One field of the data dictionary, as the records need it."""

    name: str
    line: int
    form: str
    kind: str
    choices: dict[str, str] = field(default_factory=dict)  # raw code -> codebook value


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


def read_csv_rows(path: Path, problems: list[Problem]) -> list[tuple[int, dict[str, str]]] | None:
    """The rows of a REDCap CSV with their spreadsheet line (header = line 1)."""
    shown = path.as_posix()
    refused = refused_file(path, path.parent, shown)
    if refused is not None or not path.exists():
        problems.append(
            refused
            or Problem(
                shown,
                None,
                None,
                None,
                "the file is missing. Export it from REDCap (Data "
                "Exports: raw data, CSV; Dictionary: download the "
                "data dictionary) under this name.",
            )
        )
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(
            Problem(
                shown, None, None, None, "the file is not UTF-8 text. Export it again from REDCap."
            )
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
        problems.append(Problem(shown, None, None, None, "the file has a header but no rows."))
        return None
    return rows


# --------------------------------------------------------------------------- dictionary
def check_dictionary(
    rows: list[tuple[int, dict[str, str]]],
    shown: str,
    codebook: dict[str, Any],
    settings: dict[str, Any],
    problems: list[Problem],
) -> dict[str, Field] | None:
    """The dictionary's fields, each codebook column checked against its field."""
    missing_columns = [
        c for c in (NAME, FORM, TYPE, CHOICES, VALIDATION, MIN, MAX) if c not in rows[0][1]
    ]
    if missing_columns:
        problems.append(
            Problem(
                shown,
                1,
                None,
                None,
                f"this is not a REDCap data dictionary: the columns "
                f"{', '.join(missing_columns)} are missing. Download it from "
                "REDCap (Project Setup > Data Dictionary).",
            )
        )
        return None
    entries = {row[NAME]: (line, row) for line, row in rows}
    fields: dict[str, Field] = {}
    count = len(problems)
    generated = generated_columns(codebook, settings)
    for table in codebook["tables"].values():
        for name, column in table["columns"].items():
            if name in fields or name in generated:
                continue
            if name not in entries:
                problems.append(
                    problem_at(
                        shown,
                        None,
                        name,
                        None,
                        "the codebook's column has no field in the data "
                        "dictionary. Add the field to the REDCap project, or "
                        "correct its name.",
                        f"{shown}, field {name}",
                    )
                )
                continue
            line, row = entries[name]
            fields[name] = check_field(row, line, shown, column, codebook, problems)
    return fields if len(problems) == count else None


def check_field(
    row: dict[str, str],
    line: int,
    shown: str,
    column: dict[str, Any],
    codebook: dict[str, Any],
    problems: list[Problem],
) -> Field:
    name, kind = row[NAME], row[TYPE].strip()
    here = f"{shown} line {line}, field {name}"
    entry = Field(name, line, row[FORM], kind)

    def refuse(rule: str) -> None:
        problems.append(problem_at(shown, line, name, None, rule, here))

    wanted = column["type"]
    if kind == "checkbox":
        refuse(
            "a checkbox field holds several answers, but the codebook column holds one "
            "value. Make it a radio or dropdown field."
        )
    elif wanted in ("category", "boolean") and kind in CHOICE_TYPES:
        entry.choices = check_choices(
            row[CHOICES], here, shown, line, name, column, codebook, problems
        )
    elif wanted == "boolean" and kind in BOOLEAN_TYPES:
        entry.choices = dict(BOOLEAN_TYPES[kind])
    elif wanted in ("category", "boolean"):
        refuse(
            f"the field type is '{kind}', but the codebook column is a {wanted}: make it a "
            "radio or dropdown field whose choices are the codebook's values"
            + (" (or a yesno field)." if wanted == "boolean" else ".")
        )
    elif wanted in ("integer", "number"):
        validation = row[VALIDATION].strip()
        if kind == "calc" or (kind == "text" and validation.split("_")[0] in NUMBER_VALIDATIONS):
            check_range(row, here, shown, line, name, column, problems)
        else:
            refuse(
                f"the field type is '{kind}'"
                + (f" with validation '{validation}'" if validation else " without validation")
                + f", but the codebook column is a{'n' if wanted == 'integer' else ''} "
                f"{wanted}. Set its validation to "
                f"{'integer' if wanted == 'integer' else 'number'}."
            )
    elif kind not in ("text", "notes"):
        refuse(
            f"the field type is '{kind}', but the codebook column is text: make it a text field."
        )
    return entry


def check_choices(
    text: str,
    here: str,
    shown: str,
    line: int,
    name: str,
    column: dict[str, Any],
    codebook: dict[str, Any],
    problems: list[Problem],
) -> dict[str, str]:
    """A choice field's codes -> codebook values; a choice or value without a match reported."""
    choices: dict[str, str] = {}
    for part in (p.strip() for p in text.split("|") if p.strip()):
        code, _, label = (s.strip() for s in part.partition(","))
        value = code_for_label(label, column, codebook) or code_for_label(code, column, codebook)
        if value is None:
            problems.append(
                problem_at(
                    shown,
                    line,
                    name,
                    part,
                    f"the choice '{part}' has a label data/codebook.yaml does not have for this "
                    f"column. Correct it in REDCap (or the codebook): "
                    f"{unknown_label_rule(label, column, codebook)}",
                    here,
                )
            )
            continue
        choices[code] = value
    allowed = column.get("values") or list(codebook["booleans"])
    for value in allowed:
        if value not in choices.values():
            problems.append(
                problem_at(
                    shown,
                    line,
                    name,
                    value,
                    f"the codebook's value '{value}' has no choice in the data dictionary (its "
                    f"choices: {text or 'none'}). Add it to the field's choices.",
                    here,
                )
            )
    return choices


def check_range(
    row: dict[str, str],
    here: str,
    shown: str,
    line: int,
    name: str,
    column: dict[str, Any],
    problems: list[Problem],
) -> None:
    """A validation minimum or maximum the dictionary sets must be the codebook's."""
    for key, bound, word in ((MIN, "min", "minimum"), (MAX, "max", "maximum")):
        stated = row[key].strip()
        if not stated:
            continue
        try:
            same = bound in column and float(stated) == float(column[bound])
        except ValueError:
            same = False
        if not same:
            codebook_bound = number_text(float(column[bound])) if bound in column else "none"
            problems.append(
                problem_at(
                    shown,
                    line,
                    name,
                    stated,
                    f"the validation {word} is {stated}, but the codebook's {bound} is "
                    f"{codebook_bound}. Make the two agree (in REDCap's Online Designer, or in "
                    "data/codebook.yaml).",
                    here,
                )
            )


def generated_columns(codebook: dict[str, Any], settings: dict[str, Any]) -> set[str]:
    """Columns REDCap's layout gives rather than a field: a visit named by its event."""
    return {
        spec.get("column") or codebook["tables"][table]["key"][1]
        for table, spec in (settings.get("repeated") or {}).items()
        if "events" in spec
    }


# --------------------------------------------------------------------------- records
def reshape(
    rows: list[tuple[int, dict[str, str]]],
    shown: str,
    fields: dict[str, Field],
    codebook: dict[str, Any],
    settings: dict[str, Any],
    problems: list[Problem],
) -> dict[str, RawTable]:
    """The records as the codebook's tables of text cells, each cell placed in the export."""
    tables = codebook["tables"]
    record_id = next(iter(rows[0][1]))
    repeated = settings.get("repeated") or {}
    event_of = {
        event: (table, visit)
        for table, spec in repeated.items()
        for event, visit in (spec.get("events") or {}).items()
    }
    instrument_of = {
        spec["instrument"]: table for table, spec in repeated.items() if spec.get("instrument")
    }
    missing_codes = {str(code) for code in settings.get("missing_codes") or []}
    found_columns = {c.split("___")[0] for c in rows[0][1]} - SYSTEM_COLUMNS
    header = [c for c in found_columns if not c.endswith("_complete")]
    columns_of = {name: list(spec["columns"]) for name, spec in tables.items()}
    row_at: dict[int, dict[str, str]] = dict(rows)

    def where_row(line: int) -> str:
        row = row_at.get(line, {})
        context = ", ".join(
            [f"record {row.get(record_id, '?')}"]
            + [f"event {row[EVENT]}" for _ in [1] if row.get(EVENT)]
            + [
                f"{row[INSTRUMENT]} instance {row.get(INSTANCE, '')}"
                for _ in [1]
                if row.get(INSTRUMENT)
            ]
        )
        return f"{shown} line {line} ({context})"

    def where(line: int, column: str | None) -> str:
        return where_row(line) + (f", field {column}" if column else "")

    known = {c for spec in tables.values() for c in spec["columns"]}
    for name in sorted(set(header) - known - {record_id}):
        problems.append(
            problem_at(
                shown,
                1,
                name,
                None,
                "the export has this field, which is not in the codebook. "
                "Leave it out of the export (identifying fields such as names "
                "must not be exported) or add it to data/codebook.yaml.",
                f"{shown} line 1, field {name}",
            )
        )
    absent = sorted(set(fields) - found_columns - {record_id})
    for name in absent:
        problems.append(
            problem_at(
                shown,
                1,
                name,
                None,
                "the export has no such field, though the codebook needs "
                "it. Export all fields of the project (raw data, CSV).",
                f"{shown} line 1, field {name}",
            )
        )
    if absent:
        return {}
    cells: dict[str, dict[int, dict[str, str]]] = {name: {} for name in tables}
    record_rows: dict[str, int] = {}
    seen_instances: dict[tuple[str, str, str], int] = {}
    record_event = settings.get("record_event")
    for line, row in rows:
        record = row.get(record_id, "")
        event, instrument = row.get(EVENT, ""), row.get(INSTRUMENT, "")
        if instrument:
            instance_key = (record, instrument, row.get(INSTANCE, ""))
            if instance_key in seen_instances:
                problems.append(
                    problem_at(
                        shown,
                        line,
                        INSTANCE,
                        instance_key[2],
                        f"record {record} has instance {instance_key[2]} of {instrument} twice "
                        f"(lines {seen_instances[instance_key]} and {line}). Remove or renumber "
                        "the copy.",
                        where(line, INSTANCE),
                    )
                )
                continue
            seen_instances[instance_key] = line
            if instrument not in instrument_of:
                problems.append(
                    problem_at(
                        shown,
                        line,
                        INSTRUMENT,
                        instrument,
                        f"the repeating instrument '{instrument}' is not mapped to a codebook "
                        "table in config/sources.yaml (redcap › repeated › <table> › instrument).",
                        where(line, INSTRUMENT),
                    )
                )
                continue
            targets = [(instrument_of[instrument], None)]
        elif event and event != record_event:
            if event not in event_of:
                problems.append(
                    problem_at(
                        shown,
                        line,
                        EVENT,
                        event,
                        f"the event '{event}' is not in config/sources.yaml: map it to its visit "
                        "under redcap › repeated › <table> › events, or to redcap › record_event "
                        f"(events mapped now: {', '.join([record_event or ''] + list(event_of))}).",
                        where(line, EVENT),
                    )
                )
                continue
            targets = [event_of[event]]
        else:
            if record in record_rows:
                problems.append(
                    problem_at(
                        shown,
                        line,
                        record_id,
                        record,
                        f"record {record} has a second row (the first is line "
                        f"{record_rows[record]}). Remove the copy.",
                        where(line, record_id),
                    )
                )
                continue
            record_rows[record] = line
            targets = [(name, None) for name, spec in tables.items() if len(spec["key"]) == 1]
        repeated_targets = {t for t, _ in targets if t in repeated}
        for table, visit in targets:
            values = {}
            for column in columns_of[table]:
                if column == record_id:
                    values[column] = record
                elif visit is not None and column == (
                    repeated[table].get("column") or tables[table]["key"][1]
                ):
                    values[column] = visit
                else:
                    values[column] = cell_value(
                        row.get(column, ""),
                        column,
                        line,
                        fields.get(column),
                        missing_codes,
                        shown,
                        where,
                        problems,
                    )
            if table in repeated_targets or any(
                values[c] for c in columns_of[table] if c != record_id
            ):
                cells[table][line] = values
        placed_fields = {c for t, _ in targets for c in columns_of[t]}
        for column in sorted(set(header) & known - placed_fields - {record_id}):
            if row.get(column, "").strip():
                problems.append(
                    problem_at(
                        shown,
                        line,
                        column,
                        row[column],
                        f"the field has a value ({row[column]}) in a row where it does not belong "
                        "(a field of another event or instrument). Move it to its event or form.",
                        where(line, column),
                    )
                )
    raw = {}
    for name, spec in tables.items():
        table = text_table(
            shown,
            columns_of[name],
            [list(v.values()) for v in cells[name].values()],
            list(cells[name]),
            where,
        )
        if checked_header(table, spec, problems, lambda column: f"{shown}, field {column}"):
            raw[name] = table
    return raw


def cell_value(
    text: str,
    column: str,
    line: int,
    entry: Field | None,
    missing_codes: set[str],
    shown: str,
    where,
    problems: list[Problem],
) -> str:
    """One raw value as codebook text: a choice code to its value, a declared missing code
    to missing."""
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
                f"'{text}' is not a choice of this field in the data dictionary (choices: "
                f"{', '.join(entry.choices)}).",
                where(line, column),
            )
        )
        return text
    return entry.choices[text]
