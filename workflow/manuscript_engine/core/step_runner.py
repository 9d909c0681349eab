"""Running a step: each rule names its step, a function ``"package.module:function"``.

Rules end in ``run: run_step("name", input, output, params, wildcards, log)``, and the
rules' table (``workflow/rules/common.smk``, the study's ``layout``) names the function.
A step function takes ``input, output, params, wildcards`` and imports what it needs
inside its body, so its rule's computed code inputs (``code_dependencies``) are the
modules that step uses. A build runs its steps in worker processes forked from one
that has imported pandas, SciPy and matplotlib (:mod:`~manuscript_engine.core.step_workers`),
so it pays for those imports once instead of once per job; a process without workers
(a job process an executor started) runs its step here, in a thread, and jobs sharing
a process take turns to import (:func:`import_step`). Each step reads
its named inputs and writes its named outputs; the logic stays in the modules they
call. Settings come as input files (``input.settings``, see
:func:`manuscript_engine.core.settings.settings_file`), not as params.

Each job logs to its own file (records are filtered by thread), and an author error
(:class:`~manuscript_engine.core.errors.ManuscriptError`) is printed as its message alone.
Set ``MANUSCRIPT_VERBOSE=1`` to see stack traces.

Every job goes through the trust ledger (:mod:`manuscript_engine.core.trust`): it refuses to
read a build product that no longer matches what the build wrote, withdraws the
certificates (manifest, format report) built from the files it is about to rewrite,
and records what it wrote once it has succeeded.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from manuscript_engine.core.errors import ManuscriptError

log = logging.getLogger("manuscript")


class StepFailed(Exception):
    """Raised to Snakemake after the author's message has been printed."""


@contextmanager
def job_log(path: str | None) -> Iterator[None]:
    """Send this thread's package log records to the job's log file."""
    thread = threading.get_ident()
    handlers: list[logging.Handler] = []
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path, mode="w", encoding="utf-8"))
    # Warnings also reach the terminal (errors are printed by run_in_process).
    terminal = logging.StreamHandler(sys.stderr)
    terminal.addFilter(lambda record: record.levelno == logging.WARNING)
    handlers.append(terminal)
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.addFilter(lambda record: record.thread == thread)
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        for handler in handlers:
            log.removeHandler(handler)
            handler.close()


RESULTS = "results/"
SETTINGS = "results/settings/"  # settings files prove themselves (read_settings checks)
CERTIFYING_STEPS = {"check_formats", "manifest"}
"""Steps whose output vouches for other files: withdrawn whenever one of those changes."""
UNRECORDED_STEPS = {"write_setting"}
"""Steps whose files prove themselves (a settings file is named for its content)."""


STEP_SPEC = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*:[A-Za-z_]\w*$")
LAYOUT_NAMES = ("STEPS", "TABLES", "FIGURES")


class LayoutInvalid(ManuscriptError):
    """The study's layout module is missing or names a step the engine cannot run."""


_IMPORTING = threading.RLock()
"""Held while a job imports a step and its libraries: one job at a time. Only
:func:`import_step` and :func:`load_step` take it, never from a module's top level: a
module that loaded a step while being imported outside the lock could wait for it
while the holder waits for that module, a deadlock Python cannot see."""


def load_step(spec: str) -> Callable[..., Any]:
    """The step function named ``"package.module:function"`` (imported when a job runs).

    Only the engine's own modules and the study's package are ever imported: a layout
    or config cannot make the build run a function of some other installed package.
    """
    module, _, function = spec.partition(":")
    top = module.split(".")[0]
    # The engine's workflow checks the study's layout (study_layout) when it is parsed,
    # before any job runs; a workflow that loads no study (a test's) is not restricted.
    if _STUDY_PACKAGES and top != "manuscript_engine" and top not in _STUDY_PACKAGES:
        raise LayoutInvalid(
            f"the step {spec!r} is not in the engine or the study's package "
            f"({', '.join(sorted(_STUDY_PACKAGES)) or 'none loaded'})."
        )
    with _IMPORTING:  # a step may load another (a table's function): the same turn
        return getattr(importlib.import_module(module), function)


_STUDY_PACKAGES: set[str] = set()


