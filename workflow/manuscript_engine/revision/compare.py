"""`make diff`: the current manuscript against an earlier revision's, in results/revision/.

The folder is written whole or not at all: its files are made in a hidden folder beside
it, which replaces the old one only when every file is complete.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from manuscript_engine.core.yaml_files import load_yaml
from manuscript_engine.revision.changes import (
    Changes,
    changes_csv,
    changes_markdown,
    compare_builds,
)
from manuscript_engine.revision.documents import write_html_diff, write_tracked_docx
from manuscript_engine.revision.old_build import (
    RevisionProblem,
    build_revision,
    python_for,
    resolve,
    temporary_worktree,
)
from manuscript_engine.revision.response import RESPONSE_DIR, write_response
from manuscript_engine.revision.tree_diff import diff_documents

OUTPUT = Path("results/revision")
KEPT = ("numbers.json", "pandoc/manuscript.json", "tables", "figures")
"""What is kept of the earlier build before its worktree goes."""


@dataclass
class Summary:
    revision: str
    commit: str
    environment: str
    insertions: int
    deletions: int
    changes: Changes
    seconds_old_build: float
    seconds_total: float


def make_revision(repo: Path, revision: str, cores: int = 4) -> Summary:
    """Build ``revision`` aside, compare it with the current build, write results/revision/."""
    started = time.monotonic()
    repo = Path(repo).resolve()
    commit = resolve(repo, revision)
    if not (repo / "results" / "pandoc" / "manuscript.json").exists():
        raise RevisionProblem("the current manuscript is not built: run `make paper` first.")
    with tempfile.TemporaryDirectory(prefix="manuscript-revision-old-") as kept:
        old = Path(kept)
        with temporary_worktree(repo, commit) as tree:
            python, environment = python_for(repo, tree)
            build_revision(tree, python, cores)
            for name in KEPT:
                source, target = tree / "results" / name, old / name
                target.parent.mkdir(parents=True, exist_ok=True)
                (shutil.copytree if source.is_dir() else shutil.copyfile)(source, target)
        old_build = time.monotonic() - started
        insertions, deletions, changes = _write_outputs(repo, old, revision, commit)
    return Summary(
        revision,
        commit,
        environment,
        insertions,
        deletions,
        changes,
        old_build,
        time.monotonic() - started,
    )


def _write_outputs(repo: Path, old: Path, revision: str, commit: str) -> tuple[int, int, Changes]:
    """Compare the kept earlier build with the current one; write results/revision/."""
    results = repo / "results"
    date = load_yaml(repo / "config" / "config.yaml")["manuscript"]["date"]
    changes = compare_builds(old, results, repo / "templates")
    tree, marks = diff_documents(
        json.loads((old / "pandoc" / "manuscript.json").read_text(encoding="utf-8")),
        json.loads((results / "pandoc" / "manuscript.json").read_text(encoding="utf-8")),
        author=f"Revision since {revision}",
        date=f"{date}T00:00:00Z",
        changed_figures=changes.figures,
    )
    final = repo / OUTPUT
    staging = final.with_name(".revision-partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        write_tracked_docx(tree, staging / "tracked-changes.docx", repo, date)
        write_html_diff(tree, staging / "diff.html", repo, date)
        label = f"{revision} ({commit[:12]})"
        (staging / "changed_numbers.md").write_text(
            changes_markdown(changes, label, "current"), encoding="utf-8"
        )
        (staging / "changed_numbers.csv").write_text(changes_csv(changes), encoding="utf-8")
        (staging / "changes.json").write_text(changes.to_json(), encoding="utf-8")
        if (repo / RESPONSE_DIR).is_dir():
            write_response(repo, staging / "response.docx", staging / "changes.json")
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return marks.count("insertion"), marks.count("deletion"), changes
