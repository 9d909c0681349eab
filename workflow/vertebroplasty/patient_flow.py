"""Patient flow: enrolled, excluded by reason, and analysed, per arm."""

from __future__ import annotations

import pandas as pd

from manuscript_engine.core.formatting import format_count
from manuscript_engine.core.registry import Number
from manuscript_engine.data.cohort import ARMS

EXCLUSION_REASONS = ("no_followup_mri", "lost_to_followup")


def summarise_patient_flow(enrollment: pd.DataFrame) -> pd.DataFrame:
    """Count patients at each stage of the flow, per arm.

    Parameters
    ----------
    enrollment : DataFrame
        One row per enrolled patient with ``arm``, ``included`` (yes/no) and
        ``exclusion_reason``.

    Returns
    -------
    DataFrame
        Columns ``stage`` (``enrolled``, ``excluded_<reason>``, ``included``),
        ``arm`` and ``n``; arms in the paper's order.
    """
    rows = []
    for arm in ARMS:
        in_arm = enrollment[enrollment["arm"] == arm]
        rows.append(("enrolled", arm, len(in_arm)))
        for reason in EXCLUSION_REASONS:
            rows.append(
                (f"excluded_{reason}", arm, int((in_arm["exclusion_reason"] == reason).sum()))
            )
        rows.append(("included", arm, int((in_arm["included"] == "yes").sum())))
    return pd.DataFrame(rows, columns=["stage", "arm", "n"])


def patient_flow_numbers(flow: pd.DataFrame, source: str) -> list[Number]:
    """Registry entries for every count in the flow, per arm and in total."""
    numbers = []
    for stage, by_stage in flow.groupby("stage", sort=True):
        for arm, n in zip(by_stage["arm"], by_stage["n"], strict=True):
            numbers.append(
                Number(
                    f"flow.{stage}.{ARMS[arm]}.n", int(n), format_count(n), "patients", None, source
                )
            )
        total = int(by_stage["n"].sum())
        numbers.append(
            Number(f"flow.{stage}.total.n", total, format_count(total), "patients", None, source)
        )
    return numbers


def patient_flow_markdown(flow: pd.DataFrame) -> str:
    """The flow as a table: enrolled, each exclusion reason and analysed, per arm."""
    from manuscript_engine.stats.tables import markdown_table

    n = flow.set_index(["stage", "arm"])["n"]
    labels = {
        "enrolled": "Enrolled",
        "excluded_no_followup_mri": "Excluded: no follow-up MRI",
        "excluded_lost_to_followup": "Excluded: lost to follow-up",
        "included": "Analysed",
    }
    rows = [
        [
            label,
            *(format_count(n[stage, arm]) for arm in ARMS),
            format_count(sum(n[stage, arm] for arm in ARMS)),
        ]
        for stage, label in labels.items()
    ]
    return markdown_table(
        ["Patients", "PVP+ITR", "PVP", "Total"],
        rows,
        "Flow of patients from enrolment to analysis.",
        "tbl:flow",
        "Patients chose their treatment before the procedure.",
    )
