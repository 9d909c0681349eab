"""Reading the project's YAML files (codebook, published numbers, audit, config) safely.

PyYAML's safe loader builds no objects, but it still expands anchors and aliases: a
few lines of nested aliases (a "billion laughs") expand to billions of values and
hang the build or exhaust the memory. The project's files need neither, so the event
stream is checked first, which is cheap (nothing is built from it), and any anchor or
alias is refused with its line. A key written twice in one mapping, which YAML would
silently resolve to the last value, is refused too.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.text_files import decode_utf8

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
"""PyYAML's safe loader, in C when PyYAML was built with libyaml (several times faster)."""

COLLECTION_STARTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
COLLECTION_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def load_yaml(path: str | Path, shown_as: str | None = None) -> Any:
    """The content of a YAML file, or :class:`ManuscriptError` naming the file and line.

    Refuses anchors and aliases (``&name``, ``*name``), a key repeated in one mapping,
    and text that is not valid YAML. ``shown_as`` is the name the messages give the
    file (default: the path as given).
    """
    shown = shown_as or Path(path).as_posix()
    text = _read(Path(path), shown)
    _check_events(text, shown)
    try:
        return yaml.load(text, Loader=LOADER)  # noqa: S506 (a safe loader)
    except yaml.MarkedYAMLError as exc:  # such as a list used as a key
        raise _not_yaml(exc, shown) from None


def check_yaml_file(path: str | Path, shown_as: str | None = None) -> None:
    """Refuse what :func:`load_yaml` refuses, without building the content.

    For a file another program reads afterwards, such as ``config/config.yaml``, which
    Snakemake loads itself.
    """
    shown = shown_as or Path(path).as_posix()
    _check_events(_read(Path(path), shown), shown)


def _read(path: Path, shown: str) -> str:
    """The file's text. A device or pipe is refused unread: an endless one fills the memory."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise ManuscriptError(
                f"{shown}: this is not a regular file (a folder, device or pipe). "
                "Put the YAML file itself there."
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ManuscriptError(f"{shown}: the file is missing. Restore it.") from None
    return decode_utf8(data, shown)


def _check_events(text: str, shown: str) -> None:
    """Walk the parser's events: refuse anchors, aliases, repeated keys and impossible dates."""
    resolver = Resolver()
    keys: list[dict | None] = []  # per open collection: its keys so far (None in a list)
    at_key: list[bool] = []  # per open collection: whether its next node is a key
    try:
        for event in yaml.parse(text, Loader=LOADER):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise ManuscriptError(
                    f"{shown}, line {line}: anchors and aliases ('&name', '*name') are not "
                    "allowed in the project's YAML files. Write the value out in full where "
                    "it is needed."
                )
            if isinstance(event, yaml.ScalarEvent):
                tag = event.tag or resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
                _check_date(event.value, tag, line, shown)
                if keys and keys[-1] is not None and at_key[-1]:
                    _check_key(keys[-1], event.value, tag, line, shown)
            if isinstance(event, COLLECTION_STARTS):
                keys.append({} if isinstance(event, yaml.MappingStartEvent) else None)
                at_key.append(True)
                continue
            if isinstance(event, COLLECTION_ENDS):
                keys.pop()
                at_key.pop()
            if isinstance(event, (yaml.ScalarEvent, *COLLECTION_ENDS)) and at_key:
                at_key[-1] = not at_key[-1]  # a whole node ended: after a key comes its value
    except yaml.MarkedYAMLError as exc:
        raise _not_yaml(exc, shown) from None
    except yaml.YAMLError as exc:  # a character YAML does not allow, before any mark
        position = getattr(exc, "position", None)
        where = f", line {text[:position].count(chr(10)) + 1}" if position is not None else ""
        raise ManuscriptError(
            f"{shown}{where}: this is not valid YAML ({getattr(exc, 'reason', exc)}). Remove "
            "the control character or save the file again as plain UTF-8 text."
        ) from None


def _check_key(seen: dict, key: str, tag: str, line: int, shown: str) -> None:
    """A key may appear once per mapping: YAML would silently keep the last value."""
    if (tag, key) in seen:
        raise ManuscriptError(
            f"{shown}, line {line}: the key '{key}' is already set at line {seen[tag, key]} "
            "in the same group, and only the last value would count. Remove or rename one."
        )
    seen[tag, key] = line


def _not_yaml(exc: yaml.MarkedYAMLError, shown: str) -> ManuscriptError:
    mark = exc.problem_mark or exc.context_mark
    where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return ManuscriptError(
        f"{shown}{where}: this is not valid YAML ({exc.problem or exc.context}). Check "
        "the indentation, and put quotes around a value that holds ': ' or ' #'."
    )


TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _check_date(value: str, tag: str, line: int, shown: str) -> None:
    """An unquoted date must be a real one: PyYAML stops on 2026-02-30 naming no file."""
    if tag != TIMESTAMP:
        return
    try:
        SafeConstructor().construct_yaml_timestamp(yaml.ScalarNode(tag, value))
    except ValueError:
        raise ManuscriptError(
            f"{shown}, line {line}: {value} is not a real date; write it as YYYY-MM-DD."
        ) from None
