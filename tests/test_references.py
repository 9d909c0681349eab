"""Citations by DOI and PMID: found as pandoc finds them, looked up once, built offline."""

from __future__ import annotations

import json
import urllib.error
from pathlib import Path

import pypandoc
import pytest

from manuscript_engine.output.conversion import build_document_tree
from manuscript_engine.text.document_safety import TemplateProblem, bibliography_keys
from manuscript_engine.text.references import (
    Citation,
    ReferenceLookupFailed,
    citations_in,
    csl_entry,
    look_up_online,
    lookup_url,
    update_references,
)

REPO = Path(__file__).resolve().parents[1]
TREE_DEFAULTS = REPO / "workflow/manuscript_engine/output/pandoc/defaults/tree.yaml"

# Invented identifiers and records, shaped like doi.org's CSL JSON answer (Crossref adds
# its own indexing fields, which must not reach the committed file).
FAKE_CROSSREF = {
    "indexed": {"date-parts": [[2026, 11, 30]], "timestamp": 1796000000000},
    "reference-count": 31,
    "publisher": "Example Society",
    "issue": "3",
    "DOI": "10.5555/example.2014.1",
    "type": "article-journal",
    "page": "W298-W305",
    "title": "An invented article on vertebroplasty",
    "volume": "202",
    "author": [
        {"given": "Ada", "family": "Lovelace", "sequence": "first", "affiliation": []},
        {"given": "Alan", "family": "Turing", "sequence": "additional", "affiliation": []},
    ],
    "container-title": "Journal of Invented Results",
    "deposited": {"date-parts": [[2025, 1, 2]]},
    "score": 1,
    "issued": {"date-parts": [[2014, 3]]},
    "URL": "https://doi.org/10.5555/example.2014.1",
    "link": [{"URL": "https://example.org/pdf"}],
}
FAKE_PUBMED = {
    "id": "pmid:4000001",
    "type": "article-journal",
    "title": "An invented trial",
    "author": [{"family": "Hopper", "given": "Grace"}],
    "container-title": "Invented Med",
    "issued": {"date-parts": [[2009]]},
    "PMID": "4000001",
    "accessed": {"date-parts": [[2026, 12, 4]]},
}


def fake_look_up(citation: Citation) -> dict:
    return {"doi": FAKE_CROSSREF, "pmid": FAKE_PUBMED}[citation.kind]


def pandoc_citation_ids(markdown: str) -> list[str]:
    """The citation keys pandoc itself reads in ``markdown`` (the reference grammar)."""
    tree = json.loads(pypandoc.convert_text(markdown, "json", format="markdown"))
    ids: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("t") == "Cite":
                ids.extend(c["citationId"] for c in node["c"][0])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return ids


@pytest.mark.parametrize(
    "markdown",
    [
        "Shown before [@doi:10.1056/NEJMoa0900429; @pmid:19657121].",
        "As @doi:10.1056/NEJMoa0900429. showed, and as [@pmid:19657121, p. 4] did.",
        "Braced keys hold anything [@{doi:10.1002/(SICI)1097-0142(1999)85:1<1::AID>3.0.CO;2-#}].",
        "A DOI ending a sentence: @doi:10.5555/abc-1. Next: [-@pmid:123].",
        "An address is no citation: mail@doi:10.5555/x.",
    ],
)
def test_keys_are_found_exactly_as_pandoc_reads_them(markdown, tmp_path):
    template = tmp_path / "section.md.j2"
    template.write_text(markdown, encoding="utf-8")
    found = sorted(c.key for c in citations_in([template], tmp_path))
    assert found == sorted(set(pandoc_citation_ids(markdown)))


def test_a_citation_is_placed_at_its_first_template_line(tmp_path):
    (tmp_path / "a.md.j2").write_text("Intro.\n\nSee [@pmid:19657121].\n")
    (tmp_path / "b.md.j2").write_text("Again [@pmid:19657121].\n")
    (citation,) = citations_in(sorted(tmp_path.glob("*.j2")), tmp_path)
    assert (citation.template, citation.line, citation.place) == ("a.md.j2", 3, "a.md.j2 line 3")


def test_doi_lookups_use_content_negotiation_and_ignore_case():
    citation = Citation("doi:10.1056/NEJMoa0900429", "t", 1)
    url, headers = lookup_url(citation)
    assert url == "https://doi.org/10.1056/nejmoa0900429"
    assert headers["Accept"] == "application/vnd.citationstyles.csl+json"
    url, _ = lookup_url(Citation("pmid:19657121", "t", 1))
    assert url.endswith("pubmed/?format=csl&id=19657121")


