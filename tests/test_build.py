"""End to end: the pipeline builds the manuscript, and the number reaches every format."""

from __future__ import annotations

import csv
import hashlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pypandoc
import pytest
import yaml
from conftest import REPO, copy_repository, run_snakemake
from pypdf import PdfReader

from manuscript_engine.text.rendering import SYNTHETIC_SUBTITLE
from vertebroplasty.layout import FIGURES, TABLES

OUTPUTS = (
    "manuscript.md",
    "manuscript.html",
    "manuscript.docx",
    "manuscript.pdf",
    "manuscript.xml",
)
SUPPLEMENT = ("supplement.md", "supplement.html", "supplement.docx", "supplement.pdf")
MOVED_TABLES = ["attrition", "effects", "longitudinal", "change", "fracture_incidence"]
"""The secondary tables, placed in the supplement in the order the article first cites
them, then the audit's findings (templates/supplement/)."""


def included_per_arm(enrollment_csv) -> dict[str, int]:
    """Count included patients per arm straight from the CSV (independent of the package)."""
    counts: dict[str, int] = {}
    with open(enrollment_csv, newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["included"] == "yes":
                counts[row["arm"]] = counts.get(row["arm"], 0) + 1
    return counts


def text_of(path) -> str:
    if path.suffix == ".pdf":
        return " ".join(page.extract_text() for page in PdfReader(path).pages)
    if path.suffix == ".docx":
        return pypandoc.convert_file(str(path), "plain", format="docx")
    if path.suffix == ".xml":  # JATS, as a journal's ingest reads it
        return " ".join(ElementTree.parse(path).getroot().itertext())
    if path.suffix == ".html":  # as a reader sees it: a quoted number is a <span>
        return re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8"))
    return path.read_text(encoding="utf-8")


def sentence_with_counts(counts) -> str:
    return f"{counts['PVP+ITR']} treated with vertebroplasty and interventional tumour removal"


@pytest.mark.e2e
@pytest.mark.parametrize("name", OUTPUTS)
def test_included_patients_per_arm_reach_every_format(built_repo, name):
    counts = included_per_arm(built_repo / "data/raw/enrollment.csv")
    text = " ".join(text_of(built_repo / "results/manuscript" / name).split())
    assert sentence_with_counts(counts) in text
    assert f"{counts['PVP']} with vertebroplasty alone" in text


@pytest.mark.e2e
def test_a_second_run_has_nothing_to_do_and_does_not_import_pandas(built_repo):
    """Snakemake imports pandas (0.3 s) only to compare params; settings come as files."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "snakemake", "--cores", "1"],
        cwd=built_repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Nothing to be done" in result.stdout + result.stderr
    imported = re.findall(r"^import time:.*\|\s*(\S+)$", result.stderr, flags=re.MULTILINE)
    assert "snakemake.workflow" in imported  # the import log was read
    assert "pandas" not in imported


@pytest.mark.e2e
def test_a_changed_count_in_the_data_changes_every_format(fresh_copy):
    workdir = fresh_copy
    enrollment = workdir / "data/raw/enrollment.csv"
    lines = enrollment.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    # Move one included PVP+ITR patient to the PVP arm.
    index = next(i for i, row in enumerate(rows) if ",PVP+ITR,yes," in row)
    rows[index] = rows[index].replace(",PVP+ITR,", ",PVP,")
    enrollment.write_text("\n".join([header, *rows]) + "\n")
    # The audit reports the changed counts against the paper; it must not stop this build.
    result = run_snakemake(workdir, "--config", "audit_strict=false")
    assert result.returncode == 0, result.stderr
    counts = included_per_arm(enrollment)
    for name in OUTPUTS:
        text = " ".join(text_of(workdir / "results/manuscript" / name).split())
        assert sentence_with_counts(counts) in text, name


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.e2e
def test_two_builds_in_different_folders_are_byte_identical(built_repo, tmp_path):
    other = copy_repository(tmp_path / "elsewhere")
    result = run_snakemake(other)
    assert result.returncode == 0, result.stderr
    checklists = [f"../checklist/strobe.{ext}" for ext in ("docx", "html", "json")]
    checklists.append("../submission/journal_of_pain_research.zip")
    for name in [*OUTPUTS, *SUPPLEMENT, *checklists]:
        first = built_repo / "results/manuscript" / name
        second = other / "results/manuscript" / name
        assert digest(first) == digest(second), f"{name} differs between two builds"


NUMBER = re.compile(r"\d+(?:\.\d+)?")


def markdown_tables(markdown: str) -> dict[str, list[str]]:
    """The numbers of each table of the Markdown, in reading order, by its caption's label."""
    lines = markdown.splitlines()
    tables = {}
    for index, line in enumerate(lines):
        caption = re.match(r"^Table: (Table \d+)\. ", line)
        if not caption:
            continue
        end = index - 1
        while not lines[end].startswith("|"):
            end -= 1
        start = end
        while lines[start - 1].startswith("|"):
            start -= 1
        rows = " ".join(lines[start : end + 1])
        tables[caption.group(1)] = NUMBER.findall(re.sub(r"\^\w+\^", "", rows))  # no a, b
    return tables


def in_order(found: list[str], wanted: list[str]) -> bool:
    """Whether ``wanted`` appears in ``found`` as one unbroken run."""
    return any(found[i : i + len(wanted)] == wanted for i in range(len(found) - len(wanted) + 1))


@pytest.mark.e2e
def test_the_pdf_shows_the_title_every_table_and_every_figure(built_repo):
    """Read back with pypdf and PDFium (the build's own format check reads it with PDFium)."""
    import pypdfium2
    import pypdfium2.raw as pdfium_raw
    import yaml

    pdf = built_repo / "results/manuscript/manuscript.pdf"
    markdown = (built_repo / "results/manuscript/manuscript.md").read_text(encoding="utf-8")
    metadata = yaml.safe_load((built_repo / "templates/metadata.yaml").read_text())
    reader = PdfReader(pdf)
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) > 10

    # The title and the synthetic-cohort notice open the first page.
    first_page = " ".join(pages[0].replace("\u2019", "'").split())
    assert first_page.startswith(" ".join(metadata["title"].split()) + " " + SYNTHETIC_SUBTITLE)
    assert reader.metadata.title == metadata["title"]

    # Every table of the Markdown is on one page, its numbers in the Markdown's order.
    tables = markdown_tables(markdown)
    assert list(tables) == [f"Table {n}" for n in range(1, len(tables) + 1)] and len(tables) >= 10
    for label, numbers in tables.items():
        (page,) = [text for text in pages if re.search(rf"^{label}\. ", text, re.MULTILINE)]
        assert len(numbers) > 10 and in_order(NUMBER.findall(page), numbers), label

    # Every figure is drawn (as vector paths: a page of text or a table has a few at most)
    # on the page that carries its caption.
    figures = re.findall(r"^!\[(Figure \d+)\. ", markdown, flags=re.MULTILINE)
    assert len(figures) == len(FIGURES) - 1  # one is the supplement's
    document = pypdfium2.PdfDocument(pdf)
    for label in figures:
        (number,) = [i for i, text in enumerate(pages) if f"{label}. " in text]
        drawn = document[number].get_objects(max_depth=5)
        paths = sum(item.type == pdfium_raw.FPDF_PAGEOBJ_PATH for item in drawn)
        assert paths > 50, f"{label} on page {number + 1}: {paths} paths"

    # One page size throughout (US Letter, pandoc's Typst default), every font embedded.
    assert {(page.mediabox.width, page.mediabox.height) for page in reader.pages} == {(612, 792)}
    fonts = {
        font.get_object()["/BaseFont"]: font.get_object()
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    }
    assert fonts
    for name, font in fonts.items():
        descriptor = (font.get("/DescendantFonts") or [font])[0].get_object()["/FontDescriptor"]
        embedded = {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.get_object())
        assert embedded, f"{name} is not embedded"


