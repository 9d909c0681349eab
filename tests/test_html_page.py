"""The HTML page and the figures' alt text, written by the engine (no browser here).

A small manuscript goes through the real steps (templates, document tree, pandoc): the
figure's written description must be the picture's alt text in the HTML, the DOCX and
the Typst source, with the caption kept as the caption; the HTML must carry the title
block from the metadata (authors once, inline, with their affiliation marks), the
contents, scrolling tables and the engine's own stylesheet and script, and nothing that
loads from elsewhere. The browser checks of the built manuscript are in test_browser.py.
"""

from __future__ import annotations

import html as html_text
import json
import re
import zipfile
from pathlib import Path

import pytest
from conftest import REPO
from test_rendering import BOOK, STATISTICS

from manuscript_engine.core.registry import Number, NumbersRegistry
from manuscript_engine.output.conversion import build_document_tree, convert_document
from manuscript_engine.output.html_page import (
    affiliation_marks,
    checked_stylesheet,
    title_block,
)
from manuscript_engine.text.rendering import render_manuscript
from manuscript_engine.text.template_helpers import Manuscript

DEFAULTS = REPO / "workflow/manuscript_engine/output/pandoc/defaults"
CAPTION = "Pain at one year, by arm."
DESCRIPTION = 'Two lines of 13 "visits", one per arm; the back\\slash stays readable.'
META = {
    "title": "A title",
    "authors": [
        {"name": "Ann Lee", "affiliations": ["lab", "ward"]},
        {
            "name": "Bo Chen",
            "affiliations": ["ward"],
            "corresponding": True,
            "email": "bo@example.org",
        },
        {"name": "Cy Dee", "affiliations": ["lab"]},
    ],
    "affiliations": {"ward": "Ward Two, City Hospital", "lab": "The Lab, University"},
    "keywords": ["pain", "spine"],
}
TITLE_PAGE = """{% for key, place in meta.affiliations.items() %}
- **{{ key }}:** {{ place }}
{% endfor %}

Corresponding author: {{ meta.authors[1].name }}.

Keywords: {{ meta.keywords | join(", ") }}.[]{#marker-1a}

::: {.synthetic-notice}
**Notice.**
:::

# Results {#sec:results}

See {{ figure_ref("f") }} and [@gu2014].

{{ figure("f") }}

{{ table("scores") }}
"""
TABLES = {"scores": "| Arm | Mean |\n|---|--:|\n| A | x |\n\nTable: Scores. {#tbl:scores}\n"}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """The small manuscript as HTML, DOCX and Typst."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    root = tmp_path_factory.mktemp("page")
    figures = root / "results/figures"
    figures.mkdir(parents=True)
    (root / "results/manuscript").mkdir()
    figure, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    figure.savefig(figures / "f.svg")
    figure.savefig(figures / "f.png", dpi=50)
    plt.close(figure)
    sections = root / "templates/sections"
    sections.mkdir(parents=True)
    (sections / "00-title.md.j2").write_text(TITLE_PAGE, encoding="utf-8")
    registry = NumbersRegistry(
        [
            Number("figures.f.caption", None, CAPTION, "", None, "t"),
            Number("figures.f.alt", None, DESCRIPTION, "", None, "t"),
        ]
    )
    manuscript = Manuscript(registry, {}, TABLES, "../figures", STATISTICS, BOOK)
    sources: list[dict] = []
    text = render_manuscript(
        root / "templates",
        manuscript,
        metadata=META,
        settings={"date": "2020-01-02", "synthetic_cohort": False},
        sources=sources,
    )
    markdown = root / "results/manuscript/manuscript.md"
    markdown.write_text(text, encoding="utf-8")
    (root / "results/sections.json").write_text(json.dumps(sources))
    tree = root / "results/manuscript.json"
    drawn = [figures / "f.svg", figures / "f.png"]
    build_document_tree(
        markdown,
        tree,
        defaults=DEFAULTS / "tree.yaml",
        bibliography=REPO / "templates/references.bib",
        sections=root / "results/sections.json",
        figures=drawn,
    )
    outputs = {}
    for fmt, suffix in (("html", "html"), ("docx", "docx"), ("typst", "typ")):
        outputs[fmt] = root / f"results/manuscript/manuscript.{suffix}"
        convert_document(
            tree,
            outputs[fmt],
            fmt,
            defaults=DEFAULTS / f"{fmt}.yaml",
            date="2020-01-02",
            figures=drawn,
            stylesheet=DEFAULTS / "manuscript.css" if fmt == "html" else None,
            metadata=META if fmt == "html" else None,
        )
    outputs["tree"] = tree
    outputs["figures"] = drawn
    return outputs


def another_page(written, name: str, **options) -> Path:
    """The written manuscript's tree converted again to HTML, beside it, as ``name``."""
    page = written["html"].with_name(name)
    convert_document(
        written["tree"],
        page,
        "html",
        defaults=DEFAULTS / "html.yaml",
        date="2020-01-02",
        figures=written["figures"],
        **options,
    )
    return page


