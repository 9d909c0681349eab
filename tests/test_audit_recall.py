"""Recall of the data-free audit on planted errors, and the oracle that judges them."""

from __future__ import annotations

import pytest

from devtools.audit_recall import catches, markdown, measure, recall_by_kind
from devtools.detectability import Oracle, count_tests
from devtools.planted_errors import KINDS, Change, Variant, planted_errors
from devtools.published_from_cohort import build
from manuscript_engine.audit.model import Check

TARGET = 95.0


@pytest.fixture(scope="module")
def cohort_paper():
    return build()


PER_KIND = 40  # the sample the suite audits: 368 variants; the README's table audits all


@pytest.fixture(scope="module")
def run(cohort_paper):
    return measure(*cohort_paper, per_kind=PER_KIND)


def test_there_are_over_a_thousand_labelled_variants_of_every_kind(cohort_paper):
    variants = planted_errors(*cohort_paper)
    assert len(variants) >= 1000
    assert {v.kind for v in variants} == set(KINDS)
    for v in variants:
        assert v.ids and v.mutation
        assert all(c.old != c.new for c in v.changes)
    assert len({tuple(v.changes) for v in variants}) == len(variants)


def test_the_variants_are_the_same_on_every_run(cohort_paper):
    assert planted_errors(*cohort_paper) == planted_errors(*cohort_paper)


def test_the_sample_holds_at_least_300_variants_and_every_kind_has_detectable_ones(run):
    rows = recall_by_kind(run.outcomes)
    assert rows["total"]["variants"] >= 300
    assert all(rows[kind]["detectable"] > 0 for kind in KINDS)
    assert rows["total"]["variants"] == rows["total"]["detectable"] + rows["total"]["undetectable"]


def test_one_process_and_several_give_the_same_outcomes(cohort_paper):
    one = measure(*cohort_paper, per_kind=3, workers=1)
    two = measure(*cohort_paper, per_kind=3, workers=2)
    assert one.outcomes == two.outcomes and len(one.outcomes) >= 3 * len(KINDS)


def test_a_finding_the_unchanged_paper_already_shows_is_not_a_catch():
    # A variant that leaves an existing inconsistency as it was has not been caught by it
    # (the harness runs on any paper, findings and all); a changed one has.
    old = Check("sum:s", "Table 1", "40 + 13", "53", "sum", "inconsistent", "", ("x",), ("x",))
    before = {(old.id, old.published, old.recomputed)}
    assert not catches(old, ("x",), before)
    changed = Check("sum:s", "Table 1", "41 + 13", "54", "sum", "inconsistent", "", ("x",), ("x",))
    assert catches(changed, ("x",), before)
    assert not catches(changed, ("y",), before)


def test_the_report_has_the_table_and_the_missed_variants(run):
    text = markdown(run)
    assert text.startswith("| kind | variants | detectable | caught |")
    assert "| **total** |" in text and "## Missed detectable variants" in text
    assert "## Missed" not in markdown(run, table_only=True)


def test_recall_on_detectable_variants_reaches_the_target(run):
    rows = recall_by_kind(run.outcomes)
    total = rows["total"]
    assert not [o.error for o in run.outcomes if o.error]
    assert 100 * total["caught"] / total["detectable"] >= TARGET, markdown(run)


# --------------------------------------------------------------------------- the oracle
CODEBOOK = {
    "arms": {"groups": [{"key": "a"}, {"key": "b"}]},
    "tables": {"t": {"columns": {"score": {"step": 1, "min": 1, "max": 6}}}},
}
RELATIONS = {
    "methods": {"alpha": 0.05},
    "sums": [{"id": "s", "parts": ["x", "y"], "total": "n"}],
    "denominators": [{"pop": "outcome", "id": "n"}],
    "tests": [{"p": "p", "means": [["m", "sd", "k"], ["m", "sd", "k"]]}],
    "direction": {
        "claims": [
            {
                "id": "c.all",
                "claim": "c",
                "significant": True,
                "scores": ["score"],
                "visits": ["m01"],
            },
            {
                "id": "c.rate",
                "claim": "c",
                "arm": "a",
                "direction": "higher",
                "rates": {"a": ["x", "n"], "b": ["xb", "nb"]},
            },
        ]
    },
}


