"""The direction and trajectory families of the audit: small crafted papers that pass and
fail each rule, the statistics against published reference values, then the real paper.

No cohort data is read anywhere here: these checks work from the printed numbers alone.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import CODEBOOK, PUBLISHED, REPO

from manuscript_engine.audit import direction as audit
from manuscript_engine.audit import trajectory
from manuscript_engine.audit.model import Paper
from manuscript_engine.audit.published import load_published
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.yaml_schemas import load_checked_yaml
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.data.vocabulary import study_arms

BOOK = load_codebook(CODEBOOK)
A, B = (arm.key for arm in study_arms(BOOK))
SCORES = {"pain": ("vas", "lower"), "fn": ("kps", "higher")}  # codebook columns


def entry(id_, stat, printed, **of):
    return {"id": id_, "where": f"Table X, {id_}", "printed": printed, "measures": id_,
            "stat": stat, "of": of}  # fmt: skip


def cells(score, visit, a, b, mark="none"):
    """One visit of one score: mean ± SD per arm (as printed) and its significance mark."""
    out = []
    for arm, (mean, sd) in ((A, a), (B, b)):
        of = {"arm": arm, "pop": "outcome", "var": score, "visit": visit}
        out += [
            entry(f"{score}.{visit}.mean.{arm}", "mean", mean, **of),
            entry(f"{score}.{visit}.sd.{arm}", "sd", sd, **of),
        ]
    return [*out, entry(f"{score}.{visit}.mark", "significance_mark", mark,
                        compares=f"{score}.{visit}")]  # fmt: skip


def sizes(a="70", b="53"):
    return [
        entry(f"n.{A}", "count", a, arm=A, pop="outcome"),
        entry(f"n.{B}", "count", b, arm=B, pop="outcome"),
        entry("claim", "claim", "P < 0.05", compares="x"),
    ]


def relations(claims=(), **direction):
    return {
        "methods": {"alpha": 0.05},
        # The n is printed up to v1 and at most the printed n later.
        "denominators": [
            {"pop": "outcome", "visits": ["v0", "v1"], "id": "n.{arm}"},
            {"pop": "outcome", "at_most": "n.{arm}"},
        ],
        "direction": {
            "groups": {"function": ["kps"]},
            "claims": list(claims),
            **direction,
        },
        "trajectories": {"k": 2, "baseline": {"visit": "v0", "claims": ["claim"]}},
    }


def paper_of(entries, rel, codebook=BOOK):
    arms = study_arms(BOOK) if codebook else None
    return Paper(entries, arms=arms, codebook=codebook, relations=rel)


WORDING = {True: "P < 0.05", False: "no significant differences", None: "an advantage"}


def run(entries, claim, codebook=BOOK, **direction):
    """The direction checks of one claim, its sentence worded as the rule reads it."""
    rel = relations([{"id": "c", "claim": "claim", **claim}], **direction)
    said = WORDING[claim.get("significant")]
    entries = [{**e, "printed": said} if e["id"] == "claim" else e for e in entries]
    return audit.check_direction(paper_of(entries, rel, codebook), rel)


@pytest.mark.parametrize(
    ("printed", "measures", "significant", "direction"),
    [
        ("P < 0.05", "higher in group A", True, "higher"),
        ("P > 0.05", "higher in group A", False, "higher"),
        ("no significant difference", "lower in group A", False, "lower"),
        ("an advantage", "better in group A", True, "higher"),  # words silent: the rule
    ],
)
def test_a_claim_is_judged_as_its_sentence_words_it(printed, measures, significant, direction):
    claim = {"id": "c", "claim": "s", "arm": A, "direction": "higher", "significant": True}
    paper = paper_of([{**entry("s", "claim", printed, compares="x"), "measures": measures}], {})
    judged = audit.as_printed(paper, claim)
    assert (judged["significant"], judged["direction"]) == (significant, direction)


# --------------------------------------------------------------------------- statistics
def test_t_tests_from_summaries_match_the_scipy_documentation():
    # scipy.stats.ttest_ind_from_stats, Examples: n 13 and 11, means 15.0 and 12.0,
    # variances 87.5 and 39.0 give t = 0.9051, P = 0.3752 (equal variances).
    student, _ = audit.t_tests([(15.0, math.sqrt(87.5), 13), (12.0, math.sqrt(39.0), 11)])
    assert student == pytest.approx(0.3751996797581487, rel=1e-9)


def test_fisher_test_from_counts_matches_r_tea_tasting():
    # R documentation of fisher.test, example TeaTasting: [[3, 1], [1, 3]], P = 0.4857.
    assert audit.count_tests([(3, 4), (1, 4)])["Fisher"] == pytest.approx(0.4857, abs=1e-4)


def test_bhatia_davis_ceiling_is_reached_by_values_at_the_two_ends():
    # Bhatia & Davis (2000): the variance is largest, (M - m)(m - lo), when every value
    # lies at an end; for a sample that is the sample SD of such values.
    values = np.array([0.0] * 30 + [10.0] * 10)
    ceiling = trajectory.bhatia_davis(values.mean(), 0, 10, len(values))
    assert ceiling == pytest.approx(values.std(ddof=1))
    assert trajectory.bhatia_davis(5, 0, 10, 2) == pytest.approx(math.sqrt(50))


def test_the_sd_floor_of_a_stepped_scale_is_reached_by_two_adjacent_steps():
    values = np.array([80.0] * 3 + [90.0] * 7)  # mean 87 on steps of 10
    floor = trajectory.step_floor(values.mean(), 0.0, 0, 10, len(values))
    assert floor == pytest.approx(values.std(ddof=1))
    assert trajectory.step_floor(70.0, 0.005, 0, 10, 50) == 0.0  # a whole step: any SD from 0


# --------------------------------------------------------------------------- direction
def test_a_claim_that_an_arm_is_better_agrees_with_a_marked_cell_it_favours():
    entries = sizes() + cells("vas", "v1", ("2.00", "1.00"), ("3.00", "1.00"), "*")
    (check,) = run(entries, {"arm": A, "significant": True, "scores": ["vas"]})
    assert check.id == "direction:c:vas.v1" and check.verdict == "consistent"
    assert set(check.involves) >= {"claim", "vas.v1.mean.pvp_itr", "vas.v1.mark"}


def test_a_named_score_whose_means_favour_the_other_arm_contradicts_the_claim():
    # lower is better for this score (codebook), and arm B is lower
    entries = sizes() + cells("vas", "v1", ("3.00", "1.00"), ("2.00", "1.00"), "*")
    (check,) = run(entries, {"arm": A, "scores": ["vas"]})
    assert check.verdict == "inconsistent" and check.severity == "contradiction"
    assert "favour PVP by 1" in check.explanation and "marks the difference" in check.explanation


def test_a_score_covered_only_through_a_group_is_checked_too_as_a_likely_error():
    entries = sizes() + cells("kps", "v1", ("66.60", "3.25"), ("87.00", "3.90"), "*")
    (check,) = run(entries, {"arm": A, "scores": ["function"]})
    assert check.verdict == "inconsistent" and check.severity == "likely error"
    assert "through the group 'function'" in check.explanation
    assert set(check.suspects) == {"claim", "kps.v1.mean.pvp_itr", "kps.v1.mean.pvp"}


def test_a_claim_of_significance_at_a_visit_the_table_does_not_mark():
    entries = sizes() + cells("vas", "v1", ("2.00", "1.00"), ("3.00", "1.00"))
    (check,) = run(entries, {"significant": True, "scores": ["vas"]})
    assert check.verdict == "inconsistent" and check.severity == "contradiction"
    assert check.suspects == ("vas.v1.mark",)  # the means support the text: the mark is missing


def test_a_marked_cell_the_summaries_do_not_make_significant():
    entries = sizes() + cells("vas", "v1", ("2.00", "3.00"), ("2.10", "3.00"), "*")
    (check,) = run(entries, {"significant": True, "scores": ["vas"]})
    assert check.verdict == "inconsistent" and check.severity == "likely error"


@pytest.mark.parametrize(
    ("b_mean", "verdict", "severity"),
    [("7.11", "consistent", ""), ("9.50", "inconsistent", "contradiction")],
)
def test_a_claim_of_no_baseline_difference(b_mean, verdict, severity):
    entries = sizes() + cells("vas", "v0", ("7.09", "0.94"), (b_mean, "0.89"))
    (check,) = run(entries, {"significant": False, "scores": ["vas"], "visits": ["v0"]})
    assert (check.verdict, check.severity) == (verdict, severity)


def test_at_a_visit_whose_n_is_not_printed_the_verdict_says_for_which_n_it_holds():
    entries = sizes() + cells("vas", "v9", ("2.00", "1.50"), ("3.00", "1.50"), "*")
    (check,) = run(entries, {"significant": True, "scores": ["vas"]})
    assert check.verdict == "conditional"
    assert "significant only if at least" in check.condition and "v9" in check.condition
    assert "not printed for this visit" in check.explanation


def test_a_claim_checks_every_visit_of_the_table_unless_it_names_some():
    entries = sizes()
    for visit in ("v0", "v1", "v2"):
        entries += cells("vas", visit, ("2.00", "1.00"), ("3.00", "1.00"), "*")
    assert len(run(entries, {"arm": A, "scores": ["vas"]})) == 3
    assert len(run(entries, {"arm": A, "scores": ["vas"], "visits": ["v2"]})) == 1


def test_without_a_codebook_the_relations_say_which_direction_is_better():
    entries = sizes() + cells("vas", "v1", ("3.00", "1.00"), ("2.00", "1.00"))
    entries = [{**e, "printed": WORDING[None]} if e["id"] == "claim" else e for e in entries]
    claim = [{"id": "c", "claim": "claim", "arm": A, "scores": ["vas"]}]
    found = {}
    for better in ("higher", "lower"):
        rel = {**relations(claim), "scales": {"vas": {"better": better}}}
        (found[better],) = audit.check_direction(paper_of(entries, rel, None), rel)
    higher, lower = found["higher"], found["lower"]
    assert (higher.verdict, lower.verdict) == ("consistent", "inconsistent")
    with pytest.raises(
        ManuscriptError, match=r"the score .vas. has no `better` in the codebook or under `scales`"
    ):
        run(entries, {"arm": A, "scores": ["vas"]}, None)


@pytest.mark.parametrize(
    ("events", "p", "verdict"),
    [("60", "P = 0.004", "consistent"), ("30", "P = 0.004", "inconsistent"),
     ("60", "P = 0.21", "inconsistent")],
)  # fmt: skip
def test_a_claim_about_rates_against_the_counts_and_the_printed_p(events, p, verdict):
    entries = sizes() + [
        entry("e.a", "count", events, arm=A, pop="outcome"),
        entry("e.b", "count", "33", arm=B, pop="outcome"),
        entry("p", "p_value", p, compares="x"),
    ]
    claim = {"arm": A, "direction": "higher", "significant": True, "p": ["p"],
             "rates": {A: ["e.a", f"n.{A}"], B: ["e.b", f"n.{B}"]}}  # fmt: skip
    (check,) = run(entries, claim)
    assert check.id == "direction:c" and check.verdict == verdict


def test_a_claim_about_means_against_the_printed_summaries():
    entries = sizes() + [
        entry("m.a", "mean", "5.62", arm=A, pop="outcome", var="x"),
        entry("s.a", "sd", "1.34", arm=A, pop="outcome", var="x"),
        entry("m.b", "mean", "5.00", arm=B, pop="outcome", var="x"),
        entry("s.b", "sd", "1.33", arm=B, pop="outcome", var="x"),
    ]
    means = {A: ["m.a", "s.a", f"n.{A}"], B: ["m.b", "s.b", f"n.{B}"]}
    (higher,) = run(entries, {"arm": A, "direction": "higher", "significant": True,
                              "means": means})  # fmt: skip
    (lower,) = run(entries, {"arm": A, "direction": "lower", "means": means})
    assert (higher.verdict, lower.verdict) == ("consistent", "inconsistent")


# --------------------------------------------------------------------------- trajectories
def course(score, means, sds, arm=B, decimals=None):
    out = []
    for i, (mean, sd) in enumerate(zip(means, sds, strict=True)):
        of = {"arm": arm, "pop": "outcome", "var": score, "visit": f"v{i}"}
        out += [
            entry(f"{score}.v{i}.mean.{arm}", "mean", mean, **of),
            entry(f"{score}.v{i}.sd.{arm}", "sd", sd, **of),
        ]
    return out


def trajectories(entries, codebook=BOOK):
    rel = relations()
    return {c.id: c for c in audit.check_trajectories(paper_of(entries, rel, codebook), rel)}


def test_a_rise_and_fall_of_many_sds_is_a_spike_reported_without_comment():
    entries = sizes() + course("odi", ["58.00", "70.00", "40.00"], ["4.00", "4.00", "5.00"])
    found = trajectories(entries)
    spike = found["trajectory:spike:odi.pvp.v1"]
    assert spike.verdict == "inconsistent" and spike.severity == "likely error"
    assert spike.suspects == ("odi.v1.mean.pvp",)


def test_a_spike_the_text_comments_on_is_reported_not_unexplained():
    entries = sizes() + course("odi", ["58.00", "70.00", "40.00"], ["4.00", "4.00", "5.00"])
    note = {**entry("note", "claim", "ODI rose and fell back", compares="odi"), "where": "Note"}
    rel = relations()
    rel["trajectories"]["comments"] = [
        {"claim": "note", "cell": {"score": "odi", "visit": "v1", "arm": B}}
    ]
    found = {c.id: c for c in audit.check_trajectories(paper_of([*entries, note], rel), rel)}
    spike = found["trajectory:spike:odi.pvp.v1"]
    assert spike.verdict == "consistent" and "note" in spike.involves
    assert "the text comments on this course (Note: 'ODI rose and fell back')" in (
        spike.explanation
    )
    # A comment on another cell, or one the paper does not print, explains nothing.
    rel["trajectories"]["comments"][0]["cell"]["visit"] = "v2"
    found = {c.id: c for c in audit.check_trajectories(paper_of([*entries, note], rel), rel)}
    assert found["trajectory:spike:odi.pvp.v1"].verdict == "inconsistent"


def test_a_baseline_gap_without_a_printed_sentence_of_no_difference_is_not_flagged():
    entries = sizes() + course("kps", ["60.43", "66.57"], ["4.64", "4.78"], arm=A)
    entries += course("kps", ["76.23", "86.98"], ["4.89", "4.63"], arm=B)
    assert "trajectory:baseline:kps.v0" in trajectories(entries)
    without = [e for e in entries if e["id"] != "claim"]
    assert "trajectory:baseline:kps.v0" not in trajectories(without)


def test_a_steady_fall_after_treatment_is_no_spike():
    entries = sizes() + course("odi", ["58.00", "22.00", "20.00"], ["4.00", "5.00", "6.00"])
    assert not [k for k in trajectories(entries) if k.startswith("trajectory:spike")]


def test_a_row_printed_at_another_precision_shares_its_cause_with_the_spike():
    entries = sizes() + course("odi", ["58", "70", "40.00"], ["4.00", "4.00", "5.00"])
    entries += course("odi", ["58.10", "30.00", "31.00"], ["4.00", "4.00", "5.00"], arm=A)
    found = trajectories(entries)
    precision = found["trajectory:precision:odi.pvp"]
    assert precision.suspects == ("odi.v0.mean.pvp", "odi.v1.mean.pvp")
    assert precision.severity == "ambiguous" and precision.reading
    assert found["trajectory:spike:odi.pvp.v1"].cause == precision.cause


def test_a_lone_precision_irregularity_is_a_convention():
    entries = sizes() + course("odi", ["58", "30.00", "31.00"], ["4.00", "4.00", "5.00"])
    precision = trajectories(entries)["trajectory:precision:odi.pvp"]
    assert precision.severity == "convention"


def test_arms_apart_at_baseline_while_the_text_says_they_are_not():
    entries = sizes() + cells("odi", "v0", ("60.44", "4.47"), ("76.00", "3.89"))
    check = trajectories(entries)["trajectory:baseline:odi.v0"]
    assert check.verdict == "inconsistent" and "claim" in check.involves


def test_an_sd_above_the_bhatia_davis_ceiling_is_impossible():
    entries = sizes() + course("vas", ["1.00", "1.00"], ["3.50", "2.00"])
    found = trajectories(entries)
    assert found["trajectory:range:vas.v0.mean.pvp"].severity == "contradiction"
    assert found["trajectory:range:vas.v1.mean.pvp"].verdict == "consistent"


def test_an_sd_below_the_floor_of_a_stepped_scale_names_the_step_as_its_cause():
    entries = sizes() + course("kps", ["87.00", "70.00"], ["3.90", "3.90"])
    found = trajectories(entries)
    floor = found["trajectory:range:kps.v0.mean.pvp"]
    assert floor.severity == "ambiguous" and floor.cause == "step:kps"
    assert "finer than 10" in floor.reading
    assert found["trajectory:range:kps.v1.mean.pvp"].verdict == "consistent"


def test_without_a_codebook_the_relations_give_the_scale():
    entries = sizes() + course("vas", ["1.00"], ["3.50"])
    assert trajectories(entries, None) == {}  # no range known: nothing to check
    rel = relations()
    rel["scales"] = {"vas": {"range": [0, 10]}}
    (check,) = audit.check_trajectories(paper_of(entries, rel, None), rel)
    assert check.severity == "contradiction"


def test_the_sd_floor_from_counts_in_ranges_is_reached_by_values_at_the_range_edges():
    groups = [(62, 0.0, 4.5), (4, 5.0, 6.5), (4, 7.0, 10.0)]
    values = np.array([(1.88 * 70 - 48) / 62] * 62 + [5.0] * 4 + [7.0] * 4)
    assert trajectory.category_floor(1.88, groups) == pytest.approx(values.std(ddof=1), rel=1e-6)
    assert trajectory.category_floor(0.5, groups) is None  # 8 patients at 5 or more: mean ≥ 0.69


@pytest.mark.parametrize(("sd", "verdict"), [("1.54", "consistent"), ("1.20", "inconsistent")])
def test_a_cell_against_the_counts_of_patients_in_ranges_of_its_score(sd, verdict):
    entries = (
        sizes()
        + course("vas", ["1.88"], [sd], arm=A)
        + [
            entry("k1", "count", "62", arm=A, pop="outcome"),
            entry("k2", "count", "4", arm=A, pop="outcome"),
            entry("k3", "count", "four", arm=A, pop="outcome"),
        ]
    )
    rel = relations()
    rel["trajectories"]["categories"] = [{
        "id": "x", "cell": {"score": "vas", "visit": "v0", "arm": A}, "reading": "r",
        "groups": [{"counts": ["k1"], "range": [0, 4.5]}, {"counts": ["k2"], "range": [5, 6.5]},
                   {"counts": ["k3"], "range": [7, 10]}],
    }]  # fmt: skip
    found = {c.id: c for c in audit.check_trajectories(paper_of(entries, rel), rel)}
    check = found["trajectory:categories:x"]
    assert check.verdict == verdict
    assert check.severity == ("ambiguous" if verdict == "inconsistent" else "")


# --------------------------------------------------------------------------- the real paper
@pytest.fixture(scope="module")
def real():
    entries = load_published(PUBLISHED)
    rel = load_checked_yaml(REPO / "data/published_checks.yaml", "published_checks",
                            published=entries)  # fmt: skip
    paper = Paper(entries, arms=study_arms(BOOK), codebook=BOOK, relations=rel)
    checks = audit.check_direction(paper, rel) + audit.check_trajectories(paper, rel)
    return rel, {c.id: c for c in checks}


def test_the_real_paper_known_findings(real):
    _, found = real
    expected = {
        "direction:conclusion.function:kps.m01": "likely error",
        "direction:abstract.conclusion.function:kps.m01": "likely error",
        "direction:function.preop:kps.preop": "contradiction",
        "direction:function.followup:odi.m12": "contradiction",
        "direction:abstract.vas_odi:odi.m12": "contradiction",
        "trajectory:spike:kps.pvp.m01": "likely error",
        "trajectory:baseline:kps.preop": "likely error",
        "trajectory:precision:kps.pvp": "ambiguous",
    }
    for key, severity in expected.items():
        assert (found[key].verdict, found[key].severity) == ("inconsistent", severity), key
    cause = found["trajectory:precision:kps.pvp"].cause
    for key in ("trajectory:spike:kps.pvp.m01", "direction:function.preop:kps.preop"):
        assert found[key].cause == cause
    assert found["direction:function.followup:odi.m12"].suspects == ("t3.odi.m12.mark",)


def test_the_real_paper_has_no_other_direction_findings(real):
    _, found = real
    bad = {k for k, c in found.items() if c.verdict == "inconsistent" and "direction:" in k}
    assert bad == {
        "direction:conclusion.function:kps.m01",
        "direction:abstract.conclusion.function:kps.m01",
        "direction:function.preop:kps.preop",
        "direction:function.followup:odi.m12",
        "direction:abstract.vas_odi:odi.m12",
    }
    assert found["direction:cement.higher"].verdict == "consistent"
    assert found["direction:discussion.leakage"].verdict == "consistent"


# The claims the first audit's claim check read (data/published_checks.yaml `claims:`,
# retired when this family replaced it), with the table cells and P values they rested on.
VISITS = ("m01", "m03", "m06", "m12", "gt12")
RETIRED_CLAIMS = {
    "function.claim.preop": ["t3.vas.preop", "t3.odi.preop", "t3.kps.preop"],
    "function.claim.followup": [f"t3.{s}.{v}" for s in ("vas", "odi", "kps") for v in VISITS],
    "abstract.claim.vas_odi": [f"t3.{s}.{v}" for s in ("vas", "odi") for v in VISITS],
    "abstract.claim.final_relief": ["t2.final_relief.p", "pain.final.p"],
    "abstract.claim.paraplegia_stability": ["paraplegia.p", "stability.p", "t2.stability.p"],
}


def test_every_claim_the_retired_claim_check_read_is_covered(real):
    _, found = real
    covered = {c.involves[0] for c in found.values() if c.check == "direction"}
    assert set(RETIRED_CLAIMS) <= covered
    read = {k for c in found.values() for k in c.involves}
    for keys in RETIRED_CLAIMS.values():
        for key in keys:
            assert (key if key.endswith(".p") else f"{key}.mean.pvp_itr") in read, key
