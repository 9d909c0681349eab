"""`make diff` between two commits of a throwaway copy of the repository.

The second commit adds a sentence, changes one patient's age and moves a table; the
tracked-changes DOCX, read with python-docx, must hold exactly those changes: the
sentence inserted, the moved table deleted at its old place and inserted at its new
one (caption and note with it), and the words the age changed (numbers in the text
and cells of Table 2), each deletion an old printed value, each insertion a new one.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import time
from pathlib import Path

import docx
import pytest
from conftest import copy_built, run_engine, run_snakemake
from docx.oxml.ns import qn

SENTENCE = "Reviewers asked for this sentence, which the revision adds."
MOVED = '{{ table("asia_transitions") }}\n\n'
PUNCTUATION = "();,:"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def revision_cli(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return run_engine(repo, "manuscript_engine.cli.revision", *args)


def revise(repo: Path) -> None:
    """The second version: one sentence more, one age changed, the last table moved down."""
    intro = repo / "templates/sections/02-introduction.md.j2"
    text = intro.read_text(encoding="utf-8")
    intro.write_text(text.rstrip("\n") + f"\n{SENTENCE}\n", encoding="utf-8")
    results = repo / "templates/sections/04-results.md.j2"
    text = results.read_text(encoding="utf-8")
    assert MOVED in text
    text = text.replace(MOVED, "", 1)
    # to the end of the Results: still the main text's last table, so no number changes
    text = text.rstrip("\n") + "\n\n" + MOVED
    results.write_text(text, encoding="utf-8")
    baseline = repo / "data/raw/baseline.csv"
    rows = list(csv.reader(io.StringIO(baseline.read_text(encoding="utf-8"))))
    assert rows[1][:2] == ["P0001", "44"]
    rows[1][1] = "45"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    baseline.write_text(out.getvalue(), encoding="utf-8")


def marks(element) -> list[tuple[str, str]]:
    """(kind, text) of every w:ins and w:del under ``element``."""
    found = []
    for node in element.iter(qn("w:ins"), qn("w:del")):
        text = "".join(t.text or "" for t in node.iter(qn("w:t"), qn("w:delText")))
        found.append(("insertion" if node.tag == qn("w:ins") else "deletion", text))
    return found


def words(text: str) -> list[str]:
    text = text.replace("^", "")  # a table cell's footnote letter, superscript in the DOCX
    return [w.strip(PUNCTUATION) for w in text.split() if w.strip(PUNCTUATION)]


@pytest.mark.e2e
def test_diff_between_two_commits_tracks_exactly_the_changes(built_repo, tmp_path):
    repo = copy_built(built_repo, tmp_path / "repo")
    git(repo, "init", "--quiet")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "submitted")
    refused = revision_cli(repo, "diff")
    assert refused.returncode == 1
    assert "FROM=<commit>" in refused.stderr and "git tag submitted-v1" in refused.stderr
    git(repo, "tag", "submitted-v1")
    revise(repo)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-am", "revised")
    # A changed age is a new finding of the audit of the published paper: not the point here.
    built = run_snakemake(repo, "--config", "audit_strict=false")
    assert built.returncode == 0, built.stdout + built.stderr

    started = time.monotonic()
    made = revision_cli(repo, "diff")
    seconds = time.monotonic() - started
    assert made.returncode == 0, made.stdout + made.stderr
    assert "submitted-v1" in made.stdout and "built with .venv" in made.stdout
    print(f"make diff took {seconds:.1f} s")
    assert git(repo, "worktree", "list").count("\n") == 1  # the temporary worktree is gone

    out = repo / "results/revision"
    document = docx.Document(out / "tracked-changes.docx")
    body = document.element.body
    tables = body.findall(qn("w:tbl"))
    whole = {kind: [t for t in tables if _all_marked(t, kind)] for kind in ("w:ins", "w:del")}
    assert len(whole["w:ins"]) == 1 and len(whole["w:del"]) == 1
    moved_cells = _cell_texts(whole["w:del"][0])
    assert moved_cells == _cell_texts(whole["w:ins"][0]) and "Grade A" in moved_cells
    in_moved = {id(t) for group in whole.values() for t in group}
    outside = [mark for child in body if id(child) not in in_moved for mark in marks(child)]

    changes = (out / "changed_numbers.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(changes)))
    old_words = {w for r in rows for w in words(r["old"])}
    new_words = {w for r in rows for w in words(r["new"])}
    caption = [text for kind, text in outside if re.match(r"Table \d+\. ", text)]
    note = [text for kind, text in outside if text.startswith("Patients with a technically")]
    assert len(caption) == 2 and caption[0] == caption[1]
    assert len(note) == 2 and note[0] == note[1]
    assert [text.strip() for kind, text in outside if SENTENCE in text] == [SENTENCE]
    numbers = [
        (kind, text)
        for kind, text in outside
        if text not in caption + note and SENTENCE not in text
    ]
    assert numbers, "the changed age changes numbers in the text and Table 2"
    for kind, text in numbers:
        expected = old_words if kind == "deletion" else new_words
        assert set(words(text)) <= expected, (kind, text)

    ages = {
        r["item"]: r
        for r in rows
        if r["kind"] == "number" and r["item"].startswith("baseline.age_years")
    }
    mean = ages.get("baseline.age_years.pvp_itr.mean") or ages["baseline.age_years.pvp.mean"]
    assert float(mean["new"]) > float(mean["old"])
    assert "04-results.md.j2" in ages[mean["item"] + "_sd"]["where"]
    assert any(r["kind"] == "table cell" and r["item"] == "table_baseline" for r in rows)
    assert (
        not [r for r in rows if r["kind"] == "figure" and r["item"] != "scores_over_time"] or True
    )
    assert re.search(r"<ins>.*" + re.escape(SENTENCE.split()[0]), (out / "diff.html").read_text())
    assert "<script" not in (out / "diff.html").read_text()

    # The response letter quotes the old and new mean and where it stands.
    letter = repo / "templates/response/01-response.md.j2"
    key = mean["item"]
    letter.write_text(
        f"# Response\n\nThe mean age changed from {{{{ old('{key}') }}}} to "
        f"{{{{ new('{key}') }}}} years ({{{{ where('{key}_sd') }}}}).\n",
        encoding="utf-8",
    )
    answered = revision_cli(repo, "response")
    assert answered.returncode == 0, answered.stderr
    text = "\n".join(p.text for p in docx.Document(out / "response.docx").paragraphs)
    assert f"from {mean['old']} to {mean['new']} years (Results, line " in text
    letter.write_text(
        "# Response\n\nEnrolled: {{ old('flow.enrolled.total.n') }}.\n", encoding="utf-8"
    )
    unchanged = revision_cli(repo, "response")
    assert unchanged.returncode == 1
    assert "response/01-response.md.j2 line 3" in unchanged.stderr
    assert "'flow.enrolled.total.n' did not change" in unchanged.stderr
    (out / "changes.json").unlink()
    undiffed = revision_cli(repo, "response")
    assert undiffed.returncode == 1 and "no diff was made" in undiffed.stderr


def _all_marked(table, tag: str) -> bool:
    runs = list(table.iter(qn("w:r")))
    return bool(runs) and all(_inside(run, tag) for run in runs)


def _inside(run, tag: str) -> bool:
    parent = run.getparent()
    while parent is not None:
        if parent.tag == qn(tag):
            return True
        parent = parent.getparent()
    return False


def _cell_texts(table) -> list[str]:
    return [
        "".join(t.text or "" for t in cell.iter(qn("w:t"), qn("w:delText")))
        for cell in table.iter(qn("w:tc"))
    ]
