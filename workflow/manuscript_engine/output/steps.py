"""Steps of the output stage: the document tree, HTML, DOCX, PDF, JATS, their agreement,
the manifest.

The calling convention (``input, output, params, wildcards``; imports inside each
step) is :mod:`manuscript_engine.core.step_runner`'s.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from manuscript_engine.core.settings import read_settings

log = logging.getLogger("manuscript")


def journal_profile(input) -> dict | None:
    """The chosen journal's profile (a rule's input ``journal``), or None without one."""
    from manuscript_engine.core.journals import load_journal

    path = journal_file(input)
    return load_journal(path) if path else None


def journal_file(input) -> str | None:
    files = input.get("journal") or []
    # Snakemake gives a named input of one file as that file, not as a list
    return files if isinstance(files, str) else (files[0] if files else None)


def document_tree(input, output, params, wildcards) -> None:
    from manuscript_engine.output.conversion import DEFAULT_CITATION_STYLE, build_document_tree

    profile = journal_profile(input)
    # The HTML's Markdown names each number's key (output.provenance); the tree of every
    # other format is the same tree with those marks taken out, so pandoc and citeproc
    # read the manuscript once.
    marked = bool(output.get("html_tree"))
    build_document_tree(
        Path(input.annotated if marked else input.markdown),
        Path(output.html_tree if marked else output.tree),
        defaults=Path(input.defaults),
        bibliography=[Path(f) for f in input.bibliography],
        sections=Path(input.sources),
        figures=[Path(f) for f in input.figures],
        citation_style=profile["citation_style"] if profile else DEFAULT_CITATION_STYLE,
        quoted=Path(input.markdown),
    )
    if marked:
        from manuscript_engine.core.atomic_files import atomic_output
        from manuscript_engine.output.provenance import without_number_marks

        tree = json.loads(Path(output.html_tree).read_text(encoding="utf-8"))
        with atomic_output(output.tree) as partial:
            partial.write_text(compact_json(without_number_marks(tree)), encoding="utf-8")


def compact_json(value) -> str:
    """JSON as pandoc writes it (no spaces, UTF-8 as is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def convert_document(input, output, params, wildcards) -> None:
    from manuscript_engine.core.yaml_schemas import load_checked_yaml
    from manuscript_engine.output.conversion import convert_document as convert

    (fmt,) = output.keys()  # the rule names its one output after the format
    profile = journal_profile(input)
    provenance = None
    if input.get("numbers"):  # the HTML's rule gives what its provenance needs
        from manuscript_engine.core.step_runner import study_layout
        from manuscript_engine.output.provenance import provenance_from_inputs, study_origins

        layout = study_layout(read_settings(input.settings)["study_package"])
        provenance = provenance_from_inputs(
            registry=Path(input.numbers),
            tables=[Path(t) for t in input.tables],
            origins=study_origins(layout),
            markdowns=[Path(m) for m in input.markdowns],
            data=[Path(s) for s in input.provenance_data],
            code=[Path(s) for s in input.provenance_code],
        )
    convert(
        Path(input.tree),
        Path(output[0]),
        fmt,
        defaults=Path(input.defaults),
        date=read_settings(input.settings)["manuscript"]["date"],
        reference_doc=input.get("reference"),
        figures=[Path(f) for f in input.get("figures", [])],
        stylesheet=input.get("css"),
        line_numbers=bool(profile and profile["line_numbers"]),
        provenance=provenance,
        metadata=load_checked_yaml(input.metadata, "metadata") if input.get("metadata") else None,
    )


def write_jats(input, output, params, wildcards) -> None:
    from manuscript_engine.core.yaml_schemas import load_checked_yaml
    from manuscript_engine.output.jats import write_jats as write

    write(Path(input.tree), Path(output.jats), load_checked_yaml(input.metadata, "metadata"))


def compile_pdf(input, output, params, wildcards) -> None:
    from manuscript_engine.output.conversion import compile_pdf as compile_typst

    compile_typst(
        Path(input.typst), Path(output.pdf), read_settings(input.settings)["manuscript"]["date"]
    )


def reference_docx(input, output, params, wildcards) -> None:
    from manuscript_engine.output.reference_docx import write_reference_docx

    profile = journal_profile(input)
    # Without a journal, lines are numbered, as most journals ask of a submission.
    write_reference_docx(
        Path(output.reference), line_numbers=profile is None or profile["line_numbers"]
    )


def check_journal(input, output, params, wildcards) -> None:
    from manuscript_engine.core.yaml_schemas import load_checked_yaml
    from manuscript_engine.output.journal_check import check_journal as check

    counts = check(
        Path(input.tree),
        journal_profile(input),
        journal_file(input),
        load_checked_yaml(input.metadata, "metadata"),
        Path(input.sources),
        Path(input.markdown),
        Path(output.report),
    )
    log.info(
        "Abstract %d words, main text %d words, %d tables, %d figures, %d references.",
        counts.abstract_words,
        counts.main_text_words,
        counts.tables,
        counts.figures,
        counts.references,
    )


def mask_document(input, output, params, wildcards) -> None:
    from manuscript_engine.core.yaml_schemas import load_checked_yaml
    from manuscript_engine.output.masking import write_masked_tree

    cited = write_masked_tree(
        Path(input.tree),
        Path(output.tree),
        metadata=load_checked_yaml(input.metadata, "metadata"),
        bibliography=[Path(f) for f in input.bibliography],
        markdown=Path(input.markdown),
        sections=Path(input.sources),
    )
    log.info("Masked for blind review: %s.", ", ".join(sorted(cited)) or "no self-citation")


def check_formats(input, output, params, wildcards) -> None:
    from manuscript_engine.output.format_agreement import check_formats as check

    # The rule lists the trees, HTML, DOCX and PDF files in the same order of documents.
    outputs = zip(input.html, input.docx, input.pdf, strict=True)
    documents = {
        Path(tree): [Path(path) for path in files]
        for tree, files in zip(input.tree, outputs, strict=True)
    }
    check(documents, Path(output.report))


def checklist(input, output, params, wildcards) -> None:
    """Fill one reporting checklist with the section, PDF page and DOCX line of each item."""
    from manuscript_engine.output.checklist import fill_checklist
    from manuscript_engine.output.conversion import epoch_of
    from manuscript_engine.text.checklists import load_checklist, read_markers

    settings = read_settings(input.settings)
    rows = fill_checklist(
        load_checklist(wildcards.checklist, settings["checklists"][wildcards.checklist]),
        read_markers(Path(input.markers)),
        manuscript_docx=Path(input.docx),
        manuscript_typst=Path(input.typst),
        docx=Path(output.docx),
        html=Path(output.html),
        table=Path(output.table),
        epoch=epoch_of(settings["manuscript"]["date"]),
    )
    log.info("filled %s: %d items", output.html, len(rows))


def manifest(input, output, params, wildcards) -> None:
    from manuscript_engine.output.manifest import write_manifest

    write_manifest(list(input.sources), list(input.outputs), Path(output.manifest))


def make_figure(input, output, params, wildcards) -> None:
    """Draw the figure the study's layout names, from the table it names."""
    from manuscript_engine.core.step_runner import load_step, study_layout
    from manuscript_engine.data.cohort import load_codebook
    from manuscript_engine.output.figures import make_figure as draw_figure

    layout = study_layout(read_settings(input.settings)["study_package"])
    draw_figure(
        wildcards.figure,
        load_step(layout.FIGURES[wildcards.figure]["draw"]),
        table=Path(input.table),
        svg=Path(output.svg),
        png=Path(output.png),
        numbers=Path(output.numbers),
        codebook=load_codebook(Path(input.codebook)),
        style=getattr(layout, "FIGURE_STYLE", None),
        dpi=figure_dpi(input.get("journal")),
    )


def figure_dpi(journal: list[str] | None) -> int:
    """The PNG's resolution: the house one, or finer when the journal asks for more."""
    from manuscript_engine.core.journals import load_journal
    from manuscript_engine.output.figures import PNG_DPI

    if not journal:
        return PNG_DPI
    return max(PNG_DPI, load_journal(journal[0])["figures"]["dpi"])


def submission_bundle(input, output, params, wildcards) -> None:
    """Zip what the journal's submission system asks for (see output.submission)."""
    from manuscript_engine.core.journals import load_journal
    from manuscript_engine.output.submission import (
        bundle_entries,
        contents_list,
        table_data,
        write_zip,
    )

    profile = load_journal(input.journal[0])
    figures = {Path(svg).stem: (Path(svg).with_suffix(".png"), Path(svg)) for svg in input.figures}
    entries = bundle_entries(
        documents={
            "manuscript": [Path(f) for f in input.manuscript],
            "masked": [Path(f) for f in input.masked],
            "supplement": [Path(f) for f in input.supplement],
            "checklist": [Path(f) for f in input.checklists],
        },
        markdowns=[Path(f) for f in input.markdown],
        figures=figures,
        tables=table_data([Path(f) for f in input.tables]),
        extras=[Path(f) for f in input.extras],
        figure_format=profile["figures"]["format"],
        dpi=profile["figures"]["dpi"],
    )
    entries.append(contents_list(entries, profile["name"]))
    write_zip(Path(output.bundle), entries, read_settings(input.settings)["manuscript"]["date"])
    log.info("wrote %s: %d files", output.bundle, len(entries))
