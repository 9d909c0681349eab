"""The manuscript's guarantees, each shown by a change that must fail the build.

Each test edits a copy of the repository the way an author might, rebuilds with
Snakemake, and checks the build stops with a message naming template, line and text.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_snakemake

pytestmark = pytest.mark.e2e

RESULTS = ("results/manuscript", "results/tables", "results/figures", "results/numbers")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def failing_build(workdir: Path) -> str:
    result = run_snakemake(workdir)
    assert result.returncode != 0, "the build should have failed"
    return result.stdout + result.stderr


def test_a_typed_percentage_fails_the_build(fresh_copy):
    results = fresh_copy / "templates/sections/04-results.md.j2"
    edit(results, "## Pain relief\n\n", "## Pain relief\n\nRelief was reached in 88.6% of cases.\n")
    output = failing_build(fresh_copy)
    assert "templates/sections/04-results.md.j2 line" in output
    assert "the number '88.6%' is typed into the prose" in output
    assert "Relief was reached in 88.6% of cases." in output


def test_a_misspelt_key_fails_with_the_closest_keys(fresh_copy):
    edit(
        fresh_copy / "templates/sections/04-results.md.j2",
        'num("flow.enrolled.pvp_itr.n")',
        'num("flow.enroled.pvp_itr.n")',
    )
    output = failing_build(fresh_copy)
    assert "templates/sections/04-results.md.j2 line" in output
    assert "there is no number with the key 'flow.enroled.pvp_itr.n'" in output
    assert "Did you mean 'flow.enrolled.pvp_itr.n'" in output


def test_significantly_beside_p_above_alpha_fails_the_build(fresh_copy):
    # Leakage does not differ significantly in the synthetic cohort (P > 0.05).
    edit(
        fresh_copy / "templates/sections/04-results.md.j2",
        "## Pain relief\n\n",
        "## Pain relief\n\nLeakage was {{ claim('leakage.any', 'significantly lower') }}.\n",
    )
    output = failing_build(fresh_copy)
    assert "the claim 'significantly lower' about leakage.any is not supported" in output


def test_a_number_changed_in_one_format_fails_the_build(fresh_copy):
    # A converter that changes a number: the engine's Typst page set-up, edited in this
    # copy (run with the copy's package, not the installed one).
    header = fresh_copy / "workflow/manuscript_engine/output/pandoc/typst-header.typ"
    header.write_text(header.read_text() + '\n#show "88.6%": "88.7%"\n')
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "4"],
        cwd=fresh_copy,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(fresh_copy / "workflow")},
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the build should have failed"
    assert "manuscript.pdf: after" in output
    assert "Markdown has [88.6]" in output and "this format has [88.7]" in output


def digests(workdir: Path) -> dict[str, str]:
    found = {}
    for folder in RESULTS:
        for path in sorted((workdir / folder).rglob("*")):
            if path.is_file():
                found[str(path.relative_to(workdir))] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return found


def test_a_changed_cement_volume_changes_its_dependents_and_nothing_else(fresh_copy):
    before = digests(fresh_copy)
    text_before = (fresh_copy / "results/manuscript/manuscript.md").read_text().splitlines()
    procedure = fresh_copy / "data/raw/procedure.csv"
    lines = procedure.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.split(",")[2] == "6.5")
    fields = lines[index].split(",")
    fields[2] = "7.0"
    lines[index] = ",".join(fields)
    procedure.write_text("\n".join(lines) + "\n")
    # The audit now finds the cement mean no longer matching the paper: report, don't stop.
    result = run_snakemake(fresh_copy, "--config", "audit_strict=false")
    assert result.returncode == 0, result.stderr
    after = digests(fresh_copy)
    changed = {path for path in before if before[path] != after.get(path)}
    assert "results/tables/table_outcomes.md" in changed
    assert not [p for p in changed if p.startswith("results/figures/")]
    unrelated = {
        "table_baseline",
        "table_scores",
        "table_pain_relief",
        "table_paraplegia",
        "table_asia_grades",
        "table_leakage_sites",
        "patient_flow",
    }
    assert not [p for p in changed if Path(p).stem in unrelated]
    text_after = (fresh_copy / "results/manuscript/manuscript.md").read_text().splitlines()
    differing = [a for a, b in zip(text_before, text_after, strict=True) if a != b]
    assert differing
    # The cement sentences and table row, and the audit summary that counts the mismatch.
    assert all("mL" in line or "Cement volume" in line or "checks" in line for line in differing), (
        differing
    )


def planned_steps(workdir: Path, *args: str) -> set[str]:
    """The rules a build would run now (a dry run)."""
    result = run_snakemake(workdir, "--dry-run", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return set(re.findall(r"^(?:local)?rule (\w+):", result.stdout, flags=re.MULTILINE)) - {"all"}


def test_a_setting_given_on_the_command_line_reruns_the_audit_and_not_the_analysis(fresh_copy):
    planned = planned_steps(fresh_copy, "--config", "audit_strict=false")
    assert {"audit", "render_markdown", "manifest"} <= planned
    assert not planned & {"validate_cohort", "analysis_dataset", "make_table", "figure"}


def test_a_changed_statistics_setting_reruns_the_tables_and_not_the_validation(fresh_copy):
    edit(fresh_copy / "config/config.yaml", "alpha: 0.05 ", "alpha: 0.01 ")
    planned = planned_steps(fresh_copy)
    assert {"make_table", "render_markdown"} <= planned
    assert not planned & {"validate_cohort", "analysis_dataset", "patient_flow"}


def drop_acknowledgement(workdir: Path, check_id: str) -> None:
    path = workdir / "config/audit.yaml"
    lines = [line for line in path.read_text().splitlines() if f'"{check_id}"' not in line]
    path.write_text("\n".join(lines) + "\n")


def test_a_new_unacknowledged_inconsistency_fails_the_build_and_is_named(fresh_copy):
    drop_acknowledgement(fresh_copy, "sum:asia_last.pvp")
    output = failing_build(fresh_copy)
    assert "config/audit.yaml does not acknowledge" in output
    assert "sum:asia_last.pvp" in output and "22 + 3 + 27 = 52" in output


def test_audit_strict_false_builds_anyway_and_warns(fresh_copy):
    drop_acknowledgement(fresh_copy, "sum:asia_last.pvp")
    result = run_snakemake(fresh_copy, "--config", "audit_strict=false")
    assert result.returncode == 0, result.stderr
    assert "WARNING" in result.stdout + result.stderr
    assert "NEW" in (fresh_copy / "results/audit/audit.md").read_text()


def test_an_acknowledged_inconsistency_that_no_longer_occurs_is_reported_resolved(fresh_copy):
    path = fresh_copy / "config/audit.yaml"
    path.write_text(path.read_text() + '  "sum:flow.included.total": "was wrong once"\n')
    result = run_snakemake(fresh_copy)
    assert result.returncode == 0, result.stderr
    report = (fresh_copy / "results/audit/audit.md").read_text()
    assert "## Resolved" in report and "sum:flow.included.total" in report
