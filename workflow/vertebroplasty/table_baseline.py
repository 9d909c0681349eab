"""Table 1: baseline characteristics of all included patients, by arm.

The arms, the categories and their labels are the codebook's, in its order
(``data/codebook.yaml``), so a category added there appears here without a code change
and every arm's counts add up to its n; a code without a label is shown as written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from manuscript_engine.core.formatting import format_decimal, in_sentence
from manuscript_engine.data.vocabulary import study_arms
from manuscript_engine.stats.balance import smd_categorical, smd_continuous
from manuscript_engine.stats.tables import (
    TOO_FEW_NOTE,
    NumberBook,
    TableResult,
    TestMarks,
    category_key,
    codebook_categories,
    markdown_table,
    missing_row,
    summarise_categories,
    summarise_continuous,
    tidy_rows,
    with_n,
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
    rows, tidy, marks, too_few = [], [], TestMarks(), False
    balance = Balance(book, float(settings.get("smd_threshold", 0.1)))

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
        too_few = too_few or s["too_few"]
        first, second = (
            patients.loc[patients[arms.column] == code, column] for code in arms.codes[:2]
        )
        smd = balance.add(f"baseline.{column}", label, smd_continuous(first, second))
        rows.append(
            [
                f"{label}, mean ± SD (range)",
                *(with_n(_with_range(c[code]), c[code]["n"], counts[code]) for code in arms.codes),
                marks(s["p"], s["test"]),
                smd,
            ]
        )
        rows += missing_row(patients, column, arms, 2)
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
            balance.add("baseline.sex", "sex", _categorical_smd(sex, sexes, arms)),
        ]
    )
    rows += missing_row(patients, "sex", arms, 2)
    _tidy_categories(tidy, "sex", sex)

    for key, column, label in (
        ("primary_tumor", "primary_tumor", "Primary tumour, n (%)"),
        ("vertebrae_treated", "vertebrae_treated", "Vertebrae treated per patient, n (%)"),
        ("asia", "asia_baseline", "ASIA impairment grade before treatment, n (%)"),
    ):
        names = columns[column].get("labels", {})
        shown = codebook_categories(columns[column], patients[column])
        s = summarise_categories(book, f"baseline.{key}", patients, column, shown, settings, pct)
        smd = balance.add(f"baseline.{key}", label.split(",")[0], _categorical_smd(s, shown, arms))
        rows.append([label, *("" for _ in arms), marks(s["p"], s["test"]), smd])
        for category in shown:
            name = names.get(category, str(category))
            rows.append([f"  {name}", *(s["cells"][category][code] for code in arms.codes), "", ""])
        rows += missing_row(patients, column, arms, 2)
        _tidy_categories(tidy, column, s)

    balance.register()
    header = [
        "Characteristic",
        *(f"{arm.label} (n = {counts[arm.code]})" for arm in arms),
        "P",
        "SMD",
    ]
    if not settings.get("baseline_p_values", True):
        header, rows = _without_column(header, rows, len(arms) + 1)
    threshold = format_decimal(balance.threshold, 2)
    markdown = markdown_table(
        header,
        rows,
        "Baseline characteristics of the included patients, by treatment.",
        "tbl:baseline",
        _denominators(any("Missing, n" in row[0] for row in rows)) + " SMD: standardized mean "
        "difference between the first two arms (for a categorical variable, over all its "
        f"categories); above {threshold} is commonly read as an imbalance. "
        + (TOO_FEW_NOTE + " " if too_few else "")
        + (marks.footnote() if settings.get("baseline_p_values", True) else ""),
    )
    return TableResult("table_baseline", pd.DataFrame(tidy), markdown, book.numbers)


class Balance:
    """Each variable's SMD, registered, and the list of those above the threshold."""

    def __init__(self, book: NumberBook, threshold: float) -> None:
        self.book, self.threshold, self.above = book, threshold, []

    def add(self, key: str, label: str, smd: float) -> str:
        if not np.isfinite(smd):
            return self.book.add(f"{key}.smd", None, "—", "", None)
        text = self.book.add(f"{key}.smd", smd, format_decimal(smd, 2), "", None)
        if smd > self.threshold:
            self.above.append(f"{in_sentence(label.split(' (')[0])} (SMD {text})")
        return text

    def register(self) -> None:
        n = len(self.above)
        self.book.add("baseline.imbalance.n", n, str(n), "variables", None)
        listed = (
            ", ".join(self.above[:-1]) + " and " + self.above[-1]
            if len(self.above) > 1
            else (self.above[0] if self.above else "none")
        )
        self.book.add("baseline.imbalance.list", len(self.above), listed, "", None)
        self.book.add(
            "baseline.imbalance.threshold",
            self.threshold,
            format_decimal(self.threshold, 2),
            "",
            None,
        )


def _categorical_smd(summary: dict, categories: list, arms) -> float:
    first, second = arms.codes[:2]
    counts = summary["counts"]
    return smd_categorical(
        [counts[c][first] for c in categories], [counts[c][second] for c in categories]
    )


def _with_range(cell: dict) -> str:
    """Mean ± SD (range); a lone dash where fewer than two patients have a value."""
    return f"{cell['mean_sd']} ({cell['range']})" if cell["n"] > 1 else cell["mean_sd"]


def _denominators(gaps: bool) -> str:
    """What the percentages are of: every patient, or those with a known value."""
    if not gaps:
        return "Percentages are of all included patients in the arm."
    return (
        "Percentages are of the patients in the arm with a known value; Missing rows count "
        "the others, and a mean's n is given where it is not the arm's."
    )


def _without_column(header: list[str], rows: list[list[str]], index: int):
    return (
        header[:index] + header[index + 1 :],
        [row[:index] + row[index + 1 :] for row in rows],
    )


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
