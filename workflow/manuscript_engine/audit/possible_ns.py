"""GRIM and GRIMMER over a range of sample sizes, and the answer in words.

When a paper does not say how many patients a mean is about (dropouts at a visit), the
audit asks for which n the printed mean (and SD) could come from values on a known step.
Built on :mod:`manuscript_engine.audit.step_search`, which does the exact search for one n.

References
----------
Brown NJL, Heathers JAJ. The GRIM test. Soc Psychol Personal Sci 2017;8:363-9.
Anaya J. The GRIMMER test. PeerJ Preprints 2016;4:e2400v1.
"""

from __future__ import annotations

from collections.abc import Iterable

from manuscript_engine.audit.step_search import reachable_squares, reachable_sums

_UNBOUNDED = 10**15


def _sum_bounds(n: int, step: float, bounds: tuple[float, float] | None) -> tuple[int, int]:
    if bounds is None:
        return -_UNBOUNDED, _UNBOUNDED
    low, high = bounds
    return round(low / step) * n, round(high / step) * n


def grim_possible_ns(
    printed_mean: str,
    step: float,
    ns: Iterable[int],
    bounds: tuple[float, float] | None = None,
) -> list[int]:
    """The n in ``ns`` for which n values on ``step`` can have a mean printing as given.

    ``bounds`` (lowest, highest value of the scale) also rules out means the scale cannot
    reach. Constant time per n (see :func:`step_search.reachable_sums`).
    """
    return [
        n
        for n in ns
        if n >= 1 and reachable_sums(n, step, printed_mean, *_sum_bounds(n, step, bounds))
    ]


def grimmer_possible_ns(
    printed_mean: str,
    printed_sd: str,
    step: float,
    ns: Iterable[int],
    bounds: tuple[float, float] | None = None,
) -> list[int]:
    """The n in ``ns`` (n >= 2) for which some sum printing as the mean also gives a sum of
    squares printing as the SD (sample SD, n - 1 denominator)."""
    possible = []
    for n in ns:
        if n < 2:
            continue
        sums = reachable_sums(n, step, printed_mean, *_sum_bounds(n, step, bounds))
        if any(reachable_squares(n, step, total, printed_sd) for total in sums):
            possible.append(n)
    return possible


def _runs(values: list[int]) -> list[str]:
    """Consecutive runs of three or more as 'a–b', the rest one by one."""
    parts: list[str] = []
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[i - 1] + 1:
            run = values[start:i]
            parts += [f"{run[0]}–{run[-1]}"] if len(run) >= 3 else [str(v) for v in run]
            start = i
    return parts


def describe_ns(ns: Iterable[int], plausible: Iterable[int]) -> str:
    """Which plausible n are possible, in words, compactly.

    "for every plausible n (2–70)", "for no plausible n (2–70)", "only for n = 45, 52,
    61–63", or, when most are possible, "for every plausible n (2–70) except n = 5, 9".
    """
    span = sorted(set(plausible))
    if not span:
        raise ValueError("describe_ns needs at least one plausible n")
    possible = sorted(set(ns) & set(span))
    label = ", ".join(_runs(span))
    if len(possible) == len(span):
        return f"for every plausible n ({label})"
    if not possible:
        return f"for no plausible n ({label})"
    missing = sorted(set(span) - set(possible))
    if len(missing) < len(possible):
        return f"for every plausible n ({label}) except n = {', '.join(_runs(missing))}"
    return f"only for n = {', '.join(_runs(possible))}"
