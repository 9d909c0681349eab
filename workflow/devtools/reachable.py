"""The closest mean and SD that n step-valued numbers can have (exact, GRIMMER-style).

GRIM and GRIMMER say whether a printed mean or SD is possible; when it is not, the
reconstruction uses, and the reconciliation reports, the closest one that is. "Closest"
is exact here: every (sum, sum of squares) that n whole numbers in [low, high] can have
is enumerated (one bit set per reachable sum of squares, per sum), so a reported value
is never just the one a search happened to stop at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from manuscript_engine.audit.step_search import decimals_of, sd_of
from manuscript_engine.core.formatting import format_decimal


@dataclass(frozen=True)
class Closest:
    """Sum and sum of squares (in steps) of the closest reachable mean and SD."""

    total: int
    squares: int
    mean: float
    sd: float


@cache
def squares_by_sum(n: int, low: int, high: int) -> tuple[int, ...]:
    """For each sum of n whole numbers in [low, high], a bitmask of its sums of squares."""
    reach = [1]  # zero numbers: sum 0, sum of squares 0
    for _ in range(n):
        grown = [0] * (len(reach) + high)
        for total, mask in enumerate(reach):
            if mask:
                for value in range(low, high + 1):
                    grown[total + value] |= mask << (value * value)
        reach = grown
    return tuple(reach)


def closest_reachable(
    n: int, step: float, mean_text: str, sd_text: str, low: int, high: int
) -> Closest:
    """The reachable mean nearest the printed one, then the SD nearest the printed SD.

    ``low`` and ``high`` bound each value in steps. A mean that prints as ``mean_text``
    counts as distance zero, so any of them may carry the closest SD.
    """
    reach = squares_by_sum(n, low, high)
    decimals, target_mean = decimals_of(mean_text), float(mean_text)
    target_sd = float(sd_text)

    def mean_gap(total: int) -> float:
        mean = total * step / n
        return 0.0 if format_decimal(mean, decimals) == mean_text else abs(mean - target_mean)

    centre = round(target_mean * n / step)
    window = range(max(0, centre - n), min(len(reach), centre + n + 1))
    gaps = {t: mean_gap(t) for t in window if reach[t]}
    best_gap = min(gaps.values())
    best: Closest | None = None
    for total in (t for t, gap in gaps.items() if math.isclose(gap, best_gap)):
        mask, squares = reach[total], 0
        while mask:
            if mask & 1:
                sd = sd_of(total, squares, n, step)
                if best is None or abs(sd - target_sd) < abs(best.sd - target_sd):
                    best = Closest(total, squares, total * step / n, sd)
            mask >>= 1
            squares += 1
    assert best is not None
    return best
