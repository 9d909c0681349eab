"""Repeated scores over time: a linear mixed model and a baseline-adjusted comparison.

Secondary analyses a statistical reviewer asks for when a score is tested separately at
each visit: they use every patient's every visit at once (mixed model) and adjust each
visit's comparison for the baseline score (ANCOVA). statsmodels fits both (MixedLM by
REML; OLS), and its MixedLM is checked against R's lme4 and nlme in its own tests.

The mixed model: score after baseline ~ arm × visit + baseline score, with a random
intercept per patient. The baseline enters as a covariate, not as an outcome, so the
arms are compared at equal baseline (the "constrained" handling of baseline that
ANCOVA also uses). The arm difference at each visit is a linear combination of the
coefficients, with its Wald interval; the arm × visit interaction is tested jointly.

Patients contribute the visits they attended: late visits hold survivors only, an
assumption (missing at random given the earlier scores) the Methods must state.

References
----------
Pinheiro JC, Bates DM. Mixed-Effects Models in S and S-PLUS. Springer; 2000.
Vickers AJ, Altman DG. BMJ 2001;323:1123-4 (baseline adjustment, ANCOVA).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.stats.effects import Estimate


@dataclass(frozen=True)
class RandomInterceptFit:
    """What a random-intercept model reports: fixed effects, their SEs, the two SDs."""

    params: pd.Series
    bse: pd.Series
    covariance: pd.DataFrame
    group_sd: float
    residual_sd: float


def random_intercept(frame: pd.DataFrame, formula: str, group: str) -> RandomInterceptFit:
    """Fit ``formula`` with a random intercept per ``group`` by REML (statsmodels MixedLM)."""
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Powell's search reaches nlme's REML optimum to 5 digits on the Rail data, where
        # the default BFGS stops 2e-3 short; L-BFGS is the fallback if it fails.
        result = smf.mixedlm(formula, frame, groups=frame[group]).fit(
            reml=True, method=["powell", "lbfgs"]
        )
    fixed = result.fe_params.index
    return RandomInterceptFit(
        params=result.fe_params,
        bse=result.bse_fe,
        covariance=result.cov_params().loc[fixed, fixed],
        group_sd=float(np.sqrt(result.cov_re.iloc[0, 0])),
        residual_sd=float(np.sqrt(result.scale)),
    )


def ancova(
    frame: pd.DataFrame, outcome: str, group: str, first: str, covariate: str | None, level: float
) -> tuple[Estimate, float, int]:
    """Difference first − other level of ``group`` in ``outcome``, adjusted for
    ``covariate`` (none: the plain two-sample comparison), its interval, P and n."""
    import statsmodels.formula.api as smf

    columns = [outcome, group] + ([covariate] if covariate else [])
    data = frame[columns].dropna()
    data = data.assign(_first=(data[group] == first).astype(float))
    formula = f"Q('{outcome}') ~ _first" + (f" + Q('{covariate}')" if covariate else "")
    result = smf.ols(formula, data).fit()
    low, high = result.conf_int(alpha=1 - level).loc["_first"]
    estimate = Estimate(
        "adjusted difference" if covariate else "difference in means",
        float(result.params["_first"]),
        float(low),
        float(high),
        "ANCOVA (ordinary least squares)",
    )
    return estimate, float(result.pvalues["_first"]), len(data)


@dataclass(frozen=True)
class CourseModel:
    """A mixed model's arm differences at each visit, and the interaction's P."""

    differences: dict[str, Estimate]
    interaction_p: float
    patients: int
    observations: int


def course_model(
    long: pd.DataFrame, visits: list[str], first_arm: str, level: float
) -> CourseModel:
    """Mixed model for one score in long form.

    ``long`` has columns patient, arm, visit (one of ``visits``), value and baseline;
    rows with a missing value or baseline are left out. The first visit is the
    reference level; ``first_arm`` is compared with the other arm.
    """
    from scipy import stats

    data = long.dropna(subset=["value", "baseline"]).copy()
    if data["patient"].nunique() < 4 or data["arm"].nunique() < 2:
        raise ManuscriptError(
            "the mixed model needs patients in both arms with a baseline and a later score"
        )
    data["first"] = (data["arm"] == first_arm).astype(float)
    data["visit"] = pd.Categorical(data["visit"], categories=visits)
    fit = random_intercept(data, "value ~ first * C(visit) + baseline", "patient")
    names = list(fit.params.index)
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    differences = {}
    for visit in visits:
        weights = pd.Series(0.0, index=names)
        weights["first"] = 1.0
        if visit != visits[0]:
            weights[_interaction_name(names, visit)] = 1.0
        value = float(weights @ fit.params)
        se = float(np.sqrt(weights @ fit.covariance @ weights))
        differences[visit] = Estimate(
            "model difference", value, value - z * se, value + z * se, "linear mixed model"
        )
    interaction = [_interaction_name(names, visit) for visit in visits[1:]]
    block = fit.params[interaction].to_numpy()
    covariance = fit.covariance.loc[interaction, interaction].to_numpy()
    chi2 = float(block @ np.linalg.solve(covariance, block))
    return CourseModel(
        differences,
        float(stats.chi2.sf(chi2, len(interaction))),
        int(data["patient"].nunique()),
        len(data),
    )


def _interaction_name(names: list[str], visit: str) -> str:
    wanted = f"first:C(visit)[T.{visit}]"
    if wanted not in names:
        raise ManuscriptError(f"the mixed model has no estimate for visit {visit!r}")
    return wanted
