# Shared helpers (where the cohort is, values from the config), kept apart from rules.
# Paths are relative to the study's folder (the working folder); the engine's own files
# are found from ENGINE_WORKFLOW (set in engine.smk), so a study elsewhere reuses them.
import functools
import os
from pathlib import Path

from manuscript_engine.core.code_dependencies import StepCode
from manuscript_engine.core.heavy_jobs import heavy_units
from manuscript_engine.core.step_runner import study_layout
from manuscript_engine.core.yaml_files import load_yaml

TEMPLATE_DIR = "templates"
CODEBOOK = "data/codebook.yaml"
# References: BibTeX entries by key, and the CSL JSON of DOI and PMID citations that
# `make refs` writes (once a template cites one)
BIBLIOGRAPHY = [f"{TEMPLATE_DIR}/references.bib"] + [
    path for path in [f"{TEMPLATE_DIR}/references.json"] if Path(path).exists()
]
ENGINE_DIR = os.path.relpath(ENGINE_WORKFLOW / "manuscript_engine")
RULES_DIR = os.path.relpath(ENGINE_WORKFLOW / "rules")
# The study's package says what this study builds (its steps, tables and figures);
# the engine's rules below never name them.
STUDY = study_layout(config["study_package"])
# The codebook, read once per parse (several input functions need its tables).
CODEBOOK_CONTENT = load_yaml(CODEBOOK)
# Each cohort table the codebook lists, and its file in the data folder.
COHORT_FILES = {
    name: table["file"] for name, table in CODEBOOK_CONTENT["tables"].items()
}
# 1 on a registry-size cohort: its heavy steps take turns (profiles/default allows one).
HEAVY = heavy_units(config.get("data_dir", ""), list(COHORT_FILES.values()))
TABLES = STUDY.TABLES
FIGURES = STUDY.FIGURES
# A study whose layout names a patient-flow step gets the flow table and its numbers.
HAS_PATIENT_FLOW = "patient_flow" in STUDY.STEPS
# The audit of a published paper runs when the study has the paper's numbers.
AUDITED = Path("data/published.yaml").exists()
PATIENT_FLOW_NUMBERS = ["results/numbers/patient_flow.json"] if HAS_PATIENT_FLOW else []
PATIENT_FLOW_TABLE = ["results/tables/patient_flow.md"] if HAS_PATIENT_FLOW else []
AUDIT_NUMBERS = ["results/numbers/audit.json"] if AUDITED else []
AUDIT_OUTPUTS = ["results/audit/audit.html"] if AUDITED else []
# The audit's findings as a table the templates can place (in the supplement, here).
AUDIT_TABLE = ["results/tables/audit_findings.md"] if AUDITED else []
# The documents built: the manuscript, and a supplement when the study has its
# templates (templates/supplement/*.md.j2), with its own S-numbered tables and figures.
DOCUMENTS = ["manuscript"] + (
    ["supplement"] if any(Path(TEMPLATE_DIR, "supplement").glob("*.md.j2")) else []
)
# Each document's Markdown, HTML, DOCX and PDF.
DOCUMENT_OUTPUTS = [
    f"results/manuscript/{document}.{extension}"
    for document in DOCUMENTS
    for extension in ("md", "html", "docx", "pdf")
]
if AUDITED and "audit_strict" not in config:
    from manuscript_engine.core.settings import ConfigInvalid

    raise ConfigInvalid(
        "config/config.yaml: audit_strict is missing. This study has data/published.yaml, "
        "so the build audits the paper; add `audit_strict: true` (stop on an "
        "unacknowledged inconsistency) or `audit_strict: false` (warn)."
    )
# The journal the manuscript is for (config `journal`): its profile is an input of the
# steps it changes; with one, the build checks its limits and writes a masked copy.
# (An unknown name stops the build here; the profile's keys are checked by the first
# step that reads it, so that reading the workflow stays fast.)
if "journal" in config:
    from manuscript_engine.core.journals import journal_profile_file

    JOURNAL_PROFILE = [journal_profile_file(config["journal"])]
