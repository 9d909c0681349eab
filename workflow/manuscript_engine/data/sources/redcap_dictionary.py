"""A REDCap data dictionary checked against the codebook.

The dictionary says what each raw value of the records export means (the choice ``1``
of a radio field is the code its label names), so it is checked first: every codebook
column has a field of a fitting type, every choice names a codebook code or label and
every code has a choice, and a validation range the dictionary sets is the codebook's.
Each difference is named with the dictionary's line and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from manuscript_engine.data.sources.cells import (
    code_for_label,
    number_text,
    problem_at,
    unknown_label_rule,
)
from manuscript_engine.data.validation import Problem

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
NUMBER_VALIDATIONS = {"integer", "number"}
CHOICE_TYPES = {"dropdown", "radio"}
BOOLEAN_TYPES = {"yesno", "truefalse"}
"""REDCap's own boolean fields: raw 1 and 0, the codebook's yes and no words."""


@dataclass
class Field:
    """One field of the data dictionary, as the records need it."""

    name: str
    line: int
    form: str
    kind: str
    choices: dict[str, str] = field(default_factory=dict)  # raw code -> codebook value


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
        entry.choices = dict(zip(("1", "0"), codebook["booleans"], strict=True))
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
