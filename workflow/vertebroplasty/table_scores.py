"""Table 3: VAS, ODI and KPS before treatment and at each follow-up time point."""

from __future__ import annotations

import pandas as pd

from manuscript_engine.stats.tables import (
    NumberBook,
    TableResult,
    TestMarks,
    markdown_table,
    summarise_continuous,
    tidy_rows,
)
from vertebroplasty.derived import TABLE3_COLUMNS

SCORES = {"vas": "VAS", "odi": "ODI", "kps": "KPS"}
TIME_LABELS = {
    "preop": "Before treatment",
    "m01": "1 month",
    "m03": "3 months",
    "m06": "6 months",
    "m12": "1 year",
    "gt12": "> 1 year",
}


def table_scores(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    """Mean ± SD and n per arm at every time point, with a P value per comparison."""
    book = NumberBook("table_scores (outcome population)")
    outcome = patients[patients["outcome"]]
    rows, tidy, marks = [], [], TestMarks()
    for score, name in SCORES.items():
        for time in TABLE3_COLUMNS:
            column = f"{score}_{time}"
            s = summarise_continuous(
                book,
                f"scores.{score}.{time}",
                outcome,
                column,
                decimals[score],
                settings,
                "points",
                f"{name} at {TIME_LABELS[time]}",
            )
            c = s["cells"]
            rows.append(
                [
                    name,
                    TIME_LABELS[time],
                    f"{c['PVP+ITR']['mean_sd']} ({c['PVP+ITR']['n']})",
                    f"{c['PVP']['mean_sd']} ({c['PVP']['n']})",
                    marks(s["p"], s["test"]),
                ]
            )
            tidy += tidy_rows(s, score=score, time=time)
    markdown = markdown_table(
        ["Score", "Time", "PVP+ITR, mean ± SD (n)", "PVP, mean ± SD (n)", "P"],
        rows,
        "Pain (VAS), disability (ODI) and performance status (KPS) over time, by treatment.",
        "tbl:scores",
        "Patients with a technically successful procedure; n is the number assessed at each "
        "time point. > 1 year: each patient's last visit after month 12. VAS 0–10 (lower is "
        "better), ODI 0–100 (lower is better), KPS 0–100 (higher is better). " + marks.footnote(),
        align="llrrr",
    )
    return TableResult("table_scores", pd.DataFrame(tidy), markdown, book.numbers)
