"""Exact search for step-valued samples with a printed mean and SD (in the spirit of SPRITE).

Given n values on a scale with a fixed step (a pain score in halves, a performance
score in tens, months in hundredths), per-value bounds and preferred ("ideal") values,
find integers that hit a printed mean and SD exactly at their printed precision, while
staying as close to the ideal values as the targets allow. Working in whole steps makes
the arithmetic exact: the sum fixes the mean, and the sum of squares (whose parity equals the sum's)
fixes the SD.

References
----------
Heathers JA, Anaya J, van der Zee T, Brown NJL. Recovering data from summary
statistics: Sample Parameter Reconstruction via Iterative TEchniques (SPRITE).
PeerJ Preprints 2018;6:e26968v1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from manuscript_engine.core.formatting import format_decimal


def decimals_of(printed: str) -> int:
    """Decimals shown in a printed number ("5.00" -> 2, "76" -> 0)."""
    return len(printed.split(".", 1)[1]) if "." in printed else 0


@dataclass(frozen=True)
class SearchResult:
    """The values found, and whether the printed mean and SD were reachable."""

    values: np.ndarray
    mean_reachable: bool
    sd_reachable: bool


def clear_of_rounding_edge(value: float, decimals: int) -> bool:
    """False when ``value`` sits on a half-way point, where rounding rules disagree."""
    scaled = abs(value) * 10**decimals
    return abs(scaled - math.floor(scaled) - 0.5) > 1e-6


def reachable_sums(n: int, step: float, mean_text: str, low: int, high: int) -> range:
    """Sums (in steps) whose mean prints as ``mean_text``; empty when none can (GRIM).

    The mean grows with the sum, so the answer is one run of whole numbers, found from
    its ends in constant time whatever n is. A sum whose mean sits exactly half-way
    between two printed values can only be at an end of the run; it is dropped when
    others remain, so any rounding rule prints the same text.
    """
    decimals = decimals_of(mean_text)
    target, half = float(mean_text), 0.5 * 10 ** (-decimals)

    def prints(total: int) -> bool:
        return format_decimal(total * step / n, decimals) == mean_text

    first = max(low, math.ceil((target - half) * n / step) - 2)
    last = min(high, math.floor((target + half) * n / step) + 2)
    while first <= last and not prints(first):
        first += 1
    while last >= first and not prints(last):
        last -= 1
    if first > last:
        return range(0)
    if last > first and not clear_of_rounding_edge(first * step / n, decimals):
        first += 1
    if last > first and not clear_of_rounding_edge(last * step / n, decimals):
        last -= 1
    return range(first, last + 1)


def nearest_sum(n: int, step: float, mean_text: str, low: int, high: int) -> int:
    """The achievable sum whose mean is closest to the printed mean."""
    centre = float(mean_text) * n / step
    return int(min(max(round(centre), low), high))


def sd_of(total: int, squares: int, n: int, step: float) -> float:
    """Sample SD (n - 1 denominator, as SPSS) from the sum and sum of squares in steps."""
    return math.sqrt(max(squares - total * total / n, 0.0) / (n - 1)) * step


def reachable_squares(n: int, step: float, total: int, sd_text: str) -> range:
    """Sums of squares with the parity of ``total`` whose SD prints as ``sd_text``.

    The SD grows with the sum of squares, so the answer is one contiguous run of
    integers of the right parity (empty when the printed SD is unreachable).
    """
    decimals = decimals_of(sd_text)
    half = 0.5 * 10 ** (-decimals)
    target = float(sd_text)

    def prints(q: int) -> bool:
        return format_decimal(sd_of(total, q, n, step), decimals) == sd_text

    low = math.floor(((max(target - half, 0) / step) ** 2) * (n - 1) + total * total / n) - 2
    high = math.ceil((((target + half) / step) ** 2) * (n - 1) + total * total / n) + 2
    low += (low - total) % 2
    high -= (high - total) % 2
    while low <= high and not prints(low):
        low += 2
    while high >= low and not prints(high):
        high -= 2
    if low > high:
        return range(0)
    clear = [q for q in (low, high) if clear_of_rounding_edge(sd_of(total, q, n, step), decimals)]
    if len(clear) < 2 and high - low >= 4:
        low, high = low + (0 if low in clear else 2), high - (0 if high in clear else 2)
    return range(low, high + 1, 2)


def nearest_in(options: range, value: int) -> int:
    """The member of a stepped range closest to ``value``."""
    if value <= options.start:
        return options.start
    if value >= options[-1]:
        return options[-1]
    return options.start + round((value - options.start) / options.step) * options.step


def search_values(
    ideal: np.ndarray,
    *,
    low: np.ndarray,
    high: np.ndarray,
    step: float,
    mean_text: str,
    sd_text: str | None,
    rng: np.random.Generator,
) -> SearchResult:
    """Values in ``[low, high]`` (per element, on the step grid) that hit the printed stats.

    Parameters
    ----------
    ideal : array
        Preferred value of each element (sets ranks and correlation with other data).
    low, high : array
        Inclusive bounds per element, in the scale's units (equal bounds pin a value).
    step : float
        The scale's granularity.
    mean_text, sd_text : str
        The printed mean and SD (``sd_text`` None to fit the mean only).
    rng : numpy Generator
        Breaks ties among equally good moves; seeded by the caller.

    Returns
    -------
    SearchResult
        ``values`` in scale units. Where no sample can print the target (GRIM, or no SD
        of the right parity), the nearest achievable mean or SD is used and the flag
        is False.
    """
    n = len(ideal)
    lo = np.rint(np.asarray(low) / step).astype(np.int64)
    hi = np.rint(np.asarray(high) / step).astype(np.int64)
    want = np.asarray(ideal, dtype=float) / step
    units = np.clip(np.rint(want), lo, hi).astype(np.int64)

    sums = reachable_sums(n, step, mean_text, int(lo.sum()), int(hi.sum()))
    current = int(units.sum())
    total = (
        nearest_in(sums, current)
        if sums
        else nearest_sum(n, step, mean_text, int(lo.sum()), int(hi.sum()))
    )
    _move_sum(units, total, want, lo, hi)

    sd_ok = True
    if sd_text is not None and n > 1:
        squares_options = reachable_squares(n, step, total, sd_text)
        sd_ok = bool(squares_options)
        squares_now = int((units * units).sum())
        if squares_options:
            squares = nearest_in(squares_options, squares_now)
        else:
            target = (float(sd_text) / step) ** 2 * (n - 1) + total * total / n
            squares = int(round(target))
            squares += (squares - total) % 2
        if not _move_squares(units, squares, want, lo, hi, rng):
            sd_ok = False
    return SearchResult(units * step, bool(sums), sd_ok)


def _move_sum(units, total, want, lo, hi) -> None:
    """Step single values up or down, those furthest from their ideal first."""
    while (gap := total - int(units.sum())) != 0:
        if gap > 0:
            room = units < hi
            pull = np.where(room, want - units, -np.inf)
            units[int(np.argmax(pull))] += 1
        else:
            room = units > lo
            push = np.where(room, units - want, -np.inf)
            units[int(np.argmax(push))] -= 1


def _move_squares(units, squares, want, lo, hi, rng, max_moves: int = 200_000) -> bool:
    """Spread or gather pairs (sum unchanged) until the sum of squares is exact.

    Moving ``a`` down and ``b`` up one step changes the sum of squares by
    ``2 (u_b - u_a) + 2``; the reverse move by ``-2 (u_b - u_a) + 2``. Each move is the
    largest that does not overshoot, preferring pairs whose move brings both values
    closer to their ideals.
    """
    for _ in range(max_moves):
        gap = squares - int((units * units).sum())
        if gap == 0:
            return True
        diff = units[None, :] - units[:, None]  # diff[a, b] = u_b - u_a
        if gap > 0:
            delta = 2 * diff + 2
            legal = (diff >= 0) & (units > lo)[:, None] & (units < hi)[None, :]
            fit = (want < units)[:, None].astype(int) + (want > units)[None, :].astype(int)
        else:
            delta = -2 * diff + 2
            legal = (diff >= 2) & (units < hi)[:, None] & (units > lo)[None, :]
            fit = (want > units)[:, None].astype(int) + (want < units)[None, :].astype(int)
        np.fill_diagonal(legal, False)
        legal &= np.abs(delta) <= abs(gap)
        if not legal.any():
            return False
        size = np.where(legal, np.abs(delta), -1)
        best = size.max()
        score = np.where(size == best, fit + rng.random(size.shape) * 0.5, -1.0)
        a, b = np.unravel_index(int(np.argmax(score)), score.shape)
        if gap > 0:
            units[a] -= 1
            units[b] += 1
        else:
            units[a] += 1
            units[b] -= 1
    return False
