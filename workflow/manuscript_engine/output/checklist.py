"""The filled reporting checklist: where each item is addressed, in the DOCX and the PDF.

The markers the templates printed (:mod:`manuscript_engine.text.checklists`) left an
anchor in every format: a bookmark in the DOCX, a label in the Typst source. This
module finds each anchor and writes the checklist as DOCX, HTML and JSON:

- **Section**: the headings above the anchor in the DOCX ("Patients and methods ›
  Statistical analysis"); "Title page" before the first heading.
- **Line (DOCX)**: the manuscript DOCX numbers its lines continuously, as Word does for
  every paragraph of the body outside tables (headings, the title block and captions
  included; a figure's picture sits in a table and is not numbered). Wrapping depends
  on the fonts of the machine that opens the file, so the build counts one line per
  paragraph: the line given is the number of the anchor's paragraph in that count,
  which is the line Word shows when no paragraph above it wraps, and at most the
  line Word shows otherwise.
- **Page (PDF)**: Typst lays out the manuscript's own source once more with a query
  appended that asks for the page of each label, so the page is Typst's own answer for
  the PDF the build wrote (same source, fonts and root folder).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from manuscript_engine.core.atomic_files import write_text_atomically
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.text.checklists import Checklist, Marker

TITLE_PAGE = "Title page"


@dataclass(frozen=True)
class Place:
    """Where one anchor ended up in the DOCX: its section and its line."""

    section: str
    line: int


@dataclass(frozen=True)
class Location:
    """One place an item is addressed."""

    section: str
    page: int
    line: int
    template: str
    template_line: int
    anchor: str


def docx_places(docx: Path) -> dict[str, Place]:
    """Each bookmark of the DOCX body: the section it falls in and its line (see above)."""
    import docx as python_docx
    from docx.oxml.ns import qn

    document = python_docx.Document(str(docx))
    body = document.element.body
    styles = _heading_levels(document)
    places: dict[str, Place] = {}
    headings: list[str] = []
    line = 0
    for paragraph in body.iter(qn("w:p")):
        if any(parent.tag == qn("w:tbl") for parent in paragraph.iterancestors()):
            continue  # Word does not number lines inside tables
        line += 1
        style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        level = styles.get(style.get(qn("w:val"))) if style is not None else None
        if level:
            headings[level - 1 :] = [" ".join(paragraph.xpath("string(.)").split())]
        for bookmark in paragraph.iter(qn("w:bookmarkStart")):
            name = bookmark.get(qn("w:name"))
            places.setdefault(name, Place(" › ".join(h for h in headings if h) or TITLE_PAGE, line))
    return places


def _heading_levels(document) -> dict[str, int]:
    """Style id -> heading level, for the styles named "Heading 1", "Heading 2", ..."""
    levels = {}
    for style in document.styles:
        name = getattr(style, "name", "") or ""
        if name.startswith("Heading ") and name.removeprefix("Heading ").isdigit():
            levels[style.style_id] = int(name.removeprefix("Heading "))
    return levels


PAGE_QUERY = """
#context [#metadata((
{entries}
))<checklist-anchor-pages>]
"""


def pdf_pages(
    typst_source: Path, anchors: Iterable[str], root: Path | None = None
) -> dict[str, int]:
    """The PDF page of each anchor (a Typst label), by laying the source out once more.

    The query is appended to a copy of the source beside it (its relative paths, to the
    figures, stay right); the copy is removed afterwards. An anchor Typst did not find
    is left out (the caller names it).
    """
    import typst

    from manuscript_engine.core.native_calls import NATIVE_LOCK

    anchors = sorted(set(anchors))
    entries = "\n".join(
        f'  "{a}": query(label("{a}")).map(e => e.location().page()),' for a in anchors
    )
    source = Path(typst_source)
    text = source.read_text(encoding="utf-8") + PAGE_QUERY.format(entries=entries or "  :")
    root = Path(root) if root else source.resolve().parent.parent
    query_file = source.with_name(f".{source.stem}.checklist-query.typ")
    try:
        query_file.write_text(text, encoding="utf-8")
        with NATIVE_LOCK:
            answer = typst.query(
                str(query_file),
                "<checklist-anchor-pages>",
                field="value",
                one=True,
                root=str(root.resolve()),
                ignore_system_fonts=True,
            )
    finally:
        query_file.unlink(missing_ok=True)
    pages = json.loads(answer) if isinstance(answer, str) else answer
    return {anchor: found[0] for anchor, found in pages.items() if found}


def locate(
    markers: list[Marker], places: Mapping[str, Place], pages: Mapping[str, int]
) -> dict[tuple[str, str], list[Location]]:
    """Every marker's location, by (checklist, item); a marker whose anchor did not reach
    both documents stops the build with its template and line."""
    located: dict[tuple[str, str], list[Location]] = {}
    lost = []
    for marker in markers:
        place, page = places.get(marker.anchor), pages.get(marker.anchor)
        if place is None or page is None:
            missing = " and ".join(
                what for what, found in (("DOCX", place), ("PDF", page)) if found is None
            )
            lost.append(
                f"  - {marker.template} line {marker.line}: the marker of item {marker.item} "
                f"did not reach the {missing}. Put it at the end of a sentence, or on a line "
                "of its own after a figure or table, not inside a heading, caption or table."
            )
            continue
        located.setdefault((marker.checklist, marker.item), []).append(
            Location(place.section, page, place.line, marker.template, marker.line, marker.anchor)
        )
    if lost:
        raise ManuscriptError("Checklist markers that could not be located:\n" + "\n".join(lost))
    return located


def filled_rows(
    checklist: Checklist, located: Mapping[tuple[str, str], list[Location]]
) -> list[dict]:
    """One row per item: its labels, and where it is addressed or why it need not be."""
    rows = []
    for item in checklist.items:
        places = located.get((checklist.key, item.id), [])
        if not places and item.id not in checklist.not_applicable:
            raise ManuscriptError(
                f"{checklist.name} item {item.id} ({item.section}) has no location: add "
                f"{{{{ {checklist.key}('{item.id}') }}}} where it is addressed."
            )
        rows.append(
            {
                "item": item.id,
                "section": item.section,
                "description": item.description,
                "not_applicable": checklist.not_applicable.get(item.id),
                "locations": [asdict(place) for place in places],
            }
        )
    return rows


# --------------------------------------------------------------------------- writing
def _inlines(text: str) -> list[dict]:
    """Plain text as pandoc inlines (words and spaces only: nothing is read as markup)."""
    out: list[dict] = []
    for word in str(text).split():
        if out:
            out.append({"t": "Space"})
        out.append({"t": "Str", "c": word})
    return out


def _cell(text: str) -> list:
    blocks = [{"t": "Plain", "c": _inlines(line)} for line in str(text).split("\n") if line]
    return [["", [], []], {"t": "AlignDefault"}, 1, 1, blocks]


COLUMNS = (
    "Item",
    "Topic",
    "What the item asks (paraphrased)",
    "Where addressed",
    "PDF page",
    "DOCX line",
)


def _where(row: dict) -> tuple[str, str, str]:
    if row["not_applicable"]:
        return f"Not applicable: {row['not_applicable']}", "n/a", "n/a"
    places = row["locations"]
    return (
        "\n".join(p["section"] for p in places),
        "\n".join(str(p["page"]) for p in places),
        "\n".join(str(p["line"]) for p in places),
    )


def checklist_document(checklist: Checklist, rows: list[dict], api_version: list[int]) -> dict:
    """The filled checklist as a pandoc document tree (built from text only)."""
    body_rows = [
        [
            ["", [], []],
            [
                _cell(r["item"]),
                _cell(r["section"]),
                _cell(r["description"]),
                *map(_cell, _where(r)),
            ],
        ]
        for r in rows
    ]
    widths = (0.06, 0.16, 0.38, 0.24, 0.08, 0.08)
    table = {
        "t": "Table",
        "c": [
            ["", [], []],
            [None, []],
            [[{"t": "AlignDefault"}, {"t": "ColWidth", "c": w}] for w in widths],
            [["", [], []], [[["", [], []], [_cell(c) for c in COLUMNS]]]],
            [[["", [], []], 0, [], body_rows]],
            [["", [], []], []],
        ],
    }
    note = (
        f"Items and topics follow the official checklist ({checklist.source}); the "
        "descriptions are short paraphrases, so read the official checklist for each "
        "item's full wording. Where addressed: the manuscript section holding the text "
        "that addresses the item. PDF page: the page of manuscript.pdf. DOCX line: the "
        "line of manuscript.docx, counting one line per paragraph outside tables as "
        "Word's continuous line numbering does (a paragraph that wraps above it adds "
        "lines in Word, so Word's number can be higher)."
    )
    return {
        "pandoc-api-version": api_version,
        "meta": {"title": {"t": "MetaInlines", "c": _inlines(checklist.title)}},
        "blocks": [table, {"t": "Para", "c": _inlines(note)}],
    }


def pandoc_api_version() -> list[int]:
    import pypandoc

    return json.loads(pypandoc.convert_text("", "json", format="markdown"))["pandoc-api-version"]


def write_checklist(
    checklist: Checklist,
    rows: list[dict],
    *,
    docx: Path,
    html: Path,
    table: Path,
    epoch: int,
) -> None:
    """The checklist as DOCX and standalone HTML (pandoc) and as JSON (for other documents,
    such as a response to reviewers, that quote the locations)."""
    import tempfile

    from manuscript_engine.output.conversion import run_pandoc

    tree = checklist_document(checklist, rows, pandoc_api_version())
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "checklist.json"
        source.write_text(json.dumps(tree), encoding="utf-8")
        run_pandoc(source, "html5", html, "json", ["--standalone"])
        # pandoc's sandbox would hide SOURCE_DATE_EPOCH (see conversion.UNSANDBOXED).
        run_pandoc(source, "docx", docx, "json", sandbox=False)
    write_text_atomically(
        table, json.dumps({"checklist": checklist.name, "items": rows}, indent=1) + "\n"
    )


def fill_checklist(
    checklist: Checklist,
    markers: list[Marker],
    *,
    manuscript_docx: Path,
    manuscript_typst: Path,
    docx: Path,
    html: Path,
    table: Path,
    epoch: int,
) -> list[dict]:
    """Locate this checklist's markers in the manuscript's DOCX and PDF and write it."""
    markers = [m for m in markers if m.checklist == checklist.key]
    located = locate(
        markers,
        docx_places(manuscript_docx),
        pdf_pages(manuscript_typst, [m.anchor for m in markers]),
    )
    rows = filled_rows(checklist, located)
    write_checklist(checklist, rows, docx=docx, html=html, table=table, epoch=epoch)
    return rows
