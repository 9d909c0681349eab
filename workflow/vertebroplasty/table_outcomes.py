"""Table 2: technical and clinical outcomes by arm.

Technical success, hospital stay and follow-up length use every included patient;
everything measured after the procedure uses the outcome population (technically
successful procedures), as the codebook defines.
"""

from __future__ import annotations

import pandas as pd

from manuscript_engine.data.vocabulary import category_range, category_source, study_arms
from manuscript_engine.stats.tables import (
    TOO_FEW_NOTE,
    NumberBook,
    TableResult,
    TestMarks,
    markdown_table,
    summarise_binary,
    summarise_continuous,
    tidy_rows,
    with_n,
)

BINARY_ROWS = (
    # key, column, label, population
    ("technical_success", "technical_success", "Technical success, n (%)", "included"),
    ("pain_relief.initial", "relief_discharge", "Pain relief at discharge, n (%)", "outcome"),
    ("leakage.any", "leakage", "Cement leakage, n (%)", "outcome"),
    ("pain_relief.final", "relief_final", "Pain relief at last follow-up, n (%)", "outcome"),
    ("stability", "stable", "Stable treated vertebrae, n (%)", "outcome"),
)
CONTINUOUS_ROWS = (
    (
        "hospital_stay",
        "hospital_days",
        "Hospital stay (days), mean ± SD",
        "included",
        "days",
        False,
    ),
    ("cement_volume", "cement_ml", "Cement volume (mL), mean ± SD (range)", "outcome", "mL", True),
    (
        "followup",
        "followup_months",
        "Clinical follow-up (months), mean ± SD",
        "included",
        "months",
        False,
    ),
)
ORDER = [
    "technical_success",
    "pain_relief.initial",
    "hospital_stay",
    "leakage.any",
    "cement_volume",
    "followup",
    "pain_relief.final",
    "stability",
]


def table_outcomes(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    """Every row of Table 2, with tests, P values and confidence intervals registered."""
    arms = study_arms(codebook)
    book = NumberBook("table_outcomes", arms)
    outcome = patients[patients["outcome"]]
    population = {"included": patients, "outcome": outcome}
    for label, rows in population.items():
        for arm in arms:
            n = int((rows[arms.column] == arm.code).sum())
            book.count(f"population.{label}.{arm.key}.n", n)
    sizes = {
        label: {arm.code: int((rows[arms.column] == arm.code).sum()) for arm in arms}
        for label, rows in population.items()
    }
    built, tidy, marks, too_few = {}, [], TestMarks(), False
    for key, column, label, pop in BINARY_ROWS:
        s = summarise_binary(book, key, population[pop], column, settings, decimals["percent"])
        c = s["cells"]
        shown = {code: with_n(c[code]["n_pct"], c[code]["total"], sizes[pop][code]) for code in c}
        built[key] = [label, *(shown[code] for code in arms.codes), marks(s["p"], s["test"])]
        for arm, cell in c.items():
            tidy.append(
                {
                    "row": key,
                    "arm": arm,
                    "population": pop,
                    "n": cell["n"],
                    "denominator": cell["total"],
                    "mean": None,
                    "sd": None,
                    "p": s["p"],
                    "test": s["test"],
                }
            )
    for key, column, label, pop, unit, with_range in CONTINUOUS_ROWS:
        s = summarise_continuous(
            book,
            key,
            population[pop],
            column,
            decimals[column],
            settings,
            unit,
            label.split(",")[0].lower(),
        )
        c = s["cells"]
        too_few = too_few or s["too_few"]
        cell = {
            arm: with_n(
                c[arm]["mean_sd"]
                + (f" ({c[arm]['range']})" if with_range and c[arm]["n"] > 1 else ""),
                c[arm]["n"],
                sizes[pop][arm],
            )
            for arm in c
        }
        built[key] = [label, *(cell[code] for code in arms.codes), marks(s["p"], s["test"])]
        tidy += tidy_rows(s, row=key, population=pop)
    in_arm = {arm.code: outcome[arms.column] == arm.code for arm in arms}
    for arm in arms:
        fractures = int(outcome.loc[in_arm[arm.code], "new_fracture"].sum())
        book.count(f"new_fracture.{arm.key}.n", fractures, int(in_arm[arm.code].sum()))
    n_included = {a.code: int((patients[arms.column] == a.code).sum()) for a in arms}
    header = ["Outcome", *(f"{a.label} (n = {n_included[a.code]})" for a in arms), "P"]
    n_outcome = " and ".join(str(int(in_arm[code].sum())) for code in arms.codes)
    relief = " or ".join(
        f"{name} ({category_range(codebook, 'pain_category', name)})"
        for name in codebook["definitions"]["pain_relief"]["categories"]
    )
    scale = category_source(codebook, "pain_category").upper()
    footnote = (
        "Technical success, hospital stay and follow-up: all included patients. Other rows: "
        f"patients with a technically successful procedure ({n_outcome}). Pain relief: "
        f"{scale} {relief}. Stable: no "
        "further malignant compression fracture during follow-up. "
        + (TOO_FEW_NOTE + " " if too_few else "")
        + marks.footnote()
    )
    markdown = markdown_table(
        header,
        [built[k] for k in ORDER],
        "Technical and clinical outcomes, by treatment.",
        "tbl:outcomes",
        footnote,
    )
    return TableResult("table_outcomes", pd.DataFrame(tidy), markdown, book.numbers)
