"""The parts of `make diff` that need no build: the word diff, the tracked-changes tree,
the comparison of numbers and table cells, and finding the revision to compare with."""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import pytest

from manuscript_engine.revision.changes import (
    CellChange,
    changed_cells,
    changed_numbers,
    quoted_at,
    read_table,
)
from manuscript_engine.revision.documents import with_html_marks
from manuscript_engine.revision.old_build import RevisionProblem, default_revision, resolve
from manuscript_engine.revision.tree_diff import TrackedChanges, diff_documents, diff_inlines
from manuscript_engine.revision.word_diff import diff_runs


def inlines(text: str) -> list[dict]:
    """pandoc's inlines for plain text: words as Str, spaces as Space."""
    out: list[dict] = []
    for word in text.split():
        out += [{"t": "Space"}] if out else []
        out.append({"t": "Str", "c": word})
    return out


def shown(runs) -> list[tuple[str, str]]:
    return [(tag, " ".join(x["c"] for x in items if x["t"] == "Str")) for tag, items in runs]


def para(text: str) -> dict:
    return {"t": "Para", "c": inlines(text)}


def table(name: str, cells: list[list[str]]) -> dict:
    """A pandoc table of plain cells (no header), its id ``tbl:<name>``."""

    def cell(text):
        return [["", [], []], {"t": "AlignDefault"}, 1, 1, [{"t": "Plain", "c": inlines(text)}]]

    rows = [[["", [], []], [cell(text) for text in row]] for row in cells]
    return {
        "t": "Table",
        "c": [
            [f"tbl:{name}", [], []],
            [None, [{"t": "Plain", "c": inlines(f"Table {name}.")}]],
            [[{"t": "AlignDefault"}, {"t": "ColWidthDefault"}]] * len(cells[0]),
            [["", [], []], []],
            [[["", [], []], 0, [], rows]],
            [["", [], []], []],
        ],
    }


