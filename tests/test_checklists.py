"""Reporting checklists: the items as data, markers in the templates, their locations.

The STROBE cohort checklist's items and labels are checked against the official list
(STROBE Statement, checklist for cohort studies, version 4, 2007,
https://www.strobe-statement.org/checklists/; von Elm et al., Lancet 2007;370:1453-7).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import REPO

from manuscript_engine.core.errors import ManuscriptError, TemplateProblem
from manuscript_engine.core.registry import NumbersRegistry
from manuscript_engine.output.checklist import (
    Place,
    docx_places,
    filled_rows,
    locate,
    pdf_pages,
    write_checklist,
)
from manuscript_engine.text.checklists import (
    ChecklistIncomplete,
    ChecklistMarkers,
    Marker,
    load_checklist,
    load_checklists,
    read_markers,
)
from manuscript_engine.text.rendering import render_manuscript
from manuscript_engine.text.template_helpers import Manuscript

STROBE = "config/checklists/strobe_cohort.yaml"
OFFICIAL_ITEMS = {
    "1a": "Title and abstract",
    "1b": "Title and abstract",
    "2": "Background/rationale",
    "3": "Objectives",
    "4": "Study design",
    "5": "Setting",
    "6a": "Participants",
    "6b": "Participants",
    "7": "Variables",
    "8": "Data sources/measurement",
    "9": "Bias",
    "10": "Study size",
    "11": "Quantitative variables",
    "12a": "Statistical methods",
    "12b": "Statistical methods",
    "12c": "Statistical methods",
    "12d": "Statistical methods",
    "12e": "Statistical methods",
    "13a": "Participants",
    "13b": "Participants",
    "13c": "Participants",
    "14a": "Descriptive data",
    "14b": "Descriptive data",
    "14c": "Descriptive data",
    "15": "Outcome data",
    "16a": "Main results",
    "16b": "Main results",
    "16c": "Main results",
    "17": "Other analyses",
    "18": "Key results",
    "19": "Limitations",
    "20": "Interpretation",
    "21": "Generalisability",
    "22": "Funding",
}
"""The official cohort checklist: item -> its section label, in the checklist's order."""


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


def strobe(not_applicable=None):
    return load_checklist("strobe", {"items": STROBE, "not_applicable": not_applicable or {}})


# --------------------------------------------------------------------------- loader
def test_the_strobe_file_holds_the_official_items_labels_and_order(in_repo):
    checklist = strobe()
    assert [(i.id, i.section) for i in checklist.items] == list(OFFICIAL_ITEMS.items())
    assert checklist.name == "STROBE"
    assert "strobe-statement.org" in checklist.source
    assert all(len(i.description.split()) >= 4 for i in checklist.items)


def test_the_config_names_the_strobe_checklist_and_only_real_items(in_repo):
    config = yaml.safe_load(Path("config/config.yaml").read_text(encoding="utf-8"))
    (checklist,) = load_checklists(config["checklists"]).values()
    assert set(checklist.not_applicable) <= set(OFFICIAL_ITEMS)
    assert all(len(reason.split()) >= 5 for reason in checklist.not_applicable.values())


def test_a_reason_for_an_item_the_checklist_lacks_is_refused(in_repo):
    with pytest.raises(ManuscriptError, match=r"not_applicable: 12f is not an item of"):
        strobe({"12f": "a typing slip for 12e"})