else:
    JOURNAL_PROFILE = []
# The masked copy for blind review is written from the manuscript's tree (rule
# mask_document), then as DOCX and PDF like the documents.
MASKED = ["masked"] if JOURNAL_PROFILE else []
PRINTED_NAMES = "|".join(DOCUMENTS + MASKED)
# What the journal's submission system asks for, in one zip (rule submission_bundle).
SUBMISSION_BUNDLE = (
    [f"results/submission/{config['journal']}.zip"] if JOURNAL_PROFILE else []
)
JOURNAL_OUTPUTS = (
    ["results/checks/journal.txt"]
    + expand(
        "results/manuscript/{document}.{ext}", document=MASKED, ext=["docx", "pdf"]
    )
    if JOURNAL_PROFILE
    else []
)
ENGINE_STEPS = {
    "write_setting": "manuscript_engine.core.steps:write_setting",
    "numbers_registry": "manuscript_engine.core.steps:numbers_registry",
    "validate_cohort": "manuscript_engine.data.steps:validate_cohort",
    "audit": "manuscript_engine.audit.steps:audit",
    "audit_report": "manuscript_engine.audit.steps:audit_report",
    "make_table": "manuscript_engine.stats.steps:make_table",
    "make_figure": "manuscript_engine.output.steps:make_figure",
    "render_markdown": "manuscript_engine.text.steps:render_markdown",
    "document_tree": "manuscript_engine.output.steps:document_tree",
    "convert_document": "manuscript_engine.output.steps:convert_document",
    "compile_pdf": "manuscript_engine.output.steps:compile_pdf",
    "write_jats": "manuscript_engine.output.steps:write_jats",
    "reference_docx": "manuscript_engine.output.steps:reference_docx",
    "check_formats": "manuscript_engine.output.steps:check_formats",
    "check_journal": "manuscript_engine.output.steps:check_journal",
    "mask_document": "manuscript_engine.output.steps:mask_document",
    "manifest": "manuscript_engine.output.steps:manifest",
    "checklist": "manuscript_engine.output.steps:checklist",
    "submission_bundle": "manuscript_engine.output.steps:submission_bundle",
}
if set(STUDY.STEPS) & set(ENGINE_STEPS):
    from manuscript_engine.core.step_runner import LayoutInvalid

    raise LayoutInvalid(
        f"workflow/{config['study_package']}/layout.py: STEPS may not replace the engine's "
        f"steps ({', '.join(sorted(set(STUDY.STEPS) & set(ENGINE_STEPS)))})."
    )
STEPS = {**ENGINE_STEPS, **STUDY.STEPS}
# Code inputs are computed from each step's imports (editing a module reruns exactly
# the jobs that run it); the folder holding the packages is where they are looked up.
STEP_CODE = StepCode(
    dict.fromkeys([STUDY_WORKFLOW, ENGINE_WORKFLOW]),
    cache=".snakemake/code-imports.json",
)
RUNNER = "manuscript_engine.core.step_runner"


def pandoc_file(name):
    """A pandoc settings file: the study's config/pandoc/<name> if it has one, else the
    engine's default (workflow/manuscript_engine/output/pandoc/defaults/)."""
    own = Path("config/pandoc", name)
    return (
        own.as_posix()
        if own.exists()
        else f"{ENGINE_DIR}/output/pandoc/defaults/{name}"
    )


def settings_files(*keys):
    """The settings files a rule reads, each named for its value (rule `setting`).

    A rule that takes one reruns when that setting changes, as for any edited input.
    """
    from manuscript_engine.core.settings import settings_file

    return [settings_file("results/settings", key, config[key]) for key in keys]


# Reporting checklists the manuscript fills (config › checklists), by the name templates
# call them; each becomes results/checklist/<name>.{docx,html,json}.
CHECKLISTS = config.get("checklists") or {}
CHECKLIST_OUTPUTS = [
    f"results/checklist/{name}.{ext}"
    for name in CHECKLISTS
    for ext in ("docx", "html", "json")
]


