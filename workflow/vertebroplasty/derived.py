"""Patient-level variables the paper reports, derived with the codebook's definitions.

One row per included patient: the raw columns, plus pain categories at discharge and
at the last visit, the pain course between them, ASIA groups, paraplegia outcome,
stability, and each score at the Table 3 time points (``vas_preop`` ... ``kps_gt12``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from manuscript_engine.data.cohort import visit_month

SCORES = ("vas", "odi", "kps")
TABLE3_COLUMNS = ("preop", "m01", "m03", "m06", "m12", "gt12")
ASIA_ORDER = "ABCDE"


def pain_categories(vas: pd.Series, definitions: dict[str, Any]) -> pd.Series:
    """Excellent, good, fair or poor for each VAS value (missing VAS stays missing)."""
    result = pd.Series(None, index=vas.index, dtype=object)
    for name, bounds in definitions["pain_category"]["categories"].items():
        result[(vas >= bounds["min"]) & (vas <= bounds["max"])] = name
    unplaced = vas.notna() & result.isna()
    if unplaced.any():
        raise ValueError(f"VAS {vas[unplaced].iloc[0]} falls in no pain category of the codebook")
    return result


ASIA_GROUPS = {"A": "A", "B": "B-D", "C": "B-D", "D": "B-D", "E": "E"}
"""ASIA grade -> A (complete), B-D (incomplete) or E (no paraplegia)."""


def paraplegia_outcomes(baseline: pd.Series, last: pd.Series) -> pd.Series:
    """Full recovery, improved, unchanged or deteriorated, per paraplegic patient.

    ``not_paraplegic`` for grade E before the procedure. Worked out for whole columns at
    once, which matters for a registry of a hundred thousand patients.
    """
    rank = {grade: position for position, grade in enumerate(ASIA_ORDER)}
    change = last.map(rank) - baseline.map(rank)
    outcome = np.select(
        [baseline == "E", last == "E", change > 0, change == 0],
        ["not_paraplegic", "full_recovery", "improved", "unchanged"],
        default="deteriorated",
    )
    return pd.Series(outcome, index=baseline.index, dtype=object)


def visit_months(visit: pd.Series) -> pd.Series:
    """Months after the procedure of each visit (each distinct name worked out once)."""
    codes, names = pd.factorize(visit)
    return pd.Series(np.array([visit_month(name) for name in names], dtype=int)[codes], visit.index)


def table3_values(visits: pd.DataFrame) -> pd.DataFrame:
    """Scores per patient at each Table 3 column; ``gt12`` is the last visit after month 12."""
    months = visit_months(visits["visit"])
    fixed = visits[visits["visit"].isin(TABLE3_COLUMNS)]
    wide = fixed.pivot(index="patient_id", columns="visit", values=list(SCORES))
    wide.columns = [f"{score}_{visit}" for score, visit in wide.columns]
    late = visits[months > 12].assign(month=months[months > 12])
    last_late = late.sort_values("month").groupby("patient_id").tail(1).set_index("patient_id")
    for score in SCORES:
        wide[f"{score}_gt12"] = last_late[score]
    columns = [f"{s}_{c}" for s in SCORES for c in TABLE3_COLUMNS]
    return wide.reindex(columns=columns)


def last_vas(visits: pd.DataFrame) -> pd.Series:
    """Each patient's VAS at the last visit after discharge that has one."""
    after = visits[(visits["visit"] != "preop") & visits["vas"].notna()]
    after = after.assign(
        month=visit_months(after["visit"]), order=(after["visit"] != "discharge").astype(int)
    )
    return after.sort_values(["month", "order"]).groupby("patient_id")["vas"].last()


def patient_frame(tables: dict[str, pd.DataFrame], definitions: dict[str, Any]) -> pd.DataFrame:
    """One row per included patient with every variable the paper reports.

    Parameters
    ----------
    tables : dict of DataFrame
        The typed cohort tables (see :func:`manuscript_engine.data.cohort.read_cohort`).
    definitions : dict
        The codebook's ``definitions`` section.
    """
    enrollment = tables["enrollment"].set_index("patient_id")
    included = enrollment[enrollment["included"]]
    frame = (
        included[["arm"]]
        .join(tables["baseline"].set_index("patient_id"))
        .join(tables["procedure"].set_index("patient_id"))
        .join(tables["followup"].set_index("patient_id"))
    )
    frame["outcome"] = frame["technical_success"]
    frame["cement_given"] = frame["cement_ml"].notna()
    frame["leakage"] = np.where(frame["outcome"], frame["leakage_site"] != "none", None)
    frame["stable"] = ~frame["new_fracture"]
    frame["asia_baseline_group"] = frame["asia_baseline"].map(ASIA_GROUPS)
    frame["asia_last_group"] = frame["asia_last"].map(ASIA_GROUPS)
    frame["paraplegic_baseline"] = frame["asia_baseline"] != "E"
    frame["paraplegia_outcome"] = paraplegia_outcomes(frame["asia_baseline"], frame["asia_last"])
    frame["paraplegia_recovered"] = frame["paraplegia_outcome"].isin(["full_recovery", "improved"])

    visits = tables["visits"]
    discharge = visits[visits["visit"] == "discharge"].set_index("patient_id")["vas"]
    frame["vas_discharge"] = discharge
    frame["vas_final"] = last_vas(visits)
    relief = set(definitions["pain_relief"]["categories"])
    for moment in ("discharge", "final"):
        frame[f"pain_{moment}"] = pain_categories(frame[f"vas_{moment}"], definitions)
        frame[f"relief_{moment}"] = frame[f"pain_{moment}"].map(
            {c: c in relief for c in definitions["pain_category"]["categories"]}
        )
    frame["pain_course"] = frame["pain_final"].map(
        {"excellent": "relief", "good": "relief", "fair": "unchanged", "poor": "deteriorated"}
    )
    return frame.join(table3_values(visits))
