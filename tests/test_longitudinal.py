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
from manuscript_engine.stats.longitudinal import ancova, course_model, random_intercept

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
