"""Tables the results text needs beyond Tables 1–3 (outcome population throughout)."""

from __future__ import annotations

import pandas as pd

from manuscript_engine.data.vocabulary import category_range, category_source, study_arms
from manuscript_engine.stats.tables import (
    NumberBook,
    TableResult,
    TestMarks,
    arm_rows,
    arm_values,
    markdown_table,
    missing_row,
    summarise_binary,
    summarise_categories,
)
from vertebroplasty.derived import asia_grades, asia_groups, no_paraplegia_grade

COURSE_LABELS = {
    "relief": "Relief at last visit",
    "unchanged": "Unchanged",
    "deteriorated": "Deteriorated",
}
PARAPLEGIA_LABELS = {
    "full_recovery": "Full recovery (to grade {free})",
    "improved": "Improved, not to {free}",
    "unchanged": "Unchanged",
    "deteriorated": "Deteriorated",
}


def leakage_sites(codebook: dict) -> dict[str, str]:
    """Each leakage site and its label, in the codebook's order with 'none' last."""
    spec = codebook["tables"]["procedure"]["columns"]["leakage_site"]
    labels = spec.get("labels", {})
    sites = [site for site in spec["values"] if site != "none"] + ["none"]
    return {site: labels.get(site, site) for site in sites}


def pain_categories(codebook: dict) -> dict[str, str]:
    """Each pain category and its label with its range: ``Excellent (VAS 0–2)``."""
    scale = category_source(codebook, "pain_category").upper()
    return {
        name: f"{name.capitalize()} ({scale} {category_range(codebook, 'pain_category', name)})"
        for name in codebook["definitions"]["pain_category"]["categories"]
    }


def course_labels(codebook: dict) -> dict[str, str]:
    """The pain courses; unchanged and deteriorated name the categories they come from."""
    course = codebook["definitions"]["pain_course"]["categories"]
    labels = {}
    for name, label in COURSE_LABELS.items():
        sources = [category for category, target in course.items() if target == name]
        labels[name] = label if name == "relief" else f"{label} ({', '.join(sources)})"
    return labels


def _outcome(patients: pd.DataFrame) -> pd.DataFrame:
    return patients[patients["outcome"]]


def _header(frame: pd.DataFrame, arms, first: str) -> list[str]:
    n = {code: len(rows) for code, rows in arm_rows(frame, arms).items()}
    return [first, *(f"{arm.label} (n = {n[arm.code]})" for arm in arms), "P"]


def _category_rows(summary: dict, labels: dict, arms) -> list[list[str]]:
    return [
        [f"  {label}", *(summary["cells"][c][code] for code in arms.codes), ""]
        for c, label in labels.items()
    ]


def _blank(arms) -> list[str]:
    return ["" for _ in arms]


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
    arms = study_arms(codebook)
    book = NumberBook("table_leakage_sites (outcome population)", arms)
    frame = _outcome(patients)
    s = summarise_categories(
        book,
        "leakage.site",
        frame,
        "leakage_site",
        list(sites := leakage_sites(codebook)),
        settings,
        decimals["percent"],
    )
    # Any leakage is Table 3's comparison (registered there); its P goes on its own row,
    # and the test of the whole distribution of sites on the row that heads the sites.
    any_site = summarise_binary(
        NumberBook("table_leakage_sites (any site, as in table_outcomes)", arms),
        "leakage.any",
        frame,
        "leakage",
        settings,
        decimals["percent"],
    )
    marks = TestMarks()
    markdown = markdown_table(
        _header(frame, arms, "Cement leakage, n (%)"),
        [
            [
                "Any site",
                *[any_site["cells"][code]["n_pct"] for code in arms.codes],
                marks(any_site["p"], any_site["test"]),
            ],
            [
                "Distribution over the rows below",
                *["" for _ in arms.codes],
                marks(s["p"], s["test"]),
            ],
            *_category_rows(s, sites, arms),
        ],
        "Sites of cement leakage, by treatment.",
        "tbl:leakage",
        "One site per patient; percentages of patients treated. " + marks.footnote(),
    )
    return TableResult(
        "table_leakage_sites", pd.DataFrame(_tidy(s, "leakage_site")), markdown, book.numbers
    )


