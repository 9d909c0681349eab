"""JATS XML: front matter from the metadata, and a structure check that names what is missing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pypandoc
import pytest

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.output.jats import (
    check_jats,
    expected_structure,
    front_matter,
    move_front_matter,
    write_jats,
)

REPO = Path(__file__).resolve().parents[1]
METADATA = {
    "title": "A trial of two treatments",
    "authors": [
        {"name": "Ada Lovelace", "affiliations": ["maths"]},
        {
            "name": "Alan Turing",
            "affiliations": ["maths", "lab"],
            "corresponding": True,
            "email": "alan@example.org",
        },
    ],
    "affiliations": {"maths": "Department of Mathematics, Example University", "lab": "A Lab"},
    "keywords": ["trial", "treatment"],
}
MARKDOWN = """\
- **Maths:** Department of Mathematics

::: {.synthetic-notice}
**Notice: synthetic data.**
:::

# Abstract {#sec:abstract}

Both arms improved.

# Methods {#sec:methods}

We compared two arms [@gu2014].

| Arm | n |
|:----|--:|
| A   | 3 |

Table: Table 1. Patients. {#tbl:patients}

![Figure 1. Flow.](flow.svg){#fig:flow}

# References {-}
"""


@pytest.fixture
def tree(tmp_path) -> Path:
    path = tmp_path / "tree.json"
    path.write_text(
        pypandoc.convert_text(
            MARKDOWN,
            "json",
            format="markdown",
            extra_args=["--citeproc", f"--bibliography={REPO / 'templates/references.bib'}"],
        ),
        encoding="utf-8",
    )
    return path


def test_front_matter_links_each_author_to_numbered_affiliations_and_a_correspondence_note():
    front = front_matter(METADATA)
    assert front["author"] == [
        {"name": "Ada Lovelace", "affiliation": ["1"]},
        {"name": "Alan Turing", "affiliation": ["1", "2"], "cor-id": "1"},
    ]
    assert front["affiliation"][1] == {"id": "2", "organization": "A Lab"}
    assert front["article"]["author-notes"] == {
        "corresp": [{"id": "1", "email": "alan@example.org"}]
    }
    assert front["tags"] == ["trial", "treatment"]


def test_the_title_page_and_the_abstract_leave_the_body(tree):
    moved = move_front_matter(json.loads(tree.read_text()))
    first = moved["blocks"][0]
    assert first["t"] == "Header" and first["c"][1][0] == "sec:methods"
    abstract = json.dumps(moved["meta"]["abstract"])
    assert "improved" in abstract and "Methods" not in abstract
    assert "synthetic-notice" in json.dumps(moved["meta"]["notes"])
    assert "author" not in moved["meta"]


def test_a_complete_article_passes_and_reads_back_as_jats(tree, tmp_path):
    out = tmp_path / "article.xml"
    write_jats(tree, out, METADATA)
    root = ElementTree.parse(out).getroot()
    contributors = root.findall("front/article-meta/contrib-group/contrib")
    assert [c.findtext("string-name") for c in contributors] == ["Ada Lovelace", "Alan Turing"]
    assert contributors[1].get("corresp") == "yes"
    assert root.find("front/article-meta/author-notes/corresp/email").text == "alan@example.org"
    assert "improved" in "".join(root.find("front/article-meta/abstract").itertext())
    assert [s.findtext("title") for s in root.findall("body/sec")] == ["Methods"]
    assert len(list(root.iter("table-wrap"))) == 1 and len(list(root.iter("fig"))) == 1
    assert len(root.findall("back/ref-list/ref")) == 1


def break_and_check(path: Path, expected: dict, edit) -> str:
    text = edit(path.read_text(encoding="utf-8"))
    broken = path.with_name("broken.xml")
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ManuscriptError) as refusal:
        check_jats(broken, expected)
    return str(refusal.value)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (
            lambda t: t.replace("<table-wrap", "<div-wrap").replace("</table-wrap>", "</div-wrap>"),
            "0 tables in the JATS, 1 in the manuscript",
        ),
        (
            lambda t: t.replace(
                '<xref ref-type="aff" rid="aff-2"/>', '<xref ref-type="aff" rid="aff-9"/>'
            ),
            "Alan Turing links to a missing affiliation aff-9",
        ),
        (
            lambda t: t.replace("<abstract>", "<notabstract>").replace(
                "</abstract>", "</notabstract>"
            ),
            "no <abstract>",
        ),
        (
            lambda t: t.replace('<corresp id="cor-1"', '<corresp id="cor-x"'),
            "a link to 'cor-1', which",
        ),
    ],
)
def test_a_broken_article_is_refused_naming_the_problem(tree, tmp_path, edit, named):
    out = tmp_path / "article.xml"
    write_jats(tree, out, METADATA)
    expected = expected_structure(json.loads(tree.read_text()), METADATA)
    assert named in break_and_check(out, expected, edit)


def test_an_author_without_an_affiliation_is_refused_and_nothing_is_written(tree, tmp_path):
    metadata = {**METADATA, "authors": [*METADATA["authors"], {"name": "Grace Hopper"}]}
    out = tmp_path / "article.xml"
    with pytest.raises(ManuscriptError, match="the author Grace Hopper has no affiliation"):
        write_jats(tree, out, metadata)
    assert not out.exists()
