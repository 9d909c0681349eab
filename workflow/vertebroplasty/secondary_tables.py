"""Tables the results text needs beyond Tables 1–3 (outcome population throughout)."""

from __future__ import annotations

import pandas as pd

from manuscript_engine.core.formatting import format_percent
from manuscript_engine.data.cohort import ARMS
from manuscript_engine.stats.tables import (
    NumberBook,
    TableResult,
    TestMarks,
    arm_rows,
    arm_values,
    markdown_table,
    summarise_binary,
    summarise_categories,
)
from vertebroplasty.derived import ASIA_GROUPS, ASIA_ORDER

LEAKAGE_SITES = {
    "disc": "Intervertebral disc",
    "puncture_path": "Puncture path",
    "paravertebral": "Paravertebral space",
    "venous": "Veins",
    "spinal_canal": "Spinal canal",
    "none": "No leakage",
}
PAIN_CATEGORIES = {
    "excellent": "Excellent (VAS 0–2)",
    "good": "Good (VAS 2.5–4.5)",
    "fair": "Fair (VAS 5–6.5)",
    "poor": "Poor (VAS 7–10)",
}
COURSE = {
    "relief": "Relief at last visit",
    "unchanged": "Unchanged (fair)",
    "deteriorated": "Deteriorated (poor)",
}
PARAPLEGIA = {
    "full_recovery": "Full recovery (to grade E)",
    "improved": "Improved, not to E",
    "unchanged": "Unchanged",
    "deteriorated": "Deteriorated",
}
GRADES = list(ASIA_ORDER)


def _outcome(patients: pd.DataFrame) -> pd.DataFrame:
    return patients[patients["outcome"]]


def _header(frame: pd.DataFrame, first: str) -> list[str]:
    n = {arm: len(rows) for arm, rows in arm_rows(frame).items()}
    return [first, f"PVP+ITR (n = {n['PVP+ITR']})", f"PVP (n = {n['PVP']})", "P"]


def _category_rows(summary: dict, labels: dict) -> list[list[str]]:
    return [
        [f"  {label}", summary["cells"][c]["PVP+ITR"], summary["cells"][c]["PVP"], ""]
        for c, label in labels.items()
    ]


def _tidy(summary: dict, variable: str) -> list[dict]:
    return [
        {
            "variable": variable,
            "category": str(c),
            "arm": arm,
            "n": summary["counts"][c][arm],
            "cell": cell,
            "p": summary["p"],
            "test": summary["test"],
        }
        for c, by_arm in summary["cells"].items()
        for arm, cell in by_arm.items()
    ]


