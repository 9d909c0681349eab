"""Printed percentages, intervals for a proportion and tests on 2x2 counts, read backwards.

Which count and denominator print as a percentage, under which rounding convention;
which interval method reproduces printed limits; which test reproduces a printed P from
counts (or from every count set a printed percentage allows). Pure functions.

Percentages are computed in exact fractions (``Fraction(100 * count, n)``), so a value on
a half-way point (1/8 = 12.5%) is exactly half-way and the conventions can be told apart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from itertools import product

from manuscript_engine.audit.rounding import decimals_in, p_range_reached
from manuscript_engine.core.formatting import format_decimal

Z95 = 1.959963984540054  # the normal 97.5% point, scipy.stats.norm.ppf(0.975)
ROUNDING = "rounding"
HALF_EVEN = "rounding half to even"
TRUNCATION = "truncation"
DOUBLE_ROUNDING = "double rounding"
CONVENTIONS = (ROUNDING, HALF_EVEN, TRUNCATION, DOUBLE_ROUNDING)


def _text(text: str) -> tuple[Fraction, int]:
    body = text.replace("%", "").replace("−", "-").strip()
    return Fraction(body), decimals_in(body)


def _half_up(value: Fraction, decimals: int) -> Fraction:
    scale = 10**decimals
    return Fraction(math.floor(value * scale + Fraction(1, 2)), scale)


def _half_even(value: Fraction, decimals: int) -> Fraction:
    return Fraction(round(value * 10**decimals), 10**decimals)  # Fraction rounds half to even


def _truncated(value: Fraction, decimals: int) -> Fraction:
    return Fraction(math.floor(value * 10**decimals), 10**decimals)


def percent_readings(count: int, n: int, printed_text: str) -> str | None:
    """The convention that makes ``count``/``n`` print as ``printed_text`` (a percentage).

    "rounding" (half up, as SPSS and most journals); "rounding half to even" only when
    the percentage is exactly half-way and half up would print the other neighbour
    (1/8 = 12.5% printed "12"); "truncation" (12/28 = 42.857% printed "42.8"); "double
    rounding", rounded to one more decimal first and then again (40/53 = 75.47% -> 75.5
    -> "76"); None when no convention gives the text. Tried in that order.
    """
    if n <= 0:
        raise ValueError(f"a percentage of {count} needs a positive denominator, not {n}")
    value = Fraction(100 * count, n)
    target, decimals = _text(printed_text)
    readings = {
        ROUNDING: _half_up(value, decimals),
        HALF_EVEN: _half_even(value, decimals),
        TRUNCATION: _truncated(value, decimals),
        DOUBLE_ROUNDING: _half_up(_half_up(value, decimals + 1), decimals),
    }
    return next((name for name in CONVENTIONS if readings[name] == target), None)


def counts_behind_percent(
    printed_pct: str, n: int, conventions: Iterable[str] = (ROUNDING,)
) -> list[int]:
    """Counts out of ``n`` whose percentage prints as ``printed_pct`` (by default by rounding)."""
    allowed = set(conventions)
    return [c for c in range(n + 1) if percent_readings(c, n, printed_pct) in allowed]


def denominators_behind_percent(
    count: int, printed_pct: str, up_to: int, conventions: Iterable[str] = (ROUNDING,)
) -> list[int]:
    """Denominators up to ``up_to`` that make ``count`` print as ``printed_pct``."""
    allowed = set(conventions)
    first = max(count, 1)
    return [
        n for n in range(first, up_to + 1) if percent_readings(count, n, printed_pct) in allowed
    ]


# ----------------------------------------------------------------- intervals for a proportion
def _wald(count: int, n: int, z: float) -> tuple[float, float]:
    """Wald limits, not clipped to 0-100% (statsmodels clips; papers print 101%)."""
    p = count / n
    half = z * math.sqrt(p * (1 - p) / n)
    return 100 * (p - half), 100 * (p + half)


def proportion_intervals(count: int, n: int) -> dict[str, tuple[float, float]]:
    """95% intervals for count/n, in percent, by the methods papers use.

    Wald (z = 1.96, unclipped), Wald with z = 2 (a rule of thumb), Wilson,
    Clopper–Pearson and Agresti–Coull (statsmodels ``proportion_confint``).
    """
    from statsmodels.stats.proportion import proportion_confint

    out = {"Wald": _wald(count, n, Z95), "Wald (z = 2)": _wald(count, n, 2.0)}
    for name, method in (
        ("Wilson", "wilson"),
        ("Clopper–Pearson", "beta"),
        ("Agresti–Coull", "agresti_coull"),
    ):
        low, high = proportion_confint(count, n, method=method)
        out[name] = (100 * float(low), 100 * float(high))
    return out


def interval_readings(count: int, n: int, printed_low: str, printed_high: str) -> list[str]:
    """Methods whose limits both print as the printed limits, at their printed precision."""
    low_decimals, high_decimals = decimals_in(printed_low), decimals_in(printed_high)
    low_text = format_decimal(float(_text(printed_low)[0]), low_decimals)
    high_text = format_decimal(float(_text(printed_high)[0]), high_decimals)
    return [
        name
        for name, (low, high) in proportion_intervals(count, n).items()
        if format_decimal(low, low_decimals) == low_text
        and format_decimal(high, high_decimals) == high_text
    ]


# ------------------------------------------------------------------------- 2x2 tables
def two_by_two_p(a: int, n1: int, b: int, n2: int) -> dict[str, float]:
    """P of χ², χ² with Yates' correction and Fisher's exact test (two-sided) for a/n1 vs b/n2.

    The χ² tests are left out when a margin is empty (their statistic is undefined).
    """
    from scipy import stats

    grid = [[a, b], [n1 - a, n2 - b]]
    if min(a, b, n1 - a, n2 - b) < 0:
        raise ValueError(f"counts {a}/{n1} and {b}/{n2} must lie between 0 and their totals")
    out = {"Fisher's exact test": float(stats.fisher_exact(grid).pvalue)}
    if min(a + b, n1 + n2 - a - b, n1, n2) > 0:
        out["χ² test"] = float(stats.chi2_contingency(grid, correction=False).pvalue)
        out["χ² test with Yates' correction"] = float(
            stats.chi2_contingency(grid, correction=True).pvalue
        )
    return out


def two_by_two_p_range(
    counts1: Iterable[int], n1: int, counts2: Iterable[int], n2: int
) -> dict[str, tuple[float, float]]:
    """Range of each test's P over every pair of candidate counts (e.g. from
    :func:`counts_behind_percent` when a count is printed only as a percentage)."""
    ranges: dict[str, tuple[float, float]] = {}
    for a, b in product(list(counts1), list(counts2)):
        for name, p in two_by_two_p(a, n1, b, n2).items():
            low, high = ranges.get(name, (p, p))
            ranges[name] = (min(low, p), max(high, p))
    return ranges


def reaching_tests(printed: str, ranges: dict[str, tuple[float, float]]) -> list[str]:
    """The tests whose P range (from :func:`two_by_two_p_range`) reaches the printed P."""
    return [name for name, (low, high) in ranges.items() if p_range_reached(printed, low, high)]
