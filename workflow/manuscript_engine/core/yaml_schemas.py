"""Every hand-written YAML file checked against its schema, in an author's words.

The engine's file formats are JSON Schemas (Draft 2020-12, written as YAML) in
``workflow/manuscript_engine/core/schemas/``: the codebook, the published numbers and their
relations, the audit's acknowledgements, the study facts and the manuscript metadata.
:func:`check_yaml_against_schema` checks a loaded file against one of them and, as
:func:`~manuscript_engine.core.settings.check_config` does for the config, says what is wrong
in plain words: the file, the key path (``tables › baseline › columns › age › type``,
``numbers[12] (id flow.included.total) › stat``), what was found and what is expected.

Rules across entries that a schema cannot state (a codebook's ``min`` above its
``max``, a ``ci_lower`` without its ``ci_upper``, a key column that is not a column, an
id that names no published number) are checked after the schema, once the file has
the expected form, and reported in the same way. Compiled validators are cached, so a
file costs one pass of the validator each time it is read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.settings import TYPE_WORDS
from manuscript_engine.core.yaml_files import load_yaml

SCHEMAS = Path(__file__).resolve().parent / "schemas"
"""The engine's file formats: ``<name>.schema.yaml``."""
ARROW = " › "

WORDS = {
    **TYPE_WORDS,
    "object": "a group of 'key: value' entries",
    "null": "empty",
}
"""JSON Schema types in an author's words (the config's, with a group not of settings)."""

LABELS = ("id", "name", "p")
"""The key whose value names a list item in a message: ``numbers[12] (id flow.total)``."""


class YamlInvalid(ManuscriptError):
    """A hand-written YAML file does not have the form its schema describes."""


Problem = tuple[tuple, str]
"""Where (the key path, as a tuple of keys and list positions) and what, in words."""
SHOWN = 25
"""Problems listed in one message; a mistake repeated on every entry is not listed in full."""


# --------------------------------------------------------------------------- entry points
def check_yaml_against_schema(data: Any, schema_name: str, shown_as: str, **context) -> None:
    """Raise :class:`YamlInvalid` naming every problem, or return quietly.

    ``schema_name`` is a file of ``schemas/`` without ``.schema.yaml`` (``codebook``,
    ``published``, ...); ``shown_as`` is the name the messages give the file. Rules
    across entries run once the file has the schema's form; ``context`` passes them
    what they compare against (``published=`` the entries, for their relations).
    """
    errors = sorted(validator(schema_name).iter_errors(data), key=lambda e: _order(e.path))
    problems = _distinct(problem for error in errors for problem in describe(error))
    if not problems:
        problems = [
            problem for rule in RULES.get(schema_name, ()) for problem in rule(data, **context)
        ]
    if problems:
        lines = [f"  - {shown_as}{_where(path, data)}: {text}" for path, text in problems]
        if len(lines) > SHOWN:
            lines[SHOWN:] = [f"  - ... and {len(lines) - SHOWN} more problem(s) of this file."]
        raise YamlInvalid(
            "\n".join(
                [
                    f"{shown_as} is not in the form the build reads ({len(problems)} problem(s)):",
                    *lines,
                    f"The form of each key is described in "
                    f"workflow/manuscript_engine/core/schemas/{schema_name}.schema.yaml.",
                ]
            )
        )


def load_checked_yaml(
    path: str | Path, schema_name: str, shown_as: str | None = None, **context
) -> Any:
    """:func:`~manuscript_engine.core.yaml_files.load_yaml`, then :func:`check_yaml_against_schema`.

    The file is named as given, or relative to the project when it is inside it
    (``data/codebook.yaml``).
    """
    shown = shown_as or _shown(Path(path))
    data = load_yaml(path, shown)
    check_yaml_against_schema(data, schema_name, shown, **context)
    return data


