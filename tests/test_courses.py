"""Courses over time the manuscript points out: a mean that rises and falls back by more
than k pooled SDs (manuscript_engine.stats.courses)."""

from __future__ import annotations

import math

import pytest

from manuscript_engine.stats.courses import Point, describe, pooled_sd, reversals


def points(means, sds):
    return [
        Point(f"t{i}", m, s, f"{m:.2f}") for i, (m, s) in enumerate(zip(means, sds, strict=True))
    ]


def test_the_pooled_sd_of_two_equal_groups_is_the_root_mean_square():
    assert pooled_sd(3.0, 4.0) == pytest.approx(math.sqrt(12.5))


def test_group_bs_kps_in_the_synthetic_cohort_rises_and_falls_back():
    # 76.23 ± 4.89, 86.98 ± 4.63, 64.34 ± 5.00: +10.75 is 2.26 pooled SDs (4.76), and
    # -22.64 is 4.69 pooled SDs (4.82).
    (found,) = reversals(points([76.23, 86.98, 64.34, 63.92], [4.89, 4.63, 5.00, 6.95]), 2)
    assert (found.before.time, found.middle.time, found.after.time) == ("t0", "t1", "t2")
    assert describe(found, "PVP", "KPS", 2) == (
        "With PVP, mean KPS rose from 76.23 (t0) to 86.98 (t1) and fell to 64.34 (t2), "
        "by more than 2 pooled SDs each way."
    )
    assert reversals(points([76.23, 86.98, 64.34], [4.89, 4.63, 5.00]), 2.5) == []


@pytest.mark.parametrize(
    ("means", "expected"),
    [
        ([58.0, 22.0, 20.0], 0),  # a steady fall is no reversal
        ([58.0, 70.0, 40.0], 1),  # up 3 SDs, down 7.5
        ([58.0, 45.0, 60.0], 1),  # a fall and a rise back
        ([58.0, 62.0, 40.0], 0),  # the rise is 1 SD only
    ],
)
def test_only_a_move_beyond_k_sds_each_way_is_a_reversal(means, expected):
    found = reversals(points(means, [4.0, 4.0, 4.0]), 2)
    assert len(found) == expected
    if found:
        assert found[0].rises_first == (means[1] > means[0])
