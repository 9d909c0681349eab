"""What the Methods and Results say about missing values, worked out from the data.

The Methods state how each analysis treats a missing value (from the codebook's
definitions and missing codes) and then what was actually missing: baseline
characteristics, assessments that did not take place although the patient was alive
and followed, and scores left blank at an assessment that did. Each statement is
chosen by the counts, so the text never claims gaps the data do not have, nor hides
those they do.
"""

from __future__ import annotations

import pandas as pd

from manuscript_engine.core.formatting import format_count, in_sentence
from manuscript_engine.stats.tables import NumberBook
from vertebroplasty.derived import scores, table3_columns


def baseline_columns(codebook: dict) -> list[str]:
    """The baseline characteristics (Table 1): the baseline table's columns but its key."""
    spec = codebook["tables"]["baseline"]
    return [name for name in spec["columns"] if name not in spec.get("key", [])]


def missing_items(outcome: pd.DataFrame, codebook: dict) -> int:
    """Scores left blank at the scores table's time points, among the patients assessed
    there (at least one score recorded): an item missing from an assessment that took place."""
    blank = 0
    for time in table3_columns(codebook):
        values = outcome[[f"{score}_{time}" for score in scores(codebook)]]
        assessed = values.notna().any(axis=1)
        blank += int(values[assessed].isna().sum().sum())
    return blank


def register_missing_data(
    book: NumberBook,
    patients: pd.DataFrame,
    outcome: pd.DataFrame,
    missed: int,
    codebook: dict,
) -> None:
    """Register the counts and the Methods' two sentences on missing values.

    ``patients``: every included patient (Table 1); ``outcome``: the scores' population;
    ``missed``: assessments due but not made, summed over time points and arms (the
    attrition table's "Not assessed").
    """
    columns = baseline_columns(codebook)
    lacking = patients[columns].isna()
    incomplete = int(lacking.any(axis=1).sum())
    blank = missing_items(outcome, codebook)
    book.count("missing.baseline.n", incomplete, len(patients))
    book.count("missing.visits.n", missed)
    book.count("missing.items.n", blank)
    book.add("missing.methods", None, handling(codebook), "", None)
    names = [
        in_sentence(codebook["tables"]["baseline"]["columns"][c]["meaning"])
        for c in columns
        if lacking[c].any()
    ]
    book.add("missing.observed", None, observed(incomplete, len(patients), names, missed, blank))


def handling(codebook: dict) -> str:
    """How each analysis treats a missing value, in words (no counts)."""
    definitions = codebook["definitions"]
    final = in_sentence(definitions["final_pain_relief"].rstrip("."))
    return (
        f"{_coded_as_missing(codebook)} No missing value was imputed. Each comparison at a "
        "time point used the patients assessed at that time point (available cases); the "
        "analysis of covariance used the patients with the score both before treatment and "
        "at the time point, and the mixed model every visit a patient attended, on the "
        "assumption that values are missing at random given the scores observed. "
        "Percentages are of the patients with a known value, and pain relief at the last "
        f"follow-up is the {final}."
    )


def _coded_as_missing(codebook: dict) -> str:
    """The sentence naming what counts as missing: empty cells and the codebook's codes."""
    meanings: list[str] = []
    default = codebook.get("missing_codes", {})
    for table in codebook["tables"].values():
        for column in table["columns"].values():
            if column.get("missing"):
                for meaning in column.get("missing_codes", default).values():
                    if meaning not in meanings:
                        meanings.append(meaning)
    if not meanings:
        return "Empty cells were treated as missing."
    coded = " or ".join(f"'{meaning}'" for meaning in meanings)
    return f"Empty cells and cells coded {coded} were treated as missing."


def observed(incomplete: int, included: int, names: list[str], missed: int, blank: int) -> str:
    """What was missing in this cohort, in one sentence chosen by the counts."""
    if incomplete:
        listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
        baseline = (
            f"Of the {format_count(included)} included patients, {format_count(incomplete)} "
            f"lacked at least one baseline characteristic ({listed})"
        )
    else:
        baseline = "No baseline characteristic was missing"
    visits = (
        f"{_counted(missed, 'scheduled assessment')} of patients alive and still followed "
        f"{'was' if missed == 1 else 'were'} not made"
        if missed
        else "every patient alive and still followed was assessed at each time point"
    )
    items = (
        f"{_counted(blank, 'score')} {'was' if blank == 1 else 'were'} left blank at "
        "assessments that took place"
        if blank
        else "no score was left blank at an assessment"
    )
    return f"{baseline}; {visits}, and {items}."


def _counted(n: int, noun: str) -> str:
    return f"{format_count(n)} {noun}{'' if n == 1 else 's'}"


def attrition_reasons(missed: int) -> str:
    """Why fewer patients were assessed later: deaths, ended follow-up, and missed visits."""
    if missed:
        return "patients died, their follow-up ended or they missed visits"
    return "patients died or their follow-up ended"


def missed_clause(missed: int, due: int) -> str:
    """The Results' tail on the patients still followed but not assessed (none: nothing)."""
    if not missed:
        return ""
    verb = "was" if missed == 1 else "were"
    return (
        f", and {format_count(missed)} of the {format_count(due)} still followed {verb} "
        "not assessed"
    )
