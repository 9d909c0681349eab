import pandas as pd
import pytest
from conftest import CODEBOOK

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.data.cohort import load_codebook
from vertebroplasty.patient_flow import (
    patient_flow_markdown,
    patient_flow_numbers,
    summarise_patient_flow,
)

BOOK = load_codebook(CODEBOOK)


def enrollment():
    return pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3", "P4", "P5"],
            "arm": ["PVP+ITR", "PVP+ITR", "PVP", "PVP", "PVP"],
            "included": ["yes", "no", "yes", "no", "no"],
            "exclusion_reason": [
                None,
                "no_followup_mri",
                None,
                "lost_to_followup",
                "no_followup_mri",
            ],
        }
    )


def test_flow_counts_each_stage_per_arm():
    flow = summarise_patient_flow(enrollment(), BOOK).set_index(["stage", "arm"])["n"]
    assert flow["enrolled", "PVP+ITR"] == 2
    assert flow["included", "PVP"] == 1
    assert flow["excluded_no_followup_mri", "PVP"] == 1
    assert flow["excluded_lost_to_followup", "PVP+ITR"] == 0


def test_flow_registers_totals_and_per_arm_counts():
    numbers = {
        n.key: n
        for n in patient_flow_numbers(summarise_patient_flow(enrollment(), BOOK), "t", BOOK)
    }
    assert numbers["flow.enrolled.total.n"].text == "5"
    assert numbers["flow.included.pvp_itr.n"].value == 1
    assert numbers["flow.excluded_no_followup_mri.total.n"].value == 2


def analysed(died: list[bool]) -> pd.DataFrame:
    """The analysis dataset of the two included patients (P1 with PVP+ITR, P3 with PVP)."""
    return pd.DataFrame({"arm": ["PVP+ITR", "PVP"], "died": died}, index=["P1", "P3"])


def test_flow_counts_deaths_and_survivors_among_the_analysed():
    flow = summarise_patient_flow(enrollment(), BOOK, analysed([True, False]))
    n = flow.set_index(["stage", "arm"])["n"]
    assert (n["died", "PVP+ITR"], n["alive", "PVP+ITR"]) == (1, 0)
    assert (n["died", "PVP"], n["alive", "PVP"]) == (0, 1)
    numbers = {x.key: x for x in patient_flow_numbers(flow, "t", BOOK)}
    assert numbers["flow.died.total.n"].value == 1
    assert numbers["flow.alive.pvp.n"].text == "1"
    markdown = patient_flow_markdown(flow, BOOK)
    assert "Died during follow-up | 1 | 0 | 1 |" in markdown
    assert "to the end of follow-up" in markdown


def test_without_the_analysis_dataset_the_flow_ends_at_analysis():
    flow = summarise_patient_flow(enrollment(), BOOK)
    assert "died" not in set(flow["stage"])
    assert "Died during follow-up" not in patient_flow_markdown(flow, BOOK)


def test_a_dataset_that_does_not_match_the_enrolment_is_refused():
    patients = analysed([True, False]).drop(index="P3")
    with pytest.raises(ManuscriptError, match="1 patients of the arm PVP are included"):
        summarise_patient_flow(enrollment(), BOOK, patients)
