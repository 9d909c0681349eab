"""Attrition and deaths per time point, and new fractures as cumulative incidence.

The counts are recomputed from the CSVs with the csv module (tests/independent_cohort.py)
and must equal the table's; the table's own arithmetic check must stop a build whose
counts cannot add up.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import CODEBOOK, REPO
from independent_cohort import month, rows

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.data.vocabulary import study_arms
from vertebroplasty.analysis_dataset import build_patients
from vertebroplasty.follow_up import (
    attrition_status,
    count_attrition,
    due_months,
    table_attrition,
    table_fracture_incidence,
)

BOOK = load_codebook(CODEBOOK)
CONFIG = yaml.safe_load((REPO / "config/config.yaml").read_text())
DUE = {"m01": 1, "m03": 3, "m06": 6, "m12": 12, "gt12": 18}
ARM_KEYS = {"PVP+ITR": "pvp_itr", "PVP": "pvp"}
STATUSES = ("assessed", "missed", "died", "lost")


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    return build_patients(REPO / "data/raw", BOOK)


def numbers(result) -> dict:
    return {n.key: n for n in result.numbers}


def independent_attrition() -> dict[tuple[str, str], dict[str, int]]:
    """Per (time point, arm): assessed, missed, died, lost, read with the csv module."""
    arm = {r["patient_id"]: r["arm"] for r in rows("enrollment")}
    treated = {r["patient_id"] for r in rows("procedure") if r["technical_success"] == "yes"}
    followup = {r["patient_id"]: r for r in rows("followup") if r["patient_id"] in treated}
    seen: dict[str, set[str]] = {}
    for visit in rows("visits"):
        if any(visit[score] for score in ("vas", "odi", "kps")):
            name = visit["visit"]
            seen.setdefault(visit["patient_id"], set()).add("gt12" if month(name) > 12 else name)
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for time, due in DUE.items():
        for pid, row in followup.items():
            end, died = float(row["followup_months"]), row["died"] == "yes"
            status = (
                "assessed"
                if time in seen.get(pid, set())
                else "died"
                if died and end < due
                else "lost"
                if end < due
                else "missed"
            )
            tally = counts.setdefault((time, arm[pid]), dict.fromkeys(STATUSES, 0))
            tally[status] += 1
    return counts


def test_each_time_point_is_due_from_its_visit_month_or_the_codebooks_due_month():
    assert due_months(BOOK) == {time: float(month) for time, month in DUE.items()}


def test_a_time_point_that_is_not_a_visit_needs_a_due_month():
    book = yaml.safe_load(CODEBOOK.read_text())
    del book["definitions"]["table3_columns"]["gt12"]["due_month"]
    with pytest.raises(ManuscriptError, match="table3_columns › gt12.*due_month"):
        due_months(book)


def test_attrition_counts_equal_an_independent_reading_of_the_csvs(patients):
    table = numbers(
        table_attrition(patients, CONFIG["statistics"], CONFIG["decimals"], codebook=BOOK)
    )
    expected = independent_attrition()
    for (time, code), tally in expected.items():
        base = f"attrition.{time}.{ARM_KEYS[code]}"
        for status, n in tally.items():
            assert table[f"{base}.{status}.n"].value == n, (base, status)
        assert table[f"{base}.due.n"].value == tally["assessed"] + tally["missed"]


def test_the_four_statuses_add_up_to_the_arm_and_deaths_are_registered(patients):
    table = numbers(
        table_attrition(patients, CONFIG["statistics"], CONFIG["decimals"], codebook=BOOK)
    )
    outcome = patients[patients["outcome"]]
    for code, key in ARM_KEYS.items():
        in_arm = outcome[outcome["arm"] == code]
        assert table[f"deaths.{key}.n"].value == int(in_arm["died"].sum())
        for time in DUE:
            parts = sum(table[f"attrition.{time}.{key}.{s}.n"].value for s in STATUSES)
            assert parts == len(in_arm)
    assert table["deaths.total.n"].value == int(outcome["died"].sum())
    # Nobody can be dead before a visit and come back: deaths only accumulate.
    died = [table[f"attrition.{time}.pvp.died.n"].value for time in DUE]
    assert died == sorted(died)


def test_scores_table_n_is_the_number_assessed(patients):
    table = numbers(
        table_attrition(patients, CONFIG["statistics"], CONFIG["decimals"], codebook=BOOK)
    )
    outcome = patients[patients["outcome"]]
    for code, key in ARM_KEYS.items():
        for time in DUE:
            scored = outcome.loc[outcome["arm"] == code, f"vas_{time}"].notna().sum()
            assert table[f"attrition.{time}.{key}.assessed.n"].value == scored


def test_a_patient_assessed_after_the_end_of_follow_up_stops_the_table(patients):
    broken = patients.copy()
    patient = broken.index[broken["vas_m12"].notna()][0]
    broken.loc[patient, "followup_months"] = 11.5
    with pytest.raises(ManuscriptError, match=f"patient {patient} was assessed at m12"):
        attrition_status(broken, BOOK)


def test_counts_that_cannot_add_up_stop_the_table_with_the_time_point_and_arm(patients):
    broken = patients[patients["outcome"]].copy()
    patient = broken.index[(broken["arm"] == "PVP") & broken["vas_gt12"].isna()][0]
    broken.loc[patient, "followup_months"] = float("nan")
    with pytest.raises(ManuscriptError, match="attrition at m01, PVP: assessed"):
        count_attrition(broken, BOOK, study_arms(BOOK))


def test_the_table_does_not_modify_the_dataset(patients):
    before = patients.copy()
    table_attrition(patients, CONFIG["statistics"], CONFIG["decimals"], codebook=BOOK)
    table_fracture_incidence(patients, CONFIG["statistics"], CONFIG["decimals"], codebook=BOOK)
    pd.testing.assert_frame_equal(patients, before)


def test_fracture_incidence_reports_the_papers_proportion_and_the_aalen_johansen_estimate(
    patients,
):
    result = table_fracture_incidence(
        patients, CONFIG["statistics"], CONFIG["decimals"], codebook=BOOK
    )
    table = numbers(result)
    # The paper's counts: five further fractures in 70 treated with PVP+ITR, 13 in 53 with PVP.
    assert table["cuminc.new_fracture.proportion.pvp_itr.n"].value == 5
    assert table["cuminc.new_fracture.proportion.pvp_itr.denominator"].value == 70
    assert table["cuminc.new_fracture.proportion.pvp.n"].value == 13
    assert table["cuminc.new_fracture.proportion.pvp.pct"].text == "24.5"
    # The times come from the codebook, not from the code.
    times = BOOK["definitions"]["cumulative_incidence"]["new_fracture"]["at_months"]
    for when in times:
        assert table[f"cuminc.new_fracture.at_{when}.time"].text == str(when)
        for key in ARM_KEYS.values():
            low, mid, high = (
                table[f"cuminc.new_fracture.at_{when}.{key}.{part}"].value
                for part in ("ci_low", "pct", "ci_high")
            )
            assert low < mid < high
    # Every patient is an event, a death first, or censored.
    for key, n in (("pvp_itr", 70), ("pvp", 53)):
        parts = [
            table[f"cuminc.new_fracture.{s}.{key}.n"].value
            for s in ("events", "competing", "censored")
        ]
        assert sum(parts) == n
    assert "Gray's test" in result.markdown and "Secondary analysis" in result.markdown


def test_the_chosen_times_are_read_from_the_codebook(patients):
    book = yaml.safe_load(CODEBOOK.read_text())
    book["definitions"]["cumulative_incidence"]["new_fracture"]["at_months"] = [6]
    table = numbers(
        table_fracture_incidence(patients, CONFIG["statistics"], CONFIG["decimals"], codebook=book)
    )
    assert "cuminc.new_fracture.at_6.pvp.pct" in table
    assert "cuminc.new_fracture.at_12.pvp.pct" not in table
