"""Each kind of audit check on small crafted inputs, then on the real paper."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import CODEBOOK, PUBLISHED, REPO

from manuscript_engine.audit import checks as audit
from manuscript_engine.audit.published import load_published
from manuscript_engine.data.cohort import load_codebook, read_cohort
from manuscript_engine.data.vocabulary import study_arms
from vertebroplasty.analysis_dataset import build_patients

A, B = "pvp_itr", "pvp"  # published.yaml names arms by their codebook keys
BOOK = load_codebook(CODEBOOK)
RELATIONS = yaml.safe_load((REPO / "data/published_checks.yaml").read_text())


def make_paper(entries):
    """A paper with this study's mapping: arms, alpha, denominators (published_checks.yaml)."""
    return audit.Paper(entries, arms=study_arms(BOOK), codebook=BOOK, relations=RELATIONS)


def count(id_, printed, arm=A, pop="outcome", **of):
    return {
        "id": id_,
        "where": f"where {id_}",
        "printed": printed,
        "measures": id_,
        "stat": "count",
        "of": {"arm": arm, "pop": pop, **of},
    }


def entry(id_, stat, printed, **of):
    return {
        "id": id_,
        "where": f"where {id_}",
        "printed": printed,
        "measures": id_,
        "stat": stat,
        "of": of,
    }


def verdicts(checks):
    return {c.id: c.verdict for c in checks}


def test_sum_of_parts_against_the_printed_total():
    paper = make_paper([count("a", "2"), count("b", "3"), count("t", "5"), count("u", "6")])
    found = verdicts(
        audit.check_sums(
            paper,
            [
                {"id": "ok", "parts": ["a", "b"], "total": "t"},
                {"id": "bad", "parts": ["a", "b"], "total": "u"},
            ],
        )
    )
    assert found == {"sum:ok": "consistent", "sum:bad": "inconsistent"}


@pytest.mark.parametrize(("printed", "verdict"), [("75", "consistent"), ("76", "inconsistent")])
def test_percentage_against_its_count_and_group_size(printed, verdict):
    of = {"var": "stable", "is": "yes"}
    paper = make_paper(
        [
            count("safety.treated.pvp", "53", arm=B),
            count("n", "40", arm=B, **of),
            {**entry("pct", "percent", printed, arm=B, pop="outcome", **of)},
        ]
    )
    (check,) = audit.check_percentages(paper)
    assert check.verdict == verdict
    assert "40/53 = 75.47%" in check.explanation


@pytest.mark.parametrize(
    ("low", "high", "verdict", "method"),
    [("96", "101", "inconsistent", "Wald"), ("92.4", "99.8", "consistent", "Wilson")],
)
def test_confidence_interval_bounds_and_method(low, high, verdict, method):
    of = {"arm": A, "pop": "included", "var": "technical_success", "is": "yes"}
    paper = make_paper(
        [
            count("t1.n.pvp_itr", "71", pop="included"),
            {**count("n", "70", pop="included"), "of": of},
            entry("lo", "ci_lower", low, **of),
            entry("hi", "ci_upper", high, **of),
        ]
    )
    (check,) = audit.check_intervals(paper)
    assert check.verdict == verdict
    assert method in check.recomputed


@pytest.mark.parametrize(
    ("first", "second", "verdict"),
    [("88.6%", "89", "consistent"), ("42.9%", "42.8%", "inconsistent")],
)
def test_the_same_quantity_printed_twice(first, second, verdict):
    of = {"arm": B, "pop": "outcome", "var": "relief_final", "is": "yes"}
    paper = make_paper([entry("x", "percent", first, **of), entry("y", "percent", second, **of)])
    (check,) = audit.check_repeats(paper)
    assert check.verdict == verdict


def kps_frame(n=70):
    return pd.DataFrame(
        {"arm": [A] * n, "outcome": [True] * n, "kps_preop": [60.0] * n},
        index=pd.Index([f"P{i}" for i in range(n)], name="patient_id"),
    )


@pytest.mark.parametrize(("mean", "verdict"), [("60.44", "inconsistent"), ("60.43", "consistent")])
def test_grim_for_a_mean_on_a_ten_point_step(mean, verdict):
    paper = make_paper(
        [
            entry(
                "t3.kps.preop.mean.pvp_itr",
                "mean",
                mean,
                arm=A,
                pop="outcome",
                var="kps",
                visit="preop",
            )
        ]
    )
    (check,) = audit.check_granularity(paper, kps_frame(), pd.DataFrame(), {"kps": 10.0})
    assert check.check == "grim" and check.verdict == verdict


