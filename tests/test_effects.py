"""Effect estimates and their intervals against published and documented values.

Newcombe's values are those printed in his Table II (Stat Med 1998;17:873-90, method
10); the t intervals are R's printed output for the sleep data that ship with R; the
Hodges–Lehmann values are SAS PROC NPAR1WAY's documented Example "Hodges-Lehmann
Estimation" (the React data of its exact Wilcoxon example).
"""

import math

import numpy as np
import pytest

from manuscript_engine.stats.effects import (
    bonferroni,
    hodges_lehmann,
    holm,
    mean_difference,
    ordered_differences,
    paired_change,
    rank_sum_sd,
    risk_difference,
)

SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


@pytest.mark.parametrize(
    ("events", "totals", "low", "high"),
    [
        ((56, 48), (70, 80), 5.24, 33.39),  # Newcombe Table II, (a)
        ((9, 3), (10, 10), 17.05, 80.90),  # (b)
        ((0, 0), (10, 20), -16.11, 27.75),  # (e): no events at all
        ((10, 0), (10, 20), 67.91, 100.0),  # (f)
    ],
)
def test_risk_difference_has_newcombes_hybrid_score_interval(events, totals, low, high):
    estimate = risk_difference(events, totals, 0.95)
    assert estimate.value == pytest.approx(100 * (events[0] / totals[0] - events[1] / totals[1]))
    assert (estimate.low, estimate.high) == pytest.approx((low, high), abs=0.006)


def test_difference_in_means_has_welchs_interval_unless_student_is_chosen():
    # R: t.test(extra ~ group, data = sleep)  ->  95 percent CI: -3.3654832  0.2054832
    welch = mean_difference(SLEEP_1, SLEEP_2, 0.95)
    assert welch.value == pytest.approx(0.75 - 2.33)
    assert (welch.low, welch.high) == pytest.approx((-3.3654832, 0.2054832), abs=1e-6)
    # R: t.test(extra ~ group, data = sleep, var.equal = TRUE) -> -3.363874  0.203874
    student = mean_difference(SLEEP_1, SLEEP_2, 0.95, equal_variances=True)
    assert (student.low, student.high) == pytest.approx((-3.363874, 0.203874), abs=1e-6)
    with_missing = mean_difference([*SLEEP_1, math.nan], SLEEP_2, 0.95)
    assert with_missing == welch


def test_hodges_lehmann_shift_and_moses_interval_match_sas_npar1way():
    # SAS/STAT PROC NPAR1WAY, Example "Hodges-Lehmann Estimation" (React data, alpha=.02):
    # location shift 0.3500, asymptotic (Moses) 98% confidence limits 0.0000 and 0.8200.
    stimulant_1 = [1.94] * 2 + [2.92] * 4 + [3.27] * 4 + [3.70] * 2 + [3.74]
    stimulant_2 = [3.27] * 3 + [3.70] * 2 + [3.74]
    shift = hodges_lehmann(stimulant_2, stimulant_1, 0.98)
    assert shift.value == pytest.approx(0.35)
    assert (shift.low, shift.high) == pytest.approx((0.0, 0.82))
    # SAS prints the rank sums' SD under H0, with ties: 11.004784
    assert rank_sum_sd(np.array(stimulant_1), np.array(stimulant_2)) == pytest.approx(11.004784)
    reverse = hodges_lehmann(stimulant_1, stimulant_2, 0.98)
    assert (reverse.value, reverse.low, reverse.high) == pytest.approx((-0.35, -0.82, 0.0))


def test_paired_change_matches_rs_paired_t_test():
    # R: t.test(sleep$extra[1:10], sleep$extra[11:20], paired = TRUE)
    #    -> mean difference -1.58, 95 percent CI -2.4598858 -0.7001142 (first − second);
    # the change after − before is the second minus the first.
    change, n = paired_change(SLEEP_1, SLEEP_2, 0.95)
    assert n == 10
    assert change.value == pytest.approx(1.58)
    assert (change.low, change.high) == pytest.approx((0.7001142, 2.4598858), abs=1e-6)
    partial, n = paired_change([1, 2, math.nan, 4], [2, math.nan, 5, 6], 0.95)
    assert n == 2 and partial.value == pytest.approx(1.5)
    constant, _ = paired_change([1, 2, 3], [3, 4, 5], 0.95)
    assert (constant.value, constant.low, constant.high) == (2.0, 2.0, 2.0)


def test_holm_steps_down_and_bonferroni_multiplies():
    # Holm (1979): the k-th smallest of m P values is multiplied by m − k + 1, and the
    # adjusted values are made non-decreasing in that order.
    p = [0.01, 0.04, 0.03, 0.005]
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert bonferroni(p) == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert bonferroni([0.5, 0.6]) == [1.0, 1.0]


def test_estimate_text_joins_bounds_with_to():
    estimate = risk_difference((56, 48), (70, 80), 0.95)
    assert estimate.text(1) == "20.0 (5.2 to 33.4)"
    assert mean_difference(SLEEP_1, SLEEP_2, 0.95).text(2) == "-1.58 (-3.37 to 0.21)"
    assert np.isfinite(estimate.low)


def test_a_missing_p_value_or_an_empty_arm_is_refused():
    with pytest.raises(ValueError, match="missing"):
        holm([0.01, math.nan, 0.02])
    with pytest.raises(Exception, match="both arms"):
        risk_difference((0, 3), (0, 10), 0.95)


@pytest.mark.parametrize("distinct_pairs", [4_000_000, 0])  # distinct values, then bisection
def test_ordered_differences_are_the_sorted_differences_without_making_them(
    distinct_pairs, monkeypatch
):
    import manuscript_engine.stats.effects as effects

    monkeypatch.setattr(effects, "DISTINCT_PAIRS", distinct_pairs)
    generator = np.random.default_rng(5)
    coarse = np.round(generator.normal(5, 2, 300) * 2) / 2  # a 0.5-step scale: many ties
    fine = generator.normal(4.3, 3, 250) * 1.7
    for x, y in ((coarse, fine), (fine, coarse), (coarse, coarse[:120] - 0.3), (fine, fine[:7])):
        every = np.sort(np.subtract.outer(x, y).ravel())
        positions = [0, 1, len(every) // 3, len(every) // 2, len(every) - 2, len(every) - 1]
        assert ordered_differences(x, y, positions) == [float(every[p]) for p in positions]


def test_hodges_lehmann_is_the_median_of_every_difference_for_odd_and_even_counts():
    generator = np.random.default_rng(9)
    for m, n in ((31, 17), (30, 17)):
        x, y = generator.integers(0, 10, m).astype(float), generator.normal(3, 2, n)
        every = np.subtract.outer(x, y).ravel()
        assert hodges_lehmann(x, y, 0.95).value == float(np.median(every))