@pytest.mark.e2e
def test_the_docx_opens_in_python_docx_with_every_table_and_figure(built_repo):
    """The DOCX as Word-compatible software reads it: python-docx, not pandoc."""
    import docx

    markdown = (built_repo / "results/manuscript/manuscript.md").read_text(encoding="utf-8")
    document = docx.Document(built_repo / "results/manuscript/manuscript.docx")
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    metadata = yaml.safe_load((built_repo / "templates/metadata.yaml").read_text("utf-8"))
    assert document.core_properties.title == metadata["title"]
    assert "synthetic" in text.lower()
    captions = re.findall(r"^Table: (Table \d+)\.", markdown, re.M)
    # every study table and the patient-flow table but those of the supplement; every
    # figure of the layout but the supplement's
    assert len(document.tables) == len(captions) == len(TABLES) + 1 - len(MOVED_TABLES)
    assert len(document.inline_shapes) == markdown.count("![Figure ") == len(FIGURES) - 1
    # Table 1's header cells carry the arms' labels and sizes, as the Markdown does.
    header = [cell.text for cell in document.tables[1].rows[0].cells]
    assert any("PVP+ITR (n = 71)" in cell for cell in header), header


@pytest.mark.e2e
def test_the_jats_holds_front_matter_sections_tables_figures_and_references(built_repo):
    """Read back as XML, the way a journal's ingest (or PubMed Central's) reads it."""
    root = ElementTree.parse(built_repo / "results/manuscript/manuscript.xml").getroot()
    metadata = yaml.safe_load((built_repo / "templates/metadata.yaml").read_text("utf-8"))
    meta = root.find("front/article-meta")
    names = [c.findtext("string-name") for c in meta.findall("contrib-group/contrib")]
    assert names == [author["name"] for author in metadata["authors"]]
    assert len(meta.findall("contrib-group/aff")) == len(metadata["affiliations"])
    assert [k.text for k in meta.findall("kwd-group/kwd")] == metadata["keywords"]
    assert "Objective" in "".join(meta.find("abstract").itertext())
    assert "synthetic" in "".join(root.find("front/notes").itertext()).lower()
    titles = [sec.findtext("title") for sec in root.findall("body/sec")]
    assert "Abstract" not in titles and {"Introduction", "Results", "Discussion"} <= set(titles)
    assert len(list(root.iter("table-wrap"))) == len(TABLES) + 1 - len(MOVED_TABLES)
    assert len(list(root.iter("fig"))) == len(FIGURES) - 1
    markdown = (built_repo / "results/manuscript/manuscript.md").read_text("utf-8")
    cited = set(re.findall(r"@([a-z]+\d{4}[a-z]*)\b", markdown))
    assert len(root.findall("back/ref-list/ref")) == len(cited) > 0