def document(*blocks) -> dict:
    return {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": list(blocks)}


def tracked(old: dict, new: dict, figures=()) -> TrackedChanges:
    return diff_documents(old, new, "Reviewer", "2026-11-27T00:00:00Z", figures)[1]


def test_a_word_inserted_deleted_or_replaced_is_one_mark():
    assert shown(diff_runs(inlines("pain fell"), inlines("pain fell quickly"))) == [
        ("equal", "pain fell"),
        ("insert", "quickly"),
    ]
    assert shown(diff_runs(inlines("pain fell quickly"), inlines("pain fell"))) == [
        ("equal", "pain fell"),
        ("delete", "quickly"),
    ]
    assert shown(diff_runs(inlines("mean 58.17 years"), inlines("mean 58.24 years"))) == [
        ("equal", "mean"),
        ("delete", "58.17"),
        ("insert", "58.24"),
        ("equal", "years"),
    ]


def test_neighbouring_changed_words_make_one_deletion_and_one_insertion():
    runs = diff_runs(inlines("a b c d"), inlines("a X Y d"))
    assert shown(runs) == [("equal", "a"), ("delete", "b c"), ("insert", "X Y"), ("equal", "d")]
    # Rejecting every change gives the old words back, accepting them the new.
    old = [x for tag, items in runs if tag != "insert" for x in items]
    new = [x for tag, items in runs if tag != "delete" for x in items]
    assert old == inlines("a b c d") and new == inlines("a X Y d")


def test_unchanged_text_gives_no_marks():
    same = document(para("The cement volume was larger."), table("t", [["1", "2"]]))
    marked, changes = diff_documents(same, same, "Reviewer", "2026-11-27T00:00:00Z")
    assert changes.marks == [] and marked == same


def test_spans_carry_author_and_date_for_word():
    changes = TrackedChanges("Revision since submitted-v1", "2026-11-27T00:00:00Z")
    (span,) = [x for x in diff_inlines([], inlines("new words"), changes) if x["t"] == "Span"]
    assert span["c"][0] == [
        "",
        ["insertion"],
        [["author", "Revision since submitted-v1"], ["date", "2026-11-27T00:00:00Z"]],
    ]


def test_a_moved_table_is_deleted_at_its_old_place_and_inserted_at_the_new():
    moved = table("asia", [["Grade A", "1"]])
    texts = [para(f"Paragraph {word} of the results.") for word in ("one", "two", "three")]
    old = document(texts[0], moved, texts[1], texts[2])
    new = document(texts[0], texts[1], texts[2], moved)
    changes = tracked(old, new)
    assert changes.marks == [
        ("deletion", "Table asia."),
        ("deletion", "Grade A"),
        ("deletion", "1"),
        ("insertion", "Table asia."),
        ("insertion", "Grade A"),
        ("insertion", "1"),
    ]


def test_a_changed_cell_is_marked_inside_its_cell():
    old = document(table("baseline", [["Age", "58.17"], ["Sex", "40 / 31"]]))
    new = document(table("baseline", [["Age", "58.24"], ["Sex", "40 / 31"]]))
    assert tracked(old, new).marks == [("deletion", "58.17"), ("insertion", "58.24")]


def test_a_table_of_another_shape_is_replaced_whole():
    old = document(table("scores", [["VAS", "5"]]))
    new = document(table("scores", [["VAS", "5", "6"]]))
    kinds = [kind for kind, _ in tracked(old, new).marks]
    assert kinds == ["deletion"] * 3 + ["insertion"] * 4


def test_an_edited_paragraph_is_diffed_by_word_and_a_new_one_inserted_whole():
    old = document(para("Pain fell in both arms after treatment."))
    new = document(
        para("Pain fell in both arms soon after treatment."),
        para("A sentence the reviewers asked for."),
    )
    assert tracked(old, new).marks == [
        ("insertion", "soon "),
        ("insertion", "A sentence the reviewers asked for."),
    ]


def test_a_redrawn_figure_is_replaced_with_a_note():
    def figure():
        image = {"t": "Image", "c": [["", [], []], [], ["../figures/pain.png", ""]]}
        return {
            "t": "Figure",
            "c": [
                ["fig:pain", [], []],
                [None, [{"t": "Plain", "c": inlines("Figure 1.")}]],
                [{"t": "Plain", "c": [image]}],
            ],
        }

    assert tracked(document(figure()), document(figure())).marks == []
    assert tracked(document(figure()), document(figure()), ["pain"]).marks == [
        ("deletion", "[previous figure; redrawn because its data changed]"),
        ("insertion", "[image]"),
    ]


def test_html_marks_are_ins_and_del():
    changes = TrackedChanges("r", "d")
    marked = diff_inlines(inlines("old word"), inlines("new word"), changes)
    raw = [x["c"][1] for x in with_html_marks(marked) if x["t"] == "RawInline"]
    assert raw == ["<del>", "</del>", "<ins>", "</ins>"]


def test_changed_numbers_name_old_new_and_the_template_line(tmp_path):
    sections = tmp_path / "templates" / "sections"
    sections.mkdir(parents=True)
    (sections / "04-results.md.j2").write_text(
        "# Results\n\nAge was {{ mean_sd('baseline.age_years.pvp') }} years.\n", encoding="utf-8"
    )
    old = {"baseline.age_years.pvp.mean": {"text": "59.51"}, "same": {"text": "1"}}
    new = {
        "baseline.age_years.pvp.mean": {"text": "59.60"},
        "same": {"text": "1"},
        "added": {"text": "3"},
    }
    found = changed_numbers(old, new, tmp_path / "templates")
    assert [(c.key, c.old, c.new, c.where) for c in found] == [
        ("added", "(absent)", "3", "not quoted in the text"),
        (
            "baseline.age_years.pvp.mean",
            "59.51",
            "59.60",
            "templates/sections/04-results.md.j2 line 3",
        ),
    ]
    assert quoted_at("x.y", [("t.j2", 1, "{{ num('x.y') }}"), ("t.j2", 2, "{{ n_pct('x') }}")]) == (
        "t.j2 line 1"
    )


def test_changed_cells_are_named_by_row_and_column(tmp_path):
    printed = tmp_path / "table_baseline.md"
    printed.write_text(
        "| Characteristic | PVP+ITR | P |\n| :--- | ---: | ---: |\n"
        "| Age (years) | 58.17 ± 8.70 | 0.490^a^ |\n| Sex | 40 / 31 | 0.811 |\n\n"
        "::: {.table-note}\nP values: ^a^ Mann–Whitney U test.\n:::\n",
        encoding="utf-8",
    )
    old = read_table(printed)
    assert old[0] == ["Characteristic", "PVP+ITR", "P"] and len(old) == 3
    new = [row[:] for row in old]
    new[1][1] = "58.24 ± 8.65"
    new.append(["Weight", "70", "0.2"])
    assert changed_cells("table_baseline", old, new) == [
        CellChange("table_baseline", "Age (years)", "PVP+ITR", "58.17 ± 8.70", "58.24 ± 8.65"),
        CellChange("table_baseline", "Weight", "PVP+ITR", "(absent)", "70"),
        CellChange("table_baseline", "Weight", "P", "(absent)", "0.2"),
    ]
    assert changed_cells("table_baseline", old, old) == []


def test_without_a_tag_the_diff_asks_for_a_commit(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "--quiet")
    (tmp_path / "a.txt").write_text("a\n")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "first")
    with pytest.raises(RevisionProblem, match=r"FROM=<commit>.*git tag submitted-v1"):
        default_revision(tmp_path)
    with pytest.raises(RevisionProblem, match="'nonsense' names no commit"):
        resolve(tmp_path, "nonsense")
    git("tag", "submitted-v1")
    assert default_revision(tmp_path) == "submitted-v1"


