# Rendering: templates + numbers -> Markdown -> document tree -> HTML, DOCX, Typst -> PDF,
# for each document: the manuscript, and the supplement when the study has one.


wildcard_constraints:
    document="|".join(DOCUMENTS),


rule render_markdown:
    input:
        numbers=rules.numbers_registry.output.numbers,
        tables=PATIENT_FLOW_TABLE
        + AUDIT_TABLE
        + expand("results/tables/{table}.md", table=TABLES),
        figures=expand("results/figures/{figure}.svg", figure=FIGURES),
        metadata=f"{TEMPLATE_DIR}/metadata.yaml",
        facts="config/study_facts.yaml",
        codebook=CODEBOOK,
        settings=settings_files("manuscript", "synthetic_cohort", "statistics")
        + checklist_settings(),
        checklists=checklist_items(),
        templates=template_files(),
        code=step_code("render_markdown"),
    output:
        markdown="results/manuscript/{document}.md",
        sources="results/pandoc/{document}-sections.json",
        markers="results/pandoc/{document}-checklist-markers.json",
        annotated="results/pandoc/{document}-annotated.md",
    log:
        "results/logs/render_markdown_{document}.log",
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
        anchors=f"{ENGINE_DIR}/output/pandoc/anchors-in-captions.lua",
        bibliography=BIBLIOGRAPHY,
        figures=rules.render_markdown.input.figures,
        journal=JOURNAL_PROFILE,
        annotated=rules.render_markdown.output.annotated,
        code=step_code("document_tree"),
    output:
        tree="results/pandoc/{document}.json",
        html_tree="results/pandoc/{document}-html.json",
    log:
        "results/logs/document_tree_{document}.log",
    run:
        run_step("document_tree", input, output, params, wildcards, log)


rule to_html:
    input:
        tree=rules.document_tree.output.html_tree,
        defaults=pandoc_file("html.yaml"),
        css=pandoc_file("manuscript.css"),
        page=sorted(Path(ENGINE_DIR, "output/html").glob("*.*")),
        metadata=f"{TEMPLATE_DIR}/metadata.yaml",
        figures=rules.render_markdown.input.figures,
        settings=settings_files("manuscript", "study_package"),
        numbers=rules.numbers_registry.output.numbers,
        tables=rules.render_markdown.input.tables,
        markdowns=expand(rules.render_markdown.output.annotated, document=DOCUMENTS),
        provenance_data=provenance_data,
        provenance_code=provenance_code,
        code=step_code("convert_document"),
    output:
        html=report(
            "results/manuscript/{document}.html",
            caption="../report/manuscript.rst",
            category="Manuscript",
        ),
    log:
        "results/logs/to_html_{document}.log",
    run:
        run_step("convert_document", input, output, params, wildcards, log)


rule reference_docx:
    input:
        journal=JOURNAL_PROFILE,
        code=step_code("reference_docx"),
    output:
        reference="results/pandoc/reference.docx",
    log:
        "results/logs/reference_docx.log",
    run:
        run_step("reference_docx", input, output, params, wildcards, log)


rule to_docx:
    input:
        tree="results/pandoc/{document}.json",
        defaults=pandoc_file("docx.yaml"),
        reference=rules.reference_docx.output.reference,
        figures=expand("results/figures/{figure}.png", figure=FIGURES),
        settings=settings_files("manuscript"),
        code=step_code("convert_document"),
    output:
        docx="results/manuscript/{document}.docx",
    log:
        "results/logs/to_docx_{document}.log",
    wildcard_constraints:
        document=PRINTED_NAMES,
    run:
        run_step("convert_document", input, output, params, wildcards, log)


rule to_typst:
    input:
        tree="results/pandoc/{document}.json",
        defaults=pandoc_file("typst.yaml"),
        header=f"{ENGINE_DIR}/output/pandoc/typst-header.typ",
        numbering=f"{ENGINE_DIR}/output/pandoc/typst-line-numbers.typ",
        anchors=f"{ENGINE_DIR}/output/pandoc/typst-anchors.lua",
        alt_text=f"{ENGINE_DIR}/output/pandoc/typst-alt-text.lua",
        settings=settings_files("manuscript"),
        journal=JOURNAL_PROFILE,
        code=step_code("convert_document"),
    output:
        typst="results/manuscript/{document}.typ",
    log:
        "results/logs/to_typst_{document}.log",
    wildcard_constraints:
        document=PRINTED_NAMES,
    run:
        run_step("convert_document", input, output, params, wildcards, log)


# JATS for the manuscript only: a journal takes the supplement as files beside it.
rule to_jats:
    input:
        tree="results/pandoc/manuscript.json",
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
        typst="results/manuscript/{document}.typ",
        figures=rules.render_markdown.input.figures,
        settings=settings_files("manuscript"),
        code=step_code("compile_pdf"),
    output:
        pdf="results/manuscript/{document}.pdf",
    log:
        "results/logs/compile_pdf_{document}.log",
    wildcard_constraints:
        document=PRINTED_NAMES,
    run:
        run_step("compile_pdf", input, output, params, wildcards, log)


