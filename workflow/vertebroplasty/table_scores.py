"""Table 3: VAS, ODI and KPS before treatment and at each follow-up time point."""

from __future__ import annotations

import pandas as pd

from manuscript_engine.core.formatting import format_decimal, in_sentence
from manuscript_engine.data.vocabulary import (
    column_spec,
    lower_is_better,
    plain_number,
    study_arms,
)
from manuscript_engine.stats.courses import Point, describe, reversals
from manuscript_engine.stats.tables import (
    NO_SUMMARY,
    TOO_FEW_NOTE,
    NumberBook,
    TableResult,
    TestMarks,
    markdown_table,
    summarise_continuous,
    tidy_rows,
)
from vertebroplasty.derived import scores, table3_columns


def table_scores(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    """Mean ± SD and n per arm at every time point, with a P value per comparison."""
    arms = study_arms(codebook)
    book = NumberBook("table_scores (outcome population)", arms)
    outcome = patients[patients["outcome"]]
    rows, tidy, marks, too_few = [], [], TestMarks(), False
    names = {score: column_spec(codebook, score).get("label", score) for score in scores(codebook)}
    times = codebook["definitions"]["table3_columns"]
    courses: dict[tuple[str, str], list[Point]] = {}
    for score, name in names.items():
        for time in table3_columns(codebook):
            column = f"{score}_{time}"
            s = summarise_continuous(
                book,
                f"scores.{score}.{time}",
                outcome,
                column,
                decimals[score],
                settings,
                "points",
                f"{name} at {times[time]['label']}",
            )
            c = s["cells"]
            for code in arms.codes:
                courses.setdefault((name, code), []).append(
                    Point(
                        in_sentence(times[time]["label"]),
                        c[code]["mean"],
                        c[code]["sd"],
                        _shown_mean(c[code], decimals[score]),
                    )
                )
            rows.append(
                [
                    name,
                    times[time]["label"],
                    *(f"{c[code]['mean_sd']} ({c[code]['n']})" for code in arms.codes),
                    marks(s["p"], s["test"]),
                ]
            )
            tidy += tidy_rows(s, score=score, time=time)
            too_few = too_few or s["too_few"]
    scales = ", ".join(
        f"{name} {_bounds(codebook, score)} "
        f"({'lower' if lower_is_better(codebook, score) else 'higher'} is better)"
        for score, name in names.items()
    )
    late = times[table3_columns(codebook)[-1]]
    markdown = markdown_table(
        ["Score", "Time", *(f"{arm.label}, mean ± SD (n)" for arm in arms), "P"],
        rows,
        "Pain (VAS), disability (ODI) and performance status (KPS) over time, by treatment.",
        "tbl:scores",
        "Patients with a technically successful procedure; n is the number assessed at each "
        f"time point. {late['label']}: each patient's last visit after month "
        f"{codebook['definitions']['late_after_months']}. "
        + scales
        + ". "
        + _reversals(courses, arms, settings)
        + (TOO_FEW_NOTE + " " if too_few else "")
        + marks.footnote(),
        align="ll" + "r" * (len(arms) + 1),
    )
    return TableResult("table_scores", pd.DataFrame(tidy), markdown, book.numbers)


def _reversals(courses: dict[tuple[str, str], list[Point]], arms, settings: dict) -> str:
    """The note's sentences on courses that rise and fall back by more than
    ``statistics.reversal_sds`` pooled SDs (none when the setting is absent)."""
    k = settings.get("reversal_sds")
    if k is None:
        return ""
    return "".join(
        describe(found, arms.find(code).label, name, float(k)) + " "
        for (name, code), course in courses.items()
        for found in reversals(course, float(k))
    )


def _shown_mean(cell: dict, decimals: int) -> str:
    """The mean as the note on a course quotes it; a dash for an arm nobody was assessed in."""
    return NO_SUMMARY if not cell["n"] else format_decimal(cell["mean"], decimals)


def _bounds(codebook: dict, score: str) -> str:
    spec = column_spec(codebook, score)
    return f"{plain_number(spec['min'])}–{plain_number(spec['max'])}"
