"""The HTML manuscript as a journal page: title block, contents, citation previews.

The engine's own page (``output/html/``: a pandoc template, a stylesheet and a small
script) wraps every HTML document it writes. It adds, from the title-page metadata
(``templates/metadata.yaml``), a title block with the authors on one line, each with
the marks of their affiliations, the affiliations listed under their marks, the
corresponding authors with their e-mail addresses, and the keywords. The blocks before
the document's first heading are the title page the templates wrote from the same
metadata (the convention :mod:`.jats` follows too), so in the HTML they give way to the
title block; boxed notices (a ``Div``, such as the synthetic-data notice) and anchors
(the checklist's markers) stay.

Everything from the metadata enters pandoc's document tree as text (``Str`` nodes and
a ``mailto:`` link), so pandoc's writer escapes it. The page's stylesheet and script
are the engine's code, not the study's settings; the stylesheet is still refused if it
would load anything, so the page stays one self-contained file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PAGE_FILES = Path(__file__).parent / "html"
TEMPLATE = PAGE_FILES / "page.html5"
STYLESHEET = PAGE_FILES / "page.css"
SCRIPT = PAGE_FILES / "page.js"
TOC_DEPTH = 2
"""Sections and their subsections in the table of contents."""

LOADING = re.compile(
    r"\\|@import|<|\b(url|image-set|image|cross-fade|element|expression|src)\s*\("
    r"|behavior\s*:|binding\s*:|content\s*:|[\"']",
    re.IGNORECASE,
)
"""What would let the page's own stylesheet load a file or add text (see
:data:`.conversion.LOADING_CSS`, which also keeps a study's stylesheet from hiding text;
the engine's may hide its own navigation in print)."""


def page_arguments(document: dict, scratch: Path, metadata: Mapping[str, Any] | None) -> list[str]:
    """pandoc's arguments for the engine's page; puts the title block into ``document``.

    The stylesheet and the script are written into ``scratch`` as header and footer
    files (pandoc, sandboxed, reads only the files it is given). A page written without
    the title-page metadata (the revision's page of changes) gets the layout but no
    title block and no script.
    """
    scroll_tables(document["blocks"])
    style = Path(scratch) / "page-style.html"
    style.write_text(f"<style>\n{checked_stylesheet(STYLESHEET)}</style>\n", encoding="utf-8")
    arguments = [
        f"--template={TEMPLATE}",
        "--toc",
        f"--toc-depth={TOC_DEPTH}",
        f"--include-in-header={style}",
    ]
    if metadata:
        add_title_block(document, metadata)
        script = Path(scratch) / "page-script.html"
        script.write_text(f"<script>\n{SCRIPT.read_text(encoding='utf-8')}</script>\n", "utf-8")
        arguments.append(f"--include-after-body={script}")
    return arguments


def checked_stylesheet(path: Path) -> str:
    """The page's stylesheet, refused if a line would load a file or add text."""
    css = Path(path).read_text(encoding="utf-8")
    for number, line in enumerate(css.splitlines(), 1):
        if LOADING.search(line):
            raise ValueError(f"{path} line {number}: the page's stylesheet may not load: {line}")
    return css


def plain_text(value: Any) -> str:
    """The words of pandoc elements, for a label."""
    from manuscript_engine.text.document_safety import nodes

    spaces = {"Space": " ", "SoftBreak": " ", "LineBreak": " "}
    return " ".join(
        "".join(n["c"] if n["t"] == "Str" else spaces.get(n["t"], "") for n in nodes(value)).split()
    )


def scroll_tables(blocks: list[dict]) -> None:
    """Put each table into a box that scrolls sideways on its own on a narrow screen,
    its header cells marked (:func:`mark_header_cells`).

    The box can take the keyboard's focus (to scroll it without a mouse) and is a
    region named by the table's caption, so a screen reader says what it holds.
    """
    for index, block in enumerate(blocks):
        if block["t"] == "Table":
            mark_header_cells(block)
            label = plain_text(block["c"][1]) or "Table"
            attributes = [["tabindex", "0"], ["role", "region"], ["aria-label", label]]
            blocks[index] = {"t": "Div", "c": [["", ["table-scroll"], attributes], [block]]}
        elif block["t"] == "Div":
            scroll_tables(block["c"][1])


def mark_header_cells(table: dict) -> None:
    """Column headers get ``scope="col"``; each body row's first cell, its label, becomes
    a row header (``<th scope="row">``), so a screen reader names both for every value."""
    _, _, _, head, bodies, _ = table["c"]
    for row in head[1]:
        for cell in row[1]:
            cell[0][2].append(["scope", "col"])
    for body in bodies:
        if len(table["c"][2]) < 2:
            continue
        body[1] = max(body[1], 1)
        for row in body[3]:
            if row[1]:
                row[1][0][0][2].append(["scope", "row"])