def checklist_settings():
    """The checklists' setting file (none when the config names no checklist)."""
    return settings_files("checklists") if CHECKLISTS else []


def checklist_items():
    """The files listing each configured checklist's items."""
    return [c["items"] for c in CHECKLISTS.values()]


def existing_cohort_files(wildcards=None):
    """The files of the chosen data source that exist (CSVs, .sav files, workbook, REDCap
    export): a missing one is reported by validation, in words."""
    from manuscript_engine.data.sources import source_files

    return source_files(config, CODEBOOK_CONTENT)


def source_settings():
    """The settings the first step reads: the data source, its paths, the study."""
    from manuscript_engine.data.sources import SOURCE_PATHS, chosen_source

    chosen = ["data_source"] if "data_source" in config else []
    return settings_files(
        *chosen, *SOURCE_PATHS[chosen_source(config)], "study_package"
    )


def template_files():
    """Every file the templates may render or include (sections, partials, ...).

    The metadata and the bibliography are inputs of their own; the authors' guide is not
    rendered, nor the response to the reviewers (`make diff` and `make response` do).
    """
    apart = {"README.md", "metadata.yaml", *(Path(file).name for file in BIBLIOGRAPHY)}
    return sorted(
        p.as_posix()
        for p in Path(TEMPLATE_DIR).rglob("*")
        if p.is_file()
        and not p.name.startswith(".")
        and p.name not in apart
        and p.relative_to(TEMPLATE_DIR).parts[0] != "response"
    )


# Steps that check YAML against the engine's schemas read these files like code.
SCHEMA_FILES = sorted(
    str(p) for p in Path(ENGINE_DIR, "core", "schemas").glob("*.yaml")
)


def step_code(step, *more):
    """The source files a step runs (and the runner), as inputs of its rule; the
    engine's schemas too when the step checks YAML against them."""
    files = STEP_CODE.inputs(RUNNER, STEPS[step], *more)
    checks_yaml = f"{ENGINE_DIR}/core/yaml_schemas.py" in files
    return files + (SCHEMA_FILES if checks_yaml else [])


def template_folder(wildcards, input):
    """The templates folder, taken from the metadata file's location."""
    return str(Path(input.metadata).parent)


def study_specs(name):
    """The function the study's layout names under ``name``, as a list (empty if none)."""
    spec = getattr(STUDY, name, None)
    return [spec] if spec else []


def table_code(wildcards):
    """The code one table job runs: the table step and the function building that table."""
    return step_code("make_table", TABLES[wildcards.table])


def figure_code(wildcards):
    """The code one figure job runs: the figure step and the function drawing it."""
    return step_code("make_figure", FIGURES[wildcards.figure]["draw"])


def figure_table(wildcards):
    return f"results/tables/{FIGURES[wildcards.figure]['table']}.csv"


def manifest_sources(wildcards=None):
    """Every input the manuscript depends on, for the manifest's checksums.

    Only the cohort files that exist: a missing one is reported by validation, in words.
    """
    return [
        *existing_cohort_files(wildcards),
        *settings_files(*config),
        *project_sources(),
    ]


