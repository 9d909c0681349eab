"""GBSG-2's tables: baseline characteristics, recurrence-free survival, numbers at risk.

Rows, labels and categories come from the codebook; the summaries and the survival
statistics are the engine's (:mod:`manuscript_engine.stats`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from manuscript_engine.data.vocabulary import study_arms
from manuscript_engine.stats.survival import compare_survival, register_survival
from manuscript_engine.stats.tables import (
    NumberBook,
    TableResult,
    TestMarks,
    codebook_categories,
    markdown_table,
    summarise_categories,
    summarise_continuous,
    summarise_median,
)

BASELINE_ROWS = (
    ("age_years", "mean_sd"),
    ("menopause", "counts"),
    ("tumour_size_mm", "median_iqr"),
    ("tumour_grade", "counts"),
    ("positive_nodes", "median_iqr"),
    ("progesterone_fmol", "median_iqr"),
    ("oestrogen_fmol", "median_iqr"),
)
"""Table 1: each codebook column and how it is summarised (skewed ones by median)."""
AT_RISK_EVERY = 12
"""Months between the columns of the numbers-at-risk table."""


def _columns(codebook: dict) -> dict[str, dict]:
    return {
        name: spec
        for table in codebook["tables"].values()
        for name, spec in table["columns"].items()
    }


def table_baseline(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict[str, Any]
) -> TableResult:
    """Characteristics at study entry by arm, each with its comparison."""
    arms = study_arms(codebook)
    book = NumberBook("table_baseline (all patients)", arms)
    columns = _columns(codebook)
    counts = {arm.code: int((patients[arms.column] == arm.code).sum()) for arm in arms}
    for arm in arms:
        book.count(f"baseline.n.{arm.key}", counts[arm.code])
    book.count("baseline.n.total", len(patients))
    rows, tidy, marks = [], [], TestMarks()
    for column, summary in BASELINE_ROWS:
        spec = columns[column]
        label, key = spec.get("label", column), f"baseline.{column}"
        if summary == "counts":
            categories = codebook_categories(spec, patients[column])
            s = summarise_categories(
                book, key, patients, column, categories, settings, decimals["percent"]
            )
            rows.append([f"{label}, n (%)", *("" for _ in arms), marks(s["p"], s["test"])])
            for category in categories:
                name = spec.get("labels", {}).get(category, category)
                rows.append([f"  {name}", *(s["cells"][category][c] for c in arms.codes), ""])
            continue
        unit = spec.get("unit", "")
        if summary == "mean_sd":
            s = summarise_continuous(
                book, key, patients, column, decimals[column], settings, unit, label
            )
            cells = [s["cells"][code]["mean_sd"] for code in arms.codes]
            shown = f"{label}, mean ± SD"
        else:
            s = summarise_median(
                book, key, patients, column, decimals[column], settings, unit, label
            )
            cells = [s["cells"][code]["median_iqr"] for code in arms.codes]
            shown = f"{label}, median (IQR)"
        rows.append([shown, *cells, marks(s["p"], s["test"])])
        tidy.append({"variable": column, "summary": summary, "p": s["p"], "test": s["test"]})
    header = ["Characteristic", *(f"{a.label} (n = {counts[a.code]})" for a in arms), "P"]
    markdown = markdown_table(
        header,
        rows,
        "Characteristics of the patients at study entry, by hormonal therapy.",
        "tbl:baseline",
        "IQR: interquartile range. " + marks.footnote(),
    )
    return TableResult("table_baseline", pd.DataFrame(tidy), markdown, book.numbers)


def table_survival(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict[str, Any]
) -> TableResult:
    """Events, median recurrence-free survival, hazard ratio and the log-rank test."""
    arms = study_arms(codebook)
    book = NumberBook("table_survival (all patients)", arms)
    register_survival(
        book,
        "rfs",
        patients,
        time="rfs_months",
        event=codebook["definitions"]["recurrence_free_survival"]["event"],
        settings=settings,
        decimals=decimals["rfs_months"],
        percent_decimals=decimals["percent"],
    )
    level = f"{100 * float(settings['ci_level']):g}%"

    def text(key: str) -> str:
        return book.text(key)

    def interval(key: str) -> str:
        return f"{text(key)} ({text(key + '.ci_low')}–{text(key + '.ci_high')})"

    rows = [
        [
            "Recurrence or death, n (%)",
            *(f"{text(f'rfs.events.{a.key}.n')} ({text(f'rfs.events.{a.key}.pct')})" for a in arms),
        ],
        [f"Median recurrence-free survival, months ({level} CI)"]
        + [interval(f"rfs.median.{a.key}") for a in arms],
        [
            f"Hazard ratio ({level} CI), {arms[0].label} against {arms[1].label}",
            interval("rfs.hazard_ratio"),
            "",
        ],
        ["Log-rank test, P", text("rfs.p"), ""],
    ]
    counts = {a.code: int((patients[arms.column] == a.code).sum()) for a in arms}
    markdown = markdown_table(
        ["Outcome", *(f"{a.label} (n = {counts[a.code]})" for a in arms)],
        rows,
        "Recurrence-free survival, by hormonal therapy.",
        "tbl:survival",
        "Kaplan–Meier estimates; the hazard ratio is from a Cox model with the treatment "
        "group as its only covariate.",
    )
    tidy = pd.DataFrame([{"key": n.key, "value": n.value, "text": n.text} for n in book.numbers])
    return TableResult("table_survival", tidy, markdown, book.numbers)


def table_at_risk(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict[str, Any]
) -> TableResult:
    """Patients still at risk every twelve months; its CSV holds the Kaplan–Meier curves."""
    arms = study_arms(codebook)
    event = codebook["definitions"]["recurrence_free_survival"]["event"]
    result = compare_survival(patients, "rfs_months", event, arms, float(settings["ci_level"]))
    book = NumberBook("table_at_risk (all patients)", arms)
    last = float(patients["rfs_months"].max())
    marks = np.arange(0, last + 1, AT_RISK_EVERY)
    rows = []
    for arm in arms:
        times = patients.loc[patients[arms.column] == arm.code, "rfs_months"].to_numpy()
        at_risk = [int((times >= t).sum()) for t in marks]
        for t, n in zip(marks, at_risk, strict=True):
            book.count(f"at_risk.m{int(t)}.{arm.key}.n", n)
        rows.append([arm.label, *map(str, at_risk)])
    markdown = markdown_table(
        ["Months", *(str(int(t)) for t in marks)],
        rows,
        "Patients at risk of recurrence or death, by hormonal therapy.",
        "tbl:at-risk",
        "Patients without recurrence or death and still followed at each time.",
    )
    curves = result.curves.round(10)
    return TableResult("table_at_risk", curves, markdown, book.numbers)
