"""The trust ledger: a build product is used only while it is what the build wrote."""

from __future__ import annotations

import os

import pytest

from manuscript_engine.core.atomic_files import atomic_output, write_text_atomically
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.trust import (
    downstream,
    record,
    records,
    require_trusted,
    untrusted_files,
    withdraw_certificates,
)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder with results/ and a ledger, as the build leaves them."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results/tables").mkdir(parents=True)
    (tmp_path / "results/manuscript").mkdir(parents=True)
    (tmp_path / "data").mkdir()
    (tmp_path / "data/cohort.csv").write_text("id\n1\n")
    return tmp_path


def build(path: str, text: str, inputs: list[str], certificate: bool = False) -> None:
    write_text_atomically(path, text)
    record([path], inputs, certificate=certificate)


def test_a_recorded_file_is_trusted_until_it_changes(workdir):
    build("results/tables/t.csv", "a,b\n1,2\n", ["data/cohort.csv"])
    assert untrusted_files() == []
    require_trusted(["results/tables/t.csv"])


def test_an_edit_of_the_same_size_with_its_date_put_back_is_found(workdir):
    build("results/tables/t.csv", "a,b\n1,2\n", ["data/cohort.csv"])
    before = os.stat("results/tables/t.csv")
    with open("results/tables/t.csv", "r+") as stream:
        stream.write("a,b\n9,2\n")  # same length
    os.utime("results/tables/t.csv", ns=(before.st_atime_ns, before.st_mtime_ns))
    [found] = untrusted_files()
    assert found.path == "results/tables/t.csv"
    assert found.reason == "was changed after the build wrote it"
    with pytest.raises(ManuscriptError, match=r"results/tables/t.csv was changed"):
        require_trusted(["results/tables/t.csv"])


def test_a_file_touched_after_its_record_is_hashed_once_then_trusted_by_its_stamp(
    workdir, monkeypatch
):
    """Snakemake touches every output after its step has recorded it: the first check
    hashes the file and keeps the new stamp, so later builds do not hash it again."""
    from manuscript_engine.core import trust

    build("results/tables/t.csv", "a,b\n1,2\n", ["data/cohort.csv"])
    os.utime("results/tables/t.csv")  # as Snakemake's touch
    hashed = []
    hash_file = trust._hash_and_stamp
    monkeypatch.setattr(
        trust, "_hash_and_stamp", lambda path: hashed.append(path) or hash_file(path)
    )
    assert untrusted_files() == []
    assert untrusted_files() == []
    assert hashed == ["results/tables/t.csv"]
    # The same for a step that reads it (each table reads the analysis dataset).
    os.utime("results/tables/t.csv")
    require_trusted(["results/tables/t.csv"])
    require_trusted(["results/tables/t.csv"])
    assert hashed == ["results/tables/t.csv"] * 2
    # An edit after that is still found (its change time moved on).
    with open("results/tables/t.csv", "r+") as stream:
        stream.write("a,b\n9,2\n")
    [found] = untrusted_files()
    assert found.reason == "was changed after the build wrote it"


def test_a_record_keeps_its_stamp_when_the_file_changes_while_it_is_hashed(workdir, monkeypatch):
    """Bytes written between the hash and the new stamp must not be vouched for."""
    from manuscript_engine.core import trust

    build("results/tables/t.csv", "a,b\n1,2\n", ["data/cohort.csv"])
    os.utime("results/tables/t.csv")
    recorded = records()["results/tables/t.csv"]["stamp"]
    hash_file = trust._hash_and_stamp

    def hash_then_edit(path):
        answer = hash_file(path)
        with open(path, "r+") as stream:  # same size, after the hash
            stream.write("a,b\n9,2\n")
        return answer

    monkeypatch.setattr(trust, "_hash_and_stamp", hash_then_edit)
    assert untrusted_files() == []  # the bytes hashed were the build's
    monkeypatch.setattr(trust, "_hash_and_stamp", hash_file)
    assert records()["results/tables/t.csv"]["stamp"] == recorded
    [found] = untrusted_files()
    assert found.reason == "was changed after the build wrote it"


def test_a_dry_run_leaves_the_ledger_as_it_was(workdir):
    from manuscript_engine.core.trust import LEDGER

    build("results/tables/t.csv", "a,b\n1,2\n", ["data/cohort.csv"])
    os.utime("results/tables/t.csv")
    before = {p.name: p.read_bytes() for p in LEDGER.iterdir()}
    assert untrusted_files(restamp=False) == []
    assert {p.name: p.read_bytes() for p in LEDGER.iterdir()} == before


def test_a_record_written_anew_meanwhile_is_not_overwritten(workdir):
    """A step that records the file again between the check and the new stamp wins."""
    from manuscript_engine.core import trust

    build("results/tables/t.csv", "a,b\n1,2\n", ["data/cohort.csv"])
    os.utime("results/tables/t.csv")
    known = records()
    entry = known["results/tables/t.csv"]
    reason, hashed = trust._matched("results/tables/t.csv", entry)
    assert reason is None and hashed is not None
    record(["results/tables/t.csv"], ["data/cohort.csv", "data/other.csv"])
    trust._restamp("results/tables/t.csv", entry, hashed, trust.LEDGER)
    assert records()["results/tables/t.csv"]["inputs"] == ["data/cohort.csv", "data/other.csv"]


def test_a_deleted_file_is_found_missing(workdir):
    build("results/tables/t.csv", "x\n", [])
    os.remove("results/tables/t.csv")
    assert [str(u) for u in untrusted_files()] == ["results/tables/t.csv is missing"]


