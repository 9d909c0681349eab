"""Patient-level variables the paper reports, derived with the codebook's definitions.

One row per included patient: the raw columns, plus pain categories at discharge and
at the last visit, the pain course between them, ASIA groups, paraplegia outcome,
stability, and each score at the Table 3 time points (``vas_preop`` ... ``kps_gt12``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.data.vocabulary import category_values, visit_month
from manuscript_engine.data.vocabulary import visit_months as named_visit_months


def scores(codebook: dict[str, Any]) -> list[str]:
    """The scores followed over time: the visit table's columns with a better direction."""
    columns = codebook["tables"]["visits"]["columns"]
    return [name for name, spec in columns.items() if "better" in spec]


def table3_columns(codebook: dict[str, Any]) -> list[str]:
    """The time points of the scores table, in order (the codebook's ``table3_columns``)."""
    return list(codebook["definitions"]["table3_columns"])


def asia_grades(codebook: dict[str, Any]) -> list[str]:
    """ASIA grades from worst to best, as the codebook lists them."""
    return category_values(codebook, "asia_baseline")


def asia_groups(codebook: dict[str, Any]) -> dict[str, str]:
    """ASIA grade -> its group label (``A``, ``B-D``, ``E``) from the paraplegia grades."""
    groups = codebook["definitions"]["paraplegia"]["grades"]
    return {
        grade: members[0] if len(members) == 1 else f"{members[0]}-{members[-1]}"
        for members in (list(map(str, g)) for g in groups.values())
        for grade in members
    }


def no_paraplegia_grade(codebook: dict[str, Any]) -> str:
    """The grade of a patient without paraplegia (``none`` in the paraplegia grades)."""
    return str(codebook["definitions"]["paraplegia"]["grades"]["none"][0])


def pain_categories(vas: pd.Series, definitions: dict[str, Any]) -> pd.Series:
    """Excellent, good, fair or poor for each VAS value (missing VAS stays missing)."""
    result = pd.Series(None, index=vas.index, dtype=object)
    for name, bounds in definitions["pain_category"]["categories"].items():
        result[(vas >= bounds["min"]) & (vas <= bounds["max"])] = name
    unplaced = vas.notna() & result.isna()
    if unplaced.any():
        raise ManuscriptError(
            f"data/codebook.yaml, definitions › pain_category: VAS {vas[unplaced].iloc[0]:g} "
            "occurs in the data but falls in no category. Make the categories' min and max "
            "cover every value the scale allows (its step), with no gap between them."
        )
    return result


def paraplegia_outcomes(baseline: pd.Series, last: pd.Series, codebook: dict) -> pd.Series:
    """Full recovery, improved, unchanged or deteriorated, per paraplegic patient.

    ``not_paraplegic`` for no paraplegia before the procedure. Worked out for whole
    columns at once, which matters for a registry of a hundred thousand patients.
    """
    rank = {grade: position for position, grade in enumerate(asia_grades(codebook))}
    change = last.map(rank) - baseline.map(rank)
    free = no_paraplegia_grade(codebook)
    outcome = np.select(
        [baseline == free, last == free, change > 0, change == 0],
        ["not_paraplegic", "full_recovery", "improved", "unchanged"],
        default="deteriorated",
    )
    return pd.Series(outcome, index=baseline.index, dtype=object)


def visit_months(visit: pd.Series, codebook: dict) -> pd.Series:
    """Months after the procedure of each visit (each distinct name worked out once)."""
    named = named_visit_months(codebook)
    codes, names = pd.factorize(visit)
    months = np.array([visit_month(name, named) for name in names], dtype=int)
    return pd.Series(months[codes], visit.index)


def table3_values(visits: pd.DataFrame, codebook: dict) -> pd.DataFrame:
    """Scores per patient at each Table 3 column; the last one is the last visit after
    the codebook's ``late_after_months``."""
    followed, times = scores(codebook), table3_columns(codebook)
    late_after = int(codebook["definitions"]["late_after_months"])
    months = visit_months(visits["visit"], codebook)
    fixed = visits[visits["visit"].isin(times)]
    wide = fixed.pivot(index="patient_id", columns="visit", values=followed)
    wide.columns = [f"{score}_{visit}" for score, visit in wide.columns]
    late = visits[months > late_after].assign(month=months[months > late_after])
    last_late = late.sort_values("month").groupby("patient_id").tail(1).set_index("patient_id")
    for score in followed:
        wide[f"{score}_{times[-1]}"] = last_late[score]
    columns = [f"{s}_{c}" for s in followed for c in times]
    return wide.reindex(columns=columns)


def last_vas(visits: pd.DataFrame, codebook: dict) -> pd.Series:
    """Each patient's VAS at the last visit after discharge that has one."""
    named = codebook["definitions"]["visits"]
    after = visits[(visits["visit"] != named["baseline"]) & visits["vas"].notna()]
    after = after.assign(
        month=visit_months(after["visit"], codebook),
        order=(after["visit"] != named["discharge"]).astype(int),
    )
    return after.sort_values(["month", "order"]).groupby("patient_id")["vas"].last()


def patient_frame(tables: dict[str, pd.DataFrame], codebook: dict[str, Any]) -> pd.DataFrame:
    """One row per included patient with every variable the paper reports.

    Parameters
    ----------
    tables : dict of DataFrame
        The typed cohort tables (see :func:`manuscript_engine.data.cohort.read_cohort`).
    codebook : dict
        The codebook: its ``definitions`` and its vocabulary (grades, visits, arms).
    """
    definitions = codebook["definitions"]
    arm_column = codebook["arms"]["column"]
    enrollment = tables["enrollment"].set_index("patient_id")
    included = enrollment[enrollment["included"]]
    frame = (
        included[[arm_column]]
        .join(tables["baseline"].set_index("patient_id"))
        .join(tables["procedure"].set_index("patient_id"))
        .join(tables["followup"].set_index("patient_id"))
    )
    groups = asia_groups(codebook)
    frame["outcome"] = frame["technical_success"]
    frame["cement_given"] = frame["cement_ml"].notna()
    frame["leakage"] = np.where(frame["outcome"], frame["leakage_site"] != "none", None)
    frame["stable"] = ~frame["new_fracture"]
    frame["asia_baseline_group"] = frame["asia_baseline"].map(groups)
    frame["asia_last_group"] = frame["asia_last"].map(groups)
    frame["paraplegic_baseline"] = frame["asia_baseline"] != no_paraplegia_grade(codebook)
    frame["paraplegia_outcome"] = paraplegia_outcomes(
        frame["asia_baseline"], frame["asia_last"], codebook
    )
    frame["paraplegia_recovered"] = frame["paraplegia_outcome"].isin(["full_recovery", "improved"])

    # Several visits a patient: grouping, pivoting and comparing them as categories
    # hashes each identifier and visit name once, not once per operation.
    visits = tables["visits"].astype({"patient_id": "category", "visit": "category"})
    at_discharge = visits["visit"] == definitions["visits"]["discharge"]
    frame["vas_discharge"] = visits[at_discharge].set_index("patient_id")["vas"]
    frame["vas_final"] = last_vas(visits, codebook)
    relief = set(definitions["pain_relief"]["categories"])
    for moment in ("discharge", "final"):
        frame[f"pain_{moment}"] = pain_categories(frame[f"vas_{moment}"], definitions)
        frame[f"relief_{moment}"] = frame[f"pain_{moment}"].map(
            {c: c in relief for c in definitions["pain_category"]["categories"]}
        )
    frame["pain_course"] = frame["pain_final"].map(definitions["pain_course"]["categories"])
    return frame.join(table3_values(visits, codebook))