# --------------------------------------------------------------------------- title block
def text(words: str) -> list[dict]:
    """Plain text as pandoc inlines (words and spaces), escaped by the writer."""
    inlines: list[dict] = []
    for word in str(words).split():
        if inlines:
            inlines.append({"t": "Space"})
        inlines.append({"t": "Str", "c": word})
    return inlines


def span(classes: list[str], content: list[dict]) -> dict:
    return {"t": "Span", "c": [["", classes, []], content]}


def para(classes: list[str], content: list[dict]) -> dict:
    return {"t": "Div", "c": [["", classes, []], [{"t": "Para", "c": content}]]}


def affiliation_marks(metadata: Mapping[str, Any]) -> dict[str, str]:
    """Each affiliation's mark (1, 2, ...), in the order the authors first name them."""
    keys: list[str] = []
    for author in metadata.get("authors") or []:
        keys += [key for key in author.get("affiliations") or [] if key not in keys]
    keys += [key for key in metadata.get("affiliations") or {} if key not in keys]
    return {key: str(number) for number, key in enumerate(keys, 1)}


def title_block(metadata: Mapping[str, Any]) -> list[dict]:
    """Authors inline with their marks, affiliations, correspondence and keywords."""
    marks = affiliation_marks(metadata)
    affiliations = metadata.get("affiliations") or {}
    authors = metadata.get("authors") or []
    names: list[dict] = []
    for author in authors:
        mark = ",".join(marks[key] for key in author.get("affiliations") or [] if key in marks)
        mark += "*" if author.get("corresponding") else ""
        if names:
            names += [{"t": "Str", "c": ","}, {"t": "Space"}]
        superscript = [{"t": "Superscript", "c": [{"t": "Str", "c": mark}]}] if mark else []
        names.append(span(["author"], text(author["name"]) + superscript))
    blocks = [para(["authors"], names)]
    listed = [
        para(
            ["affiliation"],
            [{"t": "Superscript", "c": [{"t": "Str", "c": mark}]}, {"t": "Space"}]
            + text(affiliations[key]),
        )
        for key, mark in marks.items()
        if key in affiliations
    ]
    if listed:
        blocks.append({"t": "Div", "c": [["", ["affiliations"], []], listed]})
    corresponding = [author for author in authors if author.get("corresponding")]
    if corresponding:
        label = "Corresponding authors:" if len(corresponding) > 1 else "Corresponding author:"
        line = [{"t": "Superscript", "c": [{"t": "Str", "c": "*"}]}] + text(label)
        for number, author in enumerate(corresponding):
            line += [{"t": "Str", "c": ";"}] if number else []
            line += [{"t": "Space"}, *text(author["name"])]
            if author.get("email"):
                address = str(author["email"])
                link = {
                    "t": "Link",
                    "c": [["", [], []], [{"t": "Str", "c": address}], [f"mailto:{address}", ""]],
                }
                line += [{"t": "Str", "c": ","}, {"t": "Space"}, link]
        blocks.append(para(["correspondence"], line))
    keywords = [str(word) for word in metadata.get("keywords") or []]
    if keywords:
        blocks.append(
            para(
                ["keywords"],
                [{"t": "Strong", "c": [{"t": "Str", "c": "Keywords:"}]}, {"t": "Space"}]
                + text(", ".join(keywords)),
            )
        )
    return blocks


WITH_IDENTIFIER = {"Div", "Span", "Figure", "Table", "CodeBlock", "Code", "Image", "Link"}
"""Elements whose identifier comes first in their content."""


def anchors_in(blocks: list[dict]) -> list[dict]:
    """An empty span for every identifier in ``blocks`` (links into them still land)."""
    from manuscript_engine.text.document_safety import nodes

    return [
        {"t": "Span", "c": [[node["c"][0][0], [], []], []]}
        for node in nodes(blocks)
        if node["t"] in WITH_IDENTIFIER and node["c"][0][0]
    ]


def add_title_block(document: dict, metadata: Mapping[str, Any]) -> None:
    """Replace the title page written by the templates with the title block (in meta).

    The title page is what comes before the first heading; its notices (``Div``) stay
    in the text, its anchors move into the title block.
    """
    blocks = document["blocks"]
    first = next((i for i, b in enumerate(blocks) if b["t"] == "Header"), len(blocks))
    title_page = [block for block in blocks[:first] if block["t"] != "Div"]
    notices = [block for block in blocks[:first] if block["t"] == "Div"]
    block = title_block(metadata)
    anchors = anchors_in(title_page)
    if anchors:
        block.append({"t": "Plain", "c": anchors})
    document["blocks"] = notices + blocks[first:]
    document.setdefault("meta", {})["title-block"] = {"t": "MetaBlocks", "c": block}
    if metadata.get("keywords"):
        document["meta"]["keywords"] = {
            "t": "MetaList",
            "c": [{"t": "MetaInlines", "c": text(word)} for word in metadata["keywords"]],
        }