@pytest.mark.parametrize(("sd", "verdict"), [("4.47", "inconsistent"), ("4.64", "consistent")])
def test_grimmer_for_an_sd_on_a_ten_point_step(sd, verdict):
    of = {"arm": A, "pop": "outcome", "var": "kps", "visit": "preop"}
    paper = make_paper(
        [
            entry("t3.kps.preop.mean.pvp_itr", "mean", "60.43", **of),
            entry("t3.kps.preop.sd.pvp_itr", "sd", sd, **of),
        ]
    )
    checks = {
        c.check: c
        for c in audit.check_granularity(paper, kps_frame(), pd.DataFrame(), {"kps": 10.0})
    }
    assert checks["grimmer"].verdict == verdict


def test_p_recomputed_from_counts_names_the_test_that_reproduces_it():
    paper = make_paper(
        [
            count("m1", "40"),
            count("n1", "71"),
            count("m2", "31", arm=B),
            count("n2", "53", arm=B),
            entry("p", "p_value", "0.811"),
            entry("q", "p_value", "0.300"),
        ]
    )
    rules = [
        {"p": "p", "counts": [["m1", "n1"], ["m2", "n2"]]},
        {"p": "q", "counts": [["m1", "n1"], ["m2", "n2"]]},
    ]
    found = {
        c.id: c
        for c in audit.check_tests(
            paper, rules, {"categorical": ["chi2", "fisher"], "continuous": ["mann_whitney"]}
        )
    }
    assert found["test:p"].verdict == "consistent" and "χ² test" in found["test:p"].recomputed
    assert found["test:q"].verdict == "inconsistent"


def test_p_reproduced_only_by_a_t_test_contradicts_a_mann_whitney_method():
    paper = make_paper(
        [
            entry("m1", "mean", "58.17"),
            entry("s1", "sd", "8.70"),
            count("n1", "71"),
            entry("m2", "mean", "59.51"),
            entry("s2", "sd", "12.09"),
            count("n2", "53", arm=B),
            entry("p", "p_value", "0.474"),
        ]
    )
    (check,) = audit.check_tests(
        paper,
        [{"p": "p", "means": [["m1", "s1", "n1"], ["m2", "s2", "n2"]]}],
        {"categorical": ["chi2"], "continuous": ["mann_whitney"]},
    )
    assert check.verdict == "inconsistent"
    assert "Student's t-test" in check.explanation and "Mann–Whitney" in check.explanation


def table3(mark, a_mean="21.06", b_mean="28.55"):
    entries = []
    for arm, mean, sd in (("pvp_itr", a_mean, "12.81"), ("pvp", b_mean, "11.01")):
        of = {"arm": A if arm == "pvp_itr" else B, "pop": "outcome", "var": "odi", "visit": "m12"}
        entries += [
            entry(f"t3.odi.m12.mean.{arm}", "mean", mean, **of),
            entry(f"t3.odi.m12.sd.{arm}", "sd", sd, **of),
        ]
    entries.append(entry("t3.odi.m12.mark", "significance_mark", mark, compares="odi.m12"))
    entries.append(entry("claim", "claim", "P < 0.05", compares="x"))
    frame = pd.DataFrame({"arm": [A] * 54 + [B] * 44, "outcome": True, "odi_m12": 20.0})
    return make_paper(entries), frame


@pytest.mark.parametrize(("mark", "verdict"), [("*", "consistent"), ("none", "inconsistent")])
def test_a_significance_mark_against_the_recomputed_p(mark, verdict):
    paper, frame = table3(mark)
    (check,) = audit.check_marks(paper, frame, pd.DataFrame())
    assert check.verdict == verdict


@pytest.mark.parametrize(("mark", "verdict"), [("*", "consistent"), ("none", "inconsistent")])
def test_a_claim_of_significance_at_every_time_point(mark, verdict):
    paper, frame = table3(mark)
    rule = {"id": "claim", "expects": "all_significant", "cells": ["t3.odi.m12"]}
    (check,) = audit.check_claims(paper, [rule], frame, pd.DataFrame())
    assert check.verdict == verdict


def test_a_claim_of_no_difference_that_the_table_contradicts():
    paper, frame = table3("none", a_mean="10.00")
    rule = {"id": "claim", "expects": "none_significant", "cells": ["t3.odi.m12"]}
    (check,) = audit.check_claims(paper, [rule], frame, pd.DataFrame())
    assert check.verdict == "inconsistent"


def test_policy_separates_new_acknowledged_and_resolved():
    checks = [
        audit.Check("a", "", "", "", "sum", "inconsistent", ""),
        audit.Check("b", "", "", "", "sum", "inconsistent", ""),
        audit.Check("c", "", "", "", "sum", "consistent", ""),
    ]
    policy = audit.apply_policy(checks, {"a": "known", "c": "was wrong once"}, strict=True)
    assert policy["new"] == ["b"] and policy["acknowledged"] == ["a"]
    assert policy["resolved"] == ["c"]