@functools.cache
def project_sources():
    """The manifest's sources other than the cohort and the settings: the same for every
    job, so the folders are searched once per parse (five rules ask)."""
    fixed = [
        "Snakefile",
        "config/config.yaml",
        "config/study_facts.yaml",
        CODEBOOK,
        f"{TEMPLATE_DIR}/metadata.yaml",
        *BIBLIOGRAPHY,
        *JOURNAL_PROFILE,
        *checklist_items(),
    ] + (
        ["config/audit.yaml", "data/published.yaml", "data/published_checks.yaml"]
        if AUDITED
        else []
    )
    engine = os.path.relpath(ENGINE_WORKFLOW)
    code = sorted(
        {
            p.as_posix()
            for folder, patterns in (
                (engine, ("engine.smk", "rules/*.smk", "manuscript_engine/**/*.py")),
                (
                    engine,
                    (
                        "manuscript_engine/output/pandoc/*.*",
                        "manuscript_engine/output/html/*.*",
                        "manuscript_engine/core/schemas/*",
                    ),
                ),
                (
                    os.path.relpath(STUDY_WORKFLOW),
                    (f"{config['study_package']}/**/*.py",),
                ),
            )
            for pattern in patterns
            for p in Path(folder).glob(pattern)
        }
    )
    pandoc = sorted(
        pandoc_file(name)
        for name in (
            "tree.yaml",
            "html.yaml",
            "docx.yaml",
            "typst.yaml",
            "manuscript.css",
        )
    )
    return tuple(fixed + code + pandoc + template_files())


def provenance_data(wildcards=None):
    """The inputs every number rests on, whose SHA-256 the HTML's provenance panel
    gives: the cohort files, the codebook, the config and the analysis settings."""
    return (
        existing_cohort_files(wildcards)
        + [CODEBOOK, "config/config.yaml"]
        + settings_files("statistics", "decimals", "study_package")
    )


def provenance_code(wildcards=None):
    """The study's code (the panel gives each number's module and its SHA-256), and
    the panel's own script and style."""
    study = f"{os.path.relpath(STUDY_WORKFLOW)}/{config['study_package']}/"
    return [p for p in manifest_sources(wildcards) if p.startswith(study)] + [
        f"{ENGINE_DIR}/output/html/provenance.js",
        f"{ENGINE_DIR}/output/html/provenance.css",
    ]


def run_step(name, input, output, params, wildcards, log, resources=None):
    """Run step ``name`` in a worker process (``core.step_workers``), or inside this
    one: before the first worker is up, and in a job process an executor started.

    The package is imported here, when a job runs, so parsing the workflow stays fast.
    """
    from manuscript_engine.core import step_workers
    from manuscript_engine.core.step_runner import run_in_process

    heavy = bool(resources and getattr(resources, "heavy", 0))
    if step_workers.takes(heavy):
        step_workers.run_in_worker(
            STEPS[name],
            input,
            output,
            params,
            wildcards,
            log,
            [config["study_package"]],
            heavy=heavy,
            alone=name in STEPS_ALONE,
        )
    else:
        libraries = code_libraries(tuple(getattr(input, "code", [])))
        run_in_process(STEPS[name], input, output, params, wildcards, log, libraries)


@functools.cache
def code_libraries(code):
    """The libraries a job's code files import (``StepCode.libraries``), read once per
    distinct list: many jobs run the same code (the ten settings jobs, say)."""
    return tuple(STEP_CODE.libraries(code))


# Steps that read no data another step has read (validation, the analysis dataset): on a
# registry-size cohort each runs in a worker of its own, which gives back all its memory.
STEPS_ALONE = {"validate_cohort", "analysis_dataset"}


def start_workers():
    """Start the step workers for the jobs this build runs (Snakemake's onstart), when
    they run on this machine; the fork server imports the libraries they share."""
    from manuscript_engine.core import step_workers

    # Jobs run here only on this machine, with `force-use-threads` (profiles/default),
    # and not when Snakemake only touches files.
    threaded = workflow.execution_settings.use_threads
    if not workflow.local_exec or not threaded or workflow.touch:
        return
    try:
        step_workers.start_fork_server(
            step_workers.shared_libraries(
                code_libraries(tuple(getattr(job.input, "code", [])))
                for job in workflow.dag.needrun_jobs()
            )
        )
        # No more workers than the machine has cores (`--cores 4` on a 2-core machine
        # would hold four workers' memory to run two at a time); more jobs wait for one.
        workers = min(workflow.resource_settings.cores, os.cpu_count() or 1)
        step_workers.open_pools(workers, heavy=bool(HEAVY))
    except OSError as exc:  # no room for the fork server's socket, say
        step_workers.close_pools()
        warn(
            "the build's worker processes could not start; steps run in this process",
            [exc],
        )


