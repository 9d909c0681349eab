"""Table 1: baseline characteristics of all included patients, by arm.

The arms, the categories and their labels are the codebook's, in its order
(``data/codebook.yaml``), so a category added there appears here without a code change
and every arm's counts add up to its n; a code without a label is shown as written.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from manuscript_engine.data.vocabulary import study_arms
from manuscript_engine.stats.tables import (
    NumberBook,
    TableResult,
    TestMarks,
    category_key,
    codebook_categories,
    markdown_table,
    summarise_categories,
    summarise_continuous,
    tidy_rows,
)


def table_baseline(
    patients: pd.DataFrame,
    settings: dict,
    decimals: dict,
    *,
    codebook: dict[str, Any],
) -> TableResult:
    """Age, sex, symptom duration, primary tumour, vertebrae treated and ASIA grade."""
    columns = codebook["tables"]["baseline"]["columns"]
    arms = study_arms(codebook)
    book = NumberBook("table_baseline (all included patients)", arms)
    pct = decimals["percent"]
    counts = {arm.code: int((patients[arms.column] == arm.code).sum()) for arm in arms}
    for arm in arms:
        book.count(f"baseline.n.{arm.key}", counts[arm.code])
    rows, tidy, marks = [], [], TestMarks()

    for column, label, unit in (
        ("age_years", "Age (years)", "years"),
        ("symptom_weeks", "Duration of symptoms (weeks)", "weeks"),
    ):
        s = summarise_continuous(
            book,
            f"baseline.{column}",
            patients,
            column,
            decimals[column],
            settings,
            unit,
            label.lower(),
        )
        c = s["cells"]
        rows.append(
            [
                f"{label}, mean ± SD (range)",
                *(f"{c[code]['mean_sd']} ({c[code]['range']})" for code in arms.codes),
                marks(s["p"], s["test"]),
            ]
        )
        tidy += tidy_rows(s, variable=column, category="")

    sexes = codebook_categories(columns["sex"], patients["sex"])
    sex_labels = columns["sex"].get("labels", {})
    sex = summarise_categories(book, "baseline.sex", patients, "sex", sexes, settings, pct)
    rows.append(
        [
            f"Sex, {' / '.join(sex_labels.get(code, code).lower() for code in sexes)} (n)",
            *[
                " / ".join(
                    book.text(f"baseline.sex.{category_key(code)}.{arm}.n") for code in sexes
                )
                for arm in arms.keys
            ],
            marks(sex["p"], sex["test"]),
        ]
    )
    _tidy_categories(tidy, "sex", sex)

    for key, column, label in (
        ("primary_tumor", "primary_tumor", "Primary tumour, n (%)"),
        ("vertebrae_treated", "vertebrae_treated", "Vertebrae treated per patient, n (%)"),
        ("asia", "asia_baseline", "ASIA impairment grade before treatment, n (%)"),
    ):
        names = columns[column].get("labels", {})
        shown = codebook_categories(columns[column], patients[column])
        s = summarise_categories(book, f"baseline.{key}", patients, column, shown, settings, pct)
        rows.append([label, *("" for _ in arms), marks(s["p"], s["test"])])
        for category in shown:
            name = names.get(category, str(category))
            rows.append([f"  {name}", *(s["cells"][category][code] for code in arms.codes), ""])
        _tidy_categories(tidy, column, s)

    header = [
        "Characteristic",
        *(f"{arm.label} (n = {counts[arm.code]})" for arm in arms),
        "P",
    ]
    markdown = markdown_table(
        header,
        rows,
        "Baseline characteristics of the included patients, by treatment.",
        "tbl:baseline",
        "Percentages are of all included patients in the arm. " + marks.footnote(),
    )
    return TableResult("table_baseline", pd.DataFrame(tidy), markdown, book.numbers)


def _tidy_categories(tidy: list, variable: str, summary: dict) -> None:
    for category, by_arm in summary["cells"].items():
        for arm, cell in by_arm.items():
            tidy.append(
                {
                    "variable": variable,
                    "category": str(category),
                    "arm": arm,
                    "n": int(cell.split(" ")[0]),
                    "mean": None,
                    "sd": None,
                    "p": summary["p"],
                    "test": summary["test"],
                }
            )