def test_a_revision_that_does_not_build_is_reported_and_its_worktree_removed(tmp_path, monkeypatch):
    """The earlier revision's own build runs (here: a commit with no Snakefile) and fails;
    the temporary worktree and folder are gone afterwards."""
    from conftest import REPO

    from manuscript_engine.revision.compare import make_revision

    repo = tmp_path / "repo"
    repo.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=repo, check=True, capture_output=True, text=True
        ).stdout

    shutil.copy(REPO / "requirements.txt", repo / "requirements.txt")
    git("init", "--quiet")
    git("add", "requirements.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "first")
    with pytest.raises(RevisionProblem, match="not built: run `make paper` first"):
        make_revision(repo, "HEAD")
    (repo / "results" / "pandoc").mkdir(parents=True)
    (repo / "results" / "pandoc" / "manuscript.json").write_text("{}")
    with pytest.raises(RevisionProblem, match="does not build"):
        make_revision(repo, "HEAD", cores=1)
    assert git("worktree", "list").count("\n") == 1
    assert list(scratch.iterdir()) == []
    assert not (repo / "results" / "revision").exists()


def test_a_revision_with_other_pins_gets_an_environment_of_its_own(tmp_path):
    """Same pins: the current Python. Other pins: the cached environment named by their
    hash (made once; here it is already there, so nothing is installed)."""
    import sys

    from manuscript_engine.revision.old_build import VENV_CACHE, pins_hash, python_for

    repo, tree = tmp_path / "repo", tmp_path / "tree"
    repo.mkdir()
    tree.mkdir()
    (repo / "requirements.txt").write_text("pandas==2.2.3\n")
    (tree / "requirements.txt").write_text("pandas==2.2.3\n")
    assert python_for(repo, tree) == (
        sys.executable,
        "its requirements.txt is the current one: built with .venv",
    )
    (tree / "requirements.txt").write_text("pandas==2.1.0\n")
    cached = repo / VENV_CACHE / pins_hash(tree / "requirements.txt")
    cached.mkdir(parents=True)
    (cached / ".pins-installed").touch()
    python, said = python_for(repo, tree)
    assert python == str(cached.resolve() / "bin" / "python")
    assert said == f"its requirements.txt differs: built with {cached.resolve()}"
