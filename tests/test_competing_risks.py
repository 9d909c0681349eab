"""Cumulative incidence with a competing event, against published values.

Reference 1: the bone marrow transplant data of Klein and Moeschberger (Survival
Analysis, 2nd ed., Springer 2003; as analysed by Guo C, So Y, SAS Global Forum 2018,
paper 2159), disease-free survival in days with relapse (1) and death in remission (2)
competing. The AML low-risk group (54 patients) is taken from the CAMIS project's copy
of the data (PSIAIMS/CAMIS, data/bmt.txt). CAMIS's comparison of R and SAS
(psiaims.github.io/CAMIS/R/survival_cif.html, "Estimating Cumulative Incidence
Functions Using R") prints for ``tidycmprsk::cuminc(Surv(TYears, Status) ~ Group)``,
TYears = T / 365.25, the cumulative incidence of relapse in AML low risk:

    time  estimate  std.error  conf.low  conf.high
    0.5   0.0000    0.0000     NA        NA
    1     0.0741    0.0360     0.0234    0.1646
    1.5   0.1296    0.0463     0.0563    0.2344
    2     0.1481    0.0489     0.0685    0.2565
    3     0.1667    0.0514     0.0813    0.2783

cmprsk's variance is Aalen's (1978); lifelines' is the delta method (Marubini and
Valsecchi 1995), both on the log(−log) scale, so the estimates must agree to the printed
digits and the intervals only to about 0.002.

Reference 2: without a competing event the Aalen–Johansen estimate is one minus the
Kaplan–Meier estimate. Gehan's 6-MP arm (Gehan EA, Biometrika 1965;52:203-23; MASS::gehan,
Venables and Ripley 2002, section 13.3): ``summary(survfit(Surv(time, cens) ~ 1))``
prints survival 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448 at weeks 6, 7, 10, 13,
16, 22, 23.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.data.vocabulary import Arm, Arms
from manuscript_engine.stats.competing_risks import (
    aalen_johansen,
    competing_status,
    cumulative_incidence,
    incidence_at,
    register_cumulative_incidence,
)
from manuscript_engine.stats.tables import NumberBook

AML_LOW_RISK = (
    "2569 2506 2409 2218 1857 1829 1562 1470 1363 1030 860 1258 2246 1870 1799 1709 1674 "
    "1568 1527 1324 957 932 847 848 1850 1843 1535 1447 1384 414:2 2204:2 1063:2 481:2 "
    "105:2 641:2 390:2 288:2 421:1 79:2 748:1 486:1 48:2 272:1 1074:2 381:1 10:2 53:2 80:2 "
    "35:2 248:1 704:2 211:1 219:1 606:1"
)
"""Days to relapse (:1), death in remission (:2) or censoring (no suffix)."""
CMPRSK = {  # years: (estimate, conf.low, conf.high) as CAMIS prints them
    1: (0.0741, 0.0234, 0.1646),
    1.5: (0.1296, 0.0563, 0.2344),
    2: (0.1481, 0.0685, 0.2565),
    3: (0.1667, 0.0813, 0.2783),
}
SIX_MP = "6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+"
KAPLAN_MEIER = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}
ARMS = Arms([Arm("a", "A", "Arm A"), Arm("b", "B", "Arm B")])


def bmt() -> pd.DataFrame:
    rows = []
    for item in AML_LOW_RISK.split():
        days, _, status = item.partition(":")
        rows.append({"time": int(days) / 365.25, "status": int(status or 0)})
    return pd.DataFrame(rows)


def test_relapse_incidence_matches_cmprsk_on_the_bone_marrow_transplant_data():
    data = bmt()
    assert data["status"].value_counts().to_dict() == {0: 29, 2: 16, 1: 9}
    curve = aalen_johansen(data["time"], data["status"], 0.95, seed=1)
    assert incidence_at(curve, data["time"], 0.5).estimate == 0
    for years, (estimate, low, high) in CMPRSK.items():
        value = incidence_at(curve, data["time"], years)
        assert round(value.estimate, 4) == estimate
        assert value.low == pytest.approx(low, abs=0.002)  # delta method against Aalen's
        assert value.high == pytest.approx(high, abs=0.002)
        assert value.low < value.estimate < value.high


def test_without_a_competing_event_the_incidence_is_one_minus_kaplan_meier():
    times = [float(t.rstrip("+")) for t in SIX_MP.split()]
    status = [0 if t.endswith("+") else 1 for t in SIX_MP.split()]
    curve = aalen_johansen(pd.Series(times), pd.Series(status), 0.95, seed=1)
    for week, survival in KAPLAN_MEIER.items():
        value = incidence_at(curve, pd.Series(times), week)
        assert round(1 - value.estimate, 3) == survival


def test_a_competing_event_lowers_the_incidence_below_one_minus_kaplan_meier():
    data = bmt()
    censored = data.assign(status=data["status"].where(data["status"] != 2, 0))
    with_death = aalen_johansen(data["time"], data["status"], 0.95, seed=1)
    death_censored = aalen_johansen(censored["time"], censored["status"], 0.95, seed=1)
    at = incidence_at(with_death, data["time"], 3).estimate
    naive = incidence_at(death_censored, data["time"], 3).estimate
    assert at < naive


def test_patients_with_the_same_time_and_status_count_as_often_as_they_occur():
    data = bmt()
    once = incidence_at(aalen_johansen(data["time"], data["status"], 0.95, 1), data["time"], 2)
    thrice = pd.concat([data] * 3, ignore_index=True)
    three = incidence_at(
        aalen_johansen(thrice["time"], thrice["status"], 0.95, 1), thrice["time"], 2
    )
    assert three.estimate == pytest.approx(once.estimate)
    assert three.at_risk == 3 * once.at_risk
    assert three.high - three.low < once.high - once.low


def test_a_tie_between_an_event_and_a_competing_event_gives_the_same_numbers_every_time():
    # lifelines breaks such ties by jittering with NumPy's global generator.
    time = pd.Series([1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    status = pd.Series([1, 1, 2, 0, 1, 2, 0])
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    first = aalen_johansen(time, status, 0.95, seed=20091001)
    after = np.random.get_state()[1]
    second = aalen_johansen(time, status, 0.95, seed=20091001)
    pd.testing.assert_frame_equal(first, second)
    assert (before == after).all()  # no other draw of the build is changed
    # By hand: 1/7 at time 1; at time 2, 6/7 x 1/6 (either order of the tie gives 1/7);
    # at time 4, S = 4/7 with 3 at risk: 4/7 x 1/3. In all 2/7 + 4/21 = 10/21.
    assert incidence_at(first, time, 6).estimate == pytest.approx(10 / 21)


def test_status_codes_the_event_first_then_the_competing_event():
    frame = pd.DataFrame(
        {
            "fracture": [True, True, False, False],
            "fracture_months": [2.0, 5.0, None, None],
            "died": [True, False, True, False],
            "followup_months": [8.0, 9.0, 4.0, 12.0],
        }
    )
    coded = competing_status(
        frame,
        event="fracture",
        event_time="fracture_months",
        competing="died",
        end="followup_months",
    )
    assert coded["status"].tolist() == [1, 1, 2, 0]
    assert coded["time"].tolist() == [2.0, 5.0, 4.0, 12.0]
    frame.loc[1, "fracture_months"] = None
    with pytest.raises(ManuscriptError, match="has fracture but no fracture_months"):
        competing_status(
            frame,
            event="fracture",
            event_time="fracture_months",
            competing="died",
            end="followup_months",
        )


def two_arms() -> pd.DataFrame:
    """Arm A: the AML low-risk patients; arm B: ten patients without the event."""
    a = bmt().assign(arm="A")
    b = pd.DataFrame({"time": np.linspace(0.2, 2.0, 10), "status": [0, 2] * 5, "arm": "B"})
    return pd.concat([a, b], ignore_index=True)


def test_registered_numbers_name_each_time_arm_and_interval():
    book = NumberBook("test", ARMS)
    register_cumulative_incidence(
        book,
        "cuminc.relapse",
        two_arms(),
        at=[1.5, 3],
        settings={"ci_level": 0.95, "seed": 1},
        percent_decimals=1,
        time_unit="years",
    )
    numbers = {n.key: n for n in book.numbers}
    assert numbers["cuminc.relapse.at_1_5.time"].text == "1.5"
    assert numbers["cuminc.relapse.at_1_5.a.pct"].text == "13.0"  # 0.1296
    assert numbers["cuminc.relapse.at_3.a.pct"].text == "16.7"  # 0.1667
    assert numbers["cuminc.relapse.at_3.a.ci_low"].unit == "%"
    assert numbers["cuminc.relapse.events.a.n"].value == 9
    assert numbers["cuminc.relapse.competing.a.n"].value == 16
    assert numbers["cuminc.relapse.censored.a.n"].value == 29
    # No event in arm B: zero, with no interval; beyond its last time, not estimable.
    assert numbers["cuminc.relapse.at_1_5.b.pct"].text == "0.0"
    assert numbers["cuminc.relapse.at_1_5.b.ci_low"].text == "not estimable"
    assert numbers["cuminc.relapse.at_3.b.pct"].text == "not estimable"
    assert numbers["cuminc.relapse.at_3.b.pct"].value is None
    assert numbers["cuminc.relapse.method"].text == "the Aalen–Johansen estimator"


def test_an_arm_without_patients_is_named():
    frame = two_arms()
    with pytest.raises(ManuscriptError, match="no patient of the arm Arm B"):
        cumulative_incidence(frame[frame["arm"] == "A"], ARMS, at=[1.0], ci_level=0.95, seed=1)


def test_the_input_is_not_modified():
    frame = two_arms()
    before = frame.copy()
    cumulative_incidence(frame, ARMS, at=[1.0, 2.0], ci_level=0.95, seed=1)
    pd.testing.assert_frame_equal(frame, before)
    assert not math.isnan(frame["time"].sum())