def table_leakage_sites(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    book = NumberBook("table_leakage_sites (outcome population)")
    frame = _outcome(patients)
    s = summarise_categories(
        book,
        "leakage.site",
        frame,
        "leakage_site",
        list(LEAKAGE_SITES),
        settings,
        decimals["percent"],
    )
    marks = TestMarks()
    marks(s["p"], s["test"])
    markdown = markdown_table(
        _header(frame, "Site of cement leakage, n (%)"),
        [
            [
                "Any site, n (%)",
                *[_any_site(s, arm, decimals["percent"]) for arm in ARMS],
                marks(s["p"], s["test"]),
            ],
            *_category_rows(s, LEAKAGE_SITES),
        ],
        "Sites of cement leakage, by treatment.",
        "tbl:leakage",
        "One site per patient; percentages of patients treated. " + marks.footnote(),
    )
    return TableResult(
        "table_leakage_sites", pd.DataFrame(_tidy(s, "leakage_site")), markdown, book.numbers
    )


def _any_site(summary: dict, arm: str, decimals: int) -> str:
    """Patients with leakage at any site: every category but 'none', from the counts."""
    counts = summary["counts"]
    leaked = sum(by_arm[arm] for site, by_arm in counts.items() if site != "none")
    total = sum(by_arm[arm] for by_arm in counts.values())
    return f"{leaked} ({format_percent(100 * leaked / total, decimals)})"


def table_pain_relief(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    book = NumberBook("table_pain_relief (outcome population)")
    frame = _outcome(patients)
    rows, tidy, marks = [], [], TestMarks()
    for moment, label in (("discharge", "At discharge"), ("final", "At last follow-up")):
        s = summarise_categories(
            book,
            f"pain_category.{moment}",
            frame,
            f"pain_{moment}",
            list(PAIN_CATEGORIES),
            settings,
            decimals["percent"],
        )
        rows.append([label, "", "", marks(s["p"], s["test"])])
        rows += _category_rows(s, PAIN_CATEGORIES)
        tidy += _tidy(s, f"pain_{moment}")
    markdown = markdown_table(
        _header(frame, "Pain relief category, n (%)"),
        rows,
        "Pain relief categories at discharge and at the last visit.",
        "tbl:pain-categories",
        marks.footnote(),
    )
    return TableResult("table_pain_relief", pd.DataFrame(tidy), markdown, book.numbers)


def table_pain_course(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    book = NumberBook("table_pain_course (outcome population)")
    frame = _outcome(patients)
    rows, tidy = [], []
    for relieved, label, key in (
        (True, "Relief at discharge", "relief_at_discharge"),
        (False, "No relief at discharge", "no_relief_at_discharge"),
    ):
        subset = frame[frame["relief_discharge"] == relieved]
        s = summarise_categories(
            book,
            f"pain_course.{key}",
            subset,
            "pain_course",
            list(COURSE),
            settings,
            decimals["percent"],
            compare=False,
        )
        totals = [book.text(f"pain_course.{key}.total.{a}.n") for a in ARMS.values()]
        rows.append([f"{label}, n", *totals, ""])
        rows += _category_rows(s, COURSE)
        tidy += _tidy(s, key)
    markdown = markdown_table(
        _header(frame, "Course of pain from discharge to last visit, n (%)"),
        rows,
        "Course of pain from discharge to the last visit, by pain relief at discharge.",
        "tbl:pain-course",
        "Percentages of the patients in each discharge group. Unchanged: fair result (VAS "
        "5–6.5) at the last visit; deteriorated: poor result (VAS 7–10), as the codebook defines.",
    )
    return TableResult("table_pain_course", pd.DataFrame(tidy), markdown, book.numbers)


def table_asia_grades(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    book = NumberBook("table_asia_grades (outcome population)")
    frame = _outcome(patients)
    rows, tidy, marks = [], [], TestMarks()
    for moment, column, label in (
        ("baseline", "asia_baseline", "Before treatment"),
        ("last", "asia_last", "At last follow-up"),
    ):
        s = summarise_categories(
            book, f"asia.{moment}", frame, column, GRADES, settings, decimals["percent"]
        )
        rows.append([label, "", "", marks(s["p"], s["test"])])
        rows += _category_rows(s, {g: f"Grade {g}" for g in GRADES})
        groups_by_arm = arm_values(frame, f"{column}_group")
        for group in dict.fromkeys(ASIA_GROUPS.values()):  # A, B-D, E
            key = group.lower().replace("-", "_")
            for arm, arm_groups in groups_by_arm.items():
                book.count(
                    f"asia.{moment}.group_{key}.{ARMS[arm]}.n",
                    int((arm_groups == group).sum()),
                    len(arm_groups),
                )
        tidy += _tidy(s, column)
    markdown = markdown_table(
        _header(frame, "ASIA impairment grade, n (%)"),
        rows,
        "ASIA impairment grade before treatment and at last follow-up.",
        "tbl:asia",
        "Grade A: complete paraplegia; B–D: incomplete; E: none. " + marks.footnote(),
    )
    return TableResult("table_asia_grades", pd.DataFrame(tidy), markdown, book.numbers)


def table_paraplegia(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    book = NumberBook("table_paraplegia (outcome population, ASIA A–D before treatment)")
    frame = _outcome(patients)
    paraplegic = frame[frame["paraplegic_baseline"]]
    s = summarise_categories(
        book,
        "paraplegia",
        paraplegic,
        "paraplegia_outcome",
        list(PARAPLEGIA),
        settings,
        decimals["percent"],
        compare=False,
    )
    recovered = summarise_binary(
        book,
        "paraplegia.recovered",
        paraplegic,
        "paraplegia_recovered",
        settings,
        decimals["percent"],
    )
    marks = TestMarks()
    rows = [
        [
            "Recovered (full or improved), n (%)",
            recovered["cells"]["PVP+ITR"]["n_pct"],
            recovered["cells"]["PVP"]["n_pct"],
            marks(recovered["p"], recovered["test"]),
        ],
        *_category_rows(s, PARAPLEGIA),
    ]
    markdown = markdown_table(
        _header(paraplegic, "Paraplegia at last follow-up, n (%)"),
        rows,
        "Course of paraplegia (ASIA A–D before treatment) to the last follow-up.",
        "tbl:paraplegia",
        "Improvement: a better ASIA grade than before treatment. " + marks.footnote(),
    )
    return TableResult(
        "table_paraplegia", pd.DataFrame(_tidy(s, "paraplegia_outcome")), markdown, book.numbers
    )


def table_asia_transitions(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    """ASIA grade before treatment against grade at last follow-up (shift table), per arm."""
    book = NumberBook("table_asia_transitions (outcome population)")
    frame = _outcome(patients)
    tidy, rows = [], []
    for arm, rows_arm in arm_rows(frame).items():
        for before in GRADES:
            cells = []
            for after in GRADES:
                n = int(
                    ((rows_arm["asia_baseline"] == before) & (rows_arm["asia_last"] == after)).sum()
                )
                book.count(
                    f"asia_transitions.{before.lower()}_to_{after.lower()}.{ARMS[arm]}.n",
                    n,
                    len(rows_arm),
                )
                tidy.append({"arm": arm, "before": before, "after": after, "n": n})
                cells.append(str(n))
            rows.append([arm, f"Grade {before}", *cells])
    markdown = markdown_table(
        ["Arm", "Before treatment", *[f"{g} at last follow-up" for g in GRADES]],
        rows,
        "ASIA impairment grade before treatment against grade at last follow-up.",
        "tbl:asia-transitions",
        "Patients with a technically successful procedure. Cells on the diagonal are "
        "unchanged; to the right, improved; to the left, deteriorated.",
        align="llrrrrr",
    )
    return TableResult("table_asia_transitions", pd.DataFrame(tidy), markdown, book.numbers)
