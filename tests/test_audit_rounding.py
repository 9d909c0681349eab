"""Rounding-aware recomputation: printed inputs as intervals, read-backs of percentages,
intervals and P values, and GRIM/GRIMMER over a range of n.

Reference values come from documentation and published examples, cited at each test. The
source paper's own figures (its Table 1 and 2, Table 3's means on a ten-point scale) are
regression figures: what the audit must say about that paper.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest
from scipy import stats

from manuscript_engine.audit.possible_ns import (
    describe_ns,
    grim_possible_ns,
    grimmer_possible_ns,
)
from manuscript_engine.audit.proportions import (
    CONVENTIONS,
    counts_behind_percent,
    denominators_behind_percent,
    interval_readings,
    percent_readings,
    proportion_intervals,
    reaching_tests,
    two_by_two_p,
    two_by_two_p_range,
)
from manuscript_engine.audit.rounding import (
    mean_difference_ci_range,
    p_display_convention,
    p_matches,
    p_range_reached,
    printed_interval,
    t_test_p,
    t_test_p_range,
)


# ------------------------------------------------------------------ printed intervals, P
@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("5.62", 5.615, 5.625),
        ("76", 75.5, 76.5),
        ("0.000", -0.0005, 0.0005),
        ("<0.001", 0.0, 0.001),
        ("P < 0.05", 0.0, 0.05),
        ("41.4%", 41.35, 41.45),
        ("−1.5", -1.55, -1.45),
    ],
)
def test_a_printed_number_is_the_interval_that_rounds_to_it(text, low, high):
    assert printed_interval(text) == pytest.approx((low, high))


def test_a_count_is_exact_when_told_so():
    assert printed_interval("71", exact=True) == (71.0, 71.0)
    assert printed_interval("71") == (70.5, 71.5)


def test_a_text_without_a_number_is_refused_in_words():
    with pytest.raises(ValueError, match="no number in printed text 'n.s.'"):
        printed_interval("n.s.")


@pytest.mark.parametrize(
    ("printed", "p", "matches"),
    [
        ("0.012", 0.01204, True),
        ("0.012", 0.0126, False),
        ("P = 0.004", 0.0042, True),
        ("<0.001", 0.0004, True),
        ("<0.001", 0.0012, False),
        ("< 0.05", 0.049, True),
        (">0.99", 1.0, True),
    ],
)
def test_p_matches_its_printed_text(printed, p, matches):
    assert p_matches(printed, p) is matches


def test_a_p_range_reaches_a_printed_p_when_they_overlap():
    assert p_range_reached("0.249", 0.2438, 0.2505)
    assert not p_range_reached("0.938", 0.79, 0.88)
    assert p_range_reached("<0.001", 0.0002, 0.004)
    assert not p_range_reached("<0.001", 0.0011, 0.004)
    # The edge: 0.2495 prints 0.250 (half up), 0.2485 prints 0.249.
    assert p_range_reached("0.249", 0.2485, 0.2486)
    assert not p_range_reached("0.249", 0.2495, 0.26)


@pytest.mark.parametrize(
    ("printed", "p", "named"),
    [
        ("0.999", 1.0, "printed as 0.999"),
        ("0.999", 0.99960, "printed as 0.999"),
        (">0.99", 1.0, "as the bound '>0.99'"),
        ("0.000", 0.0003, "below 0.0005 printed as zeros"),
        ("0.999", 0.9990, None),
        ("0.000", 0.0007, None),
        ("0.249", 0.249, None),
    ],
)
def test_a_display_convention_explains_a_p_of_one_or_of_zero(printed, p, named):
    convention = p_display_convention(printed, p)
    assert (convention is None) if named is None else (named in convention)


# ------------------------------------------------------------------ t tests from summaries
def test_student_p_matches_statas_ttesti_worked_example():
    """Stata, "Two-sample t-tests calculator" (stata.com/links/stata-basics/
    two-sample-t-tests-calculator): ``ttesti 20 20 5 32 15 4`` gives t = 3.9805 on 50
    df and Pr(|T| > |t|) = 0.0002."""
    p = t_test_p(20, 5, 20, 15, 4, 32)
    assert p == pytest.approx(2 * stats.t.sf(3.9805, 50), rel=1e-3)
    assert p_matches("0.0002", p)
    low, high = t_test_p_range("20", "5", 20, "15", "4", 32)
    assert low < p < high


def test_welch_p_matches_rs_t_test_example():
    """R, ?t.test examples: ``t.test(1:10, y = c(7:20, 200))`` is Welch's test with
    t = -1.6329, df = 14.165, p-value = 0.1245."""
    x, y = list(range(1, 11)), [*range(7, 21), 200]
    summary = (statistics.mean(x), statistics.stdev(x), 10)
    other = (statistics.mean(y), statistics.stdev(y), 15)
    assert t_test_p(*summary, *other, equal_var=False) == pytest.approx(0.1245, abs=5e-5)


def test_an_input_given_as_a_bare_number_needs_its_decimals():
    with pytest.raises(ValueError, match="m1 is the number 5.6: give it as printed text"):
        t_test_p_range(5.6, "1.34", 70, "5.00", "1.33", 53)
    by_text = t_test_p_range("5.60", "1.34", 70, "5.00", "1.33", 53)
    assert t_test_p_range(5.6, 1.34, 70, 5.0, 1.33, 53, decimals=(2, 2, 2, 2)) == by_text


@pytest.mark.parametrize("equal_var", [True, False])
def test_no_input_inside_the_box_escapes_the_p_range(equal_var):
    """SDs printed whole ("3", "9") with unequal n make Welch's df swing widely."""
    low, high = t_test_p_range("10", "3", 4, "14", "9", 40, equal_var=equal_var)
    rng = np.random.default_rng(7)
    draws = [rng.uniform(*printed_interval(t), 100_000) for t in ("10", "3", "14", "9")]
    p = stats.ttest_ind_from_stats(
        draws[0], draws[1], 4, draws[2], draws[3], 40, equal_var=equal_var
    ).pvalue
    assert low <= p.min() and p.max() <= high
    assert p.min() - low < 0.01 and high - p.max() < 0.01