def table_pain_relief(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    arms = study_arms(codebook)
    book = NumberBook("table_pain_relief (outcome population)", arms)
    frame = _outcome(patients)
    rows, tidy, marks = [], [], TestMarks()
    for moment, label in (("discharge", "At discharge"), ("final", "At last follow-up")):
        s = summarise_categories(
            book,
            f"pain_category.{moment}",
            frame,
            f"pain_{moment}",
            list(categories := pain_categories(codebook)),
            settings,
            decimals["percent"],
        )
        rows.append([label, *_blank(arms), marks(s["p"], s["test"])])
        rows += _category_rows(s, categories, arms)
        rows += missing_row(frame, f"pain_{moment}", arms, 1, "  No VAS value, n")
        tidy += _tidy(s, f"pain_{moment}")
    gaps = any(row[0] == "  No VAS value, n" for row in rows)
    markdown = markdown_table(
        _header(frame, arms, "Pain relief category, n (%)"),
        rows,
        "Pain relief categories at discharge and at the last visit.",
        "tbl:pain-categories",
        ("Percentages are of the patients with a VAS value at that visit. " if gaps else "")
        + marks.footnote(),
    )
    return TableResult("table_pain_relief", pd.DataFrame(tidy), markdown, book.numbers)


def table_pain_course(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    arms = study_arms(codebook)
    book = NumberBook("table_pain_course (outcome population)", arms)
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
            list(courses := course_labels(codebook)),
            settings,
            decimals["percent"],
            compare=False,
        )
        totals = [book.text(f"pain_course.{key}.total.{a}.n") for a in arms.keys]
        rows.append([f"{label}, n", *totals, ""])
        rows += _category_rows(s, courses, arms)
        tidy += _tidy(s, key)
    rows += missing_row(frame, "relief_discharge", arms, 1, "No VAS value at discharge, n")
    markdown = markdown_table(
        _header(frame, arms, "Course of pain from discharge to last visit, n (%)"),
        rows,
        "Course of pain from discharge to the last visit, by pain relief at discharge.",
        "tbl:pain-course",
        "Percentages of the patients in each discharge group. " + _course_note(codebook),
    )
    return TableResult("table_pain_course", pd.DataFrame(tidy), markdown, book.numbers)


def table_asia_grades(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    arms = study_arms(codebook)
    book = NumberBook("table_asia_grades (outcome population)", arms)
    grades = asia_grades(codebook)
    frame = _outcome(patients)
    rows, tidy, marks = [], [], TestMarks()
    for moment, column, label in (
        ("baseline", "asia_baseline", "Before treatment"),
        ("last", "asia_last", "At last follow-up"),
    ):
        s = summarise_categories(
            book, f"asia.{moment}", frame, column, grades, settings, decimals["percent"]
        )
        rows.append([label, *_blank(arms), marks(s["p"], s["test"])])
        rows += _category_rows(s, {g: f"Grade {g}" for g in grades}, arms)
        groups_by_arm = arm_values(frame, f"{column}_group", arms)
        for group in dict.fromkeys(asia_groups(codebook).values()):  # A, B-D, E
            key = group.lower().replace("-", "_")
            for arm, arm_groups in groups_by_arm.items():
                book.count(
                    f"asia.{moment}.group_{key}.{arms.key_of(arm)}.n",
                    int((arm_groups == group).sum()),
                    len(arm_groups),
                )
        tidy += _tidy(s, column)
    markdown = markdown_table(
        _header(frame, arms, "ASIA impairment grade, n (%)"),
        rows,
        "ASIA impairment grade before treatment and at last follow-up.",
        "tbl:asia",
        _grades_note(codebook) + " " + marks.footnote(),
    )
    return TableResult("table_asia_grades", pd.DataFrame(tidy), markdown, book.numbers)


def table_paraplegia(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    arms = study_arms(codebook)
    book = NumberBook("table_paraplegia (outcome population, ASIA A–D before treatment)", arms)
    frame = _outcome(patients)
    paraplegic = frame[frame["paraplegic_baseline"]]
    s = summarise_categories(
        book,
        "paraplegia",
        paraplegic,
        "paraplegia_outcome",
        list(PARAPLEGIA_LABELS),
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
            *(recovered["cells"][code]["n_pct"] for code in arms.codes),
            marks(recovered["p"], recovered["test"]),
        ],
        *_category_rows(
            s,
            {k: v.format(free=no_paraplegia_grade(codebook)) for k, v in PARAPLEGIA_LABELS.items()},
            arms,
        ),
    ]
    markdown = markdown_table(
        _header(paraplegic, arms, "Paraplegia at last follow-up, n (%)"),
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
    arms = study_arms(codebook)
    book = NumberBook("table_asia_transitions (outcome population)", arms)
    grades = asia_grades(codebook)
    frame = _outcome(patients)
    tidy, rows = [], []
    for arm, rows_arm in arm_rows(frame, arms).items():
        for before in grades:
            cells = []
            for after in grades:
                n = int(
                    ((rows_arm["asia_baseline"] == before) & (rows_arm["asia_last"] == after)).sum()
                )
                book.count(
                    f"asia_transitions.{before.lower()}_to_{after.lower()}.{arms.key_of(arm)}.n",
                    n,
                    len(rows_arm),
                )
                tidy.append({"arm": arm, "before": before, "after": after, "n": n})
                cells.append(str(n))
            rows.append([arms.by_code(arm).label, f"Grade {before}", *cells])
    markdown = markdown_table(
        ["Arm", "Before treatment", *[f"{g} at last follow-up" for g in grades]],
        rows,
        "ASIA impairment grade before treatment against grade at last follow-up.",
        "tbl:asia-transitions",
        "Patients with a technically successful procedure. Cells on the diagonal are "
        "unchanged; to the right, improved; to the left, deteriorated.",
        align="ll" + "r" * len(grades),
    )
    return TableResult("table_asia_transitions", pd.DataFrame(tidy), markdown, book.numbers)


def _course_note(codebook: dict) -> str:
    """What unchanged and deteriorated mean, with the categories' ranges from the codebook."""
    course = codebook["definitions"]["pain_course"]["categories"]
    scale = category_source(codebook, "pain_category").upper()
    parts = [
        f"{name}: {sources[0]} result "
        f"({scale} {category_range(codebook, 'pain_category', sources[0])})"
        for name in COURSE_LABELS
        if len(sources := [c for c, target in course.items() if target == name]) == 1
    ]
    if not parts:
        return "The course categories are as the codebook defines."
    first = parts[0][0].upper() + parts[0][1:]
    return "; ".join([f"{first} at the last visit", *parts[1:]]) + ", as the codebook defines."


def _grades_note(codebook: dict) -> str:
    """``Grade A: complete paraplegia; B–D: incomplete; E: none.`` from the codebook."""
    parts = []
    for kind, members in codebook["definitions"]["paraplegia"]["grades"].items():
        members = [str(m) for m in members]
        span = members[0] if len(members) == 1 else f"{members[0]}–{members[-1]}"
        parts.append(f"{span}: {kind}")
    parts[0] += " paraplegia"
    return "Grade " + "; ".join(parts) + "."
