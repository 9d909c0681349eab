"""Comparing the two arms: the tests the paper's methods name, chosen by config.

Continuous variables: Mann–Whitney U (two-sided, normal approximation with tie
correction, as SPSS reports it), or Welch's or Student's t-test. Categorical
variables: Pearson's χ² when every expected count is at least the configured minimum
(5), otherwise Fisher's exact test (Freeman–Halton's extension beyond 2×2, exact by
default; seeded Monte Carlo as an option, its draws, seed and standard error then named
with the test). The test actually used is recorded with each result so tables can name
it.

References
----------
Mann HB, Whitney DR. Ann Math Stat. 1947;18:50-60.
Agresti A. Categorical Data Analysis. 3rd ed. Wiley; 2013 (sections 3.5, 16.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.formatting import monte_carlo_detail
from manuscript_engine.stats.exact_rxc import fisher_freeman_halton

TEST_LABELS = {
    "mann_whitney": "Mann–Whitney U test",
    "welch_t": "Welch's t-test",
    "student_t": "Student's t-test",
    "chi2": "Pearson's χ² test",
    "chi2_yates": "χ² test with Yates' continuity correction",
    "fisher": "Fisher's exact test",
    "fisher_freeman_halton": "Fisher–Freeman–Halton exact test",
    "fisher_freeman_halton_monte_carlo": "Fisher–Freeman–Halton test by Monte Carlo",
    "no_variation": "no test (the same value in every patient)",
}


class TooFewPatients(ManuscriptError):
    """A comparison needs at least two patients with a value in each arm."""


@dataclass(frozen=True)
class Comparison:
    """The result of comparing the arms on one variable."""

    test: str
    statistic: float
    p: float
    detail: str = ""
    """How a Monte Carlo P was drawn (draws, seed, standard error), else empty."""
    statistic_name: str = ""
    """What ``statistic`` is (U, t, χ², odds ratio), empty when the test has none."""
    sizes: tuple[int, ...] = ()
    """Patients per compared group (n₁, n₂, ...), in the codebook's order of arms."""
    variant: str = ""
    """How P was computed: exact, asymptotic (and its corrections), Monte Carlo."""

    @property
    def label(self) -> str:
        return TEST_LABELS[self.test] + (f" ({self.detail})" if self.detail else "")

    def provenance(self) -> dict[str, Any]:
        """What the registry records beside the test's label, for the HTML's provenance
        panel: the statistic, the group sizes and how P was computed."""
        record: dict[str, Any] = {"test": self.test, "variant": self.variant}
        if self.statistic_name and np.isfinite(self.statistic):
            record["statistic"] = {"name": self.statistic_name, "value": self.statistic}
        if self.sizes:
            record["sizes"] = list(self.sizes)
        return record


def compare_continuous(a, b, settings: dict[str, Any], what: str = "this variable") -> Comparison:
    """Compare a continuous variable between arms with the configured test.

    Parameters
    ----------
    a, b : array-like
        Values in each arm (missing values are dropped).
    settings : dict
        ``continuous_test`` (mann_whitney | welch_t | student_t) and
        ``mann_whitney_continuity`` (bool).
    what : str
        Name of the variable, for the error message.

    Raises
    ------
    TooFewPatients
        When an arm has fewer than two values.
    """
    from scipy import stats

    x, y = without_missing(a), without_missing(b)
    if len(x) < 2 or len(y) < 2:
        raise TooFewPatients(
            f"{what} cannot be compared between the arms: it has {len(x)} and {len(y)} "
            "patients with a value, and each arm needs at least 2."
        )
    sizes = (len(x), len(y))
    if np.all(np.concatenate([x, y]) == x[0]):
        return Comparison("no_variation", float("nan"), 1.0, sizes=sizes)
    method = settings["continuous_test"]
    if method == "mann_whitney":
        result = stats.mannwhitneyu(
            x,
            y,
            alternative="two-sided",
            method="asymptotic",
            use_continuity=bool(settings["mann_whitney_continuity"]),
        )
    elif method in ("welch_t", "student_t"):
        result = stats.ttest_ind(x, y, equal_var=method == "student_t")
    else:
        raise ValueError(f"unknown continuous_test {method!r}")
    if method == "mann_whitney":
        continuity = "with" if settings["mann_whitney_continuity"] else "without"
        name, variant = (
            "U",
            (
                "asymptotic (normal approximation, corrected for ties, "
                f"{continuity} continuity correction); U is the first group's"
            ),
        )
    else:
        name, variant = "t", "Welch (unequal variances)" if method == "welch_t" else "pooled"
    return Comparison(
        method, float(result.statistic), float(result.pvalue), "", name, sizes, variant
    )


