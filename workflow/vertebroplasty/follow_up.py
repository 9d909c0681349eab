"""Secondary tables on follow-up: who was assessed, who had died, who was no longer followed.

* ``table_attrition`` (STROBE item 13): at each of Table 3's time points after the
  procedure, per arm, every patient of the outcome population counted once, as
  assessed, due but not assessed, dead before the time point, or alive with follow-up
  ended before it. The counts must add up to the arm's total; the step stops with the
  time point and arm when they do not.
* ``table_fracture_incidence``: a new vertebral fracture as the paper's simple
  proportion and as the cumulative incidence with death as a competing risk
  (Aalen–Johansen), at the times the codebook names.
"""

from __future__ import annotations

import pandas as pd

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.formatting import format_count, format_level
from manuscript_engine.data.vocabulary import Arms, column_spec, study_arms, visit_month
from manuscript_engine.data.vocabulary import visit_months as named_visit_months
from manuscript_engine.stats.competing_risks import (
    competing_status,
    incidence_text,
    register_cumulative_incidence,
)
from manuscript_engine.stats.tables import NumberBook, TableResult, markdown_table
from vertebroplasty.derived import scores, table3_columns
from vertebroplasty.missing_data import attrition_reasons, missed_clause, register_missing_data

STATUSES = {
    "assessed": "Assessed",
    "missed": "Not assessed",
    "died": "Died",
    "lost": "Follow-up ended",
}
"""Where each patient stands at a time point, in the order the table shows them."""


def due_months(codebook: dict) -> dict[str, float]:
    """Table 3's time points after the procedure, each with the month from which a
    patient is due for it: a visit's own month, or the codebook's ``due_month``."""
    named = named_visit_months(codebook)
    columns = codebook["definitions"]["table3_columns"]
    due = {}
    for time in table3_columns(codebook)[1:]:
        if "due_month" in columns[time]:
            due[time] = float(columns[time]["due_month"])
            continue
        try:
            due[time] = float(visit_month(time, named))
        except ValueError:
            raise ManuscriptError(
                f"data/codebook.yaml, definitions › table3_columns › {time}: the time point "
                "is not a visit, so the month from which patients are due for it is unknown. "
                "Add `due_month:` (the month of the first visit it can hold)."
            ) from None
    return due


def attrition_status(patients: pd.DataFrame, codebook: dict) -> pd.DataFrame:
    """Each patient's status at each time point: assessed, missed, died or lost.

    Assessed: at least one score recorded at the time point. Otherwise died (death
    before the month the time point is due), lost (follow-up ended alive before that
    month: lost to follow-up, or the study ended first) or missed (still in follow-up
    at that month but not assessed).
    """
    end, died = patients["followup_months"].astype(float), patients["died"].astype(bool)
    status = {}
    for time, month in due_months(codebook).items():
        assessed = pd.concat(
            [patients[f"{score}_{time}"].notna() for score in scores(codebook)], axis=1
        ).any(axis=1)
        early = assessed & (end < month)
        if early.any():
            patient = early[early].index[0]
            raise ManuscriptError(
                f"attrition: patient {patient} was assessed at {time} although follow-up "
                f"ended at {end[patient]:g} months, before month {month:g} from which the time "
                "point is due. Correct the data, or the time point's due_month in "
                "data/codebook.yaml."
            )
        status[time] = pd.Series("missed", index=patients.index, dtype=object)
        status[time][end < month] = "lost"
        status[time][(end < month) & died] = "died"
        status[time][assessed] = "assessed"
    return pd.DataFrame(status)


def count_attrition(
    patients: pd.DataFrame, codebook: dict, arms: Arms
) -> dict[tuple[str, str], dict[str, int]]:
    """Per (time point, arm code): how many patients are in each status, and ``due``.

    Checks the arithmetic the table's note promises: assessed + missed = due, and
    assessed + missed + died + lost = the arm's patients.
    """
    status = attrition_status(patients, codebook)
    due = due_months(codebook)
    counts = {}
    for time in status.columns:
        for arm in arms:
            in_arm = patients[arms.column] == arm.code
            tally = status.loc[in_arm, time].value_counts()
            row = {name: int(tally.get(name, 0)) for name in STATUSES}
            row["due"] = int((patients.loc[in_arm, "followup_months"] >= due[time]).sum())
            total = int(in_arm.sum())
            if sum(row[name] for name in STATUSES) != total or (
                row["assessed"] + row["missed"] != row["due"]
            ):
                raise ManuscriptError(
                    f"attrition at {time}, {arm.label}: assessed {row['assessed']} + not "
                    f"assessed {row['missed']} + died {row['died']} + follow-up ended "
                    f"{row['lost']} should be the arm's {total} patients, and assessed + not "
                    f"assessed the {row['due']} still in follow-up. A status is missing "
                    "(check followup_months and died for every patient)."
                )
            counts[time, arm.code] = row
    return counts