def test_welchs_p_can_be_extreme_inside_an_edge_not_at_a_corner():
    """6 ± 2 (n 2) vs 13 ± 2 (n 3), SDs printed whole: Welch's df is not monotone in
    the SDs, and the smallest P lies inside an edge of the box, below every corner."""
    low, _ = t_test_p_range("6", "2", 2, "13", "2", 3, equal_var=False)
    sd = np.linspace(1.5, 2.5, 401)
    a, b = np.meshgrid(sd, sd)
    grid = stats.ttest_ind_from_stats(5.5, a, 2, 13.5, b, 3, equal_var=False).pvalue
    corners = stats.ttest_ind_from_stats(
        5.5, a[::400, ::400], 2, 13.5, b[::400, ::400], 3, equal_var=False
    ).pvalue
    assert low == pytest.approx(grid.min(), abs=1e-5)
    assert corners.min() - low > 0.003


def test_a_difference_that_can_be_zero_reaches_p_one():
    assert t_test_p_range("5.0", "1.0", 20, "5.0", "1.0", 20)[1] == 1.0


def test_mean_difference_interval_matches_stata_and_r():
    """Stata's ``ttesti 20 20 5 32 15 4`` prints diff 5 with 95% CI 2.476979 to 7.523021;
    R's ``t.test(1:10, y = c(7:20, 200))`` prints -47.242900 to 6.376233 (Welch).
    Given to six and nine decimals, the ranges shrink onto the documented limits."""
    low, high = mean_difference_ci_range(20, 5, 20, 15, 4, 32, decimals=(6, 6, 6, 6))
    assert low == pytest.approx((2.476979, 2.476979), abs=2e-6)
    assert high == pytest.approx((7.523021, 7.523021), abs=2e-6)
    x, y = list(range(1, 11)), [*range(7, 21), 200]
    summary = (statistics.mean(x), statistics.stdev(x), 10)
    other = (statistics.mean(y), statistics.stdev(y), 15)
    low, high = mean_difference_ci_range(*summary, *other, equal_var=False, decimals=(9, 9, 9, 9))
    assert low[0] == pytest.approx(-47.242900, abs=1e-6)
    assert high[1] == pytest.approx(6.376233, abs=1e-6)


def test_printed_inputs_widen_the_interval_limits_into_ranges():
    low, high = mean_difference_ci_range("5.62", "1.34", 70, "5.00", "1.33", 53)
    assert low == pytest.approx((0.1267, 0.1503), abs=1e-4)
    assert high == pytest.approx((1.0897, 1.1133), abs=1e-4)
    assert p_range_reached("0.14", *low) and not p_range_reached("0.16", *low)


