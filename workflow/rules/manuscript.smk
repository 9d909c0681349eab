# Rendering: templates + numbers -> Markdown -> HTML, DOCX, Typst -> PDF.


rule render_markdown:
    input:
        numbers=rules.numbers_registry.output.numbers,
        tables=expand("results/tables/{table}.md", table=TABLE_MODULES),
        figures=expand("results/figures/{figure}.svg", figure=FIGURE_TABLES),
        metadata=f"{TEMPLATE_DIR}/metadata.yaml",
        templates=section_templates(),
        code=package_code("registry", "rendering"),
    output:
        markdown="results/manuscript/manuscript.md",
    log:
        "results/logs/render_markdown.log",
    conda:
        ENVIRONMENT
    params:
        template_dir=template_folder,
        date=manuscript_date,
        synthetic_cohort=synthetic_cohort,
    script:
        "../scripts/render_markdown.py"


rule to_html:
    input:
        markdown=rules.render_markdown.output.markdown,
        defaults="config/pandoc/html.yaml",
        code=package_code("conversion"),
    output:
        html="results/manuscript/manuscript.html",
    log:
        "results/logs/to_html.log",
    conda:
        ENVIRONMENT
    params:
        format="html",
        date=manuscript_date,
    script:
        "../scripts/convert_markdown.py"


rule to_docx:
    input:
        markdown=rules.render_markdown.output.markdown,
        defaults="config/pandoc/docx.yaml",
        code=package_code("conversion"),
    output:
        docx="results/manuscript/manuscript.docx",
    log:
        "results/logs/to_docx.log",
    conda:
        ENVIRONMENT
    params:
        format="docx",
        date=manuscript_date,
    script:
        "../scripts/convert_markdown.py"


rule to_typst:
    input:
        markdown=rules.render_markdown.output.markdown,
        defaults="config/pandoc/typst.yaml",
        code=package_code("conversion"),
    output:
        typst="results/manuscript/manuscript.typ",
    log:
        "results/logs/to_typst.log",
    conda:
        ENVIRONMENT
    params:
        format="typst",
        date=manuscript_date,
    script:
        "../scripts/convert_markdown.py"


rule compile_pdf:
    input:
        typst=rules.to_typst.output.typst,
        code=package_code("conversion"),
    output:
        pdf="results/manuscript/manuscript.pdf",
    log:
        "results/logs/compile_pdf.log",
    conda:
        ENVIRONMENT
    params:
        date=manuscript_date,
    script:
        "../scripts/compile_pdf.py"