def table_attrition(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    """Patients assessed, not assessed, dead and no longer followed at each time point."""
    arms = study_arms(codebook)
    book = NumberBook("table_attrition (secondary)", arms)
    outcome = patients[patients["outcome"]]
    counts = count_attrition(outcome, codebook, arms)
    columns = codebook["definitions"]["table3_columns"]
    due = due_months(codebook)
    totals = {arm.code: int((outcome[arms.column] == arm.code).sum()) for arm in arms}
    rows, tidy = [], []
    for time, month in due.items():
        book.add(f"attrition.{time}.month", month, format(month, "g"), "months")
        for arm in arms:
            row = counts[time, arm.code]
            base = f"attrition.{time}.{arm.key}"
            book.count(f"{base}.due.n", row["due"], totals[arm.code])
            for name in STATUSES:
                book.count(f"{base}.{name}.n", row[name], totals[arm.code])
            share = 100 * row["assessed"] / row["due"] if row["due"] else 0.0
            book.percent(f"{base}.assessed.pct", share, row["due"], decimals["percent"])
            rows.append(
                [
                    columns[time]["label"],
                    f"{arm.label} (n = {totals[arm.code]})",
                    format_count(row["due"]),
                    *(format_count(row[name]) for name in STATUSES),
                ]
            )
            tidy.append({"time": time, "due_month": month, "arm": arm.code, **row})
    missed = sum(row["missed"] for row in counts.values())
    register_missing_data(book, patients, outcome, missed, codebook)
    book.add("attrition.reasons", missed, attrition_reasons(missed), "", None)
    for (time, code), row in counts.items():
        clause = missed_clause(row["missed"], row["due"])
        book.add(f"attrition.{time}.{arms.key_of(code)}.missed.clause", row["missed"], clause)
    deaths = _register_deaths(book, outcome, arms, totals, decimals["percent"])
    late = table3_columns(codebook)[-1]
    footnote = (
        "Patients with a technically successful procedure (the population of the scores "
        "table), each counted once at each time point. Assessed: at least one score "
        "recorded at the time point. Not assessed: alive and still followed at the month "
        "the time point falls due, without a score. Died: death before that month. "
        "Follow-up ended: alive at the last contact, which came before that month (lost to "
        "follow-up, or the study ended first). In follow-up: assessed plus not assessed. "
        "Assessed, not assessed, died and follow-up ended add up to the arm's patients. "
        f"{columns[late]['label']}: due from month {due[late]:g}, the first "
        f"scheduled visit after month {codebook['definitions']['late_after_months']}; "
        "assessed means any visit after that month. "
        "Deaths during follow-up: "
        + "; ".join(f"{arm.label} {deaths[arm.code]} of {totals[arm.code]}" for arm in arms)
        + ". Later time points therefore describe survivors."
    )
    markdown = markdown_table(
        ["Time point", "Arm", "In follow-up", *STATUSES.values()],
        rows,
        "Secondary analysis: patients assessed, not assessed, dead and no longer followed "
        "at each time point, by treatment.",
        "tbl:attrition",
        footnote,
        align="ll" + "r" * (len(STATUSES) + 1),
    )
    return TableResult("table_attrition", pd.DataFrame(tidy), markdown, book.numbers)


def _register_deaths(book: NumberBook, outcome, arms: Arms, totals, decimals) -> dict[str, int]:
    """Deaths during follow-up per arm and in total: ``deaths.<arm>.n`` and ``.pct``."""
    deaths = {}
    for arm in arms:
        died = int(outcome.loc[outcome[arms.column] == arm.code, "died"].astype(bool).sum())
        deaths[arm.code] = died
        book.count(f"deaths.{arm.key}.n", died, totals[arm.code])
        share = 100 * died / totals[arm.code] if totals[arm.code] else 0.0
        book.percent(f"deaths.{arm.key}.pct", share, totals[arm.code], decimals)
    book.count("deaths.total.n", sum(deaths.values()), sum(totals.values()))
    return deaths


# --------------------------------------------------------------------------- new fracture
FRACTURE = "new_fracture"
"""The codebook's ``cumulative_incidence`` entry this table reports."""


def table_fracture_incidence(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    """A new fracture as the paper's simple proportion and as its Aalen–Johansen
    cumulative incidence (death removing patients from risk) at the codebook's times."""
    arms = study_arms(codebook)
    book = NumberBook("table_fracture_incidence (secondary)", arms)
    spec = codebook["definitions"]["cumulative_incidence"][FRACTURE]
    level = format_level(settings["ci_level"])
    frame = _population(patients, spec["population"])
    key = f"cuminc.{FRACTURE}"
    status = competing_status(
        frame,
        event=spec["event"],
        event_time=spec["time"],
        competing=spec["competing"],
        end=spec["end"],
    ).join(frame[[arms.column]])
    at = [float(t) for t in spec["at_months"]]
    unit = column_spec(codebook, spec["end"]).get("unit", "")
    result = register_cumulative_incidence(
        book,
        key,
        status,
        at=at,
        settings=settings,
        percent_decimals=decimals["percent"],
        time_unit=unit,
    )
    label = spec.get("label", FRACTURE)
    rows, tidy, at_risk = [], [], []
    for arm in arms:
        in_arm = frame[arms.column] == arm.code
        total = int(in_arm.sum())
        events = int(frame.loc[in_arm, spec["event"]].astype(bool).sum())
        base = f"{key}.proportion.{arm.key}"
        book.count(f"{base}.n", events, total)
        book.count(f"{base}.denominator", total)
        share = 100 * events / total if total else 0.0
        pct = book.percent(f"{base}.pct", share, total, decimals["percent"])
        values = result.at[arm.code]
        competing = result.counts[arm.code]["competing"]
        rows.append(
            [
                f"{arm.label} (n = {total})",
                f"{events} ({pct})",
                format_count(competing),
                *(incidence_text(v, decimals["percent"]) for v in values),
            ]
        )
        tidy += [
            {
                "arm": arm.code,
                "time": v.time,
                "cumulative_incidence": v.estimate,
                "low": v.low,
                "high": v.high,
                "at_risk": v.at_risk,
                "events": events,
                "died_first": competing,
                "patients": total,
            }
            for v in values
        ]
        at_risk.append(
            f"{arm.label} "
            + ", ".join(f"{v.at_risk} at {format(v.time, 'g')} {unit}" for v in values)
        )
    footnote = (
        "Patients with a technically successful procedure. Proportion: patients with a "
        f"{label} during follow-up, of all patients whatever their follow-up, as the paper "
        "reports it. Cumulative incidence: the Aalen–Johansen estimate of the probability "
        f"of a {label} by each time, with death as a competing risk (a patient who died "
        f"without a {label} can no longer have one) and patients alive at their last "
        f"contact censored; {level} confidence intervals from a delta-method variance on "
        f"the log(−log) scale. Died first: patients who died without having had a {label}. "
        "Patients still at risk: "
        + "; ".join(at_risk)
        + ". Gray's test of equal incidence between the arms was not computed (no "
        "maintained implementation in the software used)."
    )
    markdown = markdown_table(
        [
            "Arm",
            f"{label[:1].upper()}{label[1:]}, n (%)",
            "Died first, n",
            *(f"By {format(t, 'g')} {unit}, % ({level} CI)" for t in at),
        ],
        rows,
        f"Secondary analysis: {label} as a proportion and as cumulative incidence with death "
        "as a competing risk, by treatment.",
        "tbl:fracture-incidence",
        footnote,
    )
    return TableResult("table_fracture_incidence", pd.DataFrame(tidy), markdown, book.numbers)


def _population(patients: pd.DataFrame, population: str) -> pd.DataFrame:
    """The patients of a population the codebook defines: all included patients, or those
    with the dataset's boolean column of that name (``outcome``)."""
    if population == "included":
        return patients
    if population not in patients.columns:
        raise ManuscriptError(
            f"data/codebook.yaml, definitions › cumulative_incidence: population "
            f"'{population}' is neither 'included' nor a column of the analysis dataset."
        )
    return patients[patients[population].astype(bool)]