def study_layout(package: str):
    """The study's ``layout`` module: its steps, tables, figures and plug-ins, checked.

    The engine knows a study only through this module, found by the package name in
    the build settings, so engine code never imports a study. A layout that is missing,
    lacks a name or names a step in another form is refused with what to fix.
    """
    where = f"workflow/{package}/layout.py"
    try:
        layout = importlib.import_module(f"{package}.layout")
    except ModuleNotFoundError as exc:
        raise LayoutInvalid(
            f"config/config.yaml names study_package {package!r}, but there is no {where} "
            f"({exc}). Create it, or correct study_package."
        ) from None
    missing = [name for name in LAYOUT_NAMES if not isinstance(getattr(layout, name, None), dict)]
    if missing:
        raise LayoutInvalid(f"{where}: {', '.join(missing)} must be defined, each a dict.")
    specs = [*layout.STEPS.values(), *layout.TABLES.values()]
    specs += [figure.get("draw", "") for figure in layout.FIGURES.values()]
    specs += [layout.CROSS_TABLE_RULES] if getattr(layout, "CROSS_TABLE_RULES", None) else []
    bad = [spec for spec in specs if not isinstance(spec, str) or not STEP_SPEC.match(spec)]
    if bad:
        raise LayoutInvalid(
            f"{where}: {bad[0]!r} is not a step; write 'package.module:function', "
            f"such as '{package}.tables:table_baseline'."
        )
    outside = [s for s in specs if s.split(".")[0] not in (package, "manuscript_engine")]
    if outside:
        raise LayoutInvalid(f"{where}: {outside[0]!r} is outside the study's package {package}.")
    _STUDY_PACKAGES.add(package)
    return layout


def study_function(package: str, name: str) -> Callable[..., Any] | None:
    """The function the study's ``layout`` names under ``name`` (None when it names none)."""
    spec = getattr(study_layout(package), name, None)
    return load_step(spec) if spec else None


def import_step(spec: str, libraries: Iterable[str] = ()) -> Callable[..., Any]:
    """The step function, imported with every library its code imports, one job at a time.

    Jobs that run in threads of one process (a build without step workers) must take
    turns: Python's imports are not safe across
    threads when packages import each other (CPython gh-83065, fixed only in 3.15):
    two jobs importing parts of statsmodels at once failed with "cannot import name …
    from partially initialized module". So a job imports, under a lock, its step's
    module and each library its code imports anywhere (``code_dependencies``), and the
    step's own imports inside functions then find them loaded. A name that is not a
    module (``b`` in ``from a import b``) or not installed is skipped: the step reports
    a missing library where it imports it. Any other failure is raised as it happened,
    inside the job, where :func:`run_in_process` reports it (a second attempt by the
    step could fail differently and hide the cause).
    """
    with _IMPORTING:
        step = load_step(spec)
        for name in libraries:
            if name in sys.modules or name in _NOT_MODULES:
                continue
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if not (exc.name and (name == exc.name or name.startswith(f"{exc.name}."))):
                    raise
                _NOT_MODULES.add(name)
    return step


_NOT_MODULES: set[str] = set()
"""Names the code imports that are no module here: attributes, or libraries not installed."""


def run_in_process(
    spec: str, input, output, params, wildcards, log_files, libraries: Iterable[str] = ()
) -> None:
    """Run the step ``spec`` names; on an author error print the message and fail the job.

    ``libraries`` are the modules outside the project the step's code imports
    (:meth:`~manuscript_engine.core.code_dependencies.StepCode.libraries`).
    """
    from manuscript_engine.core.trust import record, records, require_trusted, withdraw_certificates

    name = spec.partition(":")[2]
    outputs = [str(path) for path in output]
    products = [
        str(p) for p in input if str(p).startswith(RESULTS) and not str(p).startswith(SETTINGS)
    ]
    with job_log(log_files[0] if log_files else None):
        try:
            step = import_step(spec, libraries)
            name = step.__name__
            known = records()  # the ledger, read once per job
            require_trusted(products, known=known)
            withdraw_certificates(outputs, known=known)
            step(input, output, params, wildcards)
            if name not in UNRECORDED_STEPS:
                record(outputs, [str(p) for p in input], certificate=name in CERTIFYING_STEPS)
        except ManuscriptError as exc:
            stop_with_message(name, str(exc))
        except Exception as exc:
            # A failure an author can act on (disk full, out of memory, a damaged file,
            # a Typst error) gets words too; anything else keeps its stack trace.
            from manuscript_engine.core.failure_messages import author_message

            message = author_message(exc, name)
            if message is None:
                raise
            stop_with_message(name, message, exc)
        finally:
            from manuscript_engine.core.memory import release_free_memory

            release_free_memory()


def stop_with_message(
    name: str, message: str, cause: BaseException | None = None, log_path: str | None = None
) -> None:
    """Print the author's message (log and terminal) and fail the job without a trace.

    ``log_path``: the job's log, appended to, for a step that ran in another process
    (a worker wrote the log; this process's logger has no handler for it).
    """
    text = f"\nERROR: {message}\n"
    if log_path is None:
        if os.environ.get("MANUSCRIPT_VERBOSE"):
            log.exception("ERROR")
        log.error(text)
    else:
        with suppress(OSError), open(log_path, "a", encoding="utf-8") as job_log:
            job_log.write(text)
    print(text, file=sys.stderr, flush=True)
    raise StepFailed(f"{name} stopped: see the message above") from None