rule check_journal:
    input:
        tree="results/pandoc/manuscript.json",
        journal=JOURNAL_PROFILE,
        metadata=f"{TEMPLATE_DIR}/metadata.yaml",
        markdown="results/manuscript/manuscript.md",
        sources="results/pandoc/manuscript-sections.json",
        code=step_code("check_journal"),
    output:
        report="results/checks/journal.txt",
    log:
        "results/logs/check_journal.log",
    run:
        run_step("check_journal", input, output, params, wildcards, log)


rule mask_document:
    input:
        tree="results/pandoc/manuscript.json",
        metadata=f"{TEMPLATE_DIR}/metadata.yaml",
        bibliography=BIBLIOGRAPHY,
        markdown="results/manuscript/manuscript.md",
        sources="results/pandoc/manuscript-sections.json",
        code=step_code("mask_document"),
    output:
        tree="results/pandoc/masked.json",
    log:
        "results/logs/mask_document.log",
    run:
        run_step("mask_document", input, output, params, wildcards, log)


# One check and one report for every document.
rule check_formats:
    input:
        tree=expand(rules.document_tree.output.tree, document=DOCUMENTS),
        html=expand(rules.to_html.output.html, document=DOCUMENTS),
        docx=expand(rules.to_docx.output.docx, document=DOCUMENTS),
        pdf=expand(rules.compile_pdf.output.pdf, document=DOCUMENTS),
        figures_as_captions=f"{ENGINE_DIR}/output/pandoc/figures-as-captions.lua",
        code=step_code("check_formats"),
    output:
        report="results/checks/formats.txt",
    log:
        "results/logs/check_formats.log",
    run:
        run_step("check_formats", input, output, params, wildcards, log)


# The checklist locates its items in the manuscript (page of its PDF, line of its DOCX).
# The pages come from laying out the PDF's Typst source with the same figures, so the
# checklist runs beside the PDF's compilation instead of after it.
rule checklist:
    input:
        markers=expand(rules.render_markdown.output.markers, document="manuscript")[0],
        docx=expand(rules.to_docx.output.docx, document="manuscript")[0],
        typst=expand(rules.to_typst.output.typst, document="manuscript")[0],
        figures=rules.render_markdown.input.figures,
        checklists=checklist_items(),
        settings=checklist_settings() + settings_files("manuscript"),
        code=step_code("checklist"),
    output:
        docx="results/checklist/{checklist}.docx",
        html="results/checklist/{checklist}.html",
        table="results/checklist/{checklist}.json",
    log:
        "results/logs/checklist_{checklist}.log",
    wildcard_constraints:
        checklist="[a-z][a-z0-9_]*",
    run:
        run_step("checklist", input, output, params, wildcards, log)


rule manifest:
    input:
        sources=manifest_sources,
        outputs=[
            *DOCUMENT_OUTPUTS,
            rules.to_jats.output.jats,
            rules.check_formats.output.report,
            *JOURNAL_OUTPUTS,
            *AUDIT_OUTPUTS,
            *CHECKLIST_OUTPUTS,
        ],
        code=step_code("manifest"),
    output:
        manifest="results/manuscript/manifest.json",
    log:
        "results/logs/manifest.log",
    run:
        run_step("manifest", input, output, params, wildcards, log)


rule submission_bundle:
    input:
        journal=JOURNAL_PROFILE,
        manuscript=expand(
            "results/manuscript/manuscript.{ext}", ext=["docx", "pdf", "xml"]
        ),
        masked=expand(
            "results/manuscript/{document}.{ext}", document=MASKED, ext=["docx", "pdf"]
        ),
        supplement=expand(
            "results/manuscript/{document}.{ext}",
            document=[d for d in DOCUMENTS if d != "manuscript"],
            ext=["docx", "pdf"],
        ),
        markdown=expand("results/manuscript/{document}.md", document=DOCUMENTS),
        figures=expand("results/figures/{figure}.svg", figure=FIGURES),
        rasters=expand("results/figures/{figure}.png", figure=FIGURES),
        tables=PATIENT_FLOW_TABLE + expand("results/tables/{table}.md", table=TABLES),
        data=expand("results/tables/{table}.csv", table=TABLES),
        checklists=CHECKLIST_OUTPUTS,
        extras=[rules.manifest.output.manifest],
        settings=settings_files("manuscript"),
        code=step_code("submission_bundle"),
    output:
        bundle="results/submission/{journal}.zip",
    log:
        "results/logs/submission_bundle_{journal}.log",
    run:
        run_step("submission_bundle", input, output, params, wildcards, log)
