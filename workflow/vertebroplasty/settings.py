"""The build settings: checked against their schema, then handed to rules as files.

:func:`check_config` does what Snakemake's ``validate`` would (JSON Schema against
``config/schema/config.schema.yaml``) but says what is wrong in an author's words:
which key, what was found, what is allowed.

Rules read settings from ``results/settings/<key>.json`` (:func:`write_settings`), not
from ``params:``. A changed setting, in ``config/config.yaml`` or on the command line,
then reruns exactly the rules that take its file, like any edited input; and a build
with nothing to do never compares params, which costs Snakemake an import of pandas
(about 0.3 s, a quarter of a no-op build).
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from collections.abc import Iterable
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


def write_settings(config: dict[str, Any], folder: str | Path) -> None:
    """Write each top-level setting to ``folder/<key>.json``, rewriting only what changed.

    An unchanged file keeps its date, so Snakemake sees nothing new; a changed one is
    replaced in one step (never half-written).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for key, value in config.items():
        path = folder / f"{key}.json"
        text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)


def read_settings(paths: Iterable[str | Path]) -> dict[str, Any]:
    """The settings a rule takes as inputs, by key (the file names without ``.json``)."""
    return {Path(p).stem: json.loads(Path(p).read_text(encoding="utf-8")) for p in paths}
