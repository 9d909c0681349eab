"""Each kind of audit check on small crafted inputs, then on the real paper."""

from __future__ import annotations

import pytest
import yaml
from conftest import CODEBOOK, PUBLISHED, REPO

from manuscript_engine.audit import checks as audit
from manuscript_engine.audit.against_data import Cohort
from manuscript_engine.audit.findings import group_findings
from manuscript_engine.audit.model import SEVERITIES
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
    [
        ("88.6%", "89", "consistent"),
        ("42.9%", "42.8%", "inconsistent"),
        # 41.4% and 41.5% share only 41.45, which would have to be rounded down in one
        # place and up in the other; 41.47 prints as both 41.5% and 41%.
        ("41.4%", "41.5%", "inconsistent"),
        ("41.5%", "41", "consistent"),
    ],
)
def test_the_same_quantity_printed_twice(first, second, verdict):
    of = {"arm": B, "pop": "outcome", "var": "relief_final", "is": "yes"}
    paper = make_paper([entry("x", "percent", first, **of), entry("y", "percent", second, **of)])
    (check,) = audit.check_repeats(paper)
    assert check.verdict == verdict


def kps(stat, printed, visit="preop"):
    return entry(
        f"t3.kps.{visit}.{stat}.pvp_itr",
        stat,
        printed,
        arm=A,
        pop="outcome",
        var="kps",
        visit=visit,
    )


TREATED_A = count("safety.treated.pvp_itr", "70")


@pytest.mark.parametrize(("mean", "verdict"), [("60.44", "inconsistent"), ("60.43", "consistent")])
def test_grim_for_a_mean_on_a_ten_point_step(mean, verdict):
    # 70 KPS scores (steps of 10) sum to a multiple of 10: 4230/70 = 60.43, 4240/70 = 60.57.
    paper = make_paper([TREATED_A, kps("mean", mean)])
    (check,) = audit.check_granularity(paper)
    assert check.check == "grim" and check.verdict == verdict
    assert check.involves == ("t3.kps.preop.mean.pvp_itr", "safety.treated.pvp_itr")


@pytest.mark.parametrize(("sd", "verdict"), [("4.47", "inconsistent"), ("4.64", "consistent")])
def test_grimmer_for_an_sd_on_a_ten_point_step(sd, verdict):
    paper = make_paper([TREATED_A, kps("mean", "60.43"), kps("sd", sd)])
    checks = {c.check: c for c in audit.check_granularity(paper)}
    assert checks["grimmer"].verdict == verdict


def test_grim_where_the_paper_never_prints_n_says_for_which_n_it_holds():
    # After 3 months n is at most the 70 treated; 69.54 on steps of 10 needs a sum that is a
    # multiple of 10 within n * [69.535, 69.545): only n = 65 (4520/65 = 69.538...).
    (check,) = audit.check_granularity(make_paper([TREATED_A, kps("mean", "69.54", "m06")]))
    assert check.verdict == "conditional"
    assert check.condition == "possible only for n = 65"
    # 60.44 on steps of 10 is possible for no n from 2 to 70 at all: a contradiction.
    (never,) = audit.check_granularity(make_paper([TREATED_A, kps("mean", "63.32", "m06")]))
    assert (never.verdict, never.severity) == ("inconsistent", "contradiction")
    assert "impossible for every such n" in never.explanation and never.cause == "step:kps"


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


def means_paper(m1, s1, m2, s2, p):
    return make_paper(
        [
            entry("m1", "mean", m1),
            entry("s1", "sd", s1),
            count("n1", "71"),
            entry("m2", "mean", m2),
            entry("s2", "sd", s2),
            count("n2", "53", arm=B),
            entry("p", "p_value", p),
        ]
    )


MEANS_RULE = [{"p": "p", "means": [["m1", "s1", "n1"], ["m2", "s2", "n2"]]}]


def test_a_rank_test_p_is_not_judged_by_a_t_test():
    # The methods name the Mann–Whitney test, which needs the data: a t-test agreeing or
    # not decides nothing, whatever it gives.
    (check,) = audit.check_tests(
        means_paper("58.17", "8.70", "59.51", "12.09", "0.474"),
        MEANS_RULE,
        {"categorical": ["chi2"], "continuous": ["mann_whitney"]},
    )
    assert check.verdict == "not checkable"
    assert "Student's t-test" in check.recomputed and "Mann–Whitney" in check.explanation


