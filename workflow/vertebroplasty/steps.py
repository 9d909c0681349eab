"""Every pipeline step, called by its rule inside Snakemake's own process.

Rules end in ``run: run_step("name", input, output, params, wildcards, log)``: the step
runs in a thread of the Snakemake process, so the build pays for starting Python and
importing pandas, SciPy and matplotlib once instead of once per job. Each step reads
its named inputs and writes its named outputs; the logic stays in the modules they
call. Settings come as input files (``input.settings``, see
:func:`vertebroplasty.settings.settings_file`), not as params.

Each job logs to its own file (records are filtered by thread), and an author error
(:class:`~vertebroplasty.errors.ManuscriptError`) is printed as its message alone.
Set ``MANUSCRIPT_VERBOSE=1`` to see stack traces.

Every job goes through the trust ledger (:mod:`vertebroplasty.trust`): it refuses to
read a build product that no longer matches what the build wrote, withdraws the
certificates (manifest, format report) built from the files it is about to rewrite,
and records what it wrote once it has succeeded.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .atomic_files import atomic_output, write_text_atomically
from .errors import ManuscriptError
from .settings import read_settings

log = logging.getLogger("vertebroplasty")


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


def run_in_process(name: str, input, output, params, wildcards, log_files) -> None:
    """Run step ``name``; on an author error print the message and fail the job."""
    from .trust import record, records, require_trusted, withdraw_certificates

    step = STEPS[name]
    outputs = [str(path) for path in output]
    products = [
        str(p) for p in input if str(p).startswith(RESULTS) and not str(p).startswith(SETTINGS)
    ]
    with job_log(log_files[0] if log_files else None):
        try:
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
            from .failure_messages import author_message

            message = author_message(exc, name)
            if message is None:
                raise
            stop_with_message(name, message, exc)


def stop_with_message(name: str, message: str, cause: BaseException | None = None) -> None:
    """Print the author's message (log and terminal) and fail the job without a trace."""
    if os.environ.get("MANUSCRIPT_VERBOSE"):
        log.exception("ERROR")
    text = f"\nERROR: {message}\n"
    log.error(text)
    print(text, file=sys.stderr, flush=True)
    raise StepFailed(f"{name} stopped: see the message above") from None


# --------------------------------------------------------------------------- settings
def write_setting(input, output, params, wildcards) -> None:
    """``params`` is the build's config: the rule passes it whole."""
    from .settings import write_setting as write

    write(params, wildcards.key, output[0])


# --------------------------------------------------------------------------- data
def validate_cohort(input, output, params, wildcards) -> None:
    from .cohort import load_codebook, write_table
    from .validation import validate_cohort as validate

    data_dir = read_settings(input.settings)["data_dir"]
    book = load_codebook(Path(input.codebook))
    tables = validate(Path(data_dir), book)
    for name, spec in book["tables"].items():
        write_table(tables[name], spec, Path(output[name]))
    log.info(
        "cohort in %s is valid: %s",
        data_dir,
        ", ".join(f"{name} {len(t)} rows" for name, t in tables.items()),
    )


def analysis_dataset(input, output, params, wildcards) -> None:
    from .analysis_dataset import build_patients, write_patients
    from .cohort import load_codebook

    patients = build_patients(Path(input.enrollment).parent, load_codebook(Path(input.codebook)))
    write_patients(patients, Path(output.patients))
    log.info("analysis dataset: %d patients, %d variables", *patients.shape)


def patient_flow(input, output, params, wildcards) -> None:
    from .cohort import read_table
    from .patient_flow import patient_flow_markdown, patient_flow_numbers, summarise_patient_flow
    from .registry import NumbersRegistry

    flow = summarise_patient_flow(read_table(Path(input.enrollment)))
    with atomic_output(output.table) as partial:
        flow.to_csv(partial, index=False, lineterminator="\n")
    write_text_atomically(output.markdown, patient_flow_markdown(flow))
    NumbersRegistry(patient_flow_numbers(flow, source=output.table)).to_json(output.numbers)


# --------------------------------------------------------------------------- analysis
def make_table(input, output, params, wildcards) -> None:
    from .analysis_steps import make_table as build
    from .cohort import load_codebook

    settings = read_settings(input.settings)
    build(
        wildcards.table,
        Path(input.patients),
        settings["statistics"],
        settings["decimals"],
        Path(output.csv),
        Path(output.markdown),
        Path(output.numbers),
        load_codebook(Path(input.codebook)),
    )