@cache
def validator(schema_name: str):
    """The compiled validator of ``schemas/<schema_name>.schema.yaml`` (once per process)."""
    import jsonschema

    schema = load_yaml(SCHEMAS / f"{schema_name}.schema.yaml")
    return jsonschema.Draft202012Validator(inline_definitions(schema, schema.get("$defs", {})))


def inline_definitions(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with each ``$ref`` to its own ``$defs`` replaced by the definition.

    jsonschema resolves a reference each time it is used, which would cost the published
    numbers (hundreds of entries) half their checking time. A key beside the ``$ref``
    (a ``description``) wins over the definition's own. The engine's schemas do not
    refer to themselves recursively.
    """
    if isinstance(node, list):
        return [inline_definitions(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    own = {k: inline_definitions(v, definitions) for k, v in node.items() if k != "$defs"}
    target = node.get("$ref", "")
    if target.startswith("#/$defs/"):
        del own["$ref"]
        return {
            **inline_definitions(definitions[target.removeprefix("#/$defs/")], definitions),
            **own,
        }
    return own


def _shown(path: Path) -> str:
    """The path relative to the project when it is inside it, else as given."""
    # Shown relative to the folder the build runs in (the project's), as authors see it.
    if path.is_absolute() and path.resolve().is_relative_to(Path.cwd().resolve()):
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    return path.as_posix()


# --------------------------------------------------------------------------- messages
def describe(error) -> list[Problem]:
    """One schema error as problems: where, and what was found against what is expected."""
    path = tuple(error.absolute_path)
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    about = schema.get("description")
    because = f" ({about})" if about else ""
    kind, wanted = error.validator, error.validator_value
    if not path and kind == "type":
        title = _title(error)
        if value is None:
            return [(path, f"the file is empty; it must hold {WORDS['object']} ({title}).")]
        return [
            (path, f"the file must hold {WORDS['object']} ({title}), found {found_words(value)}.")
        ]
    if "propertyNames" in error.absolute_schema_path:
        return [(path, f"the name {found_words(value)} is not allowed; use {about or kind}.")]
    if kind == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        return [
            (path + (key,), _unknown_key(key, known)) for key in sorted(set(value) - set(known))
        ]
    if kind == "required":
        key = _quoted(error.message)
        held = schema.get("properties", {}).get(key, {}).get("description") or about
        found = f"; found only {', '.join(map(str, value))}" if value else "; found no key"
        return [(path, f"the key '{key}' is missing{f' ({held})' if held else ''}{found}.")]
    if kind == "dependentRequired":
        lacking, needed = re.findall(r"'([^']*)'", error.message)[:2]
        return [(path, f"the key '{lacking}' is missing: '{needed}' is only read with it.")]
    if kind == "type":
        types = [wanted] if isinstance(wanted, str) else list(wanted)
        what = " or ".join(WORDS.get(t, t) for t in types)
        hint = _hint(value) if "string" in types else ""
        return [(path, f"must be {what}, found {found_words(value)}{because}.{hint}")]
    if kind == "enum":
        choices = ", ".join(map(str, wanted))
        hint = _hint(value) if isinstance(value, bool) else ""
        close = _close(value, wanted)
        return [
            (path, f"{found_words(value)} is not a choice; use one of: {choices}.{close}{hint}")
        ]
    if kind == "const":
        return [(path, f"must be {_literal(wanted)}, found {found_words(value)}{because}.")]
    if kind == "pattern":
        return [(path, f"{found_words(value)} is not in the expected form{because}.")]
    if kind == "minLength":
        return [(path, f"must not be empty, found ''{because}.")]
    if kind in ("minItems", "maxItems"):
        bound = "at least" if kind == "minItems" else "at most"
        return [(path, f"must list {bound} {wanted} item(s), found {len(value)}{because}.")]
    if kind == "minProperties":
        return [(path, f"must hold at least {wanted} entry(ies), found none{because}.")]
    if kind == "uniqueItems":
        return [(path, f"lists the same value twice, found {found_words(value)}.")]
    if kind in ("minimum", "exclusiveMinimum"):
        above = "at least" if kind == "minimum" else "above"
        return [(path, f"must be {above} {wanted}, found {found_words(value)}{because}.")]
    if kind in ("oneOf", "anyOf"):
        return [(path, f"found {found_words(value)}; expected {about or error.message}.")]
    return [(path, f"{error.message}{because}.")]


def _distinct(problems: Iterable[Problem]) -> list[Problem]:
    """Each problem once; a key missing for two reasons is reported with what was found."""
    kept: dict[tuple, Problem] = {}
    for path, text in problems:
        missing = re.match(r"the key '([^']*)' is missing", text)
        key = (path, missing.group(1) if missing else text)
        if key not in kept or "; found" in text:
            kept[key] = (path, text)
    return list(kept.values())


def _title(error) -> str:
    """The file format's name (``the codebook``): the title of the file's schema."""
    return str(error.schema.get("title", "")) if isinstance(error.schema, dict) else ""


def _quoted(message: str) -> str:
    found = re.match(r"'([^']*)'", message)
    return found.group(1) if found else message


def found_words(value: Any) -> str:
    """A found value as an author would read it in the file."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\n", "\\n") + "'"
    if isinstance(value, list):
        shown = ", ".join(found_words(v) for v in value[:4]) + (", ..." if len(value) > 4 else "")
        return f"a list [{shown}]" if value else "an empty list"
    if isinstance(value, dict):
        keys = ", ".join(map(str, list(value)[:6])) + (", ..." if len(value) > 6 else "")
        return f"a group of keys ({keys})" if value else "an empty group"
    return str(value)


