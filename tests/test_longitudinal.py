"""The longitudinal analyses against R's printed output.

Rail: Pinheiro & Bates (2000), section 1.1, ``lme(travel ~ 1, Rail, random = ~ 1 | Rail)``
by REML: intercept 66.5 (SE 10.17104), random-effect SD 24.80547, residual SD 4.020779.
Plant weights: R's ``?lm`` example (Dobson 1990): group Trt − Ctl = −0.3710, SE 0.3114,
P = 0.249.
"""

import numpy as np
import pandas as pd
import pytest

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.stats.longitudinal import (
    ancova,
    course_design,
    course_model,
    profiled_random_intercept,
    random_intercept,
)

RAIL = pd.DataFrame(
    {
        "rail": np.repeat([1, 2, 3, 4, 5, 6], 3),
        "travel": [55, 53, 54, 26, 37, 32, 78, 91, 85, 92, 100, 96, 49, 51, 50, 80, 85, 83],
    }
)
CTL = [4.17, 5.58, 5.18, 6.11, 4.50, 4.61, 5.17, 4.53, 5.33, 5.14]
TRT = [4.81, 4.17, 4.41, 3.59, 5.87, 3.83, 6.03, 4.89, 4.32, 4.69]


def test_random_intercept_model_matches_nlme_on_the_rail_data():
    fit = random_intercept(RAIL, "travel ~ 1", "rail")
    assert fit.params["Intercept"] == pytest.approx(66.5)
    assert fit.bse["Intercept"] == pytest.approx(10.17104, abs=1e-4)
    assert fit.group_sd == pytest.approx(24.80547, abs=1e-4)
    assert fit.residual_sd == pytest.approx(4.020779, abs=1e-4)


def test_ancova_without_a_covariate_is_rs_lm_on_dobsons_plant_weights():
    frame = pd.DataFrame({"weight": CTL + TRT, "group": ["ctl"] * 10 + ["trt"] * 10})
    estimate, p, n = ancova(frame, "weight", "group", "trt", None, 0.95)
    assert estimate.value == pytest.approx(-0.3710, abs=5e-5)
    assert (estimate.high - estimate.low) / 2 == pytest.approx(2.100922 * 0.3114, abs=1e-3)
    assert p == pytest.approx(0.249, abs=5e-4)
    assert n == 20


def test_ancova_adjusts_for_the_covariate_as_least_squares_does():
    generator = np.random.default_rng(3)
    baseline = generator.normal(50, 10, 40)
    arm = np.repeat(["a", "b"], 20)
    outcome = 0.6 * baseline + np.where(arm == "a", -5.0, 0.0) + generator.normal(0, 3, 40)
    frame = pd.DataFrame({"y": outcome, "arm": arm, "base": baseline})
    estimate, _, _ = ancova(frame, "y", "arm", "a", "base", 0.95)
    design = np.column_stack([np.ones(40), arm == "a", baseline])
    coefficients = np.linalg.lstsq(design, outcome, rcond=None)[0]
    assert estimate.value == pytest.approx(coefficients[1])


def _long_scores(effect_at_last: float, seed: int = 11) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    rows = []
    for patient in range(60):
        arm = "a" if patient < 30 else "b"
        baseline = generator.normal(6, 1)
        level = generator.normal(0, 1)
        for k, visit in enumerate(["v1", "v2", "v3"]):
            shift = (effect_at_last * k / 2) if arm == "a" else 0.0
            value = 0.5 * baseline + level + shift + generator.normal(0, 0.5)
            rows.append((patient, arm, visit, value, baseline))
    return pd.DataFrame(rows, columns=["patient", "arm", "visit", "value", "baseline"])


def test_the_course_model_finds_a_difference_that_grows_and_none_where_there_is_none():
    growing = course_model(_long_scores(-3.0), ["v1", "v2", "v3"], "a", 0.95)
    assert growing.differences["v3"].value == pytest.approx(-3.0, abs=0.8)
    assert growing.differences["v1"].low < 0 < growing.differences["v1"].high
    assert growing.interaction_p < 0.001
    assert (growing.patients, growing.observations) == (60, 180)
    flat = course_model(_long_scores(0.0), ["v1", "v2", "v3"], "a", 0.95)
    assert flat.interaction_p > 0.01


