# Shared helpers (where the cohort is, values from the config), kept apart from rules.
from pathlib import Path

TEMPLATE_DIR = "templates"
PACKAGE_DIR = "workflow/vertebroplasty"
CODEBOOK = "data/codebook.yaml"
COHORT_TABLES = ["enrollment", "baseline", "procedure", "visits", "followup"]
# Each table step and the package module that builds it (editing it reruns that step).
TABLE_MODULES = {
    "table_baseline": "table_baseline",
    "table_outcomes": "table_outcomes",
    "table_scores": "table_scores",
    "table_leakage_sites": "secondary_tables",
    "table_pain_relief": "secondary_tables",
    "table_pain_course": "secondary_tables",
    "table_asia_grades": "secondary_tables",
    "table_paraplegia": "secondary_tables",
    "table_asia_transitions": "secondary_tables",
}
# Each figure and the table it is drawn from.
FIGURE_TABLES = {
    "patient_flow": "results/tables/patient_flow.csv",
    "scores_over_time": "results/tables/table_scores.csv",
    "pain_relief": "results/tables/table_pain_relief.csv",
    "asia_shift": "results/tables/table_asia_transitions.csv",
    "leakage_sites": "results/tables/table_leakage_sites.csv",
}


def settings_files(*keys):
    """The settings files a rule reads, each named for its value (rule `setting`).

    A rule that takes one reruns when that setting changes, as for any edited input.
    """
    from vertebroplasty.settings import settings_file

    return [settings_file("results/settings", key, config[key]) for key in keys]


def raw_table(name):
    """Path of one cohort CSV in the configured data folder."""
    return str(Path(config["data_dir"]) / f"{name}.csv")


def existing_cohort_files(wildcards):
    """The cohort CSVs that exist: a missing one is reported by validation, in words."""
    return [raw_table(name) for name in COHORT_TABLES if Path(raw_table(name)).exists()]


def template_files():
    """Every file the templates may render or include (sections, partials, ...).

    The metadata and the bibliography are inputs of their own; the authors' guide is not
    rendered.
    """
    apart = {"README.md", "metadata.yaml", "references.bib"}
    return sorted(
        p.as_posix()
        for p in Path(TEMPLATE_DIR).rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.name not in apart
    )


def package_code(*modules):
    """Package modules a rule runs, as inputs, so editing one reruns that rule."""
    return [
        f"{PACKAGE_DIR}/{module}.py"
        for module in ("atomic_files", "errors", "settings", "steps", "trust") + modules
    ]


def template_folder(wildcards, input):
    """The templates folder, taken from the metadata file's location."""
    return str(Path(input.metadata).parent)


def table_code(wildcards):
    """The code one table step runs: its own module and the shared table helpers."""
    shared = (
        "analysis_dataset",
        "cohort",
        "comparisons",
        "derived",
        "formatting",
        "registry",
        "tables",
        "yaml_files",
    )
    return package_code(TABLE_MODULES[wildcards.table], "analysis_steps", *shared)


def figure_table(wildcards):
    return FIGURE_TABLES[wildcards.figure]


def manifest_sources(wildcards=None):
    """Every input the manuscript depends on, for the manifest's checksums.

    Only the cohort files that exist: a missing one is reported by validation, in words.
    """
    fixed = [
        "Snakefile",
        "config/config.yaml",
        "config/audit.yaml",
        "config/schema/config.schema.yaml",
        "config/study_facts.yaml",
        CODEBOOK,
        "data/published.yaml",
        "data/published_checks.yaml",
        f"{TEMPLATE_DIR}/metadata.yaml",
        f"{TEMPLATE_DIR}/references.bib",
    ]
    code = sorted(
        p.as_posix()
        for pattern in (
            "workflow/rules/*.smk",
            f"{PACKAGE_DIR}/*.py",
            f"{PACKAGE_DIR}/pandoc/*",
        )
        for p in Path().glob(pattern)
    )
    pandoc = sorted(str(p) for p in Path("config/pandoc").glob("*"))
    return (
        existing_cohort_files(wildcards)
        + settings_files(*config)
        + fixed
        + code
        + pandoc
        + template_files()
    )


def run_step(name, input, output, params, wildcards, log):
    """Run a step inside Snakemake's process (no Python start-up per job).

    The package is imported here, when a job runs, so parsing the workflow stays fast.
    """
    from vertebroplasty.steps import run_in_process

    run_in_process(name, input, output, params, wildcards, log)


def rebuild_untrusted_results():
    """Have Snakemake rebuild every file under results/ the build cannot vouch for.

    Snakemake trusts file dates; the ledger (vertebroplasty.trust) knows what each step
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
    from vertebroplasty.settings import discard_altered_settings
    from vertebroplasty.trust import files_to_rebuild

    def produced(path):
        return any(rule.is_producer(path) for rule in workflow.rules)

    requested = workflow.dag_settings.targets
    files = (
        None
        if not requested or any(map(workflow.is_rule, requested))
        else set(requested)
    )
    found = files_to_rebuild(produced, files, ignored=("logs", "settings"))
    if not workflow.dryrun:
        altered = discard_altered_settings("results/settings")
        warn(
            "settings files are written from config/config.yaml; these were edited by hand "
            "and are removed (written again when needed)",
            altered,
        )
    if found:
        warn(
            "these files no longer match what the build wrote; they are rebuilt "
            "(edit templates/, data/ or config/, never results/)",
            found,
        )
        forced = set(workflow.dag_settings.forcerun) | {item.path for item in found}
        workflow.dag_settings.forcerun = frozenset(forced)


def warn(what, items):
    import sys

    if items:
        listing = "\n".join(f"  - {item}" for item in items)
        print(f"WARNING: {what}:\n{listing}", file=sys.stderr)


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