def compare_categorical(table, settings: dict[str, Any]) -> Comparison:
    """Compare counts (rows = categories, columns = arms) with χ² or Fisher's exact test.

    Parameters
    ----------
    table : array-like of int
        Contingency table, categories by arms.
    settings : dict
        ``min_expected_count``, ``chi2_continuity_correction`` (bool), and for tables
        beyond 2×2 ``fisher_rxc`` (exact, the default, or monte_carlo with
        ``fisher_rxc_resamples`` draws from ``seed``).
    """
    from scipy import stats

    counts = np.asarray(table, dtype=int)
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    sizes = tuple(int(total) for total in counts.sum(axis=0))
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        return Comparison("no_variation", float("nan"), 1.0, sizes=sizes)
    expected = stats.contingency.expected_freq(counts)
    if expected.min() >= settings["min_expected_count"]:
        yates = bool(settings["chi2_continuity_correction"]) and counts.shape == (2, 2)
        result = stats.chi2_contingency(counts, correction=yates)
        return Comparison(
            "chi2_yates" if yates else "chi2",
            float(result.statistic),
            float(result.pvalue),
            statistic_name="χ²",
            sizes=sizes,
            variant=f"asymptotic, {int(result.dof)} degrees of freedom",
        )
    if counts.shape == (2, 2):
        result = stats.fisher_exact(counts)
        return Comparison(
            "fisher",
            float(result.statistic),
            float(result.pvalue),
            statistic_name="odds ratio",
            sizes=sizes,
            variant="exact",
        )
    if settings.get("fisher_rxc", "exact") == "exact":
        return Comparison(
            "fisher_freeman_halton",
            float("nan"),
            fisher_freeman_halton(counts),
            sizes=sizes,
            variant="exact",
        )
    draws = int(settings["fisher_rxc_resamples"])
    method = stats.MonteCarloMethod(
        n_resamples=draws, rng=np.random.default_rng(int(settings["seed"]))
    )
    result = stats.fisher_exact(counts, method=method)
    return Comparison(
        "fisher_freeman_halton_monte_carlo",
        float(result.statistic),
        float(result.pvalue),
        monte_carlo_detail(draws, int(settings["seed"])),
        sizes=sizes,
        variant="Monte Carlo",
    )


def proportion_interval(count: int, n: int, settings: dict[str, Any]) -> tuple[float, float]:
    """Confidence interval of a proportion, in percent, never outside 0–100.

    ``ci_method`` is ``wilson`` (score interval) or ``clopper_pearson`` (exact);
    ``ci_level`` is the coverage (0.95).
    """
    from statsmodels.stats.proportion import proportion_confint

    if n < 1:
        raise TooFewPatients("a proportion needs at least one patient in its denominator")
    method = {"wilson": "wilson", "clopper_pearson": "beta"}[settings["ci_method"]]
    low, high = proportion_confint(count, n, alpha=1 - float(settings["ci_level"]), method=method)
    # Both methods reach the bound exactly at 0 and n events; floating point may not.
    low = 0.0 if count == 0 else max(0.0, 100 * float(low))
    high = 100.0 if count == n else min(100.0, 100 * float(high))
    return low, high


def without_missing(values) -> np.ndarray:
    """The values as floats, missing ones dropped."""
    array = np.asarray(values, dtype=float)
    return array[~np.isnan(array)]