def make_figure(input, output, params, wildcards) -> None:
    from .figures import make_figure as draw

    draw(
        wildcards.figure,
        Path(input.table),
        Path(output.svg),
        Path(output.png),
        Path(output.numbers),
    )


def numbers_registry(input, output, params, wildcards) -> None:
    from .analysis_steps import merge_numbers

    merge_numbers(list(input.parts), Path(output.numbers))


def audit(input, output, params, wildcards) -> None:
    from .audit import write_audit

    settings = read_settings(input.settings)
    write_audit(
        input.published,
        input.relations,
        input.patients,
        input.enrollment,
        list(input.numbers),
        input.codebook,
        input.acknowledgements,
        settings["audit_strict"],
        settings["synthetic_cohort"],
        output.csv,
        output.markdown,
        output.numbers,
    )


def audit_report(input, output, params, wildcards) -> None:
    from .audit import write_audit_html

    write_audit_html(input.markdown, output.html)


# --------------------------------------------------------------------------- manuscript
def render_markdown(input, output, params, wildcards) -> None:
    from .registry import NumbersRegistry
    from .rendering import render_manuscript
    from .template_helpers import Manuscript
    from .yaml_schemas import load_checked_yaml

    settings = read_settings(input.settings)
    markdown = Path(output.markdown)
    figures = Path(input.figures[0]).parent
    manuscript = Manuscript(
        registry=NumbersRegistry.from_json(Path(input.numbers)),
        facts=load_checked_yaml(input.facts, "study_facts"),
        tables={
            Path(t).stem.removeprefix("table_"): Path(t).read_text(encoding="utf-8")
            for t in input.tables
        },
        figure_dir=Path("..", figures.relative_to(markdown.parent.parent)).as_posix(),
        statistics=settings["statistics"],
    )
    meta = load_checked_yaml(input.metadata, "metadata")
    shown = {
        "date": settings["manuscript"]["date"],
        "synthetic_cohort": settings["synthetic_cohort"],
    }
    sources: list[dict] = []
    text = render_manuscript(Path(params.template_dir), manuscript, meta, shown, sources)
    write_text_atomically(output.sources, json.dumps(sources, indent=1) + "\n")
    write_text_atomically(markdown, text)
    log.info("rendered %s (%d lines)", markdown, text.count("\n"))


def document_tree(input, output, params, wildcards) -> None:
    from .conversion import build_document_tree

    build_document_tree(
        Path(input.markdown),
        Path(output.tree),
        Path(input.defaults),
        Path(input.bibliography),
        Path(input.sources),
        [Path(f) for f in input.figures],
    )


def convert_document(input, output, params, wildcards) -> None:
    from .conversion import convert_document as convert

    (fmt,) = output.keys()  # the rule names its one output after the format
    convert(
        Path(input.tree),
        Path(output[0]),
        fmt,
        Path(input.defaults),
        read_settings(input.settings)["manuscript"]["date"],
        input.get("reference"),
        [Path(f) for f in input.get("figures", [])],
        input.get("css"),
    )


def compile_pdf(input, output, params, wildcards) -> None:
    from .conversion import compile_pdf as compile_typst

    compile_typst(
        Path(input.typst), Path(output.pdf), read_settings(input.settings)["manuscript"]["date"]
    )


def reference_docx(input, output, params, wildcards) -> None:
    from .reference_docx import write_reference_docx

    write_reference_docx(Path(output.reference))


def check_formats(input, output, params, wildcards) -> None:
    from .format_agreement import check_formats as check

    check(
        Path(input.tree),
        [Path(input.html), Path(input.docx), Path(input.pdf)],
        Path(output.report),
    )


def manifest(input, output, params, wildcards) -> None:
    from .manifest import write_manifest

    write_manifest(list(input.sources), list(input.outputs), Path(output.manifest))


STEPS: dict[str, Callable[..., Any]] = {
    step.__name__: step
    for step in (
        write_setting,
        validate_cohort,
        analysis_dataset,
        patient_flow,
        make_table,
        make_figure,
        numbers_registry,
        audit,
        audit_report,
        render_markdown,
        document_tree,
        convert_document,
        compile_pdf,
        reference_docx,
        check_formats,
        manifest,
    )
}
