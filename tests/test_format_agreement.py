"""The format check: a number a converter changed stops the build, with where it is.

The PDF here is a real one (Typst), read back as the build reads the manuscript's; the
end-to-end test checks that the build compares all three formats.
"""

from __future__ import annotations

import pytest
import typst
from conftest import REPO

from manuscript_engine.output.conversion import build_document_tree
from manuscript_engine.output.format_agreement import FormatsDisagree, check_formats

MARKDOWN = "# Abstract\n\nOf 124 patients, relief was reached in 88.6% of 71 treated.\n"


@pytest.fixture
def tree(tmp_path):
    markdown = tmp_path / "manuscript.md"
    markdown.write_text(MARKDOWN)
    sections = tmp_path / "sections.json"
    sections.write_text("[]")
    path = tmp_path / "manuscript.json"
    build_document_tree(
        markdown,
        path,
        defaults=REPO / "workflow/manuscript_engine/output/pandoc/defaults/tree.yaml",
        bibliography=REPO / "templates/references.bib",
        sections=sections,
        figures=[],
    )
    return path


def pdf(tmp_path, text: str):
    source = tmp_path / "manuscript.typ"
    source.write_text(text)
    path = tmp_path / "manuscript.pdf"
    typst.compile(str(source), output=str(path))
    return path


def test_a_pdf_with_the_same_numbers_passes_and_is_reported(tree, tmp_path):
    same = pdf(
        tmp_path, "= Abstract\n\nOf 124 patients, relief was reached in 88.6% of 71 treated.\n"
    )
    report = tmp_path / "formats.txt"
    check_formats({tree: [same]}, report)
    assert report.read_text().splitlines() == [
        "Markdown (manuscript.json): 3 numbers from 'Abstract' onwards",
        "manuscript.pdf: 3 numbers, same sequence",
    ]


def test_a_number_changed_in_the_pdf_stops_the_build_with_its_place(tree, tmp_path):
    changed = pdf(
        tmp_path, "= Abstract\n\nOf 124 patients, relief was reached in 88.7% of 71 treated.\n"
    )
    report = tmp_path / "formats.txt"
    with pytest.raises(FormatsDisagree) as excinfo:
        check_formats({tree: [changed]}, report)
    assert str(excinfo.value).splitlines() == [
        "The output formats do not show the same numbers as the Markdown:",
        "  - manuscript.pdf: after '124': Markdown has [88.6], this format has [88.7]",
        f"A converter lost or changed a number; see the report {report}",
    ]
    assert "manuscript.pdf: 3 numbers, 1 difference(s)" in report.read_text()


def test_the_html_is_read_without_its_contents_list_and_pictures_as_their_captions(tmp_path):
    from manuscript_engine.output.format_agreement import numbers_of, text_of

    page = tmp_path / "manuscript.html"
    page.write_text(
        '<html><body><nav id="TOC"><h2>Contents</h2><ul><li><a href="#a">Abstract</a></li>'
        "<li>Part 2</li></ul></nav><main><h1 id='a'>Abstract</h1><p>Of 124 patients.</p>"
        '<figure><img src="data:image/svg+xml;base64,AA" alt="Bars of 71 and 53 patients" />'
        "<figcaption>Figure 1. Pain.</figcaption></figure></main></body></html>"
    )
    assert numbers_of(text_of(page), "Abstract") == ["124", "1"]
