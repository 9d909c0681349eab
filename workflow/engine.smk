# The engine's workflow, included by a study's Snakefile (this repository's, or
# examples/<study>/Snakefile): cohort CSVs -> validated data -> tables, numbers, figures
# -> Markdown -> HTML, DOCX, PDF. It runs in the study's folder: config/, data/,
# templates/ and results/ are the study's; the engine's code and rules live beside this
# file, and the study's Python package in the study's own workflow/ folder.

import sys
from pathlib import Path

# Where the engine is (this file's folder) and where the study is (the working folder).
ENGINE_WORKFLOW = Path(
    workflow.current_basedir.get_path_or_uri(secret_free=True)
).resolve()
STUDY_WORKFLOW = Path(workflow.basedir).resolve() / "workflow"
# The engine and the study's package are imported from these folders, also without an
# installed copy (the editable install of `make` is a convenience).
for folder in dict.fromkeys(
    [ENGINE_WORKFLOW, STUDY_WORKFLOW]
):  # the study's ends first
    if folder.is_dir() and str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from snakemake.utils import min_version

from manuscript_engine.core.failure_messages import check_results_folder
from manuscript_engine.core.settings import check_config
from manuscript_engine.core.trust import refuse_committed_build_state
from manuscript_engine.core.yaml_files import check_yaml_file

min_version("9.0")

# The build writes only into a real, writable results/ folder inside the study's folder.
check_results_folder("results")
refuse_committed_build_state()


# Anchors and aliases (a "billion laughs" file can exhaust memory) are refused before
# Snakemake reads the config.
check_yaml_file("config/config.yaml")


configfile: "config/config.yaml"


# The config is checked against the engine's schema (JSON Schema, as Snakemake's
# `validate` would), with messages that name the key in an author's words; settings
# that passed before are remembered in .snakemake/ and not checked again.
check_config(
    config,
    ENGINE_WORKFLOW / "manuscript_engine/core/schemas/config.schema.yaml",
    passed=".snakemake/config-passed.json",
)


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/settings.smk"
include: "rules/validate.smk"
include: "rules/analysis.smk"
include: "rules/figures.smk"
include: "rules/audit.smk"
include: "rules/manuscript.smk"


# What a build makes: the study's Snakefile asks for these in its `rule all` (Snakemake
# takes the default target from the study's own Snakefile, never from an included file).
MANUSCRIPT_TARGETS = [
    *DOCUMENT_OUTPUTS,
    rules.to_jats.output.jats,
    rules.check_formats.output.report,
    *JOURNAL_OUTPUTS,
    rules.manifest.output.manifest,
    *AUDIT_OUTPUTS,
    *CHECKLIST_OUTPUTS,
    *SUBMISSION_BUNDLE,
]


# Files under results/ that the ledger cannot vouch for are rebuilt, not trusted.
rebuild_untrusted_results()


onstart:
    start_workers()


onsuccess:
    close_workers()
    exit_promptly()


onerror:
    close_workers()
