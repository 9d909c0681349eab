"""Rounding-aware recomputation: a printed number is an interval, not a point.

statcheck's rule (Nuijten MB et al. Behav Res Methods 2016;48:1205-26), extended to every
input: a mean printed "5.62" is any value in [5.615, 5.625), so a statistic recomputed from
printed means and SDs is a range, and the printed result is consistent when some input
inside the intervals reproduces it. Pure functions: no checks, no study words.

Printing rounds half away from zero (:func:`manuscript_engine.core.formatting.format_decimal`,
as SPSS does); the half-open interval below is that rule's.
"""

from __future__ import annotations

import math
import re

import numpy as np

from manuscript_engine.core.formatting import format_decimal

Interval = tuple[float, float]
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
EDGE_POINTS = 65  # points per edge of the box of SDs (see t_test_p_range)


def decimals_in(text: str) -> int:
    """Decimals shown in a printed number ("5.00" -> 2, "76" -> 0, "< 0.001" -> 3)."""
    match = _NUMBER.search(text.replace("−", "-"))
    if not match:
        raise ValueError(f"no number in printed text {text!r}")
    number = match.group(0)
    return len(number.split(".", 1)[1]) if "." in number else 0


def _bound(text: str) -> tuple[str, float]:
    """The comparison sign ('<', '>', '≤', '≥' or '') and the number of a printed value."""
    body = re.sub(r"^\s*[Pp]\s*", "", text.replace("−", "-")).replace("%", "").strip()
    body = body.lstrip("=").strip()
    sign = body[0] if body[:1] in ("<", ">", "≤", "≥") else ""
    match = _NUMBER.search(body)
    if not match:
        raise ValueError(f"no number in printed text {text!r}")
    return sign, float(match.group(0))


def printed_interval(text: str, *, exact: bool = False) -> Interval:
    """The values that print as ``text``: "5.62" -> [5.615, 5.625), "76" -> [75.5, 76.5).

    A leading '<' gives [0, bound) (a P printed "< 0.001"), a leading '>' gives
    (bound, inf). ``exact=True`` is for counts, which are printed whole and are not
    rounded: "71" -> [71, 71]. A '%' sign and a leading "P =" are ignored.
    """
    sign, value = _bound(text)
    if sign in ("<", "≤"):
        return 0.0, value
    if sign in (">", "≥"):
        return value, math.inf
    if exact:
        return value, value
    half = 0.5 * 10 ** -decimals_in(text)
    return value - half, value + half


def p_matches(printed: str, p: float) -> bool:
    """Whether a P value prints as ``printed`` ("0.012", "<0.001", "P = 0.004", "< 0.05")."""
    sign, bound = _bound(printed)
    if sign == "<":
        return p < bound
    if sign == "≤":
        return p <= bound
    if sign == ">":
        return p > bound
    if sign == "≥":
        return p >= bound
    return format_decimal(p, decimals_in(printed)) == format_decimal(bound, decimals_in(printed))


def p_range_reached(printed: str, low: float, high: float) -> bool:
    """Whether some P in [low, high] prints as ``printed`` (works for any printed number)."""
    sign, bound = _bound(printed)
    if sign in ("<", "≤"):
        return low < bound or (sign == "≤" and low <= bound)
    if sign in (">", "≥"):
        return high > bound or (sign == "≥" and high >= bound)
    first, last = printed_interval(printed)
    return low < last and high >= first


def p_display_convention(printed: str, p: float) -> str | None:
    """A display convention that explains why ``p`` does not print as ``printed``, or None.

    Two are known: a P that rounds to 1 shown as the largest value below 1 ("0.999") or
    as a bound (">0.99"), which several journals and programs do because "P = 1.000"
    reads as certainty; and a P below half the last digit shown as zeros ("0.000"), which
    is how SPSS displays P < 0.0005 (it means "< 0.001").
    """
    sign, bound = _bound(printed)
    decimals = decimals_in(printed)
    if sign == ">" and bound < 1 <= float(format_decimal(p, decimals)):
        return f"a P that rounds to 1 printed as the bound '>{format_decimal(bound, decimals)}'"
    nines = sign == "" and 0 < bound < 1 and set(format_decimal(bound, decimals)[2:]) == {"9"}
    if nines and format_decimal(p, decimals) == format_decimal(1.0, decimals):
        return f"a P that rounds to 1 printed as {format_decimal(bound, decimals)}"
    zeros = format_decimal(0.0, decimals)
    if sign == "" and bound == 0 and decimals > 0 and format_decimal(p, decimals) == zeros:
        return f"a P below {format_decimal(0.5 * 10**-decimals, decimals + 1)} printed as zeros"
    return None


# ------------------------------------------------------------------ t test from summaries
def _input_interval(value: str | float, decimals: int | None, name: str) -> Interval:
    if isinstance(value, str):
        return printed_interval(value)
    if decimals is None:
        raise ValueError(
            f"{name} is the number {value!r}: give it as printed text (e.g. '5.60', "
            "which keeps its trailing zeros) or give its decimals"
        )
    return printed_interval(format_decimal(value, decimals))


