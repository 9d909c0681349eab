"""Plain-words messages for failures that are not the author's text or data.

A full disk, a read-only folder, a damaged file left by a stopped build or an error in
the Typst text would otherwise end the build with a Python stack trace, or with
Snakemake's "At least one job did not complete successfully". :func:`author_message`
turns the exceptions behind these into what happened and what to do, for a clinician
rather than a programmer. :func:`check_results_folder` refuses a ``results/`` folder
the build cannot safely write into, before any step runs.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import sys
import traceback
from pathlib import Path, PurePath

from manuscript_engine.core.atomic_files import PARTIAL
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.text_files import not_utf8

RESULTS = "results"
TEMPLATES = "templates"
AGAIN = "then run make paper again."

PARTIAL_PREFIX = re.compile(rf"^{re.escape(PARTIAL)}[0-9a-f]+-")
"""Hidden name of a file being written (see :mod:`manuscript_engine.core.atomic_files`): the
author knows the file by its real name."""

NOT_A_DATA_FILE = (".py", ".pyc", ".so", ".pyd")

UTF8_NAMES = ("utf-8", "utf8", "utf-8-sig", "utf_8", "utf_8_sig")
"""A file read with another encoding (say ASCII, from a missing ``encoding=``) may well be
valid UTF-8: telling the author to re-save it would send them the wrong way."""


def author_message(exc: BaseException, step: str) -> str | None:
    """What went wrong in ``step`` and what to do, or None for an exception not known here.

    Exceptions are recognised by type (and errno), never by the wording of their message,
    which changes between Python and library versions.
    """
    if isinstance(exc, MemoryError):
        return (
            f"The computer ran out of memory in step {step}. The cohort may be too large "
            "for this machine: close other programs and run make paper again, or build on "
            "a computer with more memory."
        )
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return _disk_full(exc, step)
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return _not_allowed(exc, step)
    if _is_typst_error(exc):
        return _typst_message(exc, step)
    if _is_template_not_found(exc):
        return _template_not_found(exc)
    if isinstance(exc, UnicodeDecodeError) and exc.encoding.lower() in UTF8_NAMES:
        return _not_utf8(exc, step)
    if isinstance(exc, json.JSONDecodeError):
        return _damaged_json(exc, step)
    return None


def check_results_folder(path: str | Path = RESULTS) -> None:
    """Refuse a ``results/`` the build would write through a link or could not write at all.

    Through a link, outputs would land outside the repository (and its checks of what
    it built); in a read-only folder every step would fail with an error about a file.
    A missing folder is fine: the build creates it.
    """
    folder = Path(path)
    shown = f"{folder.as_posix()}/"
    if folder.is_symlink():
        target = os.readlink(folder)
        raise ManuscriptError(
            f"{shown} is a symbolic link to {target}; the build writes only into a real "
            f"folder inside the repository: remove the link (the files it points to stay "
            f"where they are), {AGAIN}"
        )
    if not folder.exists():
        return
    if not folder.is_dir():
        raise ManuscriptError(
            f"{folder.as_posix()} is a file, but the build needs a folder of that name for "
            f"its results: rename or move the file, {AGAIN}"
        )
    if not _may_write_into(folder):
        raise ManuscriptError(
            f"{shown} is read-only, so the build cannot write the manuscript into it. Make "
            f"it writable again (in a terminal: chmod -R u+w {folder.as_posix()}), {AGAIN}"
        )


# --------------------------------------------------------------------------- disk and files
def _disk_full(exc: OSError, step: str) -> str:
    path = _file_of(exc)
    what = f"writing {path}" if path else "writing its files"
    return (
        f"The disk is full: step {step} stopped while {what}. Free some space on this disk "
        f"(empty the bin, delete old copies or large downloads), {AGAIN}"
    )


def _not_allowed(exc: OSError, step: str) -> str:
    path = _file_of(exc)
    if exc.errno == errno.EROFS:
        where = path or "its results"
        return (
            f"Step {step} cannot write {where}: the disk holding it is read-only. Copy the "
            f"project to a folder you can write to (or ask whoever manages this computer), "
            f"{AGAIN}"
        )
    if path is None:
        return (
            f"Step {step} was not allowed to read or write one of its files. Check that "
            f"you own the project folder and that {RESULTS}/ is writable (in a terminal: "
            f"chmod -R u+w {RESULTS}), {AGAIN}"
        )
    if Path(path).exists() and not _may(path, os.R_OK):
        return (
            f"Step {step} is not allowed to read {path}. Give yourself permission to read "
            f"it (in a terminal: chmod u+r {path}), {AGAIN}"
        )
    return (
        f"Step {step} is not allowed to write {path}: the file or its folder is read-only. "
        f"Make {RESULTS}/ writable again (in a terminal: chmod -R u+w {RESULTS}), {AGAIN}"
    )


def _not_utf8(exc: UnicodeDecodeError, step: str) -> str:
    path = _file_of(exc)
    byte = f"byte {exc.object[exc.start]:#04x}" if exc.start < len(exc.object) else "a byte"
    if path is None:
        return (
            f"A template or data file read in step {step} is not UTF-8 text ({byte} cannot "
            f"be read). Save the file you last changed as UTF-8 (in most editors: Save as, "
            f"encoding UTF-8), {AGAIN}"
        )
    found = exc.object[exc.start] if exc.start < len(exc.object) else None
    return not_utf8(path, _line_of(exc, path), found, then=AGAIN)


def _damaged_json(exc: json.JSONDecodeError, step: str) -> str:
    problem = f"it stops being valid JSON at line {exc.lineno}, column {exc.colno}"
    path = _file_of(exc)
    if path is None:
        return (
            f"A JSON file read in step {step} is damaged ({problem}), perhaps because an "
            f"earlier build was stopped while writing it. Run make clean (it deletes "
            f"{RESULTS}/, which the build makes anew), {AGAIN}"
        )
    if PurePath(path).parts[0] == RESULTS:
        return (
            f"{path} is damaged ({problem}). Run make paper again: the build finds files "
            f"under {RESULTS}/ that no longer match what it wrote, and makes them anew."
        )
    return (
        f"{path} is damaged ({problem}). Restore a good copy of it (for example with "
        f"git checkout -- {path}), {AGAIN}"
    )


# --------------------------------------------------------------------------- templates, Typst
def _is_template_not_found(exc: BaseException) -> bool:
    # Looked up, not imported: an exception from Jinja means Jinja is loaded already.
    jinja2 = sys.modules.get("jinja2")
    return jinja2 is not None and isinstance(exc, jinja2.TemplateNotFound)


def _template_not_found(exc: BaseException) -> str:
    names = ", ".join(f"'{name}'" for name in (getattr(exc, "templates", None) or [exc.name]))
    frame = _template_frame(exc)
    if frame:
        problem = f"{_shown(frame.filename)} line {frame.lineno}: the template {names}"
    else:
        problem = f"The template {names}"
    return (
        f"{problem} was not found. Templates live in {TEMPLATES}/ (the sections "
        f"in {TEMPLATES}/sections/): check the name in the include and that the file is "
        f"there, {AGAIN}"
    )


def _template_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The innermost template line in the stack (Jinja puts templates' own lines there)."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.endswith(".py") and not frame.filename.startswith("<")
    ]
    return frames[-1] if frames else None


def _is_typst_error(exc: BaseException) -> bool:
    typst = sys.modules.get("typst")
    return typst is not None and isinstance(exc, getattr(typst, "TypstError", ()))


def _typst_message(exc: BaseException, step: str) -> str:
    diagnostic = (getattr(exc, "diagnostic", "") or str(exc)).rstrip()
    hints = [f"hint: {hint}" for hint in getattr(exc, "hints", None) or []]
    shown = "\n".join("  " + line for line in [*diagnostic.splitlines(), *hints])
    return (
        f"Typst could not make the PDF (step {step}). Typst says:\n\n{shown}\n\n"
        f"The Typst file is written from the templates in {TEMPLATES}/: change the text "
        f"that produced the line shown (often raw Typst or an unusual character), {AGAIN}"
    )


# --------------------------------------------------------------------------- helpers
def _file_of(exc: BaseException) -> str | None:
    """The file the failed operation was about, as the author knows it.

    OSError names it; a decoding error does not, but the frames that raised it hold the
    path (or open file) they were reading, innermost first.
    """
    named = getattr(exc, "filename", None)
    if isinstance(named, str | bytes | os.PathLike):
        return _shown(os.fsdecode(named))
    innermost_first = reversed([frame for frame, _ in traceback.walk_tb(exc.__traceback__)])
    for frame in innermost_first:
        for value in reversed(list(frame.f_locals.values())):
            path = _path_in(value)
            if path is not None:
                return _shown(path)
    return None


def _path_in(value: object) -> str | None:
    """A data or output file's path held by ``value`` (a path, a file name, an open file)."""
    if isinstance(value, io.IOBase) and isinstance(getattr(value, "name", None), str):
        candidate = value.name
    elif isinstance(value, PurePath):
        candidate = str(value)
    elif isinstance(value, str) and 0 < len(value) < 1024 and "\n" not in value:
        candidate = value if os.path.isfile(value) else None  # a name, not file content
    else:
        return None
    if not candidate or candidate.endswith(NOT_A_DATA_FILE) or os.path.isdir(candidate):
        return None
    inside_python = (sys.prefix, sys.base_prefix)
    return None if os.path.abspath(candidate).startswith(inside_python) else candidate


def _shown(path: str) -> str:
    """``path`` relative to the project folder when inside it, under its real name."""
    full = Path(os.path.abspath(path))
    full = full.with_name(PARTIAL_PREFIX.sub("", full.name))
    try:
        return full.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return full.as_posix()


def _line_of(exc: UnicodeDecodeError, path: str) -> int | None:
    """Line of the bad byte, when the error covers the whole file (so offsets match)."""
    try:
        whole = Path(path).stat().st_size == len(exc.object)
    except OSError:
        return None
    return exc.object[: exc.start].count(b"\n") + 1 if whole else None


def _may(path: str | Path, mode: int) -> bool:
    return os.access(path, mode, effective_ids=os.access in os.supports_effective_ids)


def _may_write_into(folder: Path) -> bool:
    return _may(folder, os.W_OK | os.X_OK)
