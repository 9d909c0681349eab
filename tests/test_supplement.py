"""The supplement: a document of its own (templates/supplement/), with S-numbered tables
and figures that the manuscript cites as "Table S1", and its own reference list.

The end-to-end checks of the built supplement are in test_build.py (they reuse the
session's build).
"""

from __future__ import annotations

import json
import re

import pypandoc
import pytest
from test_rendering import BOOK, META, STATISTICS

from manuscript_engine.audit.findings import Finding
from manuscript_engine.audit.model import Check
from manuscript_engine.audit.report import findings_table
from manuscript_engine.core.errors import TemplateProblem
from manuscript_engine.core.registry import Number, NumbersRegistry
from manuscript_engine.output.conversion import unlink_other_documents
from manuscript_engine.output.format_agreement import check_formats
from manuscript_engine.text.rendering import render_manuscript
from manuscript_engine.text.template_helpers import Manuscript

REGISTRY = NumbersRegistry(
    [
        Number("figures.f.caption", None, "Differences at one year.", "", None, "t"),
        Number("figures.f.alt", None, "Dots with bars.", "", None, "t"),
    ]
)


def table(name: str) -> str:
    return f"| a |\n|---|\n| x |\n\nTable: The {name} table. {{#tbl:{name}}}\n"


TABLES = {name: table(name) for name in ("main", "moved", "other")}


