"""Building an earlier revision of the repository, as it was, beside the current one.

The revision is checked out in a temporary git worktree outside the repository and
built by its own Snakefile, from its own data, config and templates; the worktree is
removed afterwards, also when the build fails. Its code is found first on the Python
path (``PYTHONPATH=<worktree>/workflow``), so the current editable install does not
stand in for it. When its ``requirements.txt`` equals the current one the current
environment runs it; otherwise an environment for its pins is made once, in a cache
folder named by the pins' hash, and reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from manuscript_engine.core.errors import ManuscriptError

VENV_CACHE = Path(".cache/revision-venvs")
"""Environments for revisions with other pins, one folder per hash of requirements.txt."""


class RevisionProblem(ManuscriptError):
    """The earlier revision could not be found or built."""


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if result.returncode != 0:
        raise RevisionProblem(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def default_revision(repo: Path) -> str:
    """The latest tag reachable from HEAD (the submitted version, by convention)."""
    result = subprocess.run(
        ["git", "describe", "--tags", "--abbrev=0", "HEAD"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RevisionProblem(
            "The repository has no tag to compare with. Give the submitted version: "
            "make diff FROM=<commit>, or tag it once and for all: git tag submitted-v1 "
            "<commit> (then make diff compares with it by default)."
        )
    return result.stdout.strip()


def resolve(repo: Path, revision: str) -> str:
    """The commit a revision names, or a clear error."""
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or not result.stdout.strip():
        raise RevisionProblem(
            f"'{revision}' names no commit of this repository. Give a tag, a branch or a "
            "commit (git log --oneline lists them)."
        )
    return result.stdout.strip()


@contextlib.contextmanager
def temporary_worktree(repo: Path, commit: str) -> Iterator[Path]:
    """The repository at ``commit``, in a temporary folder removed on leaving."""
    scratch = Path(tempfile.mkdtemp(prefix="manuscript-revision-"))
    tree = scratch / "tree"
    try:
        git(repo, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        yield tree
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(tree)], cwd=repo, capture_output=True
        )
        shutil.rmtree(scratch, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=repo, capture_output=True)


def pins_hash(requirements: Path) -> str:
    return hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]


def python_for(repo: Path, tree: Path) -> tuple[str, str]:
    """The Python that builds ``tree``, and a sentence saying which environment it is."""
    current, theirs = repo / "requirements.txt", tree / "requirements.txt"
    if theirs.read_bytes() == current.read_bytes():
        return sys.executable, "its requirements.txt is the current one: built with .venv"
    venv = (repo / VENV_CACHE / pins_hash(theirs)).resolve()
    python = venv / "bin" / "python"
    if not (venv / ".pins-installed").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        installed = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(theirs),
            ],
            capture_output=True,
            text=True,
        )
        if installed.returncode != 0:
            raise RevisionProblem(
                f"The pins of the earlier revision could not be installed into {venv}:\n"
                + installed.stderr[-2000:]
            )
        (venv / ".pins-installed").touch()
    return str(python), f"its requirements.txt differs: built with {venv}"


def build_revision(tree: Path, python: str, cores: int) -> None:
    """Run the revision's own build; a failure names the revision's last output lines."""
    result = subprocess.run(
        [python, "-m", "snakemake", "--cores", str(cores)],
        cwd=tree,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tree / "workflow")},
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise RevisionProblem(
            "The earlier revision does not build (with its own data, config and templates); "
            f"its build ended with:\n{tail}"
        )
