"""End to end: the pipeline builds the manuscript, and the number reaches every format."""

from __future__ import annotations

import csv
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pypandoc
import pytest
from conftest import REPO, copy_repository, run_snakemake
from pypdf import PdfReader

OUTPUTS = ("manuscript.md", "manuscript.html", "manuscript.docx", "manuscript.pdf")


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
def test_a_second_run_has_nothing_to_do(built_repo):
    result = run_snakemake(built_repo, "--dry-run")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr


@pytest.mark.e2e
def test_a_build_with_nothing_to_do_does_not_import_pandas(built_repo):
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
def test_a_changed_count_in_the_data_changes_every_format(tmp_path):
    workdir = copy_repository(tmp_path / "repo")
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
    for name in OUTPUTS:
        first = built_repo / "results/manuscript" / name
        second = other / "results/manuscript" / name
        assert digest(first) == digest(second), f"{name} differs between two builds"


@pytest.mark.e2e
def test_pdf_is_a_real_pdf_with_pages(built_repo):
    reader = PdfReader(built_repo / "results/manuscript/manuscript.pdf")
    assert len(reader.pages) >= 1


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "workflow", "tests"],
        ["snakefmt", "--check", "Snakefile", "workflow/rules"],
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