def rebuild_untrusted_results():
    """Have Snakemake rebuild every file under results/ the build cannot vouch for.

    Snakemake trusts file dates; the ledger (manuscript_engine.core.trust) knows what each step
    wrote. A file that was deleted, edited by hand, left half-written, or never written
    by this build is forced to rebuild (as `--forcerun FILE` would), with everything
    built from it; so after a failed step the next build fails the same way until the
    cause is fixed. The files are added when Snakemake prepares its DAG, the first
    moment its settings exist (they are set after this file is read).
    """
    prepare = getattr(workflow, "_prepare_dag", None)
    if prepare is None:
        raise WorkflowError(
            "This Snakemake has no Workflow._prepare_dag; the trust ledger needs the "
            "version pinned in requirements.txt."
        )

    def prepare_with_untrusted_results(*args, **kwargs):
        # Only the build's own process judges results/. A job it spawns (`--mode remote`
        # under an executor plugin) builds just its target, from inputs already judged,
        # while other jobs write theirs: forcing their files would fail or redo them.
        if workflow.is_main_process:
            force_untrusted_results()
        elif workflow.scheduling_settings is not None:
            # A job process runs one job, so it needs no job rate limiter, whose
            # one-second timers it would wait for before exiting (about 1.4 s a job):
            # exit_promptly, an onsuccess handler, is skipped there (--no-hooks).
            workflow.scheduling_settings.max_jobs_per_timespan = None
        return prepare(*args, **kwargs)

    workflow._prepare_dag = prepare_with_untrusted_results


def force_untrusted_results():
    from manuscript_engine.core.settings import discard_altered_settings
    from manuscript_engine.core.trust import MISSING, files_to_rebuild

    def produced(path):
        return any(rule.is_producer(path) for rule in workflow.rules)

    requested = workflow.dag_settings.targets
    files = (
        None
        if not requested or any(map(workflow.is_rule, requested))
        else set(requested)
    )
    found = files_to_rebuild(
        produced, files, ignored=("logs", "settings"), restamp=not workflow.dryrun
    )
    if not workflow.dryrun:
        altered = discard_altered_settings("results/settings")
        warn(
            "settings files are written from config/config.yaml; these were edited by hand "
            "and are removed (written again when needed)",
            altered,
        )
    if found:
        # A missing file is no sign of a hand edit: a step that failed or was stopped
        # removes its own outputs, so it is named apart, without the warning.
        missing = [item for item in found if item.reason == MISSING]
        note(
            "these files are missing (deleted, or removed by a step that failed); they are rebuilt",
            missing,
        )
        warn(
            "these files no longer match what the build wrote; they are rebuilt "
            "(edit templates/, data/ or config/, never results/)",
            [item for item in found if item.reason != MISSING],
        )
        forced = set(workflow.dag_settings.forcerun) | {item.path for item in found}
        workflow.dag_settings.forcerun = frozenset(forced)


def warn(what, items, label="WARNING: "):
    import sys

    if items:
        listing = "\n".join(f"  - {item}" for item in items)
        print(f"{label}{what}:\n{listing}", file=sys.stderr)


def note(what, items):
    warn(what, items, label="Note: ")


def close_workers():
    """End the step workers (imported here: a build with nothing to do never loads them)."""
    from manuscript_engine.core import step_workers

    step_workers.close_pools()


def exit_promptly():
    """Let a successful build end as soon as its work is done.

    Two waits are skipped. Snakemake re-checks its job rate on a one-second timer; once
    every job has finished, Python would wait for the last timer before exiting, so the
    leftover timers are cancelled. And Python's final garbage collections at exit walk
    every object pandas, SciPy and matplotlib created (0.2 to 0.3 s here); freezing them
    skips that walk, and the operating system frees the memory.
    """
    import gc
    import threading

    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
    gc.freeze()
