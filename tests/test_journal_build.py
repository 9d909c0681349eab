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


def line_numbers(pdf) -> list[int]:
    """The lines of the PDF's text that are a number alone, in reading order."""
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    return [int(line) for line in text.splitlines() if re.fullmatch(r"\d+", line.strip())]


def numbered_from_one(numbers: list[int], at_least: int) -> bool:
    """Whether 1, 2, 3, ... up to ``at_least`` appear in order (the line numbers)."""
    expected = 1
    for number in numbers:
        if number == expected:
            expected += 1
    return expected > at_least


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
    assert numbered_from_one(line_numbers(manuscript / "manuscript.pdf"), at_least=200)
    assert numbered_from_one(line_numbers(manuscript / "masked.pdf"), at_least=200)
    with zipfile.ZipFile(manuscript / "manuscript.docx") as package:
        assert "<w:lnNumType" in package.read("word/document.xml").decode("utf-8")


@pytest.mark.e2e
def test_another_journals_limits_stop_the_build_with_the_counts(fresh_copy):
    tree = json.loads((fresh_copy / "results/pandoc/manuscript.json").read_text(encoding="utf-8"))
    counts = count_manuscript(tree)
    profile = f"config/journals/{OTHER}.yaml"
    result = run_snakemake(fresh_copy, "--config", f"journal={OTHER}", "results/checks/journal.txt")
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
    assert "Main text" not in output  # within 3,000 words
    assert not (fresh_copy / "results/checks/journal.txt").exists()
    # this journal numbers lines itself: the PDF made for it has none
    built = run_snakemake(
        fresh_copy, "--config", f"journal={OTHER}", "results/manuscript/manuscript.pdf"
    )
    assert built.returncode == 0, built.stderr
    assert not numbered_from_one(
        line_numbers(fresh_copy / "results/manuscript/manuscript.pdf"), at_least=20
    )
