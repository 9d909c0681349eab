"""End to end: a build never reports success on stale, hand-edited or smuggled content.

Each test starts from a copy of one built repository (results, ledger and Snakemake's
state included), does what a hurried or hostile co-author would, and rebuilds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_snakemake

pytestmark = pytest.mark.e2e

VALIDATED = ("enrollment", "baseline", "procedure", "visits", "followup")


@pytest.fixture
def repo(fresh_copy) -> Path:
    return fresh_copy


def build(workdir: Path, *args: str) -> tuple[int, str]:
    result = run_snakemake(workdir, *args)
    return result.returncode, result.stdout + result.stderr


def verify(workdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "manuscript_engine.cli.verify"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )


def manuscript_state(workdir: Path) -> dict[str, tuple[bytes, int]]:
    """The manuscript files (the manifest aside: a failed build withdraws it)."""
    folder = workdir / "results/manuscript"
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if p.name != "manifest.json"
    }


def test_bad_data_stop_every_build_until_fixed_and_leave_the_last_manuscript_alone(repo):
    """One bad cohort through the whole build; each kind of bad data is tested on the
    validation step (test_validation.py). A missing file also shows that the build
    reaches validation, which names it, instead of stopping on a missing input."""
    baseline = repo / "data/raw/baseline.csv"
    saved = baseline.read_bytes()
    baseline.unlink()
    message = "data/raw/baseline.csv: the file is missing. Export it with this exact name."
    before = manuscript_state(repo)
    for attempt in ("first", "second"):
        code, output = build(repo)
        assert code != 0, f"{attempt} build after invalid data reported success"
        assert message in output, attempt
        assert "Traceback" not in output, attempt
    assert manuscript_state(repo) == before
    # The manifest no longer vouches for files the data no longer give.
    assert not (repo / "results/manuscript/manifest.json").exists()
    assert not list((repo / "results/validated").glob("*.csv"))
    assert message in (repo / "results/logs/validate_cohort.log").read_text()
    assert verify(repo).returncode != 0
    baseline.write_bytes(saved)
    code, output = build(repo)
    assert code == 0, output
    assert verify(repo).returncode == 0


def test_products_deleted_emptied_or_edited_by_hand_are_rebuilt_and_named(repo):
    deleted = [
        "results/figures/pain_relief.png",
        "results/numbers.json",
        "results/validated/baseline.csv",
        "results/manuscript/manuscript.html",
    ]
    for path in deleted:
        (repo / path).unlink()
    # A half-written file, as a killed build could leave one.
    (repo / "results/manuscript/manuscript.docx").write_bytes(b"")
    # A validated table with one patient fewer: it must not hide from the audit.
    enrollment = repo / "results/validated/enrollment.csv"
    rows = enrollment.read_text().splitlines()
    enrollment.write_text("\n".join(rows[:-1]) + "\n")
    # A settings file edited by hand (its name says true).
    [strict] = (repo / "results/settings").glob("audit_strict-*.json")
    strict.write_text("false\n")
    code, output = build(repo)
    assert code == 0, output
    for path in deleted:
        assert f"{path} is missing" in output
        assert (repo / path).exists()
    assert (repo / "results/manuscript/manuscript.docx").stat().st_size > 10_000
    assert "results/validated/enrollment.csv was changed after the build wrote it" in output
    assert enrollment.read_text().splitlines() == rows
    assert "were edited by hand" in output
    assert strict.read_text() == "true\n"
    assert verify(repo).returncode == 0


def test_a_value_changed_by_hand_in_the_registry_never_reaches_the_text(repo):
    numbers = repo / "results/numbers.json"
    registry = json.loads(numbers.read_text())
    key = "flow.included.pvp_itr.n"
    true_text = registry[key]["text"]
    registry[key]["text"] = "999"
    numbers.write_text(json.dumps(registry))
    assert verify(repo).returncode != 0
    code, output = build(repo)
    assert code == 0, output
    assert "results/numbers.json was changed after the build wrote it" in output
    assert json.loads(numbers.read_text())[key]["text"] == true_text
    assert "999 treated" not in (repo / "results/manuscript/manuscript.md").read_text()


def test_a_truncated_registry_is_rebuilt_not_fatal(repo):
    numbers = repo / "results/numbers.json"
    numbers.write_bytes(numbers.read_bytes()[:100])
    code, output = build(repo)
    assert code == 0, output
    json.loads(numbers.read_text())


def test_a_wording_edit_in_the_html_is_undone_and_the_manifest_never_vouches_for_it(repo):
    html = repo / "results/manuscript/manuscript.html"
    html.write_text(html.read_text().replace("</body>", "<p>Edited by hand.</p></body>"))
    result = verify(repo)
    assert result.returncode != 0
    assert "results/manuscript/manuscript.html" in result.stderr
    code, output = build(repo)
    assert code == 0, output
    assert "Edited by hand." not in html.read_text()
    assert verify(repo).returncode == 0


def test_building_one_file_leaves_an_edited_manuscript_for_the_full_build(repo):
    html = repo / "results/manuscript/manuscript.html"
    html.write_text(html.read_text() + "<!-- edited -->")
    code, output = build(repo, "--dry-run", "results/numbers.json")
    assert code == 0, output
    assert "rule to_html:" not in output
    code, output = build(repo, "--dry-run")
    assert "rule to_html:" in output


def test_an_included_partial_is_an_input_of_the_manuscript(repo):
    (repo / "templates/partials").mkdir()
    partial = repo / "templates/partials/funding.md"
    partial.write_text("This work received no specific funding.\n")
    conclusion = repo / "templates/sections/06-conclusion.md.j2"
    conclusion.write_text(conclusion.read_text() + "\n{% include 'partials/funding.md' %}\n")
    code, output = build(repo)
    assert code == 0, output
    partial.write_text("This work was funded by the hospital.\n")
    code, output = build(repo)
    assert code == 0, output
    assert "funded by the hospital" in (repo / "results/manuscript/manuscript.md").read_text()
    assert (
        "templates/partials/funding.md"
        in json.loads((repo / "results/manuscript/manifest.json").read_text())["inputs"]
    )
