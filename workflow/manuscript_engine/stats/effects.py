"""How large a between-arm difference is, with its confidence interval (STROBE item 16).

A P value says whether the arms differ; these say by how much, and how precisely:

* proportions: the risk difference (first arm − second), in percentage points, with
  Newcombe's hybrid score interval (his method 10), from statsmodels;
* continuous values: the difference in means with the t interval the configured test
  implies (Welch's unless the test is Student's t), from scipy; and, beside a
  Mann–Whitney comparison, the Hodges–Lehmann shift (median of all between-arm
  differences) with Moses' asymptotic interval, as SAS PROC NPAR1WAY computes them;
* within an arm: the mean paired change from baseline with its paired t interval;
* a family of P values: Holm's step-down adjustment, from statsmodels.

References
----------
Newcombe RG. Stat Med 1998;17:873-90 (method 10).
Hodges JL, Lehmann EL. Ann Math Stat 1963;34:598-611.
Hollander M, Wolfe DA. Nonparametric Statistical Methods. 2nd ed. Wiley; 1999 (4.3).
Holm S. Scand J Stat 1979;6:65-70.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from manuscript_engine.core.formatting import format_decimal
from manuscript_engine.stats.comparisons import TooFewPatients, without_missing


@dataclass(frozen=True)
class Estimate:
    """An effect with its confidence interval, in the unit of its ``name``."""

    name: str
    value: float
    low: float
    high: float
    method: str

    def text(self, decimals: int) -> str:
        """``12.3 (4.5 to 20.1)``: the estimate and its interval, bounds joined by 'to'
        so a negative bound cannot be misread."""
        value, low, high = (format_decimal(v, decimals) for v in (self.value, self.low, self.high))
        return f"{value} ({low} to {high})"


def risk_difference(events: tuple[int, int], totals: tuple[int, int], level: float) -> Estimate:
    """First arm's proportion minus the second's, in percentage points, Newcombe's interval."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    (x1, x2), (n1, n2) = events, totals
    if n1 < 1 or n2 < 1:
        raise TooFewPatients(
            f"a risk difference needs patients in both arms; the arms have {n1} and {n2}"
        )
    low, high = confint_proportions_2indep(
        x1, n1, x2, n2, method="newcomb", compare="diff", alpha=1 - level
    )
    return Estimate(
        "risk difference",
        100 * (x1 / n1 - x2 / n2),
        100 * float(low),
        100 * float(high),
        "Newcombe's hybrid score interval",
    )


def mean_difference(first, second, level: float, equal_variances: bool = False) -> Estimate:
    """Mean of the first arm minus the second's, with the t interval (Welch's by default)."""
    from scipy import stats

    x, y = without_missing(first), without_missing(second)
    result = stats.ttest_ind(x, y, equal_var=equal_variances)
    interval = result.confidence_interval(confidence_level=level)
    return Estimate(
        "difference in means",
        float(x.mean() - y.mean()),
        float(interval.low),
        float(interval.high),
        "Student's t interval" if equal_variances else "Welch's t interval",
    )


