# The manuscript pipeline: cohort CSVs -> validated data -> tables, numbers, figures
# -> Markdown -> HTML, DOCX, PDF. Rules live in workflow/rules/, logic in the
# `vertebroplasty` package under workflow/.

from snakemake.utils import min_version

from vertebroplasty.settings import check_config, write_settings

min_version("9.0")


configfile: "config/config.yaml"


# The config is checked against config/schema/config.schema.yaml (JSON Schema, as
# Snakemake's `validate` would), with messages that name the key in an author's words.
check_config(config, "config/schema/config.schema.yaml")
# Rules take the settings they use as files (results/settings/<key>.json), not params.
write_settings(config, "results/settings")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
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


onsuccess:
    exit_promptly()