def html_of(written) -> str:
    return written["html"].read_text(encoding="utf-8")


def body_of(written) -> str:
    return html_of(written).split("<body>", 1)[1]


EXPECTED_ALT = DESCRIPTION.replace('"', "'").replace("\\", "/")


# --------------------------------------------------------------------------- alt text
def test_the_html_picture_has_the_description_as_alt_and_the_caption_as_caption(written):
    figure = re.search(r"<figure.*?</figure>", html_of(written), re.DOTALL).group(0)
    alt = re.search(r'<img [^>]*\balt="([^"]*)"', figure).group(1)
    assert html_text.unescape(alt) == EXPECTED_ALT
    assert "data-fig-alt" not in figure
    caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", figure, re.DOTALL).group(1)
    assert " ".join(caption.split()) == f"Figure 1. {CAPTION}"
    assert 'aria-hidden="true"' not in figure  # the caption is read, not hidden


def test_the_docx_picture_has_the_description_as_its_descr(written):
    import docx

    (shape,) = docx.Document(str(written["docx"])).inline_shapes
    assert shape._inline.docPr.get("descr") == EXPECTED_ALT
    with zipfile.ZipFile(written["docx"]) as package:
        document = package.read("word/document.xml").decode()
    assert f"Figure 1. {CAPTION}" in document


def test_the_typst_picture_has_the_description_as_alt_escaped_for_typst(written):
    source = written["typst"].read_text(encoding="utf-8")
    escaped = EXPECTED_ALT.replace("\\", "\\\\").replace('"', '\\"')
    assert f'image("../figures/f.svg", alt: "{escaped}")' in source
    assert f"Figure 1. {CAPTION}" in source


