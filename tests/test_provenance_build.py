"""The provenance of the HTML's numbers in a full build: the spans, the panel in
Chromium, and the DOCX, Typst and JATS left as they were."""

from __future__ import annotations

import json
import re

import pytest
from browser_harness import axe_violations, describe_violations, needs_chromium
from conftest import REPO

KEY = "cement_volume.p"
"""A P value of a Mann–Whitney comparison the Results quote."""
SPAN = re.compile(r'\[([^\]]*)\]\{\.num data-key="([a-z0-9_.]+)"\}')


def page_records(html: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="provenance-data">(.*?)</script>', html, re.DOTALL
    )
    assert found, "the page carries no provenance records"
    return json.loads(found.group(1))


@pytest.mark.e2e
def test_every_quoted_value_is_one_focusable_span_with_a_record(built_repo):
    results = built_repo / "results"
    for document in ("manuscript", "supplement"):
        annotated = (results / f"pandoc/{document}-annotated.md").read_text(encoding="utf-8")
        plain = (results / f"manuscript/{document}.md").read_text(encoding="utf-8")
        html = (results / f"manuscript/{document}.html").read_text(encoding="utf-8")
        quoted = SPAN.findall(annotated)
        spans = re.findall(r'<span class="num" data-key="([a-z0-9_.]+)" tabindex="0">', html)
        assert quoted and [key for _, key in quoted] == spans
        assert SPAN.sub(r"\1", annotated) == plain  # the Markdown itself is unchanged
        records = page_records(html)["keys"]
        assert set(records) == set(spans)
        assert len(html.encode("utf-8")) < 1_000_000
    registry = json.loads((results / "numbers.json").read_text(encoding="utf-8"))
    assert all(key in registry for _, key in SPAN.findall(annotated))


@pytest.mark.e2e
def test_tables_and_figures_link_their_data_and_code_inside_the_built_tree(built_repo):
    page = built_repo / "results/manuscript/manuscript.html"
    html = page.read_text(encoding="utf-8")
    links = re.findall(r'<p class="provenance-links">(.*?)</p>', html)
    tables = len(re.findall(r"<table", html.split("<!--provenance-->\n<section")[0]))
    figures = html.count("<figure")
    assert len(links) == tables + figures
    for target in re.findall(r'href="(\.\./[^"]+)"', " ".join(links)):
        assert (page.parent / target).resolve().is_file(), target


@pytest.mark.e2e
def test_docx_typst_and_jats_show_plain_numbers(built_repo):
    from docx import Document

    manuscript = built_repo / "results/manuscript"
    docx = Document(str(manuscript / "manuscript.docx"))
    text = "\n".join(p.text for p in docx.paragraphs)
    assert "Mann" in text and "data-key" not in text and "{.num" not in text
    for path in ("manuscript.typ", "manuscript.xml", "manuscript.md"):
        content = (manuscript / path).read_text(encoding="utf-8")
        assert "data-key" not in content and "provenance" not in content, path
    assert "same sequence" in (built_repo / "results/checks/formats.txt").read_text()


@pytest.mark.e2e
@needs_chromium
def test_focusing_a_number_opens_its_provenance_panel(built_repo, browser):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto((built_repo / "results/manuscript/manuscript.html").as_uri())
        panel = page.locator("#provenance-panel")
        assert panel.is_hidden()
        number = page.locator(f'span.num[data-key="{KEY}"]').first
        number.focus()
        assert panel.is_visible()
        assert number.get_attribute("aria-describedby") == "provenance-panel"
        assert panel.get_attribute("role") == "tooltip"
        shown = panel.inner_text()
        assert KEY in shown
        assert "Mann–Whitney U test" in shown
        assert re.search(r"U = \d", shown) and "n₁ = " in shown and "asymptotic" in shown
        assert "make_table" in shown and "SHA-256" in shown
        number.scroll_into_view_if_needed()
        shots = REPO / "results/browser"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "provenance.png"))
        violations = axe_violations(page)
        assert not violations, describe_violations(violations)
        page.keyboard.press("Escape")
        assert panel.is_hidden()
        number.hover()
        assert panel.is_visible()
    finally:
        page.close()
