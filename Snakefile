# The manuscript pipeline: cohort CSVs -> validated data -> tables, numbers, figures
# -> Markdown -> HTML, DOCX, PDF. Rules live in workflow/rules/, logic in the
# `vertebroplasty` package under workflow/.

import sys
from pathlib import Path

# The engine and the study's package are imported from this checkout's workflow/, also
# without an installed copy (the editable install of `make` is a convenience).
sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from snakemake.utils import min_version

from manuscript_engine.core.failure_messages import check_results_folder
from manuscript_engine.core.settings import check_config
from manuscript_engine.core.trust import refuse_committed_build_state
from manuscript_engine.core.yaml_files import check_yaml_file

min_version("9.0")

# The build writes only into a real, writable results/ folder inside the repository.
check_results_folder("results")
refuse_committed_build_state()


# Anchors and aliases (a "billion laughs" file can exhaust memory) are refused before
# Snakemake reads the config.
check_yaml_file("config/config.yaml")


configfile: "config/config.yaml"


# The config is checked against config/schema/config.schema.yaml (JSON Schema, as
# Snakemake's `validate` would), with messages that name the key in an author's words.
check_config(config, "config/schema/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/settings.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/audit.smk"
include: "workflow/rules/manuscript.smk"


rule all:
    default_target: True
    input:
        rules.render_markdown.output.markdown,
        rules.to_html.output.html,
        rules.to_docx.output.docx,
        rules.compile_pdf.output.pdf,
        rules.check_formats.output.report,
        rules.manifest.output.manifest,
        rules.audit_report.output.html,


# Files under results/ that the ledger cannot vouch for are rebuilt, not trusted.
rebuild_untrusted_results()


onsuccess:
    exit_promptly()