@pytest.mark.parametrize(
    ("printed", "verdict"), [("0.249", "consistent"), ("0.262", "inconsistent")]
)
def test_a_t_test_p_is_consistent_when_some_rounding_of_the_inputs_reaches_it(printed, verdict):
    # 10.68 ± 8.33 (n 71) vs 9.11 ± 6.03 (n 53): Student's t gives 0.2471 from the printed
    # values, which prints as 0.247, not 0.249; inputs inside their rounding reach 0.244–0.250.
    (check,) = audit.check_tests(
        means_paper("10.68", "8.33", "9.11", "6.03", printed),
        MEANS_RULE,
        {"categorical": ["chi2"], "continuous": ["t"]},
    )
    assert check.verdict == verdict


def table3(mark, a_mean="21.06", b_mean="28.55", visit="m03"):
    entries = [count("safety.treated.pvp_itr", "54"), count("safety.treated.pvp", "44", arm=B)]
    for arm, mean, sd in (("pvp_itr", a_mean, "12.81"), ("pvp", b_mean, "11.01")):
        of = {"arm": arm, "pop": "outcome", "var": "odi", "visit": visit}
        entries += [
            entry(f"t3.odi.{visit}.mean.{arm}", "mean", mean, **of),
            entry(f"t3.odi.{visit}.sd.{arm}", "sd", sd, **of),
        ]
    entries.append(
        entry(f"t3.odi.{visit}.mark", "significance_mark", mark, compares=f"odi.{visit}")
    )
    entries.append(entry("claim", "claim", "P < 0.05", compares="x"))
    return make_paper(entries)


@pytest.mark.parametrize(("mark", "verdict"), [("*", "consistent"), ("none", "inconsistent")])
def test_a_significance_mark_against_the_recomputed_p(mark, verdict):
    (check,) = audit.check_marks(table3(mark))
    assert check.verdict == verdict


def test_a_missing_mark_where_n_is_not_printed_says_how_few_patients_it_needs():
    # At one year the paper prints no n: the difference is significant for the 54 and 44
    # treated, and stops being so only with far fewer patients assessed.
    (check,) = audit.check_marks(table3("none", visit="m12"))
    assert check.verdict == "conditional"
    assert check.condition.startswith("unmarked only if fewer than ")


def test_policy_separates_new_acknowledged_and_resolved():
    def check(key):
        return audit.Check(f"sum:{key}", "", "", "", "sum", "inconsistent", "", involves=(key,))

    found = group_findings([check("a"), check("b")], order=["a", "b"])
    policy = audit.apply_policy(found, {"finding:a": "known", "finding:c": "old"}, strict=True)
    assert policy["new"] == ["finding:b"] and policy["acknowledged"] == ["finding:a"]
    assert policy["resolved"] == ["finding:c"]


@pytest.fixture(scope="module")
def real_audit():
    codebook = load_codebook(CODEBOOK)
    cohort = Cohort(
        frame=build_patients(REPO / "data/raw", codebook),
        enrollment=read_cohort(REPO / "data/raw", codebook)["enrollment"],
        registry={},
        synthetic=True,
    )
    return audit.run_audit(load_published(PUBLISHED), RELATIONS, codebook, cohort)


# The source paper's distinct problems, each with its severity (see config/audit.yaml).
EXPECTED_FINDINGS = {
    "finding:pain.final.excellent.pvp_itr": "contradiction",
    "finding:typed-differently:kps.pvp": "contradiction",
    "finding:asia_last.a.pvp": "contradiction",
    "finding:t2.technical_success.n.pvp": "contradiction",
    "finding:step:odi": "contradiction",
    "finding:t3.odi.m12.mark": "contradiction",
    "finding:step:kps": "contradiction",
    "finding:safety.technical_success.ci_low.pvp_itr": "likely error",
    "finding:t3.kps.preop.mark": "likely error",
    "finding:abstract.fact.ablation": "likely error",
    "finding:abstract.fact.mobility": "likely error",
    "finding:discussion.fact.blinding": "likely error",
    "finding:methods.cement_range": "ambiguous",
    "finding:unit:vertebrae": "ambiguous",
    "finding:pain.final.relief_ci_low.pvp": "ambiguous",
    "finding:pain.deteriorated.total": "ambiguous",
    "finding:denominator:t2.n.pvp_itr": "ambiguous",
    "finding:t2.technical_success.p": "convention",
    "finding:t2.stability.pct.pvp": "convention",
    "finding:discussion.paraplegia.pct.pvp": "convention",
}


def test_the_real_paper_has_its_known_findings_with_their_severity(real_audit):
    found = {f.id: f.severity for f in real_audit.findings}
    assert found == EXPECTED_FINDINGS
    # Worst first.
    ranks = [SEVERITIES.index(f.severity) for f in real_audit.findings]
    assert ranks == sorted(ranks)
    assert all(f.summary for f in real_audit.findings)