@pytest.fixture(scope="module")
def real_audit():
    codebook = load_codebook(CODEBOOK)
    frame = build_patients(REPO / "data/raw", codebook)
    enrollment = read_cohort(REPO / "data/raw", codebook)["enrollment"]
    relations = yaml.safe_load((REPO / "data/published_checks.yaml").read_text())
    return audit.run_checks(
        load_published(PUBLISHED), relations, frame, enrollment, {}, codebook, True
    )


def test_the_real_paper_has_more_than_ten_internal_contradictions(real_audit):
    internal = [c for c in real_audit if c.verdict == "inconsistent" and c.check != "data"]
    assert len(internal) > 10
    ids = {c.id for c in internal}
    for expected in (
        "sum:pain.final.relief.pvp_itr",
        "sum:asia_last.pvp",
        "percent:t2.stability.pct.pvp",
        "mark:t3.odi.m12.mark",
        "claim:function.claim.preop",
        "repeat:paraplegia.recovered_pct.pvp",
        "interval:safety.technical_success.ci_low.pvp_itr",
    ):
        assert expected in ids
    assert all(c.explanation for c in internal)


def test_every_inconsistency_of_the_real_paper_is_acknowledged(real_audit):
    acknowledged = yaml.safe_load((REPO / "config/audit.yaml").read_text())["acknowledged"]
    new = audit.apply_policy(real_audit, acknowledged, strict=True)["new"]
    assert new == []
    assert all(isinstance(reason, str) and reason for reason in acknowledged.values())


# --------------------------------------------------------------------------- the audit step
NEW_FINDING = "sum:asia_last.pvp"
STALE_ACKNOWLEDGEMENT = "sum:flow.included.total"


def audit_of_the_real_paper(tmp_path, strict: bool, drop: str | None = NEW_FINDING):
    """write_audit, as the audit step calls it, on the shipped cohort and paper, with
    config/audit.yaml missing the acknowledgement ``drop`` and holding one that no longer
    occurs."""
    from manuscript_engine.data.analysis_dataset import write_patients

    codebook = load_codebook(CODEBOOK)
    patients = tmp_path / "patients.csv"
    write_patients(build_patients(REPO / "data/raw", codebook), patients)
    acknowledgements = tmp_path / "audit.yaml"
    kept = [
        line
        for line in (REPO / "config/audit.yaml").read_text().splitlines()
        if drop is None or f'"{drop}"' not in line
    ]
    acknowledgements.write_text(
        "\n".join([*kept, f'  "{STALE_ACKNOWLEDGEMENT}": "was wrong once"']) + "\n"
    )
    report = tmp_path / "audit.md"
    audit.write_audit(
        published=PUBLISHED,
        relations=REPO / "data/published_checks.yaml",
        patients=patients,
        enrollment=REPO / "data/raw/enrollment.csv",
        number_files=[],
        codebook=CODEBOOK,
        acknowledgements=acknowledgements,
        strict=strict,
        synthetic=True,
        csv=tmp_path / "audit.csv",
        markdown=report,
        numbers=tmp_path / "audit.json",
    )
    return report


def test_a_new_inconsistency_fails_a_strict_audit_and_is_named_with_its_arithmetic(tmp_path):
    with pytest.raises(audit.AuditFailed) as excinfo:
        audit_of_the_real_paper(tmp_path, strict=True)
    message = str(excinfo.value)
    assert message.startswith(
        "The audit found 1 inconsistency(ies) that config/audit.yaml does not acknowledge:\n"
        f"  - {NEW_FINDING} ("
    )
    assert "22 + 3 + 27 = 52" in message
    assert message.endswith("run snakemake --cores 4 --config audit_strict=false")
    # The report is written before the build stops, for the author to read.
    report = (tmp_path / "audit.md").read_text()
    assert f"### `{NEW_FINDING}`" in report and "- **NEW**: not acknowledged" in report


def test_a_lenient_audit_warns_and_reports_new_and_resolved_findings(tmp_path, caplog):
    report = audit_of_the_real_paper(tmp_path, strict=False).read_text()
    assert "NEW" in report
    resolved = report.split("## Resolved", 1)[1].split("##", 1)[0]
    assert f"- `{STALE_ACKNOWLEDGEMENT}`: was wrong once" in resolved
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1 and warned[0].startswith("WARNING: The audit found 1 ")


def test_an_acknowledgement_that_no_longer_applies_does_not_stop_a_strict_audit(tmp_path):
    report = audit_of_the_real_paper(tmp_path, strict=True, drop=None).read_text()
    assert f"- `{STALE_ACKNOWLEDGEMENT}`: was wrong once" in report.split("## Resolved", 1)[1]
    assert "NEW" not in report
