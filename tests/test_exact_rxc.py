"""The exact Fisher–Freeman–Halton test against R and against brute force.

R's value is the one its help page for ``fisher.test`` prints for the Job satisfaction
table. The brute-force reference lists every table with the observed margins by
itertools and sums the hypergeometric probabilities directly, sharing no code with
the enumeration it checks.
"""

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from manuscript_engine.stats.exact_rxc import (
    TableTooLarge,
    bounded_compositions,
    fisher_freeman_halton,
)

# R: Job <- matrix(c(1,2,1,0, 3,3,6,1, 10,10,14,9, 6,7,12,11), 4, 4); fisher.test(Job)
JOB = np.array([1, 2, 1, 0, 3, 3, 6, 1, 10, 10, 14, 9, 6, 7, 12, 11]).reshape(4, 4).T


def test_r_help_page_job_satisfaction_example():
    assert fisher_freeman_halton(JOB) == pytest.approx(0.7827, abs=5e-5)


def test_2x2_tables_agree_with_fishers_exact_test():
    # R: fisher.test(TeaTasting) two-sided p-value = 0.4857 (help page, 3 of 4 cups right)
    assert fisher_freeman_halton([[3, 1], [1, 3]]) == pytest.approx(0.4857, abs=5e-5)
    for table in ([[10, 2], [3, 15]], [[1, 9], [11, 3]], [[0, 5], [5, 0]], [[7, 0], [0, 1]]):
        assert fisher_freeman_halton(table) == pytest.approx(
            stats.fisher_exact(table).pvalue, rel=1e-9
        )


def brute_force_p(table):
    table = np.asarray(table)
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    n = int(table.sum())

    def probability(cells):
        numerator = sum(math.lgamma(m + 1) for m in (*rows, *columns)) - math.lgamma(n + 1)
        return math.exp(numerator - sum(math.lgamma(x + 1) for x in cells.ravel()))

    observed = probability(table)
    r, c = table.shape
    total = 0.0
    ranges = [range(min(rows[i], columns[j]) + 1) for i in range(r - 1) for j in range(c - 1)]
    for free in itertools.product(*ranges):
        cells = np.zeros((r, c), dtype=int)
        cells[: r - 1, : c - 1] = np.reshape(free, (r - 1, c - 1))
        cells[: r - 1, c - 1] = rows[: r - 1] - cells[: r - 1, : c - 1].sum(axis=1)
        cells[r - 1, :] = columns - cells[: r - 1, :].sum(axis=0)
        if (cells < 0).any():
            continue
        p = probability(cells)
        if p <= observed * (1 + 1e-7):
            total += p
    return total


@pytest.mark.parametrize(
    "table",
    [
        [[2, 0, 3], [1, 4, 0], [0, 2, 2]],
        [[5, 1], [2, 2], [0, 3], [1, 1]],
        [[3, 1, 0, 2], [0, 2, 3, 1]],
        [[1, 2, 1], [2, 0, 2], [1, 1, 0], [0, 2, 3]],
    ],
)
def test_small_tables_agree_with_brute_force(table):
    assert fisher_freeman_halton(table) == pytest.approx(brute_force_p(table), rel=1e-9)


def test_random_tables_agree_with_brute_force_and_do_not_depend_on_orientation():
    generator = np.random.default_rng(7)
    for _ in range(12):
        shape = tuple(generator.integers(2, 4, size=2))
        table = generator.integers(0, 4, size=shape)
        expected = brute_force_p(table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0])
        assert fisher_freeman_halton(table) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert fisher_freeman_halton(table.T) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        permuted = table[generator.permutation(shape[0])]
        assert fisher_freeman_halton(permuted) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_degenerate_tables_have_p_one():
    assert fisher_freeman_halton([[4, 0], [0, 0]]) == 1.0
    assert fisher_freeman_halton([[1, 2, 3]]) == 1.0


def test_compositions_are_every_bounded_vector_with_the_sum():
    found = {tuple(v) for v in bounded_compositions(np.array([2, 0, 3, 1]), 3)}
    expected = {v for v in itertools.product(range(3), range(1), range(4), range(2)) if sum(v) == 3}
    assert found == expected
    assert len(bounded_compositions(np.array([2, 0, 3, 1]), 3)) == len(expected)


def test_a_table_too_large_to_enumerate_says_what_to_do(monkeypatch):
    monkeypatch.setattr("manuscript_engine.stats.exact_rxc.MAX_TABLES", 1000)
    with pytest.raises(TableTooLarge, match="fisher_rxc to\\s+monte_carlo"):
        fisher_freeman_halton(JOB)
