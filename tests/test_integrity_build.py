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


def set_first_preoperative_vas(workdir: Path, value: str) -> None:
    visits = workdir / "data/raw/visits.csv"
    lines = visits.read_text().splitlines()
    header = lines[0].split(",")
    column = header.index("vas")
    for i, line in enumerate(lines[1:], start=1):
        cells = line.split(",")
        if cells[1] == "preop":
            cells[column] = value
            lines[i] = ",".join(cells)
            break
    visits.write_text("\n".join(lines) + "\n")


def test_after_a_failed_validation_the_next_build_fails_the_same_way(repo):
    original = (repo / "data/raw/visits.csv").read_text()
    set_first_preoperative_vas(repo, "11.0")
    for attempt in ("first", "second"):
        code, output = build(repo)
        assert code != 0, f"{attempt} build after invalid data reported success"
        assert "11 is above the maximum 10" in output, attempt
    assert not (repo / "results/manuscript/manifest.json").exists()
    assert verify(repo).returncode != 0
    (repo / "data/raw/visits.csv").write_text(original)
    code, output = build(repo)
    assert code == 0, output
    assert verify(repo).returncode == 0


def test_deleted_products_are_rebuilt(repo):
    deleted = [
        "results/figures/pain_relief.png",
        "results/numbers.json",
        "results/validated/baseline.csv",
        "results/manuscript/manuscript.html",
    ]
    for path in deleted:
        (repo / path).unlink()
    code, output = build(repo)
    assert code == 0, output
    for path in deleted:
        assert f"{path} is missing" in output
        assert (repo / path).exists()
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


def test_an_edited_validated_table_cannot_hide_from_the_audit(repo):
    baseline = repo / "results/validated/baseline.csv"
    lines = baseline.read_text().splitlines()
    baseline.write_text("\n".join(lines[:-1]) + "\n")  # one patient fewer
    code, output = build(repo)
    assert code == 0, output
    assert "results/validated/baseline.csv was changed after the build wrote it" in output
    assert baseline.read_text().splitlines() == lines


def test_a_half_written_manuscript_from_a_killed_build_is_rebuilt(repo):
    (repo / "results/manuscript/manuscript.docx").write_bytes(b"")
    code, output = build(repo)
    assert code == 0, output
    assert (repo / "results/manuscript/manuscript.docx").stat().st_size > 10_000


def settings_state(workdir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((workdir / "results/settings").iterdir())}


def test_a_dry_run_with_other_settings_changes_nothing(repo):
    before = settings_state(repo)
    code, output = build(repo, "--dry-run", "--config", "audit_strict=false")
    assert code == 0, output
    assert "rule audit:" in output  # the other value would rerun the audit ...
    assert settings_state(repo) == before  # ... but nothing was written
    code, output = build(repo, "--dry-run")
    assert "Nothing to be done" in output


def test_a_settings_file_edited_by_hand_is_discarded_and_written_again(repo):
    [strict] = (repo / "results/settings").glob("audit_strict-*.json")
    strict.write_text("false\n")
    (repo / "results/audit/audit.csv").unlink()  # the audit must run again
    code, output = build(repo)
    assert code == 0, output
    assert "were edited by hand" in output
    assert strict.read_text() == "true\n"


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


def test_a_hostile_template_is_refused_and_nothing_reaches_the_html(repo):
    conclusion = repo / "templates/sections/06-conclusion.md.j2"
    conclusion.write_text(
        conclusion.read_text()
        + '\n<iframe src="/etc/passwd" hidden></iframe>\n\n<img src="../../.git/config">\n'
    )
    code, output = build(repo)
    assert code != 0
    assert "templates/sections/06-conclusion.md.j2 line" in output
    assert "raw HTML is not allowed" in output
    assert "root:" not in (repo / "results/manuscript/manuscript.html").read_text()
