"""Guarantee: the HTML, DOCX and PDF show the same numbers as the Markdown, in order.

The Markdown's numbers are read from its document tree (the Markdown as pandoc reads
it, citations resolved: see :mod:`manuscript_engine.output.conversion`). Each output is turned
back into text (pandoc for HTML and DOCX, PDFium for the PDF), every number is
extracted from the document's first heading onwards (the manuscript's Abstract), and
each sequence is compared with the Markdown's. The manuscript and its supplement are
checked together, into one report. A number lost, added or changed by a converter
fails the build with its neighbours shown, so it can be found.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from pathlib import Path

from manuscript_engine.core.atomic_files import write_text_atomically
from manuscript_engine.core.errors import ManuscriptError

NUMBER = re.compile(r"\d+(?:\.\d+)?")
ATTRIBUTES = re.compile(r"\{[#.][^}]*\}")


class FormatsDisagree(ManuscriptError):
    """A converter lost or changed a number."""


EMBEDDED_DATA = re.compile(r'"data:[^"]*"')
PROVENANCE_ADDED = re.compile(r"<!--provenance-->.*?<!--/provenance-->", re.DOTALL)
"""What :mod:`manuscript_engine.output.provenance` adds (its ADDED markers)."""
NAVIGATION = re.compile(r"<nav\b.*?</nav>", re.DOTALL)
"""The page's table of contents repeats the headings: navigation, not text."""
FIGURES_AS_CAPTIONS = Path(__file__).parent / "pandoc" / "figures-as-captions.lua"
"""A figure reads as its caption: its alt text is not on the page (nor in the PDF's text)."""
PLAIN_TEXT = ["--wrap=none", f"--lua-filter={FIGURES_AS_CAPTIONS}"]


def text_of(path: Path) -> str:
    """The visible text of a document tree (.json) or an output, as plain text."""
    import pypandoc

    path = Path(path)
    if path.suffix == ".pdf":
        return pdf_text(path)
    if path.suffix == ".html":
        # Embedded figures (data: addresses) hold no visible text; blanking them first
        # halves pandoc's reading time.
        html = NAVIGATION.sub("", EMBEDDED_DATA.sub('""', path.read_text(encoding="utf-8")))
        # The provenance the engine adds to the HTML only (links under tables and
        # figures, the appendix of keys, the panel's records) is no part of the paper.
        html = PROVENANCE_ADDED.sub("", html)
        return pypandoc.convert_text(html, "plain", format="html", extra_args=PLAIN_TEXT)
    source = {".json": "json", ".docx": "docx"}[path.suffix]
    return pypandoc.convert_file(str(path), "plain", format=source, extra_args=PLAIN_TEXT)


def pdf_text(path: Path) -> str:
    """The PDF's text, page by page, without the page numbers in the footers and the line
    numbers in the margin.

    PDFium (pypdfium2) reads the 16-page manuscript in a twentieth of the time pure-Python
    readers take, which matters on every rebuild; the end-to-end test reads it with pypdf.
    """
    import pypdfium2

    from manuscript_engine.core.native_calls import NATIVE_LOCK

    with NATIVE_LOCK:
        document = pypdfium2.PdfDocument(path)
        try:
            pages = []
            for number, page in enumerate(document, start=1):
                textpage = page.get_textpage()
                try:
                    text = body_text(textpage).rstrip()
                finally:  # PDFium wants children closed before their parents
                    textpage.close()
                    page.close()
                pages.append(text.removesuffix(str(number)))
            return "\n".join(pages)
        finally:
            document.close()


LINE_NUMBER_SIZE = 7.25
"""Points: the size of the margin's line numbers (typst-line-numbers.typ), used by no
other text, so the check can tell a line number from a number of the text."""


def body_text(textpage) -> str:
    """A page's text without the line numbers in its margin (when the journal asks for
    them): every digit set in :data:`LINE_NUMBER_SIZE` is taken out, wherever the
    layout puts it (beside a wide table, after a hyphenated line)."""
    import pypdfium2.raw as pdfium_raw

    text = textpage.get_text_range()
    count = textpage.count_chars()
    if len(text) != count:  # characters beyond one UTF-16 unit: keep the text whole
        return text
    return "".join(
        char
        for index, char in enumerate(text)
        if not (
            char.isdigit()
            and abs(pdfium_raw.FPDFText_GetFontSize(textpage.raw, index) - LINE_NUMBER_SIZE) < 0.01
        )
    )


def first_heading(tree: Path) -> str:
    """The text of the document tree's first heading ("Abstract" in the manuscript)."""
    blocks = json.loads(Path(tree).read_text(encoding="utf-8")).get("blocks", [])
    header = next((b for b in blocks if b["t"] == "Header"), None)
    if header is None:
        return ""
    from manuscript_engine.text.document_safety import nodes

    words = {"Space": " ", "SoftBreak": " "}
    return "".join(
        node["c"] if node["t"] == "Str" else words.get(node["t"], "")
        for node in nodes(header["c"][2])
    )


def numbers_of(text: str, start: str) -> list[str]:
    """Every number from the first heading onwards (title-page dates are laid out
    differently in each format)."""
    where = text.find(start) if start else 0
    return NUMBER.findall(ATTRIBUTES.sub(" ", text[max(where, 0) :]))


def differences(reference: list[str], other: list[str], limit: int = 10) -> list[str]:
    """Where ``other`` departs from ``reference``, with a few numbers of context."""
    matcher = difflib.SequenceMatcher(a=reference, b=other, autojunk=False)
    found = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        context = " ".join(reference[max(i1 - 4, 0) : i1])
        found.append(
            f"after '{context}': Markdown has [{' '.join(reference[i1:i2])}], "
            f"this format has [{' '.join(other[j1:j2])}]"
        )
    return found[:limit]


def check_formats(documents: Mapping[Path, list[Path]], report: Path) -> None:
    """Compare every output with its document tree (``documents`` maps each tree to the
    outputs written from it); write one report; fail on any difference.

    The texts are extracted at the same time (each is a pandoc or PDF reader run).
    """
    from concurrent.futures import ThreadPoolExecutor

    paths = [Path(p) for tree, outputs in documents.items() for p in [tree, *outputs]]
    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        texts = dict(zip(paths, pool.map(text_of, paths), strict=True))
    lines, problems = [], []
    for tree, outputs in documents.items():
        start = first_heading(Path(tree))
        reference = numbers_of(texts[Path(tree)], start)
        lines.append(
            f"Markdown ({Path(tree).name}): {len(reference)} numbers from '{start}' onwards"
        )
        for output in map(Path, outputs):
            found = numbers_of(texts[output], start)
            diff = differences(reference, found)
            lines.append(
                f"{output.name}: {len(found)} numbers, "
                + ("same sequence" if not diff else f"{len(diff)} difference(s)")
            )
            problems += [f"{output.name}: {d}" for d in diff]
    write_text_atomically(report, "\n".join(lines + problems) + "\n")
    if problems:
        raise FormatsDisagree(
            "The output formats do not show the same numbers as the Markdown:\n  - "
            + "\n  - ".join(problems)
            + "\nA converter lost or changed a number; see the report "
            + str(report)
        )
