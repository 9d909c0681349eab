"""The manuscript's guarantees, each shown by a change an author might make to a built copy.

A wrong template or setting stops the build (``make paper``) with a message naming the
file, the line and the text; a change to the data or the settings reruns what depends on
it and nothing else; a new inconsistency with the published paper stops the build.
Which message each kind of mistake gives is tested on the functions themselves
(test_rendering, test_hostile_templates, test_settings, test_audit, test_author_guide);
these builds show that the messages reach the author through the real pipeline.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from conftest import run_make_paper, run_snakemake

from manuscript_engine.core.atomic_files import PARTIAL

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


def test_a_misspelt_key_stops_make_paper_at_its_template_and_line(fresh_copy):
    """One wrong template, through the whole build and make paper's reading of it."""
    template = fresh_copy / "templates/sections/04-results.md.j2"
    edit(template, 'num("flow.enrolled.pvp_itr.n")', 'num("flow.enroled.pvp_itr.n")')
    lines = template.read_text(encoding="utf-8").splitlines()
    (number,) = [i for i, line in enumerate(lines, start=1) if "flow.enroled" in line]
    result = run_make_paper(fresh_copy)
    assert result.returncode == 1
    shown = result.stderr.splitlines()
    assert shown[0] == "The build stopped."
    # The exact path (it once read templates/templates/sections/...), line and text.
    assert shown[2] == f"templates/sections/04-results.md.j2 line {number}: {lines[number - 1]}"
    assert shown[3].startswith(
        "  there is no number with the key 'flow.enroled.pvp_itr.n'. "
        "Did you mean 'flow.enrolled.pvp_itr.n'"
    )
    assert "Details: results/logs/render_markdown_manuscript.log" in shown
    assert "Traceback" not in result.stdout + result.stderr


def test_a_count_that_reads_wrongly_stops_make_paper_and_leaves_no_manuscript(fresh_copy):
    """Prose a journal would not print, through the whole build: each slip is named at its
    template line, nothing half-written is left under results/, and the fixed template
    builds again."""
    template = fresh_copy / "templates/sections/04-results.md.j2"
    original = template.read_text(encoding="utf-8")
    opening = 'num("flow.excluded_no_followup_mri.total.n") }} patients'
    noun = 'num("leakage.site.spinal_canal.pvp.n") }} patients'
    edit(
        template,
        'count("flow.excluded_no_followup_mri.total.n", "patient", opens_sentence=True) }}',
        opening,
    )
    edit(template, 'count("leakage.site.spinal_canal.pvp.n", "patient") }}', noun)
    lines = template.read_text(encoding="utf-8").splitlines()
    result = run_make_paper(fresh_copy)
    assert result.returncode == 1
    shown = result.stderr
    for words, slip in (
        (opening, "the sentence opens with the number 13 ("),
        (noun, "'1 patients': the count and its noun disagree (1 patient, 2 patients)."),
    ):
        (number,) = [i for i, line in enumerate(lines, start=1) if words in line]
        assert f"templates/sections/04-results.md.j2 line {number}: {lines[number - 1]}" in shown
        assert slip in shown
    assert "Traceback" not in result.stdout + shown
    # The render step wrote nothing, not even under a hidden name, and no manifest vouches
    # for the manuscript files of the last good build.
    results = fresh_copy / "results"
    assert not (results / "manuscript/manuscript.md").exists()
    assert not (results / "pandoc/manuscript-sections.json").exists()
    assert not (results / "manuscript/manifest.json").exists()
    assert not list(results.rglob(f"{PARTIAL}*"))
    template.write_text(original, encoding="utf-8")
    assert run_make_paper(fresh_copy).returncode == 0
    assert "Thirteen patients had no follow-up MRI" in (
        results / "manuscript/manuscript.md"
    ).read_text(encoding="utf-8")


def test_a_misspelt_setting_stops_make_paper_naming_the_key(fresh_copy):
    """One config error, raised while Snakemake reads the Snakefile."""
    edit(fresh_copy / "config/config.yaml", "data_dir: data/raw", "dat_dir: data/raw")
    result = run_make_paper(fresh_copy)
    assert result.returncode == 1
    assert (
        "  - config/config.yaml, key 'dat_dir': not a known setting. Did you mean 'data_dir'?"
    ) in result.stderr
    assert "Traceback" not in result.stderr and '  File "' not in result.stderr


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


def settings_state(workdir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((workdir / "results/settings").iterdir())}


def test_a_setting_given_on_the_command_line_reruns_the_audit_and_a_dry_run_writes_nothing(
    fresh_copy,
):
    before = settings_state(fresh_copy)
    planned = planned_steps(fresh_copy, "--config", "audit_strict=false")
    assert {"audit", "render_markdown", "manifest"} <= planned
    assert not planned & {"validate_cohort", "analysis_dataset", "make_table", "figure"}
    # The dry run wrote no settings file, so the build as configured has nothing to do.
    assert settings_state(fresh_copy) == before
    result = run_snakemake(fresh_copy, "--dry-run")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_a_changed_statistics_setting_reruns_the_tables_and_not_the_validation(fresh_copy):
    edit(fresh_copy / "config/config.yaml", "alpha: 0.05 ", "alpha: 0.01 ")
    planned = planned_steps(fresh_copy)
    assert {"make_table", "render_markdown"} <= planned
    assert not planned & {"validate_cohort", "analysis_dataset", "patient_flow"}


def drop_acknowledgement(workdir: Path, check_id: str) -> None:
    path = workdir / "config/audit.yaml"
    lines = [line for line in path.read_text().splitlines() if f'"{check_id}"' not in line]
    path.write_text("\n".join(lines) + "\n")


def test_a_new_inconsistency_stops_the_build_unless_audit_strict_is_false(fresh_copy):
    """The gate and its switch; which findings are new or resolved is tested on the audit
    step (test_audit.py)."""
    drop_acknowledgement(fresh_copy, "finding:asia_last.a.pvp")
    output = failing_build(fresh_copy)
    assert "config/audit.yaml does not acknowledge" in output
    assert "finding:asia_last.a.pvp (contradiction)" in output and "22 + 3 + 27 = 52" in output
    result = run_snakemake(fresh_copy, "--config", "audit_strict=false")
    assert result.returncode == 0, result.stderr
    assert "WARNING: The audit found 1 finding(s)" in result.stdout + result.stderr
    assert "- **NEW**: not acknowledged" in (fresh_copy / "results/audit/audit.md").read_text()
