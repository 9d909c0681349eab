"""Shared fixtures: the repository root and end-to-end builds in temporary copies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CODEBOOK = REPO / "data" / "codebook.yaml"
PUBLISHED = REPO / "data" / "published.yaml"
NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "results",
    ".snakemake",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".cache",
    "*.egg-info",
)


def copy_repository(destination: Path) -> Path:
    """A working copy of the repository without environment, results or caches."""
    shutil.copytree(REPO, destination, ignore=NOT_COPIED)
    return destination


def run_snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the pipeline in ``workdir`` with the test's own Python environment."""
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "4", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
    )


def run_engine(workdir: Path, module: str, *args: str) -> subprocess.CompletedProcess:
    """``python -m <module>`` in ``workdir``, with the engine of that copy."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(workdir / "workflow")},
    )


def run_make_paper(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """``make paper`` in ``workdir``: the wrapper and the engine of that copy."""
    return run_engine(workdir, "manuscript_engine.cli.build", "--cores", "4", *args)


@pytest.fixture(scope="session")
def built_repo(tmp_path_factory) -> Path:
    """A fresh copy of the repository with the manuscript built once for the session.

    Tests that change it work on a copy (:func:`copy_built`, ``fresh_copy``).
    """
    workdir = copy_repository(tmp_path_factory.mktemp("build") / "repo")
    result = run_snakemake(workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    return workdir


def copy_built(built: Path, destination: Path) -> Path:
    """A copy of a built repository, its results and Snakemake's state included."""
    shutil.copytree(built, destination, symlinks=True)
    return destination


@pytest.fixture
def fresh_copy(built_repo, tmp_path) -> Path:
    """A built repository of the test's own, to change and rebuild."""
    return copy_built(built_repo, tmp_path / "repo")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session's browser tests (see browser_harness)."""
    from browser_harness import chromium

    with chromium() as launched:
        yield launched
