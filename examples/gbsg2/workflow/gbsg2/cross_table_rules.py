"""GBSG-2's rule across its tables: each patient of enrollment.csv has one row in each."""

from __future__ import annotations

from typing import Any

import pandas as pd

from manuscript_engine.data.validation import Problem


def one_row_per_patient(
    tables: dict[str, pd.DataFrame],
    files: dict[str, str],
    problems: list[Problem],
    codebook: dict[str, Any],
) -> None:
    """A patient missing from a table, or found only there, is a problem of that table."""
    enrolled = set(tables["enrollment"]["patient_id"])
    for name, table in tables.items():
        if name == "enrollment":
            continue
        ids = table["patient_id"]
        for line, patient in ids[~ids.isin(enrolled)].items():
            problems.append(
                Problem(
                    files[name],
                    int(line),
                    "patient_id",
                    patient,
                    f"{patient} is not in {files['enrollment']}. Add the patient there or "
                    "correct the identifier.",
                )
            )
        for patient in sorted(enrolled - set(ids)):
            problems.append(
                Problem(
                    files[name],
                    None,
                    "patient_id",
                    patient,
                    f"patient {patient} of {files['enrollment']} has no row here. Add it.",
                )
            )