# Regression figures: the source paper's Tables 1 and 2 (n 71 and 53; cement n 70 and 53).
@pytest.mark.parametrize(
    ("inputs", "equal_var", "low", "high", "printed", "reached"),
    [
        (("10.68", "8.33", 71, "9.11", "6.03", 53), True, 0.2438, 0.2505, "0.249", True),
        (("10.68", "8.33", 71, "9.11", "6.03", 53), False, 0.2226, 0.2291, "0.249", False),
        (("19.0", "7.26", 71, "20.02", "8.89", 53), True, 0.4600, 0.5077, "0.486", True),
        (("58.17", "8.70", 71, "59.51", "12.09", 53), True, 0.4707, 0.4777, "0.474", True),
        (("5.62", "1.34", 70, "5.00", "1.33", 53), True, 0.0105, 0.0138, "0.012", True),
        (("6.39", "1.08", 71, "6.43", "1.01", 53), True, 0.7927, 0.8759, "0.938", False),
    ],
)
def test_the_papers_t_test_p_ranges(inputs, equal_var, low, high, printed, reached):
    got = t_test_p_range(*inputs, equal_var=equal_var)
    assert got == pytest.approx((low, high), abs=1e-4)
    assert p_range_reached(printed, *got) is reached


def test_the_papers_age_p_at_the_printed_values():
    assert f"{t_test_p('58.17', '8.70', 71, '59.51', '12.09', 53):.3f}" == "0.474"


# ------------------------------------------------------------------------- percentages
@pytest.mark.parametrize(
    ("count", "n", "printed", "reading"),
    [
        (12, 28, "42.9", "rounding"),
        (12, 28, "42.8", "truncation"),
        (40, 53, "76", "double rounding"),
        (40, 53, "75", "rounding"),
        (1, 8, "13", "rounding"),
        (1, 8, "12", "rounding half to even"),
        (70, 71, "99", "rounding"),
        (29, 70, "41.4%", "rounding"),
        (12, 28, "43.0", None),
    ],
)
def test_the_convention_behind_a_printed_percentage(count, n, printed, reading):
    assert percent_readings(count, n, printed) == reading


def test_counts_and_denominators_behind_a_percentage():
    assert counts_behind_percent("76", 53) == []  # 40/53 = 75.5%, 41/53 = 77.4%
    assert counts_behind_percent("76", 53, CONVENTIONS) == [40]
    assert counts_behind_percent("41.4", 70) == [29]
    assert denominators_behind_percent(12, "42.9", 60) == [28]
    assert denominators_behind_percent(12, "42.8", 60) == []
    assert denominators_behind_percent(12, "42.8", 60, CONVENTIONS) == [28]


def test_a_percentage_of_nobody_is_refused_in_words():
    with pytest.raises(ValueError, match="needs a positive denominator, not 0"):
        percent_readings(3, 0, "10")