def test_an_item_listed_twice_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = yaml.safe_load((REPO / STROBE).read_text(encoding="utf-8"))
    data["items"].append(dict(data["items"][0]))
    Path("twice.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ManuscriptError, match=r"item\(s\) 1a are listed more than once"):
        load_checklist("strobe", {"items": "twice.yaml"})


# --------------------------------------------------------------------------- markers
def render_with(tmp_path, sections: dict[str, str], not_applicable=None):
    """Render a template folder with the STROBE checklist; the text and the markers."""
    from test_rendering import BOOK, META, STATISTICS, templates

    markers = ChecklistMarkers({"strobe": strobe(not_applicable)})
    manuscript = Manuscript(
        NumbersRegistry([]), {}, {}, "../figures", STATISTICS, BOOK, checklists=markers
    )
    text = render_manuscript(
        templates(tmp_path, **sections),
        manuscript,
        metadata=META,
        settings={"date": "2020-01-02", "synthetic_cohort": False},
    )
    return text, markers


def test_a_marker_prints_an_invisible_anchor_and_is_recorded_with_template_and_line(
    tmp_path, in_repo
):
    text, markers = render_with(
        tmp_path,
        {
            "01-methods": "# Methods\n\nEligible patients were listed.{{ strobe('6a') }}\n"
            "Missing visits were left out.{{ checklist('strobe', '12c') }}\n",
            "02-results": "# Results\n\nAgain.{{ strobe('12c') }}\n",
        },
    )
    assert "Eligible patients were listed.[]{#strobe-6a}" in text
    assert "[]{#strobe-12c}" in text and "[]{#strobe-12c-2}" in text
    assert [(m.item, m.anchor, Path(m.template).name, m.line) for m in markers.markers] == [
        ("6a", "strobe-6a", "01-methods.md.j2", 3),
        ("12c", "strobe-12c", "01-methods.md.j2", 4),
        ("12c", "strobe-12c-2", "02-results.md.j2", 3),
    ]
    written = tmp_path / "markers.json"
    markers.write(written)
    assert read_markers(written) == markers.markers


def test_a_marker_hides_no_sentence_that_opens_with_a_numeral(tmp_path, in_repo):
    from test_rendering import BOOK, META, STATISTICS, templates

    from manuscript_engine.core.registry import Number

    registry = NumbersRegistry([Number("flow.no_mri.n", 13, "13", "patients", None, "t")])
    manuscript = Manuscript(
        registry, {}, {}, "f", STATISTICS, BOOK, checklists=ChecklistMarkers({"strobe": strobe()})
    )
    root = templates(
        tmp_path,
        **{
            "01-r": "# R\n\nPatients came.{{ strobe('13a') }}\n"
            "{{ num('flow.no_mri.n') }} patients had no MRI.\n"
        },
    )
    with pytest.raises(TemplateProblem, match=r"(?s)line 4: .*opens with the number 13"):
        render_manuscript(
            root,
            manuscript,
            metadata=META,
            settings={"date": "2020-01-02", "synthetic_cohort": False},
        )


def test_a_marker_for_an_unknown_item_names_template_and_line(tmp_path, in_repo):
    with pytest.raises(TemplateProblem) as refused:
        render_with(tmp_path, {"01-methods": "# Methods\n\nText.\nMore.{{ strobe('12f') }}\n"})
    message = str(refused.value)
    assert "templates/sections/01-methods.md.j2 line 4" in message
    assert "STROBE has no item '12f'" in message


def test_a_marker_for_an_item_marked_not_applicable_names_template_line_and_reason(
    tmp_path, in_repo
):
    with pytest.raises(TemplateProblem) as refused:
        render_with(
            tmp_path,
            {"01-methods": "# Methods\n\nMatched.{{ strobe('6b') }}\n"},
            not_applicable={"6b": "the cohort is not matched at all"},
        )
    message = str(refused.value)
    assert "templates/sections/01-methods.md.j2 line 3" in message
    assert "not applicable (the cohort is not matched at all)" in message
    assert "Remove the marker or the item's not_applicable entry" in message


def test_a_marker_of_an_unconfigured_checklist_is_refused(tmp_path, in_repo):
    with pytest.raises(TemplateProblem, match=r"there is no checklist 'consort'"):
        render_with(tmp_path, {"01-methods": "# M\n\nX.{{ checklist('consort', '1a') }}\n"})


def test_an_item_addressed_nowhere_fails_naming_item_description_and_the_fix(in_repo):
    checklist = strobe({"6b": "the cohort is not matched at all"})
    markers = ChecklistMarkers({"strobe": checklist})
    markers.markers = [
        Marker("strobe", item.id, f"strobe-{item.id}", "t", 1)
        for item in checklist.items
        if item.id not in {"6b", "12c", "22"}
    ]
    with pytest.raises(ChecklistIncomplete) as refused:
        markers.check_complete()
    message = str(refused.value)
    assert message.startswith("2 checklist item(s) are addressed nowhere")
    assert "STROBE item 12c (Statistical methods): Explain how missing data were handled." in (
        message
    )
    assert "Add {{ strobe('22') }} to the template line" in message
    assert "not_applicable › '12c' in config/config.yaml" in message
    assert "item 6b" not in message


def test_a_checklist_may_not_take_the_name_of_a_helper(in_repo):
    from test_rendering import BOOK, STATISTICS

    manuscript = Manuscript(NumbersRegistry([]), {}, {}, "f", STATISTICS, BOOK)
    manuscript.checklists = ChecklistMarkers({"num": strobe()})
    with pytest.raises(TemplateProblem, match=r"may not be called 'num'"):
        manuscript.globals()


# --------------------------------------------------------------------------- locations
MARKDOWN = """\
---
title: A title
---

Title page text.[]{#strobe-1a}

# Methods

## Statistics

One paragraph.

Missing data were left out.[]{#strobe-12c}

# Results

Text on the first page.

```{=typst}
#pagebreak()
```

After the break.[]{#strobe-16a}[]{#strobe-16a-2}
"""


@pytest.fixture(scope="module")
def small_manuscript(tmp_path_factory) -> dict[str, Path]:
    """A small manuscript as DOCX and Typst/PDF, converted as the build converts it."""
    import typst

    from manuscript_engine.output.conversion import ENGINE_FILTERS, run_pandoc

    folder = tmp_path_factory.mktemp("manuscript")
    source = folder / "manuscript.md"
    source.write_text(MARKDOWN, encoding="utf-8")
    docx, typ, pdf = (folder / f"manuscript.{ext}" for ext in ("docx", "typ", "pdf"))
    run_pandoc(source, "docx", docx, "markdown", ["--standalone"], sandbox=False)
    run_pandoc(
        source,
        "typst",
        typ,
        "markdown",
        ["--standalone", *(f"--lua-filter={lua}" for lua in ENGINE_FILTERS["typst"])],
    )
    typst.compile(str(typ), output=str(pdf), ignore_system_fonts=True)
    return {"docx": docx, "typst": typ, "pdf": pdf}


def test_each_anchor_gets_its_section_and_its_paragraph_line_in_the_docx(small_manuscript):
    places = docx_places(small_manuscript["docx"])
    # Lines: title 1, "Title page text." 2, Methods 3, Statistics 4, "One paragraph." 5,
    # "Missing data ..." 6, Results 7, "Text on ..." 8, "After the break." 9.
    assert places["strobe-1a"] == Place("Title page", 2)
    assert places["strobe-12c"] == Place("Methods › Statistics", 6)
    assert places["strobe-16a"] == Place("Results", 9)
    assert places["strobe-16a-2"] == Place("Results", 9)


def test_each_anchor_gets_the_pdf_page_that_holds_it(small_manuscript):
    import pypdf

    pages = pdf_pages(
        small_manuscript["typst"],
        ["strobe-1a", "strobe-12c", "strobe-16a", "strobe-16a-2", "strobe-9"],
        root=small_manuscript["typst"].parent,
    )
    assert pages == {"strobe-1a": 1, "strobe-12c": 1, "strobe-16a": 2, "strobe-16a-2": 2}
    reader = pypdf.PdfReader(small_manuscript["pdf"])
    assert "After the break" in reader.pages[1].extract_text()
    assert "After the break" not in reader.pages[0].extract_text()
    # The query's copy of the source is gone; only the build's files remain.
    assert sorted(p.name for p in small_manuscript["typst"].parent.iterdir()) == [
        "manuscript.docx",
        "manuscript.md",
        "manuscript.pdf",
        "manuscript.typ",
    ]


def test_a_marker_that_reached_neither_document_names_its_template_line(in_repo):
    markers = [Marker("strobe", "9", "strobe-9", "templates/sections/03-methods.md.j2", 12)]
    with pytest.raises(ManuscriptError) as refused:
        locate(markers, {}, {"strobe-9": 3})
    message = str(refused.value)
    assert "templates/sections/03-methods.md.j2 line 12" in message
    assert "did not reach the DOCX" in message


def test_the_filled_checklist_lists_every_location_and_each_reason(tmp_path, in_repo):
    import docx

    checklist = strobe({"6b": "the cohort is not matched at all"})
    markers = [
        Marker("strobe", item.id, f"strobe-{item.id}", "templates/x.md.j2", n)
        for n, item in enumerate(checklist.items, 1)
        if item.id != "6b"
    ]
    places = {m.anchor: Place("Methods", 10 + m.line) for m in markers}
    pages = {m.anchor: 2 for m in markers}
    rows = filled_rows(checklist, locate(markers, places, pages))
    out = {ext: tmp_path / f"strobe.{ext}" for ext in ("docx", "html", "json")}
    write_checklist(checklist, rows, docx=out["docx"], html=out["html"], table=out["json"], epoch=0)
    table = docx.Document(str(out["docx"])).tables[0]
    cells = {row.cells[0].text: [c.text for c in row.cells] for row in table.rows[1:]}
    assert len(cells) == len(OFFICIAL_ITEMS)
    assert cells["12c"][3:] == ["Methods", "2", str(10 + 16)]
    assert cells["6b"][3].startswith("Not applicable: the cohort is not matched")
    html = out["html"].read_text(encoding="utf-8")
    assert "<script" not in html and "Generalisability" in html
    stored = json.loads(out["json"].read_text(encoding="utf-8"))
    assert [r["item"] for r in stored["items"]] == list(OFFICIAL_ITEMS)


def test_descriptions_are_printed_as_text_never_as_markup(tmp_path, in_repo):
    checklist = strobe()
    first = checklist.items[0]
    hostile = type(first)(first.id, first.section, "<script>x()</script> *bold* [a](javascript:y)")
    checklist = type(checklist)(**{**checklist.__dict__, "items": (hostile,)})
    marker = Marker("strobe", first.id, "a", "t", 1)
    rows = filled_rows(checklist, locate([marker], {"a": Place("S", 1)}, {"a": 1}))
    out = {ext: tmp_path / f"c.{ext}" for ext in ("docx", "html", "json")}
    write_checklist(checklist, rows, docx=out["docx"], html=out["html"], table=out["json"], epoch=0)
    html = out["html"].read_text(encoding="utf-8")
    assert "&lt;script&gt;x()&lt;/script&gt; *bold* [a](javascript:y)" in html
    assert "<script>x()" not in html and "<strong>" not in html and "<a " not in html