@pytest.mark.e2e
def test_every_format_is_compared_with_the_markdown(built_repo):
    """The format check reads every output (that it stops the build on a difference is
    tested on the function, tests/test_format_agreement.py)."""
    report = (built_repo / "results/checks/formats.txt").read_text().splitlines()
    for document, lines in (("manuscript", report[:4]), ("supplement", report[4:])):
        assert lines[0].startswith(f"Markdown ({document}.json): ")
        count = int(lines[0].split(": ")[1].split()[0])
        assert count > 500
        assert lines[1:] == [
            f"{document}.{fmt}: {count} numbers, same sequence" for fmt in ("html", "docx", "pdf")
        ]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "workflow", "tests", "examples"],
        ["snakefmt", "--check", "Snakefile", "workflow/engine.smk", "workflow/rules"],
        ["snakemake", "--lint"],
        ["actionlint", ".github/workflows/build.yml"],
    ],
    ids=["ruff", "snakefmt", "snakemake-lint", "actionlint"],
)
def test_linters_pass(command):
    # Tools without a `python -m` entry point live beside the test's Python.
    tool = Path(sys.executable).parent / command[0]
    executable = [str(tool)] if tool.exists() else [sys.executable, "-m", command[0]]
    result = subprocess.run([*executable, *command[1:]], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