def entry(id_, stat, printed, **of):
    return {"id": id_, "where": id_, "printed": printed, "measures": id_, "stat": stat, "of": of}


def paper():
    hit = {"arm": "a", "pop": "outcome", "var": "v", "is": "yes"}
    return [
        entry("x", "count", "40", **hit),
        entry("y", "count", "13", arm="a", pop="outcome", var="v", is_="no"),
        entry("n", "count", "53", arm="a", pop="outcome"),
        entry("pct", "percent", "75%", **hit),
        entry("pct_again", "percent", "75.5%", **hit),
        # GRIM, Wikipedia "GRIM test": 20 rolls of a die cannot average 3.48 (any
        # whole number over 20 ends in 0 or 5 at two decimals); 3.45 can.
        entry("m", "mean", "3.45", arm="a", pop="outcome", var="score"),
        entry("sd", "sd", "1.50", arm="a", pop="outcome", var="score"),
        entry("k", "count", "20", arm="a", pop="included"),
        entry("p", "p_value", "0.474", compares="score"),
        entry("t3.score.m01.mark", "significance_mark", "*", compares="score.m01"),
        {**entry("c", "claim", "P < 0.05", compares="score"), "measures": "higher in a"},
        entry("xb", "count", "20", arm="b", pop="outcome", var="v", is_="yes"),
        entry("nb", "count", "50", arm="b", pop="outcome"),
    ]


def judged(changes):
    entries = paper()
    oracle = Oracle(entries, RELATIONS, CODEBOOK)
    assert oracle.broken_in_base == []
    variant = Variant("hand", "hand", tuple(Change(i, f, "", new) for i, f, new in changes))
    return oracle.broken(variant.changed({e["id"]: e for e in entries}))


@pytest.mark.parametrize(
    ("changes", "detectable"),
    [
        ([("x", "printed", "41")], True),  # a part of a printed sum, off by one
        ([("pct", "printed", "76%")], True),  # 40/53 = 75.47%: 76 is the wrong rounding
        ([("pct_again", "printed", "75.4%")], True),  # 75.47 is 75.5 at one decimal
        ([("m", "printed", "3.48")], True),  # GRIM (Wikipedia's example)
        ([("m", "printed", "3.50")], False),  # 70/20
        ([("m", "printed", "35.0")], True),  # outside the 1-6 scale
        # GRIMMER: 20 values summing to 69 need a sum of squares of odd parity; 1.54
        # allows 283, 1.51 allows none (281.08-281.66).
        ([("sd", "printed", "1.54")], False),
        ([("sd", "printed", "1.51")], True),
        ([("p", "printed", "0.447")], False),  # Mann-Whitney: not from printed summaries
        ([("t3.score.m01.mark", "printed", "none")], True),  # against "all significant"
        ([("c", "printed", "P > 0.05")], True),  # its words against the printed mark
        ([("c", "measures", "lower in a")], True),  # 40/53 is not lower than 20/50
        ([("xb", "printed", "38")], True),  # 38/50 = 76% is above 40/53 = 75.5%
        ([("xb", "printed", "37")], False),  # 74% is still below
    ],
)
def test_the_oracle_on_hand_made_errors(changes, detectable):
    assert bool(judged(changes)) is detectable


def test_the_oracle_knows_grim_from_the_papers_49_participants():
    # Brown & Heathers' example (The Economist, 18 June 2016): 49 answers on an integer
    # scale cannot average 5.93 (5.93 x 49 = 290.57); 5.92 = 290/49 can.
    from devtools.detectability import Reading, grim_sums

    assert grim_sums(Reading(5.93, 0.005), 49, 1.0) == []
    assert grim_sums(Reading(5.92, 0.005), 49, 1.0) == [290]


def test_the_oracles_fisher_test_matches_rs_tea_tasting_example():
    # R, ?fisher.test, "Agresti (1990, p. 61f; 2002, p. 91) Fisher's Tea Drinker":
    # TeaTasting = matrix(c(3, 1, 1, 3)); two-sided p-value = 0.4857.
    assert count_tests([[3, 4], [1, 4]])[0] == pytest.approx(0.4857, abs=5e-5)
