"""The Fisher–Freeman–Halton exact test for an r×c table, by enumeration.

scipy (1.17) tests tables beyond 2×2 by Monte Carlo only, so its P value changes with
the draws; no maintained Python library offers the exact test. The P value is the
probability, under independence with both margins fixed, of every table no more
probable than the one observed (Freeman & Halton 1951), summed exactly.

How: tables are built one column at a time. A table's probability is the product of
its columns' multivariate hypergeometric probabilities given the row totals still
left, so partial tables that leave the same row totals (in any order) share their
futures: they are merged, keeping each distinct "past" probability once with its
multiplicity, and a partial table is settled at once when even its least probable
completion counts, or even its most probable one does not: Mehta & Patel's network
algorithm, with exact bounds found by the same enumeration over the nodes alone. The
last free column is summed at once: its possible futures are sorted with their
cumulative probability, and each past finds its share by binary search. R's 4×4
example with 96 subjects takes 0.3 s; 12 categories by two arms, 0.01 s.

As R's ``fisher.test`` does, a table counts as "no more probable" when its probability
is at most the observed one times 1 + 10⁻⁷, so ties lost to floating point still count.

References
----------
Freeman GH, Halton JH. Biometrika 1951;38:141-9.
Mehta CR, Patel NR. J Am Stat Assoc 1983;78:427-34.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

from manuscript_engine.core.errors import ManuscriptError

RELATIVE_TOLERANCE = 1e-7
"""R's ``fisher.test`` tolerance for tables as probable as the observed one."""

MAX_TABLES = 20_000_000
"""Partial tables enumerated before giving up (memory, not time, is the limit)."""


class TableTooLarge(ManuscriptError):
    """The exact test would enumerate more tables than this machine should hold."""


def fisher_freeman_halton(table) -> float:
    """Exact two-sided P value of independence in an r×c table of counts.

    Rows or columns that are all zero are dropped; a table left with fewer than two
    rows or columns has P = 1.

    Raises
    ------
    TableTooLarge
        When the enumeration would exceed :data:`MAX_TABLES` partial tables.
    """
    counts = np.asarray(table, dtype=np.int64)
    if counts.ndim != 2 or (counts < 0).any():
        raise ValueError("the exact test needs a two-dimensional table of counts")
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if min(counts.shape) < 2:
        return 1.0
    if counts.shape[0] > counts.shape[1]:
        # Fewer rows: each stage's nodes (the row totals left) are few, so partial tables
        # merge well; 12 categories by 2 arms become 2 rows by 12 columns.
        counts = counts.T
    rows = counts.sum(axis=1)
    # Small columns first keep the number of partial tables low; the largest comes last
    # and is fixed by the others.
    columns = np.sort(counts.sum(axis=0))
    total = int(rows.sum())
    log_margins = float(gammaln(rows + 1).sum() + gammaln(columns + 1).sum() - gammaln(total + 1))
    log_observed = log_margins - float(gammaln(counts + 1).sum())
    # A table counts when log_margins + past + future <= threshold, i.e. past + future <= gap.
    gap = log_observed + math.log1p(RELATIVE_TOLERANCE) - log_margins
    futures = _Futures(columns)

    # node (remaining row totals, sorted) -> {past log weight: multiplicity}
    frontier: dict[tuple[int, ...], dict[float, int]] = {tuple(sorted(rows.tolist())): {0.0: 1}}
    p, enumerated = 0.0, 0
    for stage in range(len(columns) - 2):
        settled, frontier = futures.settle(stage, frontier, gap, log_margins)
        p += settled
        following: dict[tuple[int, ...], dict[float, int]] = {}
        for node, pasts in frontier.items():
            children, costs = futures.steps(stage, node)
            enumerated += len(children) * len(pasts)
            _refuse_beyond_limit(enumerated, counts.shape)
            for child, step in zip(children, costs, strict=True):
                merged = following.setdefault(child, {})
                for past, times in pasts.items():
                    key = round(past + step, 10)
                    merged[key] = merged.get(key, 0) + times
        frontier = following

    settled, frontier = futures.settle(len(columns) - 2, frontier, gap, log_margins)
    p += settled
    for node, pasts in frontier.items():
        ways = np.sort(futures.last_two(node))
        enumerated += len(ways)
        _refuse_beyond_limit(enumerated, counts.shape)
        cumulative = np.logaddexp.accumulate(ways)
        past_values = np.fromiter(pasts.keys(), dtype=float)
        weights = np.fromiter(pasts.values(), dtype=float)
        reach = np.searchsorted(ways, gap - past_values, side="right")
        counted = reach > 0
        p += float(
            np.sum(
                weights[counted]
                * np.exp(log_margins + past_values[counted] + cumulative[reach[counted] - 1])
            )
        )
    return min(1.0, p)


