"""The STROBE checklist of a full build, read the way its readers read it: the DOCX with
python-docx, the HTML as text, and the page it names in the PDF with pypdf."""

from __future__ import annotations

import html as html_text
import re

import pytest
from test_checklists import OFFICIAL_ITEMS

CHECKLIST = "results/checklist/strobe"


def checklist_rows(built) -> dict[str, list[str]]:
    import docx

    table = docx.Document(str(built / f"{CHECKLIST}.docx")).tables[0]
    header = [cell.text for cell in table.rows[0].cells]
    assert header[0] == "Item" and header[-2:] == ["PDF page", "DOCX line"]
    return {row.cells[0].text: [cell.text for cell in row.cells] for row in table.rows[1:]}


def flow_caption(built) -> str:
    """The flow figure's caption as the Markdown prints it ("Figure 1. Flow of ...")."""
    markdown = (built / "results/manuscript/manuscript.md").read_text(encoding="utf-8")
    return re.search(r"!\[(Figure \d+\. [^\]]+)\]\([^)]*patient_flow\.svg\)", markdown).group(1)


@pytest.mark.e2e
def test_every_strobe_item_is_located_or_explained(built_repo):
    rows = checklist_rows(built_repo)
    assert list(rows) == list(OFFICIAL_ITEMS)
    for item, (_, topic, _, where, page, line) in rows.items():
        assert topic == OFFICIAL_ITEMS[item]
        if where.startswith("Not applicable: "):
            assert (page, line) == ("n/a", "n/a")
        else:
            assert page.split("\n")[0].isdigit() and line.split("\n")[0].isdigit(), item


@pytest.mark.e2e
def test_item_13c_points_at_the_page_and_line_of_the_flow_figure(built_repo):
    import docx
    import pypdf
    from docx.oxml.ns import qn

    _, _, _, where, page, line = checklist_rows(built_repo)["13c"]
    assert where == "Results › Patients"
    caption = flow_caption(built_repo)
    pdf = pypdf.PdfReader(str(built_repo / "results/manuscript/manuscript.pdf"))
    holding = [
        number
        for number, sheet in enumerate(pdf.pages, 1)
        if caption[:40] in " ".join(sheet.extract_text().split())
    ]
    assert holding == [int(page)], (caption, holding, page)
    # The DOCX line is the flow figure's caption, counted one line per paragraph
    # outside tables (the checklist's definition).
    body = docx.Document(str(built_repo / "results/manuscript/manuscript.docx")).element.body
    outside_tables = [
        p for p in body.iter(qn("w:p")) if not any(a.tag == qn("w:tbl") for a in p.iterancestors())
    ]
    text = " ".join(outside_tables[int(line) - 1].xpath("string(.)").split())
    assert text == " ".join(caption.split())


@pytest.mark.e2e
def test_the_html_checklist_matches_the_docx(built_repo):
    html = (built_repo / f"{CHECKLIST}.html").read_text(encoding="utf-8")
    cells = [
        " ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)
    ]
    rows = [cells[i : i + 6] for i in range(0, len(cells), 6)]
    docx_rows = checklist_rows(built_repo)
    assert len(rows) == len(docx_rows)
    for row in rows:
        assert row == [" ".join(cell.split()) for cell in docx_rows[row[0]]]
    assert "<script" not in html


@pytest.mark.e2e
def test_an_item_addressed_nowhere_stops_make_paper_naming_item_and_fix(fresh_copy):
    from conftest import run_make_paper

    template = fresh_copy / "templates/sections/06-conclusion.md.j2"
    text = template.read_text(encoding="utf-8")
    assert text.count("{{ strobe('22') }}") == 1
    template.write_text(text.replace("{{ strobe('22') }}", ""), encoding="utf-8")
    result = run_make_paper(fresh_copy)
    assert result.returncode == 1
    assert "1 checklist item(s) are addressed nowhere in the templates" in result.stderr
    assert "STROBE item 22 (Funding): Name who funded the study" in result.stderr
    assert "Add {{ strobe('22') }} to the template line" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (fresh_copy / "results/manuscript/manuscript.md").exists()
