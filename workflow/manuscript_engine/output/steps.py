"""Steps of the output stage: the document tree, HTML, DOCX, PDF, JATS, their agreement,
the manifest.

The calling convention (``input, output, params, wildcards``; imports inside each
step) is :mod:`manuscript_engine.core.step_runner`'s.
"""

from __future__ import annotations

import logging
from pathlib import Path

from manuscript_engine.core.settings import read_settings

log = logging.getLogger("manuscript")


def document_tree(input, output, params, wildcards) -> None:
    from manuscript_engine.output.conversion import build_document_tree

    build_document_tree(
        Path(input.markdown),
        Path(output.tree),
        defaults=Path(input.defaults),
        bibliography=[Path(f) for f in input.bibliography],
        sections=Path(input.sources),
        figures=[Path(f) for f in input.figures],
    )


def convert_document(input, output, params, wildcards) -> None:
    from manuscript_engine.output.conversion import convert_document as convert

    (fmt,) = output.keys()  # the rule names its one output after the format
    convert(
        Path(input.tree),
        Path(output[0]),
        fmt,
        defaults=Path(input.defaults),
        date=read_settings(input.settings)["manuscript"]["date"],
        reference_doc=input.get("reference"),
        figures=[Path(f) for f in input.get("figures", [])],
        stylesheet=input.get("css"),
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

    write_reference_docx(Path(output.reference))


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
    )
