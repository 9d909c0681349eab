"""Patient flow: enrolled, excluded by reason, analysed, and how follow-up ended, per arm."""

from __future__ import annotations

import pandas as pd

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.formatting import format_count
from manuscript_engine.core.registry import Number
from manuscript_engine.data.vocabulary import column_spec, study_arms


def exclusion_reasons(codebook: dict) -> dict[str, str]:
    """Each exclusion reason the codebook allows, and its label."""
    spec = column_spec(codebook, "exclusion_reason")
    return {reason: spec.get("labels", {}).get(reason, reason) for reason in spec["values"]}


FOLLOW_UP_STAGES = {"died": "Died during follow-up", "alive": "Alive at last contact"}
"""How follow-up ended for the analysed patients, and each stage's label."""


def summarise_patient_flow(
    enrollment: pd.DataFrame, codebook: dict, patients: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Count patients at each stage of the flow, per arm.

    Parameters
    ----------
    enrollment : DataFrame
        One row per enrolled patient with ``arm``, ``included`` (yes/no) and
        ``exclusion_reason``.
    patients : DataFrame, optional
        The analysis dataset (one row per included patient, with ``died``): with it,
        the analysed patients are also counted by how follow-up ended.

    Returns
    -------
    DataFrame
        Columns ``stage`` (``enrolled``, ``excluded_<reason>``, ``included``, then
        ``died`` and ``alive`` with ``patients``), ``arm`` (its stored code) and ``n``;
        arms in the codebook's order.
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
        included = int((in_arm["included"] == "yes").sum())
        rows.append(("included", arm, included))
        if patients is not None:
            died = patients.loc[patients[arms.column] == arm, "died"].astype(bool)
            if len(died) != included:
                raise ManuscriptError(
                    f"patient flow: {included} patients of the arm {arms.by_code(arm).label} "
                    f"are included in the enrolment table but {len(died)} are in the analysis "
                    "dataset. Rebuild the analysis dataset from the same data."
                )
            rows.append(("died", arm, int(died.sum())))
            rows.append(("alive", arm, int((~died).sum())))
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
        **{stage: f"  {label}" for stage, label in FOLLOW_UP_STAGES.items()},
    }
    labels = {stage: label for stage, label in labels.items() if stage in set(flow["stage"])}
    rows = [
        [
            label,
            *(format_count(n[stage, arm]) for arm in arms.codes),
            format_count(sum(n[stage, arm] for arm in arms.codes)),
        ]
        for stage, label in labels.items()
    ]
    followed = "died" in set(flow["stage"])
    return markdown_table(
        ["Patients", *arms.labels, "Total"],
        rows,
        "Flow of patients from enrolment to analysis"
        + (" and to the end of follow-up." if followed else "."),
        "tbl:flow",
        "Patients chose their treatment before the procedure."
        + (
            " Analysed patients by how follow-up ended: death, or the last contact alive."
            if followed
            else ""
        ),
    )
