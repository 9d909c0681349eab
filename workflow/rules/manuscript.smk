# Rendering: templates + numbers -> Markdown -> document tree -> HTML, DOCX, Typst -> PDF.


rule render_markdown:
    input:
        numbers=rules.numbers_registry.output.numbers,
        tables=PATIENT_FLOW_TABLE + expand("results/tables/{table}.md", table=TABLES),
        figures=expand("results/figures/{figure}.svg", figure=FIGURES),
        metadata=f"{TEMPLATE_DIR}/metadata.yaml",
        facts="config/study_facts.yaml",
        codebook=CODEBOOK,
        settings=settings_files("manuscript", "synthetic_cohort", "statistics"),
        templates=template_files(),
        code=step_code("render_markdown"),
    output:
        markdown="results/manuscript/manuscript.md",
        sources="results/pandoc/sections.json",
    log:
        "results/logs/render_markdown.log",
    params:
        template_dir=template_folder,
    run:
        run_step("render_markdown", input, output, params, wildcards, log)


rule document_tree:
    input:
        markdown=rules.render_markdown.output.markdown,
        sources=rules.render_markdown.output.sources,
        defaults=pandoc_file("tree.yaml"),
        lua=f"{ENGINE_DIR}/output/pandoc/citations-resolved.lua",
        bibliography=BIBLIOGRAPHY,
        figures=rules.render_markdown.input.figures,
        code=step_code("document_tree"),
    output:
        tree="results/pandoc/manuscript.json",
    log:
        "results/logs/document_tree.log",
    run:
        run_step("document_tree", input, output, params, wildcards, log)


rule to_html:
    input:
        tree=rules.document_tree.output.tree,
        defaults=pandoc_file("html.yaml"),
        css=pandoc_file("manuscript.css"),
        figures=rules.render_markdown.input.figures,
        settings=settings_files("manuscript"),
        code=step_code("convert_document"),
    output:
        html=report(
            "results/manuscript/manuscript.html",
            caption="../report/manuscript.rst",
            category="Manuscript",
        ),
    log:
        "results/logs/to_html.log",
    run:
        run_step("convert_document", input, output, params, wildcards, log)


rule reference_docx:
    input:
        code=step_code("reference_docx"),
    output:
        reference="results/pandoc/reference.docx",
    log:
        "results/logs/reference_docx.log",
    run:
        run_step("reference_docx", input, output, params, wildcards, log)


rule to_docx:
    input:
        tree=rules.document_tree.output.tree,
        defaults=pandoc_file("docx.yaml"),
        reference=rules.reference_docx.output.reference,
        figures=expand("results/figures/{figure}.png", figure=FIGURES),
        settings=settings_files("manuscript"),
        code=step_code("convert_document"),
    output:
        docx="results/manuscript/manuscript.docx",
    log:
        "results/logs/to_docx.log",
    run:
        run_step("convert_document", input, output, params, wildcards, log)


rule to_typst:
    input:
        tree=rules.document_tree.output.tree,
        defaults=pandoc_file("typst.yaml"),
        header=f"{ENGINE_DIR}/output/pandoc/typst-header.typ",
        settings=settings_files("manuscript"),
        code=step_code("convert_document"),
    output:
        typst="results/manuscript/manuscript.typ",
    log:
        "results/logs/to_typst.log",
    run:
        run_step("convert_document", input, output, params, wildcards, log)


rule to_jats:
    input:
        tree=rules.document_tree.output.tree,
        metadata=f"{TEMPLATE_DIR}/metadata.yaml",
        code=step_code("write_jats"),
    output:
        jats="results/manuscript/manuscript.xml",
    log:
        "results/logs/to_jats.log",
    run:
        run_step("write_jats", input, output, params, wildcards, log)


rule compile_pdf:
    input:
        typst=rules.to_typst.output.typst,
        figures=rules.render_markdown.input.figures,
        settings=settings_files("manuscript"),
        code=step_code("compile_pdf"),
    output:
        pdf="results/manuscript/manuscript.pdf",
    log:
        "results/logs/compile_pdf.log",
    run:
        run_step("compile_pdf", input, output, params, wildcards, log)


rule check_formats:
    input:
        tree=rules.document_tree.output.tree,
        html=rules.to_html.output.html,
        docx=rules.to_docx.output.docx,
        pdf=rules.compile_pdf.output.pdf,
        code=step_code("check_formats"),
    output:
        report="results/checks/formats.txt",
    log:
        "results/logs/check_formats.log",
    run:
        run_step("check_formats", input, output, params, wildcards, log)


rule manifest:
    input:
        sources=manifest_sources,
        outputs=[
            rules.render_markdown.output.markdown,
            rules.to_html.output.html,
            rules.to_docx.output.docx,
            rules.compile_pdf.output.pdf,
            rules.to_jats.output.jats,
            rules.check_formats.output.report,
            *AUDIT_OUTPUTS,
        ],
        code=step_code("manifest"),
    output:
        manifest="results/manuscript/manifest.json",
    log:
        "results/logs/manifest.log",
    run:
        run_step("manifest", input, output, params, wildcards, log)