def test_a_file_no_step_recorded_is_not_trusted(workdir):
    (workdir / "results/tables/copied.csv").write_text("x\n")
    (workdir / "results/report.html").write_text("<p>not a rule's output</p>")
    found = untrusted_files(produced_by_a_rule=lambda path: path.startswith("results/tables/"))
    assert [str(u) for u in found] == ["results/tables/copied.csv was not written by this build"]
    with pytest.raises(ManuscriptError, match="was not written by this build"):
        require_trusted(["results/tables/copied.csv"])


def test_logs_and_hidden_partial_files_are_not_judged(workdir):
    (workdir / "results/logs").mkdir()
    (workdir / "results/logs/step.log").write_text("log")
    (workdir / "results/tables/.partial-1234-t.csv").write_text("half")
    assert untrusted_files() == []


def test_a_damaged_record_is_not_trusted(workdir):
    build("results/tables/t.csv", "x\n", [])
    [path] = (workdir / ".snakemake/trusted").glob("*.json")
    path.write_text("{not json")
    assert [u.reason for u in untrusted_files()] == ["has a damaged build record"]


def test_downstream_follows_recorded_inputs(workdir):
    build("results/tables/a.csv", "a\n", ["data/cohort.csv"])
    build("results/tables/b.csv", "b\n", ["results/tables/a.csv"])
    build("results/manuscript/m.md", "m\n", ["results/tables/b.csv"])
    build("results/tables/other.csv", "o\n", [])
    assert downstream(["data/cohort.csv"], records()) == {
        "results/tables/a.csv",
        "results/tables/b.csv",
        "results/manuscript/m.md",
    }


def test_certificates_are_withdrawn_before_what_they_describe_is_rewritten(workdir):
    build("results/manuscript/m.html", "<p>text</p>", ["data/cohort.csv"])
    build("results/manuscript/manifest.json", "{}", ["results/manuscript/m.html"], True)
    build("results/manuscript/m.docx", "docx", ["results/manuscript/m.html"])
    withdrawn = withdraw_certificates(["results/manuscript/m.html"])
    assert withdrawn == ["results/manuscript/manifest.json"]
    assert not (workdir / "results/manuscript/manifest.json").exists()
    assert (workdir / "results/manuscript/m.docx").exists()  # not a certificate
    assert "results/manuscript/manifest.json" not in records()


def test_an_interrupted_write_leaves_the_previous_complete_file(workdir):
    target = workdir / "results/manuscript/m.html"
    target.write_text("previous, complete")
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as partial:
        partial.write_text("half of the new")
        raise KeyboardInterrupt
    assert target.read_text() == "previous, complete"
    assert [p.name for p in target.parent.iterdir()] == ["m.html"]


def test_a_build_of_one_file_rebuilds_only_what_that_file_is_made_from(workdir):
    from manuscript_engine.core.trust import files_to_rebuild

    build("results/tables/t.csv", "t\n", ["data/cohort.csv"])
    build("results/numbers.json", "{}", ["results/tables/t.csv"])
    build("results/manuscript/m.html", "<p>m</p>", ["results/numbers.json"])
    (workdir / "results/manuscript/m.html").write_text("<p>edited</p>")
    (workdir / "results/tables/t.csv").write_text("edited\n")
    everything = files_to_rebuild(lambda path: True)
    assert [u.path for u in everything] == ["results/manuscript/m.html", "results/tables/t.csv"]
    numbers_only = files_to_rebuild(lambda path: True, {"results/numbers.json"})
    assert [u.path for u in numbers_only] == ["results/tables/t.csv"]


def test_records_of_files_no_rule_writes_any_more_are_forgotten(workdir):
    from manuscript_engine.core.trust import files_to_rebuild

    build("results/tables/renamed.csv", "t\n", [])
    os.remove("results/tables/renamed.csv")
    assert files_to_rebuild(lambda path: path != "results/tables/renamed.csv") == []
    assert records() == {}


def test_verify_names_a_damaged_manifest_instead_of_crashing(workdir, capsys):
    from manuscript_engine.cli import verify

    build("results/manuscript/manifest.json", "[1, 2]", [], certificate=True)
    assert verify.main() == 1
    assert "manifest.json is damaged" in capsys.readouterr().err
    (workdir / "results/manuscript/manifest.json").write_text("{bad")
    assert verify.main() == 1
    assert "manifest.json" in capsys.readouterr().err


def test_verify_passes_when_every_hash_matches_and_fails_on_one_changed_input(workdir, capsys):
    import json

    from manuscript_engine.cli import verify
    from manuscript_engine.core.trust import sha256

    build("results/manuscript/m.html", "<p>m</p>", ["data/cohort.csv"])
    manifest = {
        "commit": "x",
        "inputs": {"data/cohort.csv": sha256("data/cohort.csv")},
        "outputs": {"results/manuscript/m.html": sha256("results/manuscript/m.html")},
    }
    build("results/manuscript/manifest.json", json.dumps(manifest), [], certificate=True)
    assert verify.main() == 0
    (workdir / "data/cohort.csv").write_text("id\n2\n")
    assert verify.main() == 1
    assert "data/cohort.csv differs from the manifest's SHA-256" in capsys.readouterr().err


def test_build_products_committed_to_git_are_refused(workdir):
    import subprocess

    from manuscript_engine.core.trust import refuse_committed_build_state

    def git(*args):
        subprocess.run(["git", *args], check=True, capture_output=True)

    git("init", "-q")
    git("add", "data/cohort.csv")
    refuse_committed_build_state()  # only sources: fine
    build("results/manuscript/m.html", "<script>x</script>", [])
    git("add", "-f", "results/manuscript/m.html", ".snakemake/trusted")
    with pytest.raises(ManuscriptError, match=r"results/manuscript/m.html.*git rm -r --cached"):
        refuse_committed_build_state()
