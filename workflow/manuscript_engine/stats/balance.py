"""Baseline balance: standardized mean differences (SMDs), as tableone prints them.

An SMD does not depend on the sample size, unlike a baseline P value, so it says how
different the arms are rather than whether the difference could be chance (in a
non-randomised comparison a baseline P value answers the wrong question).

* continuous: |m1 − m2| / √((s1² + s2²)/2);
* categorical with k categories: Yang & Dalton's multivariate form √(Tᵀ S⁻¹ T), with
  T the differences in the proportions of k − 1 categories and S the mean of the two
  arms' multinomial covariance matrices. When an arm lacks a category S can be
  singular; like tableone (MASS::ginv) the Moore–Penrose pseudo-inverse is used, so a
  category absent from both arms adds nothing and one absent from a single arm still
  counts. For two categories the form reduces to |p1 − p2| / √((p1q1 + p2q2)/2).

References
----------
Austin PC. Stat Med 2009;28:3083-107 (balance diagnostics; 0.1 as a threshold).
Yang D, Dalton JE. SAS Global Forum 2012, paper 335-2012.
"""

from __future__ import annotations

import math

import numpy as np

from manuscript_engine.stats.comparisons import without_missing


def smd_continuous(first, second) -> float:
    """Absolute SMD of a continuous variable (missing values dropped); NaN without spread."""
    x, y = without_missing(first), without_missing(second)
    spread = math.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
    if spread == 0:
        return 0.0 if x.mean() == y.mean() else math.nan
    return abs(float(x.mean() - y.mean())) / spread


def smd_categorical(first_counts, second_counts) -> float:
    """SMD of a categorical variable from each arm's counts per category (same order)."""
    p1, p2 = (np.asarray(c, dtype=float) / max(1, np.sum(c)) for c in (first_counts, second_counts))
    t = (p1 - p2)[1:]
    covariance = (_multinomial(p1[1:]) + _multinomial(p2[1:])) / 2
    if np.allclose(covariance, 0) and np.any(t != 0):
        return math.inf  # each arm in a single, different category: no common spread
    return float(math.sqrt(max(0.0, t @ np.linalg.pinv(covariance) @ t)))


def _multinomial(p: np.ndarray) -> np.ndarray:
    return np.diag(p) - np.outer(p, p)