def t_test_p(m1, s1, n1, m2, s2, n2, *, equal_var: bool = True) -> float:
    """Two-sided Student (or Welch) P at the printed values themselves."""
    from scipy import stats

    args = [float(x) for x in (m1, s1, n1, m2, s2, n2)]
    return float(stats.ttest_ind_from_stats(*args, equal_var=equal_var).pvalue)


def _box(m1, s1, m2, s2, decimals) -> tuple[Interval, np.ndarray, np.ndarray]:
    """The range of m1 - m2 and the SD pairs on the edges of the box of printed SDs."""
    d = decimals or (None, None, None, None)
    m1i, s1i = _input_interval(m1, d[0], "m1"), _input_interval(s1, d[1], "s1")
    m2i, s2i = _input_interval(m2, d[2], "m2"), _input_interval(s2, d[3], "s2")
    sd1 = [max(x, 0.0) for x in s1i]
    sd2 = [max(x, 0.0) for x in s2i]
    grid = np.linspace(0.0, 1.0, EDGE_POINTS)
    along1, along2 = sd1[0] + grid * (sd1[1] - sd1[0]), sd2[0] + grid * (sd2[1] - sd2[0])
    a = np.concatenate([np.full_like(grid, sd1[0]), np.full_like(grid, sd1[1]), along1, along1])
    b = np.concatenate([along2, along2, np.full_like(grid, sd2[0]), np.full_like(grid, sd2[1])])
    return (m1i[0] - m2i[1], m1i[1] - m2i[0]), a, b


def t_test_p_range(
    m1: str | float,
    s1: str | float,
    n1: int,
    m2: str | float,
    s2: str | float,
    n2: int,
    *,
    equal_var: bool = True,
    decimals: tuple[int, int, int, int] | None = None,
) -> Interval:
    """Smallest and largest two-sided P over every mean and SD that prints as given.

    Means and SDs are printed texts ("10.68", keeping trailing zeros) or numbers with
    ``decimals`` = (decimals of m1, s1, m2, s2); n1, n2 are exact counts. P comes from
    ``scipy.stats.ttest_ind_from_stats`` (Student, or Welch with ``equal_var=False``);
    it falls as |d| grows, and is 1 when d can be 0.

    Why the points evaluated suffice. The means enter only through d = m1 - m2, so only
    the two ends of its range matter. For the SDs, work with v_i = s_i^2 / n_i: scaling
    both by c leaves Welch's df (a function of v1/(v1+v2) only) unchanged and multiplies
    the standard error by sqrt(c), so the result is monotone along every ray from the
    origin. Each ray crosses the box of (v1, v2) once, so the extremes lie on the box's
    boundary edges, never inside; along an edge the result is a smooth function of one
    variable, sampled at ``EDGE_POINTS`` points (corners included). Welch's df is not
    monotone in the SDs, which is why the edges are sampled and not only the corners
    (for 6 ± 2, n 2 vs 13 ± 2, n 3 the smallest Welch P lies inside an edge); Student's
    df is fixed, so its extremes are corners.
    """
    from scipy import stats

    diffs, a, b = _box(m1, s1, m2, s2, decimals)
    largest = max(abs(x) for x in diffs)
    smallest = 0.0 if diffs[0] <= 0 <= diffs[1] else min(abs(x) for x in diffs)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = [
            stats.ttest_ind_from_stats(diff, a, n1, 0.0, b, n2, equal_var=equal_var).pvalue
            for diff in (smallest, largest)
        ]
    values = np.concatenate(p)
    values = values[np.isfinite(values)]
    if smallest == 0.0:
        return float(values.min()), 1.0
    return float(values.min()), float(values.max())


def mean_difference_ci_range(
    m1: str | float,
    s1: str | float,
    n1: int,
    m2: str | float,
    s2: str | float,
    n2: int,
    *,
    equal_var: bool = True,
    level: float = 0.95,
    decimals: tuple[int, int, int, int] | None = None,
) -> tuple[Interval, Interval]:
    """Ranges of the lower and of the upper limit of the t interval for m1 - m2.

    The interval is d ± t(df) · SE, pooled (Student) or Welch–Satterthwaite, over every
    mean and SD that prints as given (inputs as in :func:`t_test_p_range`). Check
    printed limits against these ranges with :func:`p_range_reached`, which works for
    any printed number. The limits are found on the same points as
    :func:`t_test_p_range`'s, for the same reason.
    """
    from scipy import stats

    diffs, a, b = _box(m1, s1, m2, s2, decimals)
    if equal_var:
        df = np.full_like(a, n1 + n2 - 2)
        pooled = ((n1 - 1) * a**2 + (n2 - 1) * b**2) / (n1 + n2 - 2)
        se = np.sqrt(pooled * (1 / n1 + 1 / n2))
    else:
        v1, v2 = a**2 / n1, b**2 / n2
        se = np.sqrt(v1 + v2)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    half = stats.t.ppf(0.5 + level / 2, df) * se
    half = half[np.isfinite(half)]
    low, high = float(half.min()), float(half.max())
    return (diffs[0] - high, diffs[1] - low), (diffs[0] + low, diffs[1] + high)
