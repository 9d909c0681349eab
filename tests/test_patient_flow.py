import pandas as pd
from conftest import CODEBOOK

from manuscript_engine.data.cohort import load_codebook
from vertebroplasty.patient_flow import patient_flow_numbers, summarise_patient_flow

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