def test_the_course_model_refuses_a_single_arm():
    one_arm = _long_scores(0.0).assign(arm="a")
    with pytest.raises(ManuscriptError, match="both arms"):
        course_model(one_arm, ["v1", "v2", "v3"], "a", 0.95)


def _statsmodels_and_profiled(long: pd.DataFrame, visits: list[str]):
    data = long.assign(
        first=(long["arm"] == "a").astype(float),
        visit=pd.Categorical(long["visit"], categories=visits),
    )
    reference = random_intercept(data, "value ~ first * C(visit) + baseline", "patient")
    profiled = profiled_random_intercept(
        data["value"], course_design(data, visits), data["patient"]
    )
    return reference, profiled


def test_the_profiled_fit_reaches_nlme_on_the_rail_data():
    fit = profiled_random_intercept(
        RAIL["travel"].astype(float), pd.DataFrame({"Intercept": np.ones(len(RAIL))}), RAIL["rail"]
    )
    assert fit.params["Intercept"] == pytest.approx(66.5)
    assert fit.bse["Intercept"] == pytest.approx(10.17104, abs=1e-4)
    assert fit.group_sd == pytest.approx(24.80547, abs=1e-4)
    assert fit.residual_sd == pytest.approx(4.020779, abs=1e-4)


def test_the_profiled_fit_agrees_with_statsmodels_mixedlm_with_unequal_groups():
    long = _long_scores(-3.0)
    long = long.drop(index=long.index[::7])  # patients with one, two or three visits
    reference, profiled = _statsmodels_and_profiled(long, ["v1", "v2", "v3"])
    assert set(profiled.params.index) == set(reference.params.index)
    names = list(reference.params.index)
    assert profiled.params[names].to_numpy() == pytest.approx(reference.params.to_numpy())
    # Standard errors as nlme gives them, sigma^2 (X'V^-1 X)^-1; MixedLM inverts the whole
    # observed information, whose small terms between the fixed effects and the variances
    # move them by about 1e-4 when the patients have unequal numbers of visits.
    assert profiled.bse[names].to_numpy() == pytest.approx(reference.bse.to_numpy(), rel=1e-3)
    assert profiled.covariance.loc[names, names].to_numpy() == pytest.approx(
        reference.covariance.to_numpy(), rel=2e-3, abs=1e-6
    )
    assert profiled.group_sd == pytest.approx(reference.group_sd, rel=1e-5)
    assert profiled.residual_sd == pytest.approx(reference.residual_sd, rel=1e-5)


def test_the_course_design_is_the_formulas_design():
    import statsmodels.formula.api as smf

    long = _long_scores(-1.0).assign(first=lambda d: (d["arm"] == "a").astype(float))
    long["visit"] = pd.Categorical(long["visit"], categories=["v1", "v2", "v3"])
    formula = smf.ols("value ~ first * C(visit) + baseline", long)
    built = course_design(long, ["v1", "v2", "v3"])
    assert sorted(built.columns) == sorted(formula.exog_names)
    expected = pd.DataFrame(formula.exog, columns=formula.exog_names, index=long.index)
    pd.testing.assert_frame_equal(built[formula.exog_names], expected)


def test_a_registry_size_course_model_uses_the_profiled_fit(monkeypatch):
    import manuscript_engine.stats.longitudinal as longitudinal

    long = _long_scores(-3.0)
    small = course_model(long, ["v1", "v2", "v3"], "a", 0.95)
    monkeypatch.setattr(longitudinal, "STATSMODELS_GROUPS", 10)  # 60 patients: registry size
    monkeypatch.setattr(longitudinal, "random_intercept", None)  # statsmodels must not run
    large = course_model(long, ["v1", "v2", "v3"], "a", 0.95)
    assert large.interaction_p == pytest.approx(small.interaction_p, rel=1e-4)
    for visit, estimate in small.differences.items():
        assert large.differences[visit].value == pytest.approx(estimate.value, rel=1e-5)
        assert large.differences[visit].low == pytest.approx(estimate.low, rel=1e-5)
    assert (large.patients, large.observations) == (small.patients, small.observations)
