"""Table 1: baseline characteristics of all included patients, by arm."""

from __future__ import annotations

import pandas as pd

from .tables import (
    NumberBook,
    TableResult,
    TestMarks,
    markdown_table,
    summarise_categories,
    summarise_continuous,
    tidy_rows,
)

TUMOURS = {
    "lung": "Lung cancer",
    "breast": "Breast cancer",
    "colon": "Colon cancer",
    "prostate": "Prostate cancer",
    "thyroid": "Thyroid carcinoma",
    "liver": "Liver cancer",
    "renal": "Renal cancer",
    "myeloma": "Multiple myeloma",
    "gastric": "Gastric cancer",
    "thymic": "Thymic carcinoma",
    "pancreatic": "Pancreatic cancer",
}
ASIA_GRADES = ["A", "B", "C", "D", "E"]


def table_baseline(patients: pd.DataFrame, settings: dict, decimals: dict) -> TableResult:
    """Age, sex, symptom duration, primary tumour, vertebrae treated and ASIA grade."""
    book = NumberBook("table_baseline (all included patients)")
    pct = decimals["percent"]
    counts = {arm: int((patients["arm"] == arm).sum()) for arm in ("PVP+ITR", "PVP")}
    book.count("baseline.n.pvp_itr", counts["PVP+ITR"])
    book.count("baseline.n.pvp", counts["PVP"])
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
                f"{c['PVP+ITR']['mean_sd']} ({c['PVP+ITR']['range']})",
                f"{c['PVP']['mean_sd']} ({c['PVP']['range']})",
                marks(s["p"], s["test"]),
            ]
        )
        tidy += tidy_rows(s, variable=column, category="")

    sex = summarise_categories(book, "baseline.sex", patients, "sex", ["M", "F"], settings, pct)
    rows.append(
        [
            "Sex, male / female (n)",
            male_female(book, "pvp_itr"),
            male_female(book, "pvp"),
            marks(sex["p"], sex["test"]),
        ]
    )
    _tidy_categories(tidy, "sex", sex)

    for key, column, label, categories, names in (
        ("primary_tumor", "primary_tumor", "Primary tumour, n (%)", list(TUMOURS), TUMOURS),
        (
            "vertebrae_treated",
            "vertebrae_treated",
            "Vertebrae treated per patient, n (%)",
            [1, 2, 3, 4],
            None,
        ),
        (
            "asia",
            "asia_baseline",
            "ASIA impairment grade before treatment, n (%)",
            ASIA_GRADES,
            None,
        ),
    ):
        s = summarise_categories(
            book, f"baseline.{key}", patients, column, categories, settings, pct
        )
        rows.append([label, "", "", marks(s["p"], s["test"])])
        for category in categories:
            name = names[category] if names else str(category)
            rows.append(
                [f"  {name}", s["cells"][category]["PVP+ITR"], s["cells"][category]["PVP"], ""]
            )
        _tidy_categories(tidy, column, s)

    header = [
        "Characteristic",
        f"PVP+ITR (n = {counts['PVP+ITR']})",
        f"PVP (n = {counts['PVP']})",
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


def male_female(book: NumberBook, arm: str) -> str:
    return f"{book.text(f'baseline.sex.m.{arm}.n')} / {book.text(f'baseline.sex.f.{arm}.n')}"


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
