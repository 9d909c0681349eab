"""Patient-level variables the paper reports, derived with the codebook's definitions.

One row per included patient: the raw columns, plus pain categories at discharge and
at the last visit, the pain course between them, ASIA groups, paraplegia outcome,
stability, and each score at the Table 3 time points (``vas_preop`` ... ``kps_gt12``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .cohort import visit_month

SCORES = ("vas", "odi", "kps")
TABLE3_COLUMNS = ("preop", "m01", "m03", "m06", "m12", "gt12")
ASIA_ORDER = "ABCDE"


def pain_category(vas: float, definitions: dict[str, Any]) -> str | None:
    """Excellent, good, fair or poor for one VAS value (None when VAS is missing)."""
    if pd.isna(vas):
        return None
    for name, bounds in definitions["pain_category"]["categories"].items():
        if bounds["min"] <= vas <= bounds["max"]:
            return name
    raise ValueError(f"VAS {vas} falls in no pain category of the codebook")


def pain_categories(vas: pd.Series, definitions: dict[str, Any]) -> pd.Series:
    """:func:`pain_category` for a whole column at once (missing VAS stays missing)."""
    result = pd.Series(None, index=vas.index, dtype=object)
    for name, bounds in definitions["pain_category"]["categories"].items():
        result[(vas >= bounds["min"]) & (vas <= bounds["max"])] = name
    unplaced = vas.notna() & result.isna()
    if unplaced.any():
        raise ValueError(f"VAS {vas[unplaced].iloc[0]} falls in no pain category of the codebook")
    return result


def asia_group(grade: str) -> str:
    """A (complete), B-D (incomplete) or E (no paraplegia)."""
    return {"A": "A", "E": "E"}.get(grade, "B-D")


def paraplegia_outcome(baseline: str, last: str) -> str:
    """Full recovery, improved, unchanged or deteriorated for a paraplegic patient."""
    if baseline == "E":
        return "not_paraplegic"
    if last == "E":
        return "full_recovery"
    change = ASIA_ORDER.index(last) - ASIA_ORDER.index(baseline)
    return "improved" if change > 0 else "unchanged" if change == 0 else "deteriorated"


def table3_values(visits: pd.DataFrame) -> pd.DataFrame:
    """Scores per patient at each Table 3 column; ``gt12`` is the last visit after month 12."""
    months = visits["visit"].map(visit_month)
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
        month=after["visit"].map(visit_month), order=(after["visit"] != "discharge").astype(int)
    )
    return after.sort_values(["month", "order"]).groupby("patient_id")["vas"].last()


def patient_frame(tables: dict[str, pd.DataFrame], definitions: dict[str, Any]) -> pd.DataFrame:
    """One row per included patient with every variable the paper reports.

    Parameters
    ----------
    tables : dict of DataFrame
        The typed cohort tables (see :func:`vertebroplasty.cohort.read_cohort`).
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
    frame["asia_baseline_group"] = frame["asia_baseline"].map(asia_group)
    frame["asia_last_group"] = frame["asia_last"].map(asia_group)
    frame["paraplegic_baseline"] = frame["asia_baseline"] != "E"
    frame["paraplegia_outcome"] = [
        paraplegia_outcome(b, last)
        for b, last in zip(frame["asia_baseline"], frame["asia_last"], strict=True)
    ]
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