class _Futures:
    """What can still happen from a node: the largest and smallest log weight of any
    completion (to settle a partial table whose completions all count, or none does)
    and the log of their total weight (in closed form)."""

    def __init__(self, columns: np.ndarray) -> None:
        self.columns = columns
        self.bounds: dict[tuple[int, tuple[int, ...]], tuple[float, float]] = {}
        self.step_cache: dict[tuple[int, tuple[int, ...]], tuple[list, list[float]]] = {}

    def total(self, stage: int, node: tuple[int, ...]) -> float:
        """log Σ over completions of Π 1/x! = log(M! / (Π R! Π c!)) for the columns left."""
        remaining = np.asarray(node)
        return float(
            gammaln(remaining.sum() + 1)
            - gammaln(remaining + 1).sum()
            - gammaln(self.columns[stage:] + 1).sum()
        )

    def steps(self, stage: int, node: tuple[int, ...]) -> tuple[list, list[float]]:
        """Every way to fill column ``stage`` from ``node``: the node each leaves (row
        totals sorted) and its log weight. Cached: the bounds and the enumeration both
        walk the same nodes."""
        key = (stage, node)
        if key not in self.step_cache:
            remaining = np.asarray(node, dtype=np.int64)
            choices = bounded_compositions(remaining, int(self.columns[stage]))
            children = np.sort(remaining - choices, axis=1)
            costs = -gammaln(choices + 1).sum(axis=1)
            self.step_cache[key] = (list(map(tuple, children.tolist())), costs.tolist())
        return self.step_cache[key]

    def last_two(self, node: tuple[int, ...]) -> np.ndarray:
        """Log weights of every way to fill the last two columns from ``node``."""
        remaining = np.asarray(node, dtype=np.int64)
        choices = bounded_compositions(remaining, int(self.columns[-2]))
        last = remaining - choices  # the largest column, fixed by the others
        return -gammaln(choices + 1).sum(axis=1) - gammaln(last + 1).sum(axis=1)

    def extremes(self, stage: int, node: tuple[int, ...]) -> tuple[float, float]:
        """(largest, smallest) log weight of a completion of ``node`` from ``stage`` on."""
        key = (stage, node)
        if key not in self.bounds:
            if stage == len(self.columns) - 2:
                ways = self.last_two(node)
                self.bounds[key] = (float(ways.max()), float(ways.min()))
            else:
                children, costs = self.steps(stage, node)
                ends = [self.extremes(stage + 1, child) for child in children]
                highs = np.array(costs) + np.array([high for high, _ in ends])
                lows = np.array(costs) + np.array([low for _, low in ends])
                self.bounds[key] = (float(highs.max()), float(lows.min()))
        return self.bounds[key]

    def settle(
        self,
        stage: int,
        frontier: dict[tuple[int, ...], dict[float, int]],
        gap: float,
        log_margins: float,
    ) -> tuple[float, dict[tuple[int, ...], dict[float, int]]]:
        """P from partial tables whose completions all count, and the frontier without
        them and without those none of whose completions counts."""
        p, kept = 0.0, {}
        for node, pasts in frontier.items():
            high, low = self.extremes(stage, node)
            total = self.total(stage, node)
            undecided = {}
            for past, times in pasts.items():
                if past + high <= gap:
                    p += times * math.exp(log_margins + past + total)
                elif past + low <= gap:
                    undecided[past] = times
            if undecided:
                kept[node] = undecided
        return p, kept


def bounded_compositions(bounds: np.ndarray, total: int) -> np.ndarray:
    """Every vector x of whole numbers with 0 ≤ x ≤ bounds and sum(x) = total, one per row."""
    bounds = np.asarray(bounds, dtype=np.int64)
    after = np.concatenate([np.cumsum(bounds[::-1])[::-1][1:], [0]])
    partial = np.zeros((1, 0), dtype=np.int64)
    used = np.zeros(1, dtype=np.int64)
    for i, bound in enumerate(bounds):
        low = np.maximum(0, total - used - after[i])
        high = np.minimum(bound, total - used)
        ways = np.maximum(high - low + 1, 0)
        which = np.repeat(np.arange(len(used)), ways)
        offset = np.arange(int(ways.sum())) - np.repeat(np.cumsum(ways) - ways, ways)
        value = low[which] + offset
        partial = np.column_stack([partial[which], value])
        used = used[which] + value
    return partial


def _refuse_beyond_limit(enumerated: int, shape: tuple[int, int]) -> None:
    if enumerated > MAX_TABLES:
        raise TableTooLarge(
            f"the exact Fisher–Freeman–Halton test of a {shape[0]}×{shape[1]} table would "
            f"enumerate more than {MAX_TABLES:,} tables. Set statistics.fisher_rxc to "
            "monte_carlo in config/config.yaml, or merge sparse categories."
        )
