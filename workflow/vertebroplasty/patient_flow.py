"""Patient flow: enrolled, excluded by reason, and analysed, per arm."""

from __future__ import annotations

import pandas as pd

from manuscript_engine.core.formatting import format_count
from manuscript_engine.core.registry import Number
from manuscript_engine.data.vocabulary import column_spec, study_arms


def exclusion_reasons(codebook: dict) -> dict[str, str]:
    """Each exclusion reason the codebook allows, and its label."""
    spec = column_spec(codebook, "exclusion_reason")
    return {reason: spec.get("labels", {}).get(reason, reason) for reason in spec["values"]}


def summarise_patient_flow(enrollment: pd.DataFrame, codebook: dict) -> pd.DataFrame:
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
        ``arm`` (its stored code) and ``n``; arms in the codebook's order.
    """
    rows = []
    arms = study_arms(codebook)
    for arm in arms.codes:
        in_arm = enrollment[enrollment[arms.column] == arm]
        rows.append(("enrolled", arm, len(in_arm)))
        for reason in exclusion_reasons(codebook):
            rows.append(
                (f"excluded_{reason}", arm, int((in_arm["exclusion_reason"] == reason).sum()))
            )
        rows.append(("included", arm, int((in_arm["included"] == "yes").sum())))
    return pd.DataFrame(rows, columns=["stage", "arm", "n"])


def patient_flow_numbers(flow: pd.DataFrame, source: str, codebook: dict) -> list[Number]:
    """Registry entries for every count in the flow, per arm and in total."""
    arms = study_arms(codebook)
    numbers = []
    for stage, by_stage in flow.groupby("stage", sort=True):
        for arm, n in zip(by_stage["arm"], by_stage["n"], strict=True):
            numbers.append(
                Number(
                    f"flow.{stage}.{arms.key_of(arm)}.n",
                    int(n),
                    format_count(n),
                    "patients",
                    None,
                    source,
                )
            )
        total = int(by_stage["n"].sum())
        numbers.append(
            Number(f"flow.{stage}.total.n", total, format_count(total), "patients", None, source)
        )
    return numbers


def patient_flow_markdown(flow: pd.DataFrame, codebook: dict) -> str:
    """The flow as a table: enrolled, each exclusion reason and analysed, per arm."""
    from manuscript_engine.stats.tables import markdown_table

    n = flow.set_index(["stage", "arm"])["n"]
    arms = study_arms(codebook)
    labels = {
        "enrolled": "Enrolled",
        **{
            f"excluded_{reason}": f"Excluded: {label}"
            for reason, label in exclusion_reasons(codebook).items()
        },
        "included": "Analysed",
    }
    rows = [
        [
            label,
            *(format_count(n[stage, arm]) for arm in arms.codes),
            format_count(sum(n[stage, arm] for arm in arms.codes)),
        ]
        for stage, label in labels.items()
    ]
    return markdown_table(
        ["Patients", *arms.labels, "Total"],
        rows,
        "Flow of patients from enrolment to analysis.",
        "tbl:flow",
        "Patients chose their treatment before the procedure.",
    )
