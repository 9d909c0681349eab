"""This study's rules across its tables: who belongs where, and what cannot happen together.

The engine checks every cell against the codebook; these rules need the study's own
knowledge (an excluded patient has a reason, a failed procedure has no cement, a
treated patient has a discharge visit). The layout names :func:`check_across_tables`
and validation calls it once every cell is valid, with the same kind of message.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from manuscript_engine.data.validation import Problem, line_of, shown_value
from manuscript_engine.data.vocabulary import visit_month, visit_months


def check_across_tables(
    tables: dict[str, pd.DataFrame],
    files: dict[str, str],
    problems: list[Problem],
    codebook: dict[str, Any],
) -> None:
    """Rules that join tables: who belongs where, and what cannot happen together.

    Written with whole-column operations, so a registry of a hundred thousand patients
    is checked in about a second.
    """
    enrollment = tables["enrollment"]
    status = enrollment.set_index("patient_id")["included"]
    reason = enrollment.set_index("patient_id")["exclusion_reason"]
    has_reason = enrollment["exclusion_reason"].notna()
    for line, value in enrollment.loc[
        (enrollment["included"] == "yes") & has_reason, "exclusion_reason"
    ].items():
        problems.append(
            Problem(
                files["enrollment"],
                int(line),
                "exclusion_reason",
                value,
                "an included patient cannot have an exclusion reason. "
                "Empty the cell or set included to no.",
            )
        )
    for line in enrollment.index[(enrollment["included"] == "no") & ~has_reason]:
        problems.append(
            Problem(
                files["enrollment"],
                int(line),
                "exclusion_reason",
                "",
                "an excluded patient needs an exclusion reason "
                "(no_followup_mri or lost_to_followup).",
            )
        )

    # Each row's patient is looked up once among the enrolled (pandas keeps the hash of
    # the enrolled identifiers): sets and isin() hashed a million identifiers per rule.
    # The identifiers are unique here: these rules run only on tables with no problem,
    # and a repeated key is one.
    enrolled = pd.Index(status.index)
    included = (status == "yes").to_numpy()
    excluded = (status == "no").to_numpy()
    for name in ("baseline", "procedure", "visits", "followup"):
        table = tables[name]
        ids = table["patient_id"]
        where = enrolled.get_indexer(ids)
        known = where >= 0
        enrolled_as = {
            "unknown": (
                ~known,
                lambda patient: (
                    f"{patient} is not in {files['enrollment']}. Add the patient there or correct "
                    "the identifier."
                ),
            ),
            "excluded": (
                known & excluded[where],
                lambda patient: (
                    f"{patient} is excluded in {files['enrollment']} ({reason[patient]}) but has a "
                    "row here. Remove the row or mark the patient as included."
                ),
            ),
        }
        for broken, rule in enrolled_as.values():
            for line, patient in ids[broken].items():
                problems.append(
                    Problem(files[name], int(line), "patient_id", patient, rule(patient))
                )
        if name == "visits":
            continue
        rows = np.bincount(where[known], minlength=len(enrolled))
        for patient in sorted(enrolled[included & (rows == 0)]):
            problems.append(
                Problem(
                    files["enrollment"],
                    line_of(enrollment, patient),
                    "patient_id",
                    patient,
                    f"included patient {patient} has no row in {files[name]}. Add the row or mark "
                    "the patient as excluded.",
                )
            )
    check_procedure(tables, files, problems)
    check_visits(tables, files, problems, visit_months(codebook))
    check_fracture_times(tables, files, problems)


def check_procedure(tables, files, problems) -> None:
    procedure = tables["procedure"]
    failed = procedure["technical_success"] == "no"
    cement, leak = procedure["cement_ml"], procedure["leakage_site"]
    rules = (
        (
            failed & cement.notna(),
            "cement_ml",
            "cement is recorded but technical_success is "
            "no. A failed procedure has no cement: empty the cell or correct technical_success.",
        ),
        (
            failed & leak.notna(),
            "leakage_site",
            "leakage is recorded but technical_success is "
            "no. Empty the cell or correct technical_success.",
        ),
        (
            ~failed & cement.isna(),
            "cement_ml",
            "the procedure succeeded but no cement volume is recorded.",
        ),
        (
            ~failed & leak.isna(),
            "leakage_site",
            "the procedure succeeded but leakage_site is "
            "empty; write none when there was no leakage.",
        ),
    )
    for broken, column, rule in rules:
        for line, value in procedure.loc[broken, column].items():
            problems.append(
                Problem(
                    files["procedure"],
                    int(line),
                    column,
                    "" if pd.isna(value) else shown_value(value),
                    rule,
                )
            )


def check_visits(tables, files, problems, months: dict[str, int]) -> None:
    visits, followup, procedure = tables["visits"], tables["followup"], tables["procedure"]
    by_patient = followup.reset_index().set_index("patient_id")
    codes = visits["visit"].unique()
    month_of = {code: float(visit_month(code, months)) for code in codes}
    months = visits["visit"].map(month_of)
    end = visits["patient_id"].map(by_patient["followup_months"])
    late = months > end
    for line in visits.index[late]:
        patient, visit = visits.at[line, "patient_id"], visits.at[line, "visit"]
        limit = shown_value(by_patient.at[patient, "followup_months"])
        where = f"{files['followup']} line {int(by_patient.at[patient, 'line'])}"
        if by_patient.at[patient, "died"] == "yes":
            rule = (
                f"{visit} is after the patient's death at {limit} months ({where}). "
                "Correct the visit or the follow-up."
            )
        else:
            rule = (
                f"{visit} is later than the end of follow-up, {limit} months ({where}). "
                "Correct the visit or the follow-up length."
            )
        problems.append(Problem(files["visits"], int(line), "visit", visit, rule))
    ids = procedure["patient_id"]
    with_preop = ids.isin(visits.loc[visits["visit"] == "preop", "patient_id"])
    with_discharge = ids.isin(visits.loc[visits["visit"] == "discharge", "patient_id"])
    for patient in procedure.loc[~with_preop, "patient_id"]:
        problems.append(
            Problem(
                files["visits"],
                None,
                "visit",
                "preop",
                f"patient {patient} has no preop visit. Every included patient needs one.",
            )
        )
    treated = procedure["technical_success"] == "yes"
    missing = procedure.loc[treated & ~with_discharge, "patient_id"]
    for line, patient in missing.items():
        problems.append(
            Problem(
                files["visits"],
                None,
                "visit",
                "discharge",
                f"patient {patient} was treated ({files['procedure']} line {int(line)}) but "
                "has no discharge visit. Add it: initial pain relief is measured there.",
            )
        )


def check_fracture_times(tables, files, problems) -> None:
    """A new fracture has its time, within follow-up; a patient without one has no time.

    That the time is after the procedure is the codebook's rule (its minimum, 0.01).
    """
    followup = tables["followup"]
    fractured = followup["new_fracture"] == "yes"
    months, end = followup["new_fracture_months"], followup["followup_months"]
    rules = (
        (
            fractured & months.isna(),
            lambda line: (
                "new_fracture is yes but no time is recorded. Write the months from "
                "the procedure to the new fracture."
            ),
        ),
        (
            ~fractured & months.notna(),
            lambda line: (
                f"{shown_value(months[line])} months is recorded but new_fracture is "
                "no. Empty the cell or correct new_fracture."
            ),
        ),
        (
            fractured & (months > end),
            lambda line: (
                f"the new fracture, at {shown_value(months[line])} months, is later than "
                f"the end of follow-up, {shown_value(end[line])} months. Correct the time or the "
                "follow-up length."
            ),
        ),
    )
    for broken, rule in rules:
        for line, value in months[broken].items():
            problems.append(
                Problem(
                    files["followup"],
                    int(line),
                    "new_fracture_months",
                    "" if pd.isna(value) else shown_value(value),
                    rule(line),
                )
            )