def test_one_slip_is_one_finding_with_all_its_evidence(real_audit):
    by_id = {f.id: f for f in real_audit.findings}
    slip = {c.id for c in by_id["finding:discussion.paraplegia.pct.pvp"].checks}
    assert slip == {
        "percent:discussion.paraplegia.pct.pvp",
        "repeat:paraplegia.recovered_pct.pvp",
        "data:discussion.paraplegia.pct.pvp",
    }
    # Every impossible KPS mean and SD is one problem of the KPS summaries.
    kps_checks = by_id["finding:step:kps"].checks
    assert len(kps_checks) > 20 and {c.check for c in kps_checks} >= {"grim", "grimmer"}
    # No check against the synthetic cohort is a finding of its own.
    assert all(any(c.check != "data" for c in f.checks) for f in real_audit.findings)


def test_weak_flags_are_no_longer_inconsistencies(real_audit):
    verdicts = {c.id: (c.verdict, c.severity) for c in real_audit.checks}
    # A rank test's P is not judged by a t-test, for any of the continuous variables.
    for key in ("t1.age_years.p", "t1.symptom_weeks.p", "t2.followup_months.p", "t2.cement.p"):
        assert verdicts[f"test:{key}"] == ("not checkable", ""), key
    # 'eight' is group B's 2 + 6: ambiguous, with the reading named.
    assert verdicts["sum:pain.deteriorated.total"] == ("inconsistent", "ambiguous")
    # A P of 1 printed as 0.999 is a display convention.
    assert verdicts["test:t2.technical_success.p"] == ("inconsistent", "convention")
    # GRIM after month 3 depends on an n the paper never prints.
    assert verdicts["grim:t3.kps.m06.mean.pvp_itr"] == ("conditional", "")


def test_every_finding_of_the_real_paper_is_acknowledged(real_audit):
    acknowledged = yaml.safe_load((REPO / "config/audit.yaml").read_text())["acknowledged"]
    assert audit.apply_policy(real_audit.findings, acknowledged, strict=True)["new"] == []
    assert all(isinstance(reason, str) and reason for reason in acknowledged.values())


# --------------------------------------------------------------------------- the audit step
NEW_FINDING = "finding:asia_last.a.pvp"
STALE_ACKNOWLEDGEMENT = "finding:flow.included.total"


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
        "The audit found 1 finding(s) that config/audit.yaml does not acknowledge:\n"
        f"  - {NEW_FINDING} (contradiction) "
    )
    assert "22 + 3 + 27 = 52" in message
    assert message.endswith("run snakemake --cores 4 --config audit_strict=false")
    # The report is written before the build stops, for the author to read.
    report = (tmp_path / "audit.md").read_text()
    assert f"### `{NEW_FINDING}` (contradiction)" in report
    assert "- **NEW**: not acknowledged" in report


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


def test_a_count_larger_than_its_group_is_a_contradiction_not_a_crash():
    paper = make_paper(
        [
            count("m1", "92"),
            count("n1", "70"),
            count("m2", "29", arm=B),
            count("n2", "53", arm=B),
            entry("p", "p_value", "0.144"),
        ]
    )
    rules = [{"p": "p", "counts": [["m1", "n1"], ["m2", "n2"]]}]
    (check,) = audit.check_tests(paper, rules, {"categorical": ["chi2"], "continuous": ["t"]})
    assert (check.verdict, check.severity) == ("inconsistent", "contradiction")
    assert check.suspects == ("m1", "n1")


@pytest.mark.parametrize(
    ("mean", "sd", "verdict"),
    [
        ("58.17", "8.70", "consistent"),
        ("581.7", "8.70", "inconsistent"),
        ("40.00", "25.00", "inconsistent"),
    ],
)
def test_a_mean_and_sd_against_the_printed_range(mean, sd, verdict):
    # Ages 37–76 (n 71): a mean of 40 allows an SD of at most
    # sqrt((40 - 37)(76 - 40) * 71/70) = 10.45 (Bhatia–Davis), so 25 is impossible.
    of = {"arm": A, "pop": "included", "var": "age_years"}
    paper = make_paper(
        [
            count("t1.n.pvp_itr", "71", pop="included"),
            entry("m", "mean", mean, **of),
            entry("s", "sd", sd, **of),
            entry("lo", "min", "37", **of),
            entry("hi", "max", "76", **of),
        ]
    )
    (check,) = audit.check_ranges(paper)
    assert check.verdict == verdict