def templates(tmp_path, sections: dict[str, str], supplement: dict[str, str]):
    root = tmp_path / "templates"
    for folder, files in (("sections", sections), ("supplement", supplement)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (root / folder / f"{name}.md.j2").write_text(text)
    return root


def render(root, document: str) -> str:
    manuscript = Manuscript(REGISTRY, {}, TABLES, "../figures", STATISTICS, BOOK)
    settings = {"date": "2020-01-02", "synthetic_cohort": False}
    return render_manuscript(root, manuscript, metadata=META, settings=settings, document=document)


MAIN = {
    "01-results": "Results are in {{ table_ref('main') }}, sizes in {{ table_ref('moved') }} "
    "and {{ table_ref('other') }}, plotted in {{ figure_ref('f') }}.\n\n"
    "{{ table('main') }}\n"
}
SUPPLEMENT = {
    "01-more": "As in {{ table_ref('main') }} of the article.\n\n{{ table('moved') }}\n\n"
    "{{ figure('f') }}\n",
    "02-last": "{{ table('other') }}\n",
}


def test_the_supplement_numbers_its_tables_and_figures_S1_S2_in_order_of_placement(tmp_path):
    text = render(templates(tmp_path, MAIN, SUPPLEMENT), "supplement")
    assert "Table: Table S1. The moved table. {#tbl:moved}" in text
    assert "Table: Table S2. The other table. {#tbl:other}" in text
    assert "![Figure S1. Differences at one year.](../figures/f.svg)" in text
    assert "title: 'Supplementary material: A title'" in text


def test_the_manuscript_cites_a_supplement_table_as_table_S1_linked_in_html_only(tmp_path):
    text = render(templates(tmp_path, MAIN, SUPPLEMENT), "manuscript")
    assert "Table: Table 1. The main table." in text  # the moved tables leave no gap
    assert "Results are in [Table 1](#tbl:main)" in text
    assert "[Table S1](supplement.html#tbl:moved){.other-document}" in text
    assert "[Table S2](supplement.html#tbl:other){.other-document}" in text
    assert "[Figure S1](supplement.html#fig:f){.other-document}" in text
    assert "The moved table" not in text


def test_the_supplement_cites_the_manuscript_by_its_numbers(tmp_path):
    text = render(templates(tmp_path, MAIN, SUPPLEMENT), "supplement")
    assert "As in [Table 1](manuscript.html#tbl:main){.other-document} of the article." in text


def test_a_table_placed_in_both_documents_is_refused_naming_both_templates(tmp_path):
    twice = {**SUPPLEMENT, "03-again": "{{ table('main') }}\n"}
    root = templates(tmp_path, MAIN, twice)
    for document in ("manuscript", "supplement"):
        with pytest.raises(TemplateProblem) as raised:
            render(root, document)
        assert str(raised.value) == (
            "table 'main' is placed in the manuscript (templates/sections/01-results.md.j2) "
            "and in the supplement (templates/supplement/03-again.md.j2). Place it in one "
            "of them, and refer to it from the other with table_ref('main')."
        )


def test_a_study_without_a_supplement_numbers_as_before(tmp_path):
    root = templates(tmp_path, {"01-a": "{{ table('main') }} {{ table_ref('main') }}\n"}, {})
    assert "Table: Table 1. The main table." in render(root, "manuscript")


def tree_of(markdown: str) -> dict:
    return json.loads(pypandoc.convert_text(markdown, "json", format="markdown"))


def test_links_into_the_other_document_become_text_and_other_links_stay():
    tree = tree_of(
        "See [Table S1](supplement.html#tbl:moved){.other-document}, "
        "[Table 2](#tbl:main) and [the report](../audit/audit.html).\n"
    )
    unlinked = unlink_other_documents(tree)
    text = pypandoc.convert_text(json.dumps(unlinked), "markdown", format="json")
    assert " ".join(text.split()) == (
        "See Table S1, [Table 2](#tbl:main) and [the report](../audit/audit.html)."
    )


def test_the_format_check_reads_each_document_from_its_first_heading(tmp_path):
    """The supplement has no Abstract; its title block's date is laid out differently
    in each format, so the numbers are compared from its first heading."""
    markdown = "---\ntitle: Supplement\ndate: '2020-01-02'\n---\n\n# Follow-up\n\nOf 71, 54.\n"
    tree = tmp_path / "supplement.json"
    tree.write_text(pypandoc.convert_text(markdown, "json", format="markdown"))
    html = tmp_path / "supplement.html"
    html.write_text("<p>2 January 2020</p><h1>Follow-up</h1><p>Of 71, 54.</p>")
    report = tmp_path / "formats.txt"
    check_formats({tree: [html]}, report)
    assert report.read_text().splitlines() == [
        "Markdown (supplement.json): 2 numbers from 'Follow-up' onwards",
        "supplement.html: 2 numbers, same sequence",
    ]


def finding(number: int, explanation: str, reading: str = "") -> Finding:
    check = Check(
        f"sum:{number}", "Results, Pain relief", "", "", "sum", "inconsistent", explanation
    )
    return Finding(f"finding:{number}", "contradiction", reading, (check,))


def test_the_audit_findings_table_shows_published_text_as_typed():
    """A published value's markup (a tag, emphasis, a citation) is shown, never obeyed."""
    table = findings_table(
        [
            finding(1, "36 + 13 = 49, but the paper prints 62"),
            finding(2, "<b>*62*</b> @gu2014 [x](y)", reading="the total counts PVP alone"),
        ]
    )
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[2:] == [
        "| 1 | contradiction | Results, Pain relief: 36 + 13 = 49, but the paper prints 62. |",
        "| 2 | contradiction | Results, Pain relief: \\<b\\>\\*62\\*\\</b\\> \\@gu2014 "
        "\\[x\\](y). Reading: the total counts PVP alone. |",
    ]
    text = pypandoc.convert_text(table, "plain", format="markdown", extra_args=["--wrap=none"])
    assert "<b>*62*</b> @gu2014 [x](y). Reading: the total counts PVP alone." in text
    assert "{#tbl:audit_findings}" in table


# --------------------------------------------------------------------------- the built supplement
MOVED = ["attrition", "effects", "longitudinal", "change", "fracture_incidence"]
"""The secondary tables in the supplement, in the order the article first cites them
(so Table S1, S2, ...), then the audit's findings (Table S6)."""
PLACED = MOVED + ["audit_findings"]


def placed_in(repo, folder: str) -> list[str]:
    """The tables the templates of ``folder`` place, read from the templates themselves."""
    sources = sorted((repo / "templates" / folder).glob("*.md.j2"))
    return [name for path in sources for name in re.findall(r'table\("(\w+)"\)', path.read_text())]


@pytest.mark.e2e
def test_the_supplement_docx_opens_with_its_tables_captioned_table_S1_onwards(built_repo):
    import docx

    assert placed_in(built_repo, "supplement") == PLACED
    document = docx.Document(built_repo / "results/manuscript/supplement.docx")
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    captions = [re.match(r"(Table S\d+)\. ", text) for text in paragraphs]
    assert [c.group(1) for c in captions if c] == [f"Table S{n}" for n in range(1, 7)]
    assert len(document.tables) == len(PLACED)
    assert any(text.startswith("Figure S1. ") for text in paragraphs)
    assert len(document.inline_shapes) == 1
    assert "Table S6. Findings of the audit of the published paper" in "\n".join(paragraphs)
    # Its own reference list: the two works it cites, not the article's two dozen.
    references = paragraphs[paragraphs.index("References") + 1 :]
    listed = [" ".join(text.split()).split(",")[0] for text in references if text.strip()]
    assert listed == ["1. Gu YF", "2. Song HM"]


@pytest.mark.e2e
def test_the_supplement_pdf_reads_back_with_every_s_numbered_caption(built_repo):
    from pypdf import PdfReader

    reader = PdfReader(built_repo / "results/manuscript/supplement.pdf")
    pages = [page.extract_text() for page in reader.pages]
    assert "Supplementary material:" in pages[0] and "SYNTHETIC cohort" in pages[0]
    text = "\n".join(pages)
    for label in [f"Table S{n}" for n in range(1, 7)] + ["Figure S1"]:
        assert re.search(rf"^{label}\. ", text, re.MULTILINE), label
    assert 3 <= len(pages) <= 12


@pytest.mark.e2e
def test_the_article_cites_the_moved_tables_by_their_s_numbers_and_no_longer_holds_them(
    built_repo,
):
    import docx

    folder = built_repo / "results/manuscript"
    assert not set(placed_in(built_repo, "sections")) & set(PLACED)
    document = docx.Document(folder / "manuscript.docx")
    text = " ".join(" ".join(p.text for p in document.paragraphs).split())
    effects = f"Table S{PLACED.index('effects') + 1}"
    assert f"given as a difference with its confidence interval ({effects})" in text
    assert f"so the later means describe survivors (Table S{PLACED.index('attrition') + 1})" in (
        text
    )
    # plain text in the DOCX: a link to the supplement's HTML would lead nowhere
    targets = [rel.target_ref for rel in document.part.rels.values()]
    assert not [target for target in targets if "supplement" in target]
    markdown = (folder / "manuscript.md").read_text(encoding="utf-8")
    supplement = (folder / "supplement.md").read_text(encoding="utf-8")
    html = (folder / "manuscript.html").read_text(encoding="utf-8")
    for name in PLACED:
        # the table's label ({#tbl:effects}; a few spell it with hyphens)
        anchor = re.search(rf"\{{#(tbl:{name.replace('_', '[-_]')})\}}", supplement).group(1)
        assert f"{{#{anchor}}}" not in markdown
        # in the HTML, a link into the supplement's HTML beside it
        assert f'href="supplement.html#{anchor}"' in html
        assert f'id="{anchor}"' in (folder / "supplement.html").read_text()


@pytest.mark.e2e
def test_the_manifest_vouches_for_the_supplement(built_repo):
    manifest = json.loads((built_repo / "results/manuscript/manifest.json").read_text())
    for name in ("md", "html", "docx", "pdf"):
        assert f"results/manuscript/supplement.{name}" in manifest["outputs"]


def test_only_a_table_longer_than_a_page_may_break_across_pdf_pages():
    from manuscript_engine.output.conversion import LONG_TABLE_ROWS, let_long_tables_break

    def table(name, rows):
        body = [[["", [], []], 0, [], [[["", [], []], []]] * rows]]
        return {"t": "Table", "c": [[name, [], []], None, [], None, body, None]}

    document = {"blocks": [table("tbl:short", LONG_TABLE_ROWS), table("tbl:long", 80)]}
    let_long_tables_break(document)
    kinds = [block["t"] for block in document["blocks"]]
    assert kinds == ["Table", "RawBlock", "Table"]
    assert document["blocks"][1]["c"] == ["typst", "#show <tbl:long>: set block(breakable: true)"]
