"""Precision of the audit: the paper as the synthetic cohort would print it gives the audit
nothing to report, so every inconsistency it finds there is a false alarm."""

from __future__ import annotations

import re
import time

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
    found = [c for c in audit_without_data(*cohort_paper) if c.verdict == "inconsistent"]
    assert found == [], listing(found)


def test_the_audit_with_the_cohort_finds_nothing_in_the_cohorts_paper(cohort_paper):
    entries, relations, codebook = cohort_paper
    frame, enrollment = cohort_frames(REPO / "data/raw", codebook)
    started = time.perf_counter()
    cohort = Cohort(frame, enrollment, registry={}, synthetic=True)
    audit = run_audit(entries, relations, codebook, cohort)
    checks = audit.checks
    assert audit.findings == []
    assert time.perf_counter() - started < 20
    found = [c for c in checks if c.verdict == "inconsistent"]
    assert found == [], listing(found)
    assert sum(c.verdict == "consistent" for c in checks) > 400


def test_the_file_is_the_papers_layout_with_the_cohorts_numbers(cohort_paper, tmp_path):
    out = tmp_path / "published.yaml"
    main(["--out", str(out), "--relations-out", str(tmp_path / "checks.yaml")])
    mine = {e["id"]: e for e in load_published(out)}  # schema-checked
    load_checked_yaml(tmp_path / "checks.yaml", "published_checks", published=list(mine.values()))
    paper = {e["id"]: e for e in load_published(PUBLISHED)}
    assert set(mine) <= set(paper)
    assert all(paper[k]["stat"] == "claim" for k in set(paper) - set(mine))
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
        else:  # same number of decimals and the same '%' as the paper
            assert printed.endswith("%") == str(original["printed"]).endswith("%")
            assert decimals(printed) == decimals(str(original["printed"]))


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
