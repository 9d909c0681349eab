"""Checking ``config/config.yaml`` against its schema, with messages that name the key.

Snakemake's own ``validate`` reports a JSON-schema error; this check runs first and
says the same thing in an author's words: which key, what was found, what is allowed.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from .errors import ManuscriptError

TYPE_WORDS = {
    "boolean": "true or false",
    "string": "text",
    "object": "a group of settings",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
}


class ConfigInvalid(ManuscriptError):
    """A setting in config/config.yaml is unknown or has the wrong type."""


def check_config(
    config: dict[str, Any], schema_path: str | Path, shown_as: str = "config/config.yaml"
) -> None:
    """Raise :class:`ConfigInvalid` naming every bad key, or return quietly."""
    import jsonschema

    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))
    coerce_command_line(config, schema)
    validator = jsonschema.Draft202012Validator(schema)
    problems = [
        describe(error, shown_as)
        for error in sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        raise ConfigInvalid("\n".join(["The build settings are not valid:", *problems]))


BOOLEAN_WORDS = {"true": True, "false": False, "yes": True, "no": False}


def coerce_command_line(config: dict[str, Any], schema: dict[str, Any]) -> None:
    """Turn 'true'/'false' typed on the command line into booleans where the schema wants one.

    ``snakemake --config audit_strict=false`` passes the text 'false'; the schema's type
    says what was meant. The config is changed in place.
    """
    for key, spec in schema.get("properties", {}).items():
        value = config.get(key)
        if spec.get("type") == "boolean" and isinstance(value, str):
            config[key] = BOOLEAN_WORDS.get(value.strip().lower(), value)
        elif spec.get("type") == "object" and isinstance(value, dict):
            coerce_command_line(value, spec)


def describe(error, shown_as: str) -> str:
    """One schema error as a sentence that names the key."""
    path = ".".join(str(p) for p in error.absolute_path)
    where = f"{shown_as}, key '{path}'" if path else shown_as
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(known))
        lines = []
        for key in extra:
            full = f"{path}.{key}" if path else key
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            lines.append(
                f"  - {shown_as}, key '{full}': not a known setting.{hint} "
                f"Known settings here: {', '.join(known)}."
            )
        return "\n".join(lines)
    if error.validator == "type":
        wanted = TYPE_WORDS.get(error.validator_value, error.validator_value)
        return f"  - {where}: must be {wanted}, found {error.instance!r}."
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"  - {where}: {error.instance!r} is not a choice; use one of: {allowed}."
    if error.validator == "required":
        return f"  - {where}: {error.message}."
    return f"  - {where}: {error.message}."
