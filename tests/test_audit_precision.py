"""Precision of the audit: the paper as the synthetic cohort would print it gives the audit
nothing to report, so every inconsistency it finds there is a false alarm."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import PUBLISHED, REPO

from devtools.audit_harness import audit_without_data
from devtools.published_from_cohort import build, cohort_frames, main, print_p
from manuscript_engine.audit.against_data import Cohort
from manuscript_engine.audit.checks import run_audit
from manuscript_engine.audit.published import load_published
from manuscript_engine.core.yaml_schemas import load_checked_yaml


@pytest.fixture(scope="module")
def cohort_paper():
    return build()


def decimals(text: str) -> int:
    found = re.search(r"\.(\d+)", text)
    return len(found.group(1)) if found else 0


def listing(checks):
    return "\n".join(f"{c.id}: {c.published} | {c.explanation}" for c in checks)


def test_the_data_free_audit_finds_nothing_in_the_cohorts_paper(cohort_paper):
    audit = run_audit(*cohort_paper)
    assert audit.findings == []
    found = [c for c in audit.checks if c.verdict == "inconsistent"]
    assert found == [], listing(found)
    assert sum(c.verdict == "consistent" for c in audit.checks) > 250


def test_the_audit_with_the_cohort_finds_nothing_in_the_cohorts_paper(cohort_paper):
    entries, relations, codebook = cohort_paper
    frame, enrollment = cohort_frames(REPO / "data/raw", codebook)
    cohort = Cohort(frame, enrollment, registry={}, synthetic=True)
    audit = run_audit(entries, relations, codebook, cohort)
    assert audit.findings == []
    found = [c for c in audit.checks if c.verdict == "inconsistent"]
    assert found == [], listing(found)
    assert sum(c.verdict == "consistent" for c in audit.checks) > 400


def test_the_harness_audits_the_published_numbers_alone(cohort_paper):
    assert audit_without_data(*cohort_paper) == run_audit(*cohort_paper).checks


PAPER = {e["id"]: e for e in load_published(PUBLISHED)}


def _restore_units(entries, relations):
    return [
        {**e, **({"unit": PAPER[e["id"]]["unit"]} if "unit" in PAPER.get(e["id"], {}) else {})}
        for e in entries
    ], relations


def _restore_typed_cell(entries, relations):
    return [
        {**e, "printed": "76"} if e["id"] == "t3.kps.preop.mean.pvp" else e for e in entries
    ], relations


def _restore(ids):
    def restore(entries, relations):
        return [*entries, *(PAPER[i] for i in ids)], relations

    return restore


def _restore_exclusions(entries, relations):
    original = yaml.safe_load((REPO / "data/published_checks.yaml").read_text())
    return entries, {**relations, "facts": original["facts"]}


def _without(prefix):
    def remove(entries, relations):
        return [e for e in entries if not e["id"].startswith(prefix)], relations

    return remove


@pytest.mark.parametrize(
    ("left_out", "restore", "family"),
    [
        # What the manuscript prints and the paper does not: without it, the cohort's own
        # Table 2 percentages of the 70 treated sit under a header of the 71 included,
        # and group B's KPS course rises and falls back unexplained.
        ("Table 2's note on the rows' population", _without("t2.n.note."), "denominator"),
        ("Table 3's note on the KPS course", _without("table3.note.course."), "trajectory"),
    ],
)
def test_each_note_the_manuscript_adds_is_needed(cohort_paper, left_out, restore, family):
    entries, relations, codebook = cohort_paper
    audit = run_audit(*restore(entries, relations), codebook)
    new = [c for c in audit.checks if c.verdict == "inconsistent"]
    assert new, f"without {left_out} nothing is flagged: the manuscript need not print it"
    assert {c.check for c in new} == {family}, listing(new)


@pytest.mark.parametrize(
    ("left_out", "restore", "family"),
    [
        ("the 'vertebrae' labels of counts of patients", _restore_units, "unit"),
        ("a mean typed with fewer decimals than its row", _restore_typed_cell, "trajectory"),
        (
            "the Abstract's ablation, absent from the Methods",
            _restore(["abstract.fact.ablation"]),
            "fact",
        ),
        ("a protocol range the cohort's volumes leave", _restore(["methods.cement_range"]), "fact"),
        ("a definition the cohort's counts break", _restore_exclusions, "fact"),
    ],
)
def test_each_thing_the_cohorts_paper_leaves_out_would_be_flagged(
    cohort_paper, left_out, restore, family
):
    entries, relations, codebook = cohort_paper
    audit = run_audit(*restore(entries, relations), codebook)
    new = [c for c in audit.checks if c.verdict == "inconsistent"]
    assert new, f"restoring {left_out} changes nothing: the cohort's paper need not leave it out"
    assert {c.check for c in new} == {family}, listing(new)


def test_the_file_is_the_papers_layout_with_the_cohorts_numbers(cohort_paper, tmp_path):
    out = tmp_path / "published.yaml"
    main(["--out", str(out), "--relations-out", str(tmp_path / "checks.yaml")])
    mine = {e["id"]: e for e in load_published(out)}  # schema-checked
    load_checked_yaml(tmp_path / "checks.yaml", "published_checks", published=list(mine.values()))
    paper = {e["id"]: e for e in load_published(PUBLISHED)}
    added = {k for k in mine if ".note." in k}  # the manuscript's table notes
    assert added == {"t2.n.note.pvp_itr", "t2.n.note.pvp", "table3.note.course.kps.pvp"}
    assert set(mine) - added <= set(paper)
    mine = {k: v for k, v in mine.items() if k not in added}
    # Left out: claims the cohort contradicts, statements absent from the Methods, ranges
    # the cohort leaves; never a number.
    assert {paper[k]["stat"] for k in set(paper) - set(mine)} == {"claim", "protocol"}
    for key, entry in mine.items():
        original = paper[key]
        assert {k: entry.get(k) for k in ("where", "measures", "of", "stat")} == {
            k: original.get(k) for k in ("where", "measures", "of", "stat")
        }
        printed = str(entry["printed"])
        if entry["stat"] in ("protocol", "literature", "claim"):
            assert printed == str(original["printed"])
        elif entry["stat"] == "count":
            assert printed.isdigit()
        elif entry["stat"] == "p_value":
            assert re.fullmatch(r"(P = )?\d\.\d{3}|(P )?< ?0\.001", printed), printed
        elif entry["stat"] == "significance_mark":
            assert printed in ("*", "none")
        else:  # the same '%' as the paper, and its decimals (a mean or SD: its row's)
            assert printed.endswith("%") == str(original["printed"]).endswith("%")
            if entry["stat"] in ("mean", "sd"):
                assert decimals(printed) >= decimals(str(original["printed"]))
            else:
                assert decimals(printed) == decimals(str(original["printed"]))
    # The one cell the paper typed with fewer decimals than its row is printed like the row.
    assert paper["t3.kps.preop.mean.pvp"]["printed"] == "76"
    assert decimals(mine["t3.kps.preop.mean.pvp"]["printed"]) == 2


def test_a_claim_the_cohort_contradicts_is_left_out(cohort_paper):
    entries, relations, _ = cohort_paper
    by_id = {e["id"]: e for e in entries}
    # The cohort's preoperative KPS differs between the arms (60.43 against 76), so the
    # manuscript could not say that nothing differed before the procedure.
    assert by_id["t3.kps.preop.mark"]["printed"] == "*"
    assert "function.claim.preop" not in by_id
    assert "function.claim.preop" not in {r["claim"] for r in relations["direction"]["claims"]}
    assert "abstract.claim.final_relief" in by_id


@pytest.mark.parametrize(
    ("p", "like", "printed"),
    [
        (0.0004, "P < 0.001", "P < 0.001"),
        (0.0004, "<0.001", "<0.001"),
        (0.01249, "0.474", "0.012"),
        (0.0125, "P = 0.004", "P = 0.013"),
        (1.0, "0.999", "1.000"),
    ],
)
def test_p_values_are_printed_as_the_paper_prints_them(p, like, printed):
    assert print_p(p, like) == printed


def test_the_cohorts_paper_keeps_the_papers_relations_file_valid(cohort_paper):
    entries, relations, _ = cohort_paper
    original = yaml.safe_load((REPO / "data/published_checks.yaml").read_text())
    assert relations["sums"] == original["sums"] and relations["tests"] == original["tests"]