def test_a_lookup_keeps_the_reference_fields_under_the_templates_key():
    entry = csl_entry(FAKE_CROSSREF, Citation("doi:10.5555/Example.2014.1", "t", 1))
    assert entry["id"] == "doi:10.5555/Example.2014.1"
    assert entry["author"][0] == {"given": "Ada", "family": "Lovelace"}
    for volatile in ("indexed", "deposited", "score", "link", "URL", "reference-count"):
        assert volatile not in entry
    with pytest.raises(ReferenceLookupFailed, match=r"'@pmid:1' \(s.md line 2\).*no title"):
        csl_entry({"type": "article"}, Citation("pmid:1", "s.md", 2))


def test_make_refs_writes_a_sorted_file_and_looks_up_each_key_once(tmp_path):
    template = tmp_path / "intro.md.j2"
    template.write_text("Cited [@pmid:4000001; @doi:10.5555/example.2014.1].\n")
    out = tmp_path / "references.json"
    update = update_references([template], tmp_path, out, fake_look_up)
    assert update.looked_up == ["doi:10.5555/example.2014.1", "pmid:4000001"]
    first = out.read_bytes()
    entries = json.loads(first)
    assert [e["id"] for e in entries] == ["doi:10.5555/example.2014.1", "pmid:4000001"]
    assert "accessed" not in entries[1]

    def no_lookup(citation):
        raise AssertionError(f"{citation.key} was looked up again")

    again = update_references([template], tmp_path, out, no_lookup)
    assert again.kept == update.looked_up and out.read_bytes() == first

    template.write_text("Only one now [@pmid:4000001].\n")
    dropped = update_references([template], tmp_path, out, no_lookup)
    assert dropped.dropped == ["doi:10.5555/example.2014.1"]
    assert [e["id"] for e in json.loads(out.read_text())] == ["pmid:4000001"]


def test_failed_and_malformed_keys_are_named_and_the_rest_is_written(tmp_path):
    template = tmp_path / "intro.md.j2"
    template.write_text(
        "Good [@pmid:4000001].\nBad [@doi:11.2/x] and [@pmid:12a].\nGone [@doi:10.5555/gone].\n"
    )

    def look_up(citation):
        if citation.key == "doi:10.5555/gone":
            raise ReferenceLookupFailed(f"'@{citation.key}' ({citation.place}): no record")
        return FAKE_PUBMED

    out = tmp_path / "references.json"
    with pytest.raises(ReferenceLookupFailed) as failure:
        update_references([template], tmp_path, out, look_up)
    message = str(failure.value)
    assert "3 citation(s)" in message
    assert "'@doi:11.2/x' in intro.md.j2 line 2 is not a DOI" in message
    assert "'@pmid:12a' in intro.md.j2 line 2 is not a PubMed ID" in message
    assert "intro.md.j2 line 3): no record" in message
    assert [e["id"] for e in json.loads(out.read_text())] == ["pmid:4000001"]


def test_offline_lookups_say_to_run_make_refs_again_when_online(monkeypatch):
    def unreachable(request, timeout):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr("urllib.request.urlopen", unreachable)
    with pytest.raises(ReferenceLookupFailed, match=r"could not be reached.*when online"):
        look_up_online(Citation("pmid:19657121", "intro.md.j2", 3))


def test_the_build_cites_looked_up_references_and_refuses_the_others(tmp_path):
    bib = REPO / "templates/references.bib"
    looked_up = tmp_path / "references.json"
    template = tmp_path / "intro.md.j2"
    template.write_text("x [@pmid:4000001]\n")
    update_references([template], tmp_path, looked_up, fake_look_up)
    assert bibliography_keys(looked_up) == {"pmid:4000001"}
    sections = tmp_path / "sections.json"
    sections.write_text("[]")
    markdown = tmp_path / "manuscript.md"
    markdown.write_text("Known [@gu2014; @pmid:4000001].\n\n# References\n")
    tree = tmp_path / "tree.json"
    build_document_tree(
        markdown,
        tree,
        defaults=TREE_DEFAULTS,
        bibliography=[bib, looked_up],
        sections=sections,
        figures=[],
    )
    text = tree.read_text(encoding="utf-8")
    assert '"ref-pmid:4000001"' in text and '"ref-gu2014"' in text
    assert '"Hopper"' in text and '"invented"' in text.lower()

    markdown.write_text("Not looked up [@doi:10.5555/never].\n")
    with pytest.raises(
        TemplateProblem, match=r"'@doi:10.5555/never' has not been looked up.*make refs"
    ):
        build_document_tree(
            markdown,
            tmp_path / "refused.json",
            defaults=TREE_DEFAULTS,
            bibliography=[bib, looked_up],
            sections=sections,
            figures=[],
        )
    assert not (tmp_path / "refused.json").exists()
