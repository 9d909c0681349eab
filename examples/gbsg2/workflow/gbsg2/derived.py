"""GBSG-2's analysis dataset: the three tables joined, survival time in months."""

from __future__ import annotations

from typing import Any

import pandas as pd


def patient_frame(tables: dict[str, pd.DataFrame], codebook: dict[str, Any]) -> pd.DataFrame:
    """One row per patient; ``rfs_months`` from ``rfs_days`` by the codebook's definition."""
    survival = codebook["definitions"]["recurrence_free_survival"]
    frame = (
        tables["enrollment"]
        .set_index("patient_id")
        .join(tables["baseline"].set_index("patient_id"))
        .join(tables["followup"].set_index("patient_id"))
    )
    frame["rfs_months"] = frame[survival["time"]] / float(survival["days_per_month"])
    return frame
