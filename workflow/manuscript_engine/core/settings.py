"""The build settings: checked against their schema, then handed to rules as files.

:func:`check_config` does what Snakemake's ``validate`` would (JSON Schema against
``manuscript_engine/core/schemas/config.schema.yaml``) but says what is wrong in an author's words:
which key, what was found, what is allowed.

Rules read settings from ``results/settings/<key>-<digest>.json`` (:func:`settings_file`),
not from ``params:``. The digest is that of the value, so a changed setting, in
``config/config.yaml`` or on the command line, is a new input file and reruns exactly
the rules that take it; the file is written by a job of the build that uses it
(:func:`write_setting`), never when a workflow is merely read, so a dry run cannot
change a running build's settings; and a build with nothing to do never compares
params, which costs Snakemake an import of pandas (about 0.3 s).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from manuscript_engine.core.atomic_files import write_text_atomically
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.yaml_files import load_yaml

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
    config: dict[str, Any],
    schema_path: str | Path,
    shown_as: str = "config/config.yaml",
    passed: str | Path | None = None,
) -> None:
    """Raise :class:`ConfigInvalid` naming every bad key, or return quietly.

    ``passed`` is a file that remembers the settings that passed (with the schema they
    passed): the same settings are not checked again, which spares every build, one with
    nothing to do included, the import of jsonschema and the check (about 80 ms).
    """
    schema = load_yaml(schema_path)
    coerce_command_line(config, schema)
    digest = _checked_digest(config, Path(schema_path))
    remembered = _read_passed(passed)
    if digest is not None and digest in remembered:
        return
    problems = _problems(config, schema, shown_as)
    if problems:
        raise ConfigInvalid("\n".join(["The build settings are not valid:", *problems]))
    if passed is not None and digest is not None:
        _remember_passed(Path(passed), [digest, *remembered])


PASSED_KEPT = 16
"""Settings remembered as valid: enough for a few --config variants in turn."""


def _checked_digest(config: dict[str, Any], schema_path: Path) -> str | None:
    """The settings, the schema and this checker, as one SHA-256; None for settings
    holding anything but JSON's own kinds of value (a YAML date, a tuple, a set): their
    JSON text could be another value's, so they are always checked."""
    if not _plain_json(config):
        return None
    text = json.dumps(config, sort_keys=True)
    digest = hashlib.sha256()
    for part in (
        schema_path.read_bytes(),
        Path(__file__).read_bytes(),
        _jsonschema_install().encode(),
        text.encode(),
    ):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _jsonschema_install() -> str:
    """Where jsonschema is installed, and when: a new version (or a reinstall) is a new
    checker. Found without importing it; asking its metadata for the version costs more
    than the check it would spare."""
    import importlib.util

    spec = importlib.util.find_spec("jsonschema")
    if spec is None or spec.origin is None:
        return ""
    info = os.stat(spec.origin)
    return f"{spec.origin} {info.st_size} {info.st_mtime_ns}"


def _plain_json(value: Any) -> bool:
    """Whether ``value`` is made only of what JSON writes back as itself."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_json(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def _read_passed(passed: str | Path | None) -> list[str]:
    if passed is None:
        return []
    try:
        remembered = json.loads(Path(passed).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [d for d in remembered if isinstance(d, str)] if isinstance(remembered, list) else []


def _remember_passed(passed: Path, digests: list[str]) -> None:
    """A best effort: the file is only a cache, in Snakemake's own folder."""
    try:
        passed.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(passed, json.dumps(digests[:PASSED_KEPT]) + "\n")
    except OSError:
        pass


def _problems(config: dict[str, Any], schema: dict[str, Any], shown_as: str) -> list[str]:
    """Every way the settings break the schema, in an author's words."""
    import jsonschema

    # Formats are only annotations unless checked: "date" makes 2026-02-30 an error here,
    # not a crash of a later step.
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.FormatChecker(["date"])
    )
    return [
        describe(error, shown_as)
        for error in sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    ]


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
        missing = [key for key in error.validator_value if key not in error.instance]
        return f"  - {where}: the setting {', '.join(missing)} is missing; add it."
    if error.validator == "format" and error.validator_value == "date":
        return f"  - {where}: {error.instance} is not a real date; write it as YYYY-MM-DD."
    return f"  - {where}: {error.message}."


def settings_text(value: Any) -> str:
    """A setting as stored: canonical JSON, so one value always gives the same bytes."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def settings_file(folder: str | Path, key: str, value: Any) -> str:
    """``folder/<key>-<digest>.json``: the file name says which value it holds.

    A changed value is a different input file, so exactly the rules that take it rerun;
    nothing is written when the workflow is read, so a dry run or a second command can
    never change the settings of a build that is running.
    """
    digest = hashlib.sha256(settings_text(value).encode("utf-8")).hexdigest()[:16]
    return f"{Path(folder).as_posix()}/{key}-{digest}.json"


def write_setting(config: dict[str, Any], key: str, path: str | Path) -> None:
    """Write one setting to the file named for its value (by the build that uses it)."""
    if settings_file(Path(path).parent, key, config[key]) != Path(path).as_posix():
        raise ManuscriptError(
            f"{path} does not hold the current value of '{key}' in config/config.yaml; "
            "settings files are named by the build. Run `make paper`."
        )
    write_text_atomically(path, settings_text(config[key]))


def intact(path: Path) -> bool:
    """Whether a settings file holds exactly the value its name was made from."""
    key = path.stem.rsplit("-", 1)[0]
    try:
        text = path.read_text(encoding="utf-8")
        value = json.loads(text)
    except (OSError, ValueError):
        return False
    return settings_file(path.parent, key, value) == path.as_posix() and text == settings_text(
        value
    )


def discard_altered_settings(folder: str | Path) -> list[str]:
    """Delete settings files whose content is not the value their name was made from.

    Such a file was edited by hand; without it, a rule that needs the setting has the
    build write it again from the config. Hidden files (one being written) are left.
    """
    discarded = []
    for path in sorted(Path(folder).glob("[!.]*-*.json")):
        if not intact(path):
            path.unlink(missing_ok=True)
            discarded.append(path.as_posix())
    return discarded


def read_settings(paths: Iterable[str | Path]) -> dict[str, Any]:
    """The settings a rule takes as inputs, by key, each checked against its file name."""
    settings = {}
    for path in map(Path, paths):
        if not intact(path):
            raise ManuscriptError(
                f"{path} was changed by hand: settings files are written by the build from "
                "config/config.yaml. Change the setting there (or with --config) instead."
            )
        settings[path.stem.rsplit("-", 1)[0]] = json.loads(path.read_text(encoding="utf-8"))
    return settings