def test_the_pdf_carries_the_description_in_its_structure(written, tmp_path):
    import pypdf

    from manuscript_engine.output.conversion import compile_pdf

    pdf = written["typst"].with_suffix(".pdf")
    compile_pdf(written["typst"], pdf, "2020-01-02")
    reader = pypdf.PdfReader(pdf)
    found = []
    stack = [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if "/Alt" in node:
                found.append((str(node.get("/S")), str(node["/Alt"])))
            stack.append(node.get("/K"))
        elif isinstance(node, list):
            stack.extend(node)
    assert ("/Figure", EXPECTED_ALT) in found
    assert str(reader.trailer["/Root"]["/Lang"]) == "en-GB"


# --------------------------------------------------------------------------- the page
def test_the_page_is_in_the_metadata_language(written):
    assert re.search(r'<html [^>]*\blang="en-GB"', html_of(written))


def test_affiliations_are_marked_in_the_order_the_authors_name_them():
    assert affiliation_marks(META) == {"lab": "1", "ward": "2"}


def test_the_title_block_lists_authors_once_inline_with_their_marks(written):
    body = " ".join(body_of(written).split())
    authors = re.search(r'<div class="authors">(.*?)</div>', body, re.DOTALL).group(1)
    text = re.sub(r"<sup>(.*?)</sup>", r"^\1", authors)
    text = re.sub(r"</?span[^>]*>", "", text)
    assert "Ann Lee^1,2, Bo Chen^2*, Cy Dee^1" in text
    assert body.count("Ann Lee") == 1 and body.count("Cy Dee") == 1


def test_metadata_text_in_the_title_block_is_escaped(written):
    hostile = {
        **META,
        "authors": [{"name": "Eve <script>alert(1)</script>", "affiliations": ["lab"]}],
        "affiliations": {"lab": "<img src=x onerror=alert(1)>"},
        "keywords": ["<b>bold</b>"],
    }
    page = another_page(written, "hostile.html", metadata=hostile)
    body = " ".join(page.read_text(encoding="utf-8").split("<body>", 1)[1].split())
    assert "Eve &lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body and "<img src=x" not in body
    assert "&lt;b&gt;bold&lt;/b&gt;" in body


def test_the_title_block_lists_affiliations_correspondence_and_keywords(written):
    body = " ".join(body_of(written).split())
    assert "<p><sup>1</sup> The Lab, University</p>" in body
    assert "<p><sup>2</sup> Ward Two, City Hospital</p>" in body
    assert '<a href="mailto:bo@example.org">bo@example.org</a>' in body
    assert "<strong>Keywords:</strong> pain, spine" in body
    assert '<meta name="keywords" content="pain, spine" />' in html_of(written)


def test_the_templates_title_page_gives_way_but_its_notice_and_anchors_stay(written):
    body = body_of(written)
    assert "<p>Corresponding author: Bo" not in body and "<strong>lab:</strong>" not in body
    assert 'class="synthetic-notice"' in body
    assert 'id="marker-1a"' in body


def test_the_page_has_contents_a_main_region_and_a_skip_link(written):
    body = body_of(written)
    nav = re.search(r'<nav id="TOC".*?</nav>', body, re.DOTALL).group(0)
    assert 'href="#sec:results"' in nav
    assert '<a class="skip-link" href="#main">' in body and '<main id="main">' in body


def test_each_table_scrolls_in_a_focusable_region_named_by_its_caption(written):
    box = re.search(r'<div class="table-scroll"[^>]*>\s*<table', body_of(written)).group(0)
    assert 'tabindex="0"' in box and 'role="region"' in box
    assert 'aria-label="Table 1. Scores."' in box


def test_the_page_loads_nothing_from_elsewhere(written):
    page = html_of(written)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert re.findall(r'\bsrc="(?!data:)', page) == []
    assert page.count("<script>") == 1  # the engine's citation previews
    assert "doc-biblioref" in page


def test_the_page_stylesheet_may_not_load_anything(tmp_path):
    css = tmp_path / "page.css"
    css.write_text("body { color: black; }\nnav { background: url(x.png); }\n")
    with pytest.raises(ValueError, match="page.css line 2"):
        checked_stylesheet(css)
    checked_stylesheet(REPO / "workflow/manuscript_engine/output/html/page.css")


def test_the_title_block_from_metadata_without_affiliations_or_keywords():
    blocks = title_block({"title": "T", "authors": [{"name": "Solo Author"}]})
    assert [block["c"][0][1] for block in blocks] == [["authors"]]


def test_table_headers_carry_their_scope(written):
    table = " ".join(re.search(r"<table.*?</table>", body_of(written), re.DOTALL).group(0).split())
    assert '<th scope="col">Arm</th>' in table
    assert '<th style="text-align: right;" scope="col">Mean</th>' in table
    assert '<th scope="row">A</th>' in table


def test_a_page_without_title_metadata_gets_the_layout_but_no_script(written):
    page = another_page(written, "plain.html")
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and '<nav id="TOC"' in text
    assert '<p class="author">Ann Lee</p>' in text  # pandoc's own author lines