# ------------------------------------------------------------- intervals for a proportion
# Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
# seven methods. Stat Med 1998;17:857-872, Table I: method 3 (Wilson score) and method 5
# (Clopper-Pearson exact), as also used in the tests of R's ratesci package.
NEWCOMBE_TABLE_I = [
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0000, 0.1611), (0.0000, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize(("count", "n", "wilson", "exact"), NEWCOMBE_TABLE_I)
def test_intervals_match_newcombe_table_one(count, n, wilson, exact):
    intervals = proportion_intervals(count, n)
    assert [x / 100 for x in intervals["Wilson"]] == pytest.approx(wilson, abs=5e-5)
    assert [x / 100 for x in intervals["Clopper–Pearson"]] == pytest.approx(exact, abs=5e-5)


def test_wald_is_not_clipped_and_z_two_is_wider():
    intervals = proportion_intervals(70, 71)
    assert intervals["Wald"][1] > 100
    assert intervals["Wald (z = 2)"][0] < intervals["Wald"][0]


@pytest.mark.parametrize(
    ("count", "n", "low", "high", "methods"),
    [
        (70, 71, "96", "101", ["Wald", "Wald (z = 2)"]),
        (62, 70, "81", "96", ["Wald", "Wald (z = 2)"]),
        (33, 53, "49", "76", ["Wald (z = 2)"]),
        (81, 263, "25.5", "36.6", ["Wilson", "Agresti–Coull"]),
    ],
)
def test_the_methods_that_reproduce_printed_limits(count, n, low, high, methods):
    assert interval_readings(count, n, low, high) == methods


# ------------------------------------------------------------------------- 2x2 tables
def test_two_by_two_tests_on_the_papers_technical_success():
    """70/71 vs 53/53: Fisher's P is exactly 1, which the paper prints as 0.999."""
    p = two_by_two_p(70, 71, 53, 53)
    assert p["Fisher's exact test"] == pytest.approx(1.0)
    assert p["χ² test"] == pytest.approx(0.3857, abs=1e-4)
    assert not any(p_matches("0.999", value) for value in p.values())
    assert "printed as 0.999" in p_display_convention("0.999", p["Fisher's exact test"])


def test_fishers_p_matches_scipys_worked_example():
    """SciPy, ``scipy.stats.fisher_exact`` docs: 8 whales and 1 shark in the Atlantic, 2
    whales and 5 sharks in the Indian ocean, table [[8, 2], [1, 5]]: P = 0.0349..."""
    p = two_by_two_p(8, 9, 2, 7)
    assert p["Fisher's exact test"] == pytest.approx(0.034965, abs=1e-6)


def test_a_p_range_over_the_counts_a_percentage_allows():
    ranges = two_by_two_p_range(counts_behind_percent("80", 30), 30, [12], 28)
    assert reaching_tests("0.004", ranges) == ["χ² test"]
    assert two_by_two_p(24, 30, 12, 28)["χ² test"] == pytest.approx(0.00358, abs=1e-5)


def test_a_test_left_out_when_a_margin_is_empty():
    assert set(two_by_two_p(0, 10, 0, 12)) == {"Fisher's exact test"}


# ------------------------------------------------------------------------- GRIM, GRIMMER
def test_grim_matches_brown_and_heathers():
    """Brown & Heathers 2017 (Soc Psychol Personal Sci 8:363-9), as quoted in rsprite2's
    ``GRIM_test`` documentation: "A sample of 28 integers cannot result in a mean of 5.19"."""
    assert grim_possible_ns("5.19", 1, [28]) == []
    assert grim_possible_ns("5.18", 1, [28]) == [28]


def test_grimmer_matches_the_examples_of_scrutiny():
    """scrutiny's ``grimmer`` documentation (after Anaya 2016, PeerJ Preprints
    4:e2400v1): mean 5.23 and SD 2.55 are inconsistent with n = 35 but consistent with
    n = 31; mean 2.74, SD 0.96, n = 63 on a two-item scale (steps of 0.5) is consistent."""
    assert grimmer_possible_ns("5.23", "2.55", 1, [31, 35]) == [31]
    assert grimmer_possible_ns("2.74", "0.96", 0.5, [63]) == [63]


def test_scale_bounds_rule_out_means_the_scale_cannot_reach():
    assert grim_possible_ns("60.00", 10, [5]) == [5]
    assert grim_possible_ns("60.00", 10, [5], bounds=(0, 50)) == []


KPS_MEANS = [  # (printed mean, the last plausible n, the n GRIM allows on steps of 10)
    ("60.44", 70, "only for n = 45, 68"),
    ("66.60", 70, "only for n = 47, 50, 53"),
    ("68.36", 70, "only for n = 55, 61, 67"),
    ("64.38", 53, "only for n = 16, 32, 48"),
    ("69.54", 70, "only for n = 65"),
    ("63.92", 53, "only for n = 51"),
    ("70.19", 70, "only for n = 52–54"),
    ("64.33", 53, "only for n = 30"),
    ("70.37", 70, "only for n = 27, 54"),
    ("63.32", 53, "for no plausible n (2–53)"),
]


@pytest.mark.parametrize(("mean", "last", "words"), KPS_MEANS)
def test_the_papers_means_on_a_ten_point_scale(mean, last, words):
    plausible = range(2, last + 1)
    assert describe_ns(grim_possible_ns(mean, 10, plausible, (0, 100)), plausible) == words


@pytest.mark.parametrize(
    ("ns", "words"),
    [
        (range(2, 71), "for every plausible n (2–70)"),
        ([], "for no plausible n (2–70)"),
        ([45, 52, 61, 62, 63], "only for n = 45, 52, 61–63"),
        ([n for n in range(2, 71) if n not in (5, 9, 10, 11)], "except n = 5, 9–11"),
    ],
)
def test_describe_ns_in_words(ns, words):
    assert words in describe_ns(ns, range(2, 71))


def test_grim_over_two_hundred_ns_is_fast():
    start = time.perf_counter()
    grim_possible_ns("60.44", 10, range(2, 201))
    assert time.perf_counter() - start < 0.05
