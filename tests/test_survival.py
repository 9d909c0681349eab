"""Survival statistics against a published worked example: Gehan's leukaemia trial.

Freireich et al.'s remission times (6-mercaptopurine against placebo, 21 patients each;
Gehan EA, Biometrika 1965;52:203-23), the example of Venables WN, Ripley BD. Modern
Applied Statistics with S, 4th ed., Springer 2002, section 13.3 (data set MASS::gehan),
where R prints for ``survdiff(Surv(time, cens) ~ treat)`` Chisq = 16.8 on 1 df,
p = 4e-05, and for ``coxph(Surv(time, cens) ~ treat)`` (Efron ties) a hazard ratio of
4.82 for control against 6-MP; Kaplan–Meier medians 23 weeks (6-MP) and 8 (control).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from manuscript_engine.data.vocabulary import Arm, Arms
from manuscript_engine.stats.survival import compare_survival, register_survival
from manuscript_engine.stats.tables import NumberBook

SIX_MP = "6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+"
CONTROL = "1 1 2 2 3 4 4 5 5 8 8 8 8 11 11 12 12 15 17 22 23"
ARMS = Arms([Arm("six_mp", "6-MP", "6-MP"), Arm("control", "control", "Placebo")])


def gehan() -> pd.DataFrame:
    rows = []
    for arm, times in (("6-MP", SIX_MP), ("control", CONTROL)):
        for item in times.split():
            rows.append({"arm": arm, "weeks": float(item.rstrip("+")), "event": "+" not in item})
    return pd.DataFrame(rows)


def test_log_rank_cox_and_medians_match_the_published_example():
    result = compare_survival(gehan(), "weeks", "event", ARMS, 0.95)
    assert result.p == pytest.approx(4.17e-5, rel=0.02)  # χ² 16.79 on 1 df
    ratio, low, high = result.hazard_ratio  # 6-MP against control: 1 / 4.82
    assert 1 / ratio == pytest.approx(4.82, abs=0.01)
    assert low < ratio < high
    assert result.medians["6-MP"][0] == 23 and result.medians["control"][0] == 8


def register(frame: pd.DataFrame) -> dict:
    """The numbers register_survival gives for ``frame`` (weeks, 95% CI, 1 decimal)."""
    book = NumberBook("survival", ARMS)
    register_survival(
        book,
        "rem",
        frame,
        time="weeks",
        event="event",
        settings={"ci_level": 0.95},
        decimals=1,
        percent_decimals=1,
    )
    return {n.key: n for n in book.numbers}


def test_registered_numbers_and_a_median_not_reached():
    frame = gehan()
    # Censor every 6-MP patient: that arm's curve never reaches one half.
    frame.loc[frame["arm"] == "6-MP", "event"] = False
    numbers = register(frame)
    assert numbers["rem.median.six_mp"].text == "not reached"
    assert numbers["rem.median.six_mp"].value is None  # JSON has no infinity
    assert numbers["rem.median.control"].text == "8.0"
    assert numbers["rem.events.control.n"].value == 21
    assert numbers["rem.events.control.pct"].text == "100.0"
    assert numbers["rem.test"].text == "log-rank test"
    assert numbers["rem.hazard_ratio.ci_high"].text == "not estimable"
    assert not math.isnan(numbers["rem.p"].value)


def test_an_arm_without_patients_is_named():
    from manuscript_engine.core.errors import ManuscriptError

    frame = gehan()
    frame = frame[frame["arm"] == "control"]
    with pytest.raises(ManuscriptError, match="no patient of the arm 6-MP"):
        register(frame)
