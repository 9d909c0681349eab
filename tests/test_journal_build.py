"""End to end: the journal profile's checks, the masked copy and the PDF's line numbers,
read the way an editor's and a reviewer's software reads them."""

from __future__ import annotations

import json
import re
import zipfile

import docx
import pytest
import yaml
from conftest import run_snakemake
from pypdf import PdfReader

from manuscript_engine.output.masking import identifying_strings
from manuscript_engine.output.word_counts import count_manuscript

OTHER = "insights_into_imaging"


def forbidden(repo) -> list[str]:
    """Names (also as reference lists write them), e-mail addresses and affiliations."""
    metadata = yaml.safe_load((repo / "templates/metadata.yaml").read_text(encoding="utf-8"))
    return identifying_strings(metadata) + ["Shanghai Sixth People"]


def found_in(text: str, strings: list[str]) -> list[str]:
    normal = " ".join(text.replace("\u2019", "'").split()).casefold()
    return [s for s in strings if s.casefold() in normal]


def longest_count(pdf) -> int:
    """The longest run of text lines reading n, n + 1, n + 2, ... in the PDF, each a number
    alone: a page's line numbers (Typst writes them after the page's text)."""
    lines = "\n".join(page.extract_text() for page in PdfReader(pdf).pages).splitlines()
    longest = run = 0
    previous = None
    for line in lines:
        number = int(line) if re.fullmatch(r"\d+", line.strip()) else None
        run = (
            run + 1 if number is not None and previous is not None and number == previous + 1 else 1
        )
        longest = max(longest, run if number is not None else 0)
        previous = number
    return longest


@pytest.mark.e2e
def test_the_source_journals_profile_passes_and_reports_its_counts(built_repo):
    tree = json.loads((built_repo / "results/pandoc/manuscript.json").read_text(encoding="utf-8"))
    counts = count_manuscript(tree)
    report = (built_repo / "results/checks/journal.txt").read_text(encoding="utf-8")
    assert report.startswith("Journal: Journal of Pain Research")
    assert f"Abstract: {counts.abstract_words} words (limit 300)" in report
    assert counts.abstract_words <= 300
    assert f"Main text: {counts.main_text_words} words (no limit)" in report


@pytest.mark.e2e
def test_the_masked_docx_names_no_author_anywhere(built_repo):
    path = built_repo / "results/manuscript/masked.docx"
    document = docx.Document(path)
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(cell.text for t in document.tables for r in t.rows for cell in r.cells)
    properties = document.core_properties
    assert properties.author == "" and properties.last_modified_by == ""
    strings = forbidden(built_repo)
    assert found_in(text, strings) == []
    with zipfile.ZipFile(path) as package:  # every part: properties, styles, notes
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                xml = re.sub(r"<[^>]+>", "", package.read(name).decode("utf-8"))
                assert found_in(xml, strings) == [], name
    assert "Anonymous. Details withheld for blind review (2014)." in text
    assert "Ethics Committee of [withheld for blind review]" in text
    assert "Acknowledgement" not in text and "Disclosure" not in text
    # the manuscript itself still names them (the check is not vacuous)
    full = docx.Document(built_repo / "results/manuscript/manuscript.docx")
    assert full.core_properties.author
    assert found_in("\n".join(p.text for p in full.paragraphs), strings)


@pytest.mark.e2e
def test_the_masked_pdf_names_no_author_anywhere(built_repo):
    reader = PdfReader(built_repo / "results/manuscript/masked.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
    assert "/Author" not in (reader.metadata or {})
    assert found_in(text + metadata, forbidden(built_repo)) == []
    assert "Anonymous. Details withheld for blind review (2014)." in " ".join(text.split())


@pytest.mark.e2e
def test_the_pdf_and_docx_number_their_lines_when_the_profile_asks(built_repo):
    manuscript = built_repo / "results/manuscript"
    assert longest_count(manuscript / "manuscript.pdf") >= 30  # a page's lines
    assert longest_count(manuscript / "masked.pdf") >= 30
    with zipfile.ZipFile(manuscript / "manuscript.docx") as package:
        assert "<w:lnNumType" in package.read("word/document.xml").decode("utf-8")


@pytest.mark.e2e
def test_another_journals_limits_stop_the_build_with_the_counts(fresh_copy):
    tree = json.loads((fresh_copy / "results/pandoc/manuscript.json").read_text(encoding="utf-8"))
    counts = count_manuscript(tree)
    profile = f"config/journals/{OTHER}.yaml"
    result = run_snakemake(fresh_copy, "results/checks/journal.txt", "--config", f"journal={OTHER}")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert (
        f"Abstract: {counts.abstract_words} words, the journal allows 250 ({profile}, "
        "limits › abstract_words). Shorten the Abstract in templates/sections/01-abstract.md.j2."
    ) in output
    assert (
        f"Tables: {counts.tables} tables, the journal allows 5 ({profile}, limits › tables). "
        "Move some to the supplement or remove them: they are placed in "
        "templates/sections/04-results.md.j2."
    ) in output
    # the main text is named exactly when it exceeds the limit, with its count
    main_text = f"Main text: {counts.main_text_words} words, the journal allows 3000 ({profile}"
    assert (main_text in output) == (counts.main_text_words > 3000)
    assert ("Main text: " in output) == (counts.main_text_words > 3000)
    assert not (fresh_copy / "results/checks/journal.txt").exists()
    # this journal numbers lines itself: the PDF made for it has none
    built = run_snakemake(
        fresh_copy, "results/manuscript/manuscript.pdf", "--config", f"journal={OTHER}"
    )
    assert built.returncode == 0, built.stderr
    assert longest_count(fresh_copy / "results/manuscript/manuscript.pdf") < 10
