"""Statistical functions against independent reference values.

Where R is quoted, the value is R's printed output for the call in the comment (the
sleep data ship with R). Elsewhere the reference is computed in the test from the
textbook formula, with code that shares nothing with the package.
"""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from manuscript_engine.stats.comparisons import (
    TooFewPatients,
    compare_categorical,
    compare_continuous,
    proportion_interval,
)

SETTINGS = {
    "continuous_test": "mann_whitney",
    "mann_whitney_continuity": False,
    "min_expected_count": 5,
    "chi2_continuity_correction": False,
    "fisher_rxc_resamples": 20000,
    "ci_method": "wilson",
    "ci_level": 0.95,
    "seed": 1,
}
# R: sleep$extra split by sleep$group
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_welch_t_test_matches_r_on_the_sleep_data():
    # R: t.test(extra ~ group, data = sleep)  ->  t = -1.8608, df = 17.776, p-value = 0.07939
    result = compare_continuous(SLEEP_1, SLEEP_2, SETTINGS | {"continuous_test": "welch_t"})
    assert result.test == "welch_t"
    assert result.statistic == pytest.approx(-1.8608, abs=1e-4)
    assert result.p == pytest.approx(0.07939, abs=1e-5)


def test_student_t_test_matches_r_on_the_sleep_data():
    # R: t.test(extra ~ group, data = sleep, var.equal = TRUE)  ->  df = 18, p-value = 0.07919
    result = compare_continuous(SLEEP_1, SLEEP_2, SETTINGS | {"continuous_test": "student_t"})
    assert result.p == pytest.approx(0.07919, abs=1e-5)


def test_mann_whitney_with_continuity_matches_r_on_the_sleep_data():
    # R: wilcox.test(extra ~ group, data = sleep, exact = FALSE)  ->  W = 25.5, p-value = 0.06933
    result = compare_continuous(SLEEP_1, SLEEP_2, SETTINGS | {"mann_whitney_continuity": True})
    assert result.statistic == pytest.approx(25.5)
    assert result.p == pytest.approx(0.06933, abs=1e-5)


def mann_whitney_by_hand(x, y):
    """Normal approximation with tie correction and no continuity correction (SPSS)."""
    u = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y)
    n1, n2 = len(x), len(y)
    n = n1 + n2
    _, counts = np.unique(np.concatenate([x, y]), return_counts=True)
    ties = sum(t**3 - t for t in counts)
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (u - n1 * n2 / 2) / sigma
    return u, math.erfc(abs(z) / math.sqrt(2))


def test_mann_whitney_default_is_the_tie_corrected_normal_approximation():
    u, p = mann_whitney_by_hand(SLEEP_1, SLEEP_2)
    result = compare_continuous(SLEEP_1, SLEEP_2, SETTINGS)
    assert result.statistic == pytest.approx(u)
    assert result.p == pytest.approx(p, rel=1e-9)


def test_identical_values_in_both_arms_give_p_of_one_not_nan():
    result = compare_continuous([3, 3, 3], [3, 3], SETTINGS)
    assert result.p == 1.0 and result.test == "no_variation"


def test_an_arm_with_fewer_than_two_values_is_a_clear_error():
    with pytest.raises(TooFewPatients, match="cement volume .* 1 and 3 patients"):
        compare_continuous([5.0, float("nan")], [4, 5, 6], SETTINGS, "cement volume")


def test_fisher_exact_matches_r_on_the_tea_tasting_table():
    # R: fisher.test(matrix(c(3, 1, 1, 3), nrow = 2))  ->  p-value = 0.4857
    result = compare_categorical([[3, 1], [1, 3]], SETTINGS)
    assert result.test == "fisher"
    assert result.p == pytest.approx(0.4857, abs=1e-4)


def test_chi_squared_is_used_when_every_expected_count_is_at_least_five():
    table = [[40, 31], [31, 22]]
    n = 124
    rows, cols = [71, 53], [71, 53]
    chi2 = sum(
        (table[i][j] - rows[i] * cols[j] / n) ** 2 / (rows[i] * cols[j] / n)
        for i in range(2)
        for j in range(2)
    )
    result = compare_categorical(table, SETTINGS)
    assert result.test == "chi2"
    assert result.statistic == pytest.approx(chi2)
    assert result.p == pytest.approx(math.erfc(math.sqrt(chi2 / 2)))  # chi2 with 1 df


def test_fisher_is_used_when_an_expected_count_is_below_five():
    result = compare_categorical([[70, 53], [1, 0]], SETTINGS)  # technical success
    assert result.test == "fisher"
    assert result.p == pytest.approx(1.0)


def test_yates_correction_is_a_config_choice():
    plain = compare_categorical([[24, 12], [6, 16]], SETTINGS)
    yates = compare_categorical(
        [[24, 12], [6, 16]], SETTINGS | {"chi2_continuity_correction": True}
    )
    assert yates.test == "chi2_yates" and yates.p > plain.p


def test_a_zero_cell_is_handled_and_an_empty_category_is_dropped():
    assert compare_categorical([[5, 0], [5, 10]], SETTINGS).test == "fisher"
    with_empty = compare_categorical([[30, 20], [0, 0], [20, 30]], SETTINGS)
    without = compare_categorical([[30, 20], [20, 30]], SETTINGS)
    assert with_empty.p == pytest.approx(without.p)


def test_tables_beyond_2x2_get_the_exact_fisher_freeman_halton_test_by_default():
    # R: fisher.test(Job) on the 4×4 table of its help page  ->  p-value = 0.7827
    job = np.array([1, 2, 1, 0, 3, 3, 6, 1, 10, 10, 14, 9, 6, 7, 12, 11]).reshape(4, 4).T
    result = compare_categorical(job, SETTINGS)
    assert result.test == "fisher_freeman_halton"
    assert result.label == "Fisher–Freeman–Halton exact test"
    assert result.p == pytest.approx(0.7827, abs=5e-5)


def test_the_monte_carlo_option_names_its_draws_seed_and_standard_error():
    table = [[43, 29], [4, 5], [5, 1], [7, 3], [0, 1]]
    settings = SETTINGS | {"fisher_rxc": "monte_carlo"}
    first = compare_categorical(table, settings)
    assert first.test == "fisher_freeman_halton_monte_carlo"
    assert compare_categorical(table, settings).p == first.p  # seeded: reproducible
    assert first.label == (
        "Fisher–Freeman–Halton test by Monte Carlo "
        "(20,000 draws, seed 1; standard error of P at most 0.0035)"
    )
    exact = compare_categorical(table, SETTINGS).p
    assert abs(first.p - exact) < 4 * math.sqrt(exact * (1 - exact) / 20000)


def wilson_by_hand(x, n, z=1.959963984540054):
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


@pytest.mark.parametrize(("count", "n"), [(62, 70), (70, 71), (0, 10), (53, 53)])
def test_wilson_interval_matches_the_formula_and_stays_within_0_and_100(count, n):
    low, high = proportion_interval(count, n, SETTINGS)
    ref_low, ref_high = wilson_by_hand(count, n)
    assert low == pytest.approx(max(ref_low, 0), abs=1e-9)
    assert high == pytest.approx(min(ref_high, 100), abs=1e-9)
    assert 0 <= low <= 100 * count / n <= high <= 100


def test_clopper_pearson_interval_matches_beta_quantiles():
    low, high = proportion_interval(12, 28, SETTINGS | {"ci_method": "clopper_pearson"})
    assert low == pytest.approx(100 * scipy_stats.beta.ppf(0.025, 12, 17))
    assert high == pytest.approx(100 * scipy_stats.beta.ppf(0.975, 13, 16))