def hodges_lehmann(first, second, level: float) -> Estimate:
    """The median of all differences first − second, with Moses' asymptotic interval.

    The interval runs from the C-th smallest to the C-th largest difference, with
    C = ⌊mn/2 − z·σ⌋ and σ the standard deviation of the Wilcoxon rank sum under the
    null hypothesis, corrected for ties (so for the coarse scales of clinical scores);
    these are SAS PROC NPAR1WAY's "Asymptotic (Moses)" limits. C is at least 1.
    """
    from scipy import stats

    x, y = without_missing(first), without_missing(second)
    m, n = len(x), len(y)
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    c = max(1, math.floor(m * n / 2 - z * rank_sum_sd(x, y)))
    middle = [(m * n - 1) // 2, m * n // 2]  # one position when m·n is odd, two when even
    low, high, *centre = ordered_differences(x, y, [c - 1, m * n - c, *middle])
    return Estimate(
        "Hodges–Lehmann shift",
        float(centre[0]) if centre[0] == centre[1] else float(np.mean(centre)),
        float(low),
        float(high),
        "Moses' asymptotic interval",
    )


DISTINCT_PAIRS = 4_000_000
"""Above this many pairs of distinct values, differences are found by bisection."""


def ordered_differences(x: np.ndarray, y: np.ndarray, positions: list[int]) -> list[float]:
    """The differences x_i − y_j at the given positions (from 0) of their sorted list.

    The same values as sorting all m·n differences, without making them: 500,000
    patients against 365,000 would need 1.3 TiB. Clinical values are coarse (a few
    hundred distinct ages or scores), so the distinct values' differences, each
    counted as often as it occurs, are sorted instead; for finer data each position is
    found by bisection over the floating-point numbers, counting the differences below
    a candidate in each row of the (implicitly) sorted table.
    """
    values_x, counts_x = np.unique(np.asarray(x, dtype=float), return_counts=True)
    values_y, counts_y = np.unique(np.asarray(y, dtype=float), return_counts=True)
    if len(values_x) * len(values_y) <= DISTINCT_PAIRS:
        differences = np.subtract.outer(values_x, values_y).ravel()
        order = np.argsort(differences, kind="stable")
        reached = np.cumsum(np.multiply.outer(counts_x, counts_y).ravel()[order])
        return [
            float(differences[order][np.searchsorted(reached, p, side="right")]) for p in positions
        ]
    return [_difference_by_bisection(np.sort(x), np.sort(y), p) for p in positions]


def _difference_by_bisection(x: np.ndarray, y: np.ndarray, position: int) -> float:
    """The difference at ``position`` of the sorted x_i − y_j (x and y sorted)."""

    def at_most(limit: float) -> int:
        # In row i the differences fall as y_j grows: those <= limit are y_j >= y[b_i].
        b = np.searchsorted(y, x - limit, side="left")
        while True:  # rounding may put the boundary one place off: move it until exact
            left = (b > 0) & (x - y[np.maximum(b - 1, 0)] <= limit)
            right = (b < len(y)) & (x - y[np.minimum(b, len(y) - 1)] > limit)
            if not (left.any() or right.any()):
                return int((len(y) - b).sum())
            b = b - left + right

    low, high = _ordered_key(x[0] - y[-1]), _ordered_key(x[-1] - y[0])
    while low < high:  # the smallest float with more than `position` differences at most it
        mid = (low + high) // 2
        if at_most(_float_of_key(mid)) > position:
            high = mid
        else:
            low = mid + 1
    return _float_of_key(low)


def _ordered_key(value: float) -> int:
    """An integer that orders floats as their values do (for bisection over them)."""
    bits = int(np.float64(value).view(np.int64))
    return bits if bits >= 0 else -(bits & 0x7FFFFFFFFFFFFFFF)


def _float_of_key(key: int) -> float:
    bits = key if key >= 0 else (-key) | -0x8000000000000000
    return float(np.int64(bits).view(np.float64))


def rank_sum_sd(first: np.ndarray, second: np.ndarray) -> float:
    """SD of the Wilcoxon rank sum under the null, with the usual correction for ties."""
    m, n = len(first), len(second)
    total = m + n
    _, ties = np.unique(np.concatenate([first, second]), return_counts=True)
    correction = float(np.sum(ties**3 - ties)) / (total * (total - 1))
    return math.sqrt(m * n / 12 * ((total + 1) - correction))


def paired_change(before, after, level: float) -> tuple[Estimate, int]:
    """Mean change (after − before) in patients with both values, its paired t interval, n."""
    from scipy import stats

    pairs = np.column_stack([np.asarray(before, float), np.asarray(after, float)])
    pairs = pairs[~np.isnan(pairs).any(axis=1)]
    change = pairs[:, 1] - pairs[:, 0]
    if len(change) < 2:
        return Estimate("mean change", math.nan, math.nan, math.nan, "paired t interval"), len(
            change
        )
    interval = stats.ttest_1samp(change, 0.0).confidence_interval(confidence_level=level)
    low, high = float(interval.low), float(interval.high)
    if np.all(change == change[0]):  # no spread: the interval is the value itself
        low = high = float(change[0])
    return Estimate("mean change", float(change.mean()), low, high, "paired t interval"), len(
        change
    )


def holm(p_values: list[float]) -> list[float]:
    """Holm-adjusted P values, in the order given. A missing P is refused: statsmodels
    would leave it out and so quietly shrink the family."""
    from statsmodels.stats.multitest import multipletests

    if any(not math.isfinite(p) for p in p_values):
        raise ValueError("Holm's adjustment needs every P value of the family; one is missing")

    return [float(p) for p in multipletests(p_values, method="holm")[1]]


def bonferroni(p_values: list[float]) -> list[float]:
    """Bonferroni-adjusted P values (each times the family's size, at most 1)."""
    return [min(1.0, p * len(p_values)) for p in p_values]