def _literal(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else found_words(value)


def _hint(value: Any) -> str:
    """What YAML did to an unquoted value an author meant as text."""
    if isinstance(value, bool):
        return (
            " YAML reads an unquoted yes, no, true or false as true or false: write "
            "'yes' or 'no' in quotes."
        )
    if value is not None and not isinstance(value, list | dict):  # a number or a date
        return " Put it in quotes, so that YAML keeps it as it is typed."
    return ""


def _close(value: Any, choices: Iterable) -> str:
    texts = [str(c) for c in choices]
    close = difflib.get_close_matches(str(value), texts, n=1) if isinstance(value, str) else []
    return f" Did you mean '{close[0]}'?" if close else ""


def _unknown_key(key: str, known: Sequence[str]) -> str:
    hint = _close(key, known)
    listing = f" Known keys here: {', '.join(known)}." if known else ""
    return f"'{key}' is not a known key.{hint}{listing}"


def _where(path: tuple, data: Any) -> str:
    """``, tables › baseline › key`` or ``, numbers[3] (id x) › stat``; '' for the file."""
    parts: list[str] = []
    node = data
    for step in path:
        if isinstance(step, int) and isinstance(node, list):
            item = node[step] if step < len(node) else None
            label = next(
                (
                    f" ({k} {item[k]})"
                    for k in LABELS
                    if isinstance(item, dict) and _text(item.get(k))
                ),
                "",
            )
            if parts:
                parts[-1] += f"[{step}]{label}"
            else:
                parts.append(f"item {step}{label}")
        else:
            parts.append(str(step))
        node = _child(node, step)
    return f", {ARROW.join(parts)}" if parts else ""


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _child(node: Any, step: Any) -> Any:
    if isinstance(node, dict):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and step < len(node):
        return node[step]
    return None


def _order(path: Iterable) -> list[str]:
    return [f"{p:08d}" if isinstance(p, int) else str(p) for p in path]


# --------------------------------------------------------------------------- rules across entries
NUMERIC = ("integer", "number")


def codebook_rules(book: dict[str, Any], **_) -> list[Problem]:
    """Key columns among the columns, ranges in order, each field on a type that uses it."""
    problems: list[Problem] = []
    for field in ("key", "code"):
        seen: dict[str, int] = {}
        for index, group in enumerate(book.get("arms", {}).get("groups", [])):
            value = str(group.get(field))
            if value in seen:
                problems.append(
                    (
                        ("arms", "groups", index, field),
                        f"'{value}' is already the {field} of arm {seen[value] + 1}; each arm "
                        f"has its own {field}.",
                    )
                )
            seen.setdefault(value, index)
    files: dict[str, str] = {}
    for name, table in book["tables"].items():
        where = ("tables", name)
        if table["file"] in files:
            problems.append(
                (
                    (*where, "file"),
                    f"'{table['file']}' is already the file of the table "
                    f"'{files[table['file']]}'; each table has its own file.",
                )
            )
        files.setdefault(table["file"], name)
        columns = table["columns"]
        for position, key in enumerate(table.get("key", [])):
            if key not in columns:
                problems.append(
                    (
                        (*where, "key", position),
                        f"found '{key}', which is not a column of this table; expected one of: "
                        f"{', '.join(columns)}.{_close(key, columns)}",
                    )
                )
        for column, spec in columns.items():
            problems += _column_rules((*where, "columns", column), spec)
    for name, definition in book["definitions"].items():
        categories = definition.get("categories") if isinstance(definition, dict) else None
        if isinstance(categories, dict):
            for category, bounds in categories.items():
                if isinstance(bounds, dict):  # a range; a name maps onto another category
                    problems += _range((("definitions", name, "categories", category)), bounds)
    return problems


def _column_rules(where: tuple, spec: dict[str, Any]) -> list[Problem]:
    kind = spec["type"]
    problems = _range(where, spec) if kind in NUMERIC else []
    if "values" in spec and kind != "category":
        problems.append(
            (
                (*where, "values"),
                f"only a category column lists values, and this column's type is {kind}. "
                "Remove 'values', or make the type category.",
            )
        )
    for field in ("min", "max", "step"):
        if field in spec and kind not in NUMERIC:
            problems.append(
                (
                    (*where, field),
                    f"'{field}' applies to integer and number columns, and this column's type "
                    f"is {kind}. Remove it, or make the type integer or number.",
                )
            )
    if "pattern" in spec:
        if kind not in ("string", "category"):
            problems.append(
                (
                    (*where, "pattern"),
                    f"'pattern' applies to string and category columns, and this column's type "
                    f"is {kind}. Remove it.",
                )
            )
        try:
            re.compile(spec["pattern"])
        except re.error as exc:
            problems.append(
                (
                    (*where, "pattern"),
                    f"found {found_words(spec['pattern'])}, which is not a valid regular "
                    f"expression ({exc}).",
                )
            )
    if "missing_when" in spec and spec.get("missing") is not True:
        problems.append(
            (
                (*where, "missing_when"),
                f"says when a cell may be empty, but 'missing' is "
                f"{found_words(spec.get('missing'))}; expected missing: true beside it.",
            )
        )
    values = spec.get("values")
    clashing = [
        code
        for code in spec.get("missing_codes", {})
        if isinstance(values, list) and str(code) in map(str, values)
    ]
    if clashing:
        problems.append(
            (
                (*where, "missing_codes"),
                f"'{clashing[0]}' is both an allowed value and a code for a missing value; "
                "a cell holding it could mean either. Choose another code.",
            )
        )
    return problems


def _range(where: tuple, spec: dict[str, Any]) -> list[Problem]:
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None and low > high:
        return [
            (
                (*where, "min"),
                f"the minimum {low:g} is above the maximum {high:g}; expected min <= max.",
            )
        ]
    return []


def published_rules(book: dict[str, Any], **_) -> list[Problem]:
    """Ids used once; each confidence limit with its other limit for the same measure."""
    problems: list[Problem] = []
    numbers = book["numbers"]
    first: dict[str, int] = {}
    for position, entry in enumerate(numbers):
        if entry["id"] in first:
            problems.append(
                (
                    ("numbers", position, "id"),
                    f"'{entry['id']}' is already the id of numbers[{first[entry['id']]}]; "
                    "expected an id used once (the audit names each number by it).",
                )
            )
        first.setdefault(entry["id"], position)
    pairs = {"ci_lower": "ci_upper", "ci_upper": "ci_lower"}
    limits = {(e["stat"], _frozen(e.get("of"))) for e in numbers if e["stat"] in pairs}
    for position, entry in enumerate(numbers):
        other = pairs.get(entry["stat"])
        if other and (other, _frozen(entry.get("of"))) not in limits:
            problems.append(
                (
                    ("numbers", position, "stat"),
                    f"found a {entry['stat']} without its {other}; expected an entry with "
                    f"stat {other} and the same 'of' (the same measure), as a confidence "
                    "interval has two limits.",
                )
            )
    return problems + _protocol_range_rules(numbers) + _unit_rules(numbers)


COUNTING = ("count", "percent", "ci_lower", "ci_upper")
"""The kinds of published number that count something, and so have a unit."""


def _unit_rules(numbers: list[dict[str, Any]]) -> list[Problem]:
    """A ``unit`` only on a count, a percentage or its confidence limits."""
    return [
        (
            ("numbers", position, "unit"),
            f"found a unit on a {entry['stat']}; only a count, a percentage or its confidence "
            f"limits has a 'unit' (what it counts). Remove 'unit' here.",
        )
        for position, entry in enumerate(numbers)
        if "unit" in entry and entry["stat"] not in COUNTING
    ]


def _protocol_range_rules(numbers: list[dict[str, Any]]) -> list[Problem]:
    """A protocol range tied to a variable (``of: {var, arm}``) prints two numbers and
    has an observed minimum or maximum of that variable to be held against."""
    observed = {
        ((e.get("of") or {}).get("var"), (e.get("of") or {}).get("arm", "both"))
        for e in numbers
        if e["stat"] in ("min", "max")
    }
    problems: list[Problem] = []
    for position, entry in enumerate(numbers):
        of = entry.get("of") or {}
        if entry["stat"] != "protocol" or "var" not in of:
            continue
        text = str(entry.get("printed_value", entry["printed"]))
        if len(re.findall(r"\d+(?:\.\d+)?", text)) != 2:
            problems.append(
                (
                    ("numbers", position, "printed"),
                    f"found {found_words(text)}, which is not a range of two numbers; a "
                    "protocol with 'of' sets a range ('5–10 mL') for the variable it names. "
                    "Remove 'of', or type the range.",
                )
            )
        if (of["var"], of.get("arm", "both")) not in observed:
            problems.append(
                (
                    ("numbers", position, "of", "var"),
                    f"no published minimum or maximum of '{of['var']}' in arm "
                    f"'{of.get('arm', 'both')}'; expected an entry with stat min or max and the "
                    "same var and arm, the observed range this protocol range is held against.",
                )
            )
    return problems


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def relations_rules(book: dict[str, Any], published: list | None = None, **_) -> list[Problem]:
    """Arm keys used once and ranges in order; with the published numbers given, every id
    the relations name is one of them (for every arm where written with {arm}), every arm
    they name is a declared arm, and every section they name is printed.
    """
    problems = _arms_and_scales(book)
    if published is None:
        return problems
    problems += _arms_named(book, published)
    known = [entry["id"] for entry in published]
    ids = set(known)
    for path, key in _referenced_ids(book):
        if key not in ids:
            problems.append(
                (
                    path,
                    f"found '{key}', which is not the id of any published number "
                    f"(data/published.yaml).{_close(key, known)}",
                )
            )
    return (
        problems
        + _arm_template_rules(book, published, ids, known)
        + _direction_rules(book, published)
        + _section_rules(book, published)
    )


def _direction_rules(book: dict[str, Any], published: list) -> list[Problem]:
    """Direction claims: ids used once, each ``claim`` a sentence (stat claim), each score a
    score the published table has (a mean with a visit) or a declared group."""
    direction = book.get("direction") or {}
    stats = {entry["id"]: entry["stat"] for entry in published}
    scores = {
        (entry.get("of") or {}).get("var")
        for entry in published
        if entry["stat"] == "mean" and "visit" in (entry.get("of") or {})
    }
    known = sorted(str(s) for s in scores) + sorted(direction.get("groups") or {})
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, rule in enumerate(direction.get("claims") or []):
        where = ("direction", "claims", i)
        if rule["id"] in first:
            problems.append(
                (
                    (*where, "id"),
                    f"'{rule['id']}' is already the id of direction.claims[{first[rule['id']]}]; "
                    "expected an id used once (the audit names each check by it).",
                )
            )
        first.setdefault(rule["id"], i)
        if stats.get(rule["claim"], "claim") != "claim":
            problems.append(
                (
                    (*where, "claim"),
                    f"'{rule['claim']}' is a {stats[rule['claim']]}, not a sentence; expected "
                    "the id of an entry with stat claim in data/published.yaml.",
                )
            )
        for j, score in enumerate(rule.get("scores") or []):
            if score not in known:
                problems.append(
                    (
                        (*where, "scores", j),
                        f"found '{score}', which is neither a score of a published table (a "
                        "mean with a visit) nor a group under direction.groups; expected one "
                        f"of: {', '.join(known)}.{_close(score, known)}",
                    )
                )
    return problems


def _arms_and_scales(book: dict[str, Any]) -> list[Problem]:
    """Each arm's key once; each scale's range low before high."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, arm in enumerate(book.get("arms") or []):
        if arm["key"] in seen:
            problems.append(
                (
                    ("arms", index, "key"),
                    f"'{arm['key']}' is already the key of arm {seen[arm['key']] + 1}; each "
                    "arm has its own key.",
                )
            )
        seen.setdefault(arm["key"], index)
    for name, scale in (book.get("scales") or {}).items():
        low, high = scale.get("range", (None, None))
        if low is not None and low > high:
            problems.append(
                (
                    ("scales", name, "range"),
                    f"the lowest value {low:g} is above the highest {high:g}; expected [lo, hi].",
                )
            )
    return problems


def _arms_named(book: dict[str, Any], published: list) -> list[Problem]:
    """With ``arms`` declared, every arm a published number names is one of them (or both)."""
    keys = [arm["key"] for arm in book.get("arms") or []]
    if not keys:
        return []
    problems: list[Problem] = []
    for entry in published:
        arm = (entry.get("of") or {}).get("arm")
        if arm not in (None, "both", *keys):
            problems.append(
                (
                    ("arms",),
                    f"the published number '{entry['id']}' names the arm '{arm}', which is not "
                    f"a key of 'arms'; expected one of: {', '.join(keys)} or both."
                    f"{_close(arm, keys)}",
                )
            )
    return problems


def _arm_template_rules(
    book: dict[str, Any], published: list, ids: set[str], known: list[str]
) -> list[Problem]:
    """Every id written for every arm ('t2.n.{arm}') names a published number for each."""
    problems: list[Problem] = []
    arms = list(
        dict.fromkeys(
            str((e.get("of") or {}).get("arm"))
            for e in published
            if (e.get("of") or {}).get("arm") not in (None, "both")
        )
    )
    for path, template in _arm_templates(book):
        for arm in arms:
            key = template.replace("{arm}", arm)
            if key not in ids:
                problems.append(
                    (
                        path,
                        f"found '{template}', which for arm '{arm}' is '{key}', not the id of "
                        f"any published number (data/published.yaml).{_close(key, known)}",
                    )
                )
    return problems


def _arm_templates(book: dict[str, Any]) -> Iterable[tuple[tuple, str]]:
    """The ids of the relations written for every arm ('t2.n.{arm}')."""
    units = book.get("units") or {}
    for i, key in enumerate(units.get("default_counts", []) or []):
        yield ("units", "default_counts", i), key
    for i, rule in enumerate(units.get("totals", []) or []):
        yield from ((("units", "totals", i, "weights", key), key) for key in rule["weights"])
    for i, rule in enumerate(book.get("headers", []) or []):
        yield ("headers", i, "n"), rule["n"]
        if "note" in rule:
            yield ("headers", i, "note"), rule["note"]


def _section_rules(book: dict[str, Any], published: list) -> list[Problem]:
    """Every section ``facts.must_appear_in`` names is the section of a published entry."""
    sections = sorted(
        {str(e.get("section") or e["where"].split(",")[0]).strip() for e in published}
    )
    problems: list[Problem] = []
    required = (book.get("facts") or {}).get("must_appear_in") or {}
    for source, targets in required.items():
        for path, name in [
            (("facts", "must_appear_in", source), source),
            *((("facts", "must_appear_in", source, j), t) for j, t in enumerate(targets)),
        ]:
            if name not in sections:
                problems.append(
                    (
                        path,
                        f"found '{name}', which is the section of no published number (the "
                        "'section' of an entry, or its 'where' up to the first comma); "
                        f"expected one of: {', '.join(sections)}.{_close(name, sections)}",
                    )
                )
    return problems


def _referenced_ids(book: dict[str, Any]) -> Iterable[tuple[tuple, str]]:
    for i, rule in enumerate(book["sums"]):
        yield from (((("sums", i, "parts", j)), part) for j, part in enumerate(rule["parts"]))
        yield ("sums", i, "total"), rule["total"]
    for i, rule in enumerate(book["tests"]):
        yield ("tests", i, "p"), rule["p"]
        for field in ("counts", "means"):
            for j, row in enumerate(rule.get(field, [])):
                yield from ((("tests", i, field, j, k), key) for k, key in enumerate(row))
    direction = book.get("direction") or {}
    for i, rule in enumerate(direction.get("claims") or []):
        yield ("direction", "claims", i, "claim"), rule["claim"]
        for field in ("rates", "means"):
            for arm, row in (rule.get(field) or {}).items():
                yield from (
                    (("direction", "claims", i, field, arm, k), key) for k, key in enumerate(row)
                )
        yield from (
            (("direction", "claims", i, "p", j), key) for j, key in enumerate(rule.get("p", []))
        )
    for i, rule in enumerate((book.get("trajectories") or {}).get("categories") or []):
        for j, group in enumerate(rule["groups"]):
            yield from (
                (("trajectories", "categories", i, "groups", j, "counts", k), key)
                for k, key in enumerate(group["counts"])
            )
    baseline = (book.get("trajectories") or {}).get("baseline") or {}
    yield from (
        (("trajectories", "baseline", "claims", j), key)
        for j, key in enumerate(baseline.get("claims", []))
    )
    for i, rule in enumerate((book.get("trajectories") or {}).get("comments") or []):
        yield ("trajectories", "comments", i, "claim"), rule["claim"]
    for i, rule in enumerate((book.get("facts") or {}).get("excludes", []) or []):
        for field in ("count", "cannot_overlap", "within", "definition"):
            if field in rule:
                yield ("facts", "excludes", i, field), rule[field]


def metadata_rules(book: dict[str, Any], **_) -> list[Problem]:
    """Each author's affiliations are keys of ``affiliations``."""
    known = list(book.get("affiliations") or {})
    problems: list[Problem] = []
    for i, author in enumerate(book["authors"]):
        for j, key in enumerate(author.get("affiliations", [])):
            if key not in known:
                listing = f"one of: {', '.join(known)}" if known else "a key of 'affiliations'"
                problems.append(
                    (
                        ("authors", i, "affiliations", j),
                        f"found '{key}', which is not a key of 'affiliations'; expected "
                        f"{listing}.{_close(key, known)}",
                    )
                )
    return problems


RULES: dict[str, tuple[Callable[..., list[Problem]], ...]] = {
    "codebook": (codebook_rules,),
    "published": (published_rules,),
    "published_checks": (relations_rules,),
    "metadata": (metadata_rules,),
}
"""The rules across entries of each file format, run after its schema."""
