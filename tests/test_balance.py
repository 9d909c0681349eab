"""Standardized mean differences against their definitions.

Printed references: tableone's README and introduction vignette (the pbc trial) for
multi-category, binary and continuous SMDs; besides, the multi-category form is checked
against Yang & Dalton's expression evaluated independently with an explicit inverse,
and its two-category case against Austin's (2009) binary formula by hand.
"""

import math

import numpy as np
import pytest

from manuscript_engine.stats.balance import smd_categorical, smd_continuous


def test_continuous_smd_is_the_difference_over_the_mean_sd():
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0, math.nan]
    expected = abs(2.5 - 5.0) / math.sqrt((np.var(a, ddof=1) + np.var([2, 4, 6, 8], ddof=1)) / 2)
    assert smd_continuous(a, b) == pytest.approx(expected)
    assert smd_continuous([3, 3], [3, 3]) == 0.0
    assert math.isnan(smd_continuous([3, 3], [4, 4]))


def test_two_categories_reduce_to_austins_binary_formula():
    # 30/70 against 45/55: |0.30 − 0.45| / √((0.3·0.7 + 0.45·0.55)/2) = 0.3136
    assert smd_categorical([70, 30], [55, 45]) == pytest.approx(
        0.15 / math.sqrt((0.3 * 0.7 + 0.45 * 0.55) / 2)
    )
    assert smd_categorical([70, 30], [55, 45]) == pytest.approx(0.3136, abs=5e-5)


def test_k_categories_follow_yang_and_dalton():
    first, second = np.array([20, 30, 50]), np.array([40, 35, 25])
    p1, p2 = first / 100, second / 100
    t = (p1 - p2)[1:]
    s = (
        np.array([[p1[1] * (1 - p1[1]), -p1[1] * p1[2]], [-p1[1] * p1[2], p1[2] * (1 - p1[2])]])
        + np.array([[p2[1] * (1 - p2[1]), -p2[1] * p2[2]], [-p2[1] * p2[2], p2[2] * (1 - p2[2])]])
    ) / 2
    assert smd_categorical(first, second) == pytest.approx(math.sqrt(t @ np.linalg.inv(s) @ t))
    assert smd_categorical(first, first * 2) == pytest.approx(0.0)


def test_a_category_one_arm_lacks_or_both_lack_is_guarded():
    with_empty = smd_categorical([20, 30, 0, 50], [40, 35, 0, 25])
    assert with_empty == pytest.approx(smd_categorical([20, 30, 50], [40, 35, 25]))
    assert math.isfinite(smd_categorical([10, 0, 5], [4, 6, 5]))
    assert smd_categorical([10, 0], [0, 10]) == math.inf


def test_tableone_vignette_smds_for_the_pbc_trial():
    # tableone's introduction vignette, CreateTableOne(..., strata = "trt", data = pbc),
    # prints for the two arms (n = 158, 154): sex = f 137 (86.7) against 139 (90.3), SMD
    # 0.111; age 51.42 (11.01) against 48.58 (9.96), SMD 0.270.
    assert smd_categorical([158 - 137, 137], [154 - 139, 139]) == pytest.approx(0.111, abs=5e-4)
    generator = np.random.default_rng(0)

    def with_moments(mean, sd, n):
        raw = generator.normal(size=n)
        return mean + sd * (raw - raw.mean()) / raw.std(ddof=1)

    ages = with_moments(51.42, 11.01, 158), with_moments(48.58, 9.96, 154)
    # from the printed (rounded) means and SDs the SMD is 0.2705; their rounding alone
    # moves it by up to 0.001
    assert smd_continuous(*ages) == pytest.approx(0.270, abs=1.5e-3)


def test_tableone_readme_multi_category_smds_for_the_pbc_trial():
    # kaz-yos/tableone README.md: CreateTableOne(vars, strata = "trt", data = pbc,
    # factorVars = c("status", "edema", "stage")), printed with smd = TRUE
    assert smd_categorical([83, 10, 65], [85, 9, 60]) == pytest.approx(0.054, abs=5e-4)
    assert smd_categorical([132, 16, 10], [131, 13, 10]) == pytest.approx(0.058, abs=5e-4)
    assert smd_categorical([12, 35, 56, 55], [4, 32, 64, 54]) == pytest.approx(0.246, abs=5e-4)
