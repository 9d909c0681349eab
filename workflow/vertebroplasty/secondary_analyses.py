"""Secondary analyses a statistical reviewer asks for, each in its own table.

* ``table_effects``: every between-arm comparison of Tables 2 and 3 as an effect with
  its 95% CI (risk difference; difference in means; Hodges–Lehmann shift), with the
  per-visit score tests' P values adjusted by Holm for their number.
* ``table_change``: within-arm change from baseline at each visit, paired.
* ``table_longitudinal``: the baseline-adjusted difference at each visit (ANCOVA) and a
  linear mixed model over all visits.

The main tables keep the paper's layout; the effects registered beside their P values
(``<key>.risk_difference``, ``<key>.mean_difference``, ``<key>.hodges_lehmann``) are
the same numbers these tables print, from the same functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from manuscript_engine.core.formatting import (
    format_count,
    format_level,
    format_p_value,
)
from manuscript_engine.data.vocabulary import column_spec, study_arms
from manuscript_engine.stats.comparisons import compare_categorical, compare_continuous
from manuscript_engine.stats.effects import bonferroni, holm, paired_change, risk_difference
from manuscript_engine.stats.longitudinal import ancova, course_model
from manuscript_engine.stats.tables import (
    NO_SUMMARY,
    TOO_FEW_NOTE,
    NumberBook,
    TableResult,
    continuous_effects,
    markdown_table,
)
from vertebroplasty.derived import scores, table3_columns
from vertebroplasty.table_outcomes import BINARY_ROWS, CONTINUOUS_ROWS


def _populations(patients: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"included": patients, "outcome": patients[patients["outcome"]]}


def _score_names(codebook: dict) -> dict[str, str]:
    return {score: column_spec(codebook, score).get("label", score) for score in scores(codebook)}


def _followup_times(codebook: dict) -> list[str]:
    """Table 3's time points after the baseline one (the first)."""
    return table3_columns(codebook)[1:]


def table_effects(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    """Effects with 95% CIs for Tables 2 and 3, and Holm-adjusted per-visit P values."""
    arms = study_arms(codebook)
    first, second = arms.codes[:2]
    book = NumberBook("table_effects (secondary)", arms)
    level = float(settings["ci_level"])
    times = codebook["definitions"]["table3_columns"]
    rows, tidy = [], []
    populations = _populations(patients)

    for key, column, label, pop in BINARY_ROWS:
        frame = populations[pop]
        events, totals = [], []
        for code in (first, second):
            present = frame.loc[frame[arms.column] == code, column].dropna().astype(bool)
            events.append(int(present.sum()))
            totals.append(len(present))
        estimate = risk_difference(tuple(events), tuple(totals), level)
        p = compare_categorical(
            [events, [t - e for t, e in zip(totals, events, strict=True)]], settings
        ).p
        text = estimate.text(decimals["percent"])
        rows.append([label.split(",")[0], "", f"{text} points", "", format_p_value(p), ""])
        tidy.append(_tidy_row(key, "", "risk_difference", estimate, p))

    for key, column, label, pop, _unit, _range in CONTINUOUS_ROWS:
        frame = populations[pop]
        values = [frame.loc[frame[arms.column] == c, column].dropna() for c in (first, second)]
        effects = continuous_effects(*values, settings)
        p = compare_continuous(*values, settings, label).p
        rows.append(
            [
                label.split(",")[0],
                "",
                _mean_text(effects, decimals[column]),
                _hl_text(effects, decimals[column]),
                format_p_value(p),
                "",
            ]
        )
        tidy += [_tidy_row(key, "", name, e, p) for name, e in effects.items()]

    outcome = populations["outcome"]
    family, too_few = [], False
    for score, name in _score_names(codebook).items():
        for time in table3_columns(codebook):
            column = f"{score}_{time}"
            values = [
                outcome.loc[outcome[arms.column] == c, column].dropna() for c in (first, second)
            ]
            if min(map(len, values)) < 2:
                rows.append([name, times[time]["short"], *[NO_SUMMARY] * 3, ""])
                too_few = True
                continue
            effects = continuous_effects(*values, settings)
            p = compare_continuous(*values, settings, f"{name} at {times[time]['label']}").p
            row = [
                name,
                times[time]["short"],
                _mean_text(effects, decimals[score]),
                _hl_text(effects, decimals[score]),
                format_p_value(p),
                "",
            ]
            if time in _followup_times(codebook):
                family.append((f"scores.{score}.{time}", p, row))
            rows.append(row)
            tidy += [_tidy_row(f"scores.{score}.{time}", time, n, e, p) for n, e in effects.items()]

    adjusted = holm([p for _, p, _ in family])
    stricter = bonferroni([p for _, p, _ in family])
    alpha = float(settings["alpha"])
    for (key, _p, row), p_holm, p_bonferroni in zip(family, adjusted, stricter, strict=True):
        row[-1] = book.add(f"{key}.p_holm", p_holm, format_p_value(p_holm), "", None)
        book.add(f"{key}.p_bonferroni", p_bonferroni, format_p_value(p_bonferroni), "", None)
    _register_family(book, family, adjusted, stricter, alpha, codebook)

    hl_note = (
        " HL shift: the Hodges–Lehmann shift, the median of all between-arm differences, "
        "with Moses' interval; on a scale with few distinct values (KPS moves in steps of "
        "ten, hospital stay in whole days) the shift and its bounds can only take those "
        "values, so an interval may have no width or end at zero while P is small."
        if settings["continuous_test"] == "mann_whitney"
        else ""
    )
    markdown = markdown_table(
        [
            "Outcome",
            "Time",
            f"Difference ({_level(settings)} CI)",
            f"HL shift ({_level(settings)} CI)",
            "P",
            "Holm P",
        ],
        rows,
        f"Secondary analysis: between-arm differences ({arms[0].label} minus "
        f"{arms[1].label}) with {_level(settings)} confidence intervals.",
        "tbl:effects",
        "Proportions: risk difference in percentage points with Newcombe's hybrid score "
        "interval. Continuous outcomes and scores: difference in means with "
        + ("Student's" if settings["continuous_test"] == "student_t" else "Welch's")
        + " t interval."
        + hl_note
        + f" P: the test of the main tables. Holm P: adjusted for the {len(family)} "
        "comparisons of scores after treatment, the family the text's 'at every time point' "
        "rests on. Populations as in the main tables." + (" " + TOO_FEW_NOTE if too_few else ""),
        align="llrrrr",
    )
    return TableResult("table_effects", pd.DataFrame(tidy), markdown, book.numbers)


def _estimable_times(long: pd.DataFrame, times: list[str], arms: list[str]) -> list[str]:
    """The time points at which each arm has at least two patients with the score before
    treatment and at the time point: an arm difference can be estimated only there."""
    complete = long.dropna(subset=["value", "baseline"])
    counts = complete.groupby(["visit", "arm"]).size()
    return [t for t in times if all(counts.get((t, arm), 0) >= 2 for arm in arms)]


def _register_family(book, family, adjusted, stricter, alpha, codebook) -> None:
    """How many per-visit tests stay below alpha unadjusted, with Holm, with Bonferroni,
    and which ones Holm loses (a text value the Results can quote)."""
    times = codebook["definitions"]["table3_columns"]
    names = _score_names(codebook)
    book.count("multiplicity.per_visit.n", len(family))
    raw = [p < alpha for _, p, _ in family]
    book.count("multiplicity.per_visit.significant.n", sum(raw))
    book.count("multiplicity.per_visit.holm.significant.n", sum(p < alpha for p in adjusted))
    book.count("multiplicity.per_visit.bonferroni.significant.n", sum(p < alpha for p in stricter))
    # Per score too: a claim about one score ("lower at every time point") rests on its
    # own tests, judged after the adjustment for the whole family.
    for score in names:
        mine = [i for i, (key, _p, _row) in enumerate(family) if key.split(".")[1] == score]
        book.count(f"multiplicity.per_visit.{score}.n", len(mine))
        book.count(
            f"multiplicity.per_visit.{score}.holm.significant.n",
            sum(adjusted[i] < alpha for i in mine),
        )
    lost = [
        f"{names[key.split('.')[1]]} at {times[key.split('.')[2]]['label']}"
        for (key, _p, _row), below, p_holm in zip(family, raw, adjusted, strict=True)
        if below and p_holm >= alpha
    ]
    book.add(
        "multiplicity.per_visit.holm.lost",
        len(lost),
        ", ".join(lost) if lost else "none",
        "",
        None,
    )


def _level(settings: dict) -> str:
    """The confidence level as headers print it: '95%'."""
    return format_level(settings["ci_level"])


def _mean_text(effects: dict, decimals: int) -> str:
    return effects["mean_difference"].text(decimals) if "mean_difference" in effects else "—"


def _hl_text(effects: dict, decimals: int) -> str:
    return effects["hodges_lehmann"].text(decimals) if "hodges_lehmann" in effects else ""


def _tidy_row(key: str, time: str, effect: str, estimate, p: float) -> dict:
    return {
        "comparison": key,
        "time": time,
        "effect": effect,
        "estimate": estimate.value,
        "low": estimate.low,
        "high": estimate.high,
        "method": estimate.method,
        "p": p,
    }


def table_change(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    """Mean change from baseline in each arm at each visit, with its paired 95% CI."""
    arms = study_arms(codebook)
    book = NumberBook("table_change (secondary, outcome population)", arms)
    outcome = patients[patients["outcome"]]
    baseline_time = table3_columns(codebook)[0]
    times = codebook["definitions"]["table3_columns"]
    level = float(settings["ci_level"])
    rows, tidy = [], []
    # Each arm's rows once, not once per score and time (30 copies of a registry's frame).
    by_arm = {arm.code: outcome[outcome[arms.column] == arm.code] for arm in arms}
    for score, name in _score_names(codebook).items():
        for time in _followup_times(codebook):
            cells = []
            for arm in arms:
                frame = by_arm[arm.code]
                change, n = paired_change(
                    frame[f"{score}_{baseline_time}"], frame[f"{score}_{time}"], level
                )
                base = f"change.{score}.{time}.{arm.key}"
                book.count(f"{base}.n", n)
                if n < 2:
                    cells.append(f"— ({format_count(n)})")
                    continue
                text = book.effect(base, change, decimals[score], "points", n)
                cells.append(f"{text} ({format_count(n)})")
                tidy.append(_tidy_row(base, time, "mean_change", change, float("nan")))
            rows.append([name, times[time]["short"], *cells])
    markdown = markdown_table(
        [
            "Score",
            "Time",
            *(f"{arm.label}, mean change ({_level(settings)} CI) (n)" for arm in arms),
        ],
        rows,
        "Secondary analysis: change from before treatment, within each arm.",
        "tbl:change",
        "Patients with a technically successful procedure and a score both before treatment "
        "and at the time point (n); change is the later score minus the score before "
        "treatment, with the paired t interval. Later time points include survivors only.",
        align="ll" + "r" * len(arms),
    )
    return TableResult("table_change", pd.DataFrame(tidy), markdown, book.numbers)


def table_longitudinal(
    patients: pd.DataFrame, settings: dict, decimals: dict, *, codebook: dict
) -> TableResult:
    """ANCOVA at each visit and a mixed model over all visits, for each score."""
    arms = study_arms(codebook)
    first = arms.codes[0]
    book = NumberBook("table_longitudinal (secondary, outcome population)", arms)
    # The first two arms only: with a third, "first" against "the rest" would pool it.
    baseline_time = table3_columns(codebook)[0]
    # The arm and the scores only: the dataset's other columns, copied for every
    # patient, would be a registry's largest allocation here.
    wanted = [arms.column] + [
        f"{score}_{time}" for score in _score_names(codebook) for time in table3_columns(codebook)
    ]
    outcome = patients.loc[patients["outcome"] & patients[arms.column].isin(arms.codes[:2]), wanted]
    followup = _followup_times(codebook)
    times = codebook["definitions"]["table3_columns"]
    level = float(settings["ci_level"])
    rows, tidy, notes = [], [], []
    # Patients as numbers in the order of their identifiers: the same groups, in the
    # same order, as the identifiers themselves, grouped in a fraction of the time.
    patient = pd.factorize(outcome.index, sort=True)[0]
    for score, name in _score_names(codebook).items():
        baseline = f"{score}_{baseline_time}"
        # Only the rows with the score both before treatment and at the time enter the
        # counts and the model: dropped per time point, so that the long form (four rows
        # a patient) is never held twice.
        long = pd.concat(
            [
                pd.DataFrame(
                    {
                        "patient": patient,
                        "arm": outcome[arms.column],
                        # Categorical from the start: the model and the counts then
                        # compare small codes, not millions of texts.
                        "visit": pd.Categorical.from_codes(
                            np.full(len(outcome), position), categories=followup
                        ),
                        "value": outcome[f"{score}_{time}"],
                        "baseline": outcome[baseline],
                    }
                ).dropna(subset=["value", "baseline"])
                for position, time in enumerate(followup)
            ],
            ignore_index=True,
        )
        estimable = _estimable_times(long, followup, arms.codes[:2])
        if estimable != list(followup):
            long = long[long["visit"].isin(estimable)]
        model = course_model(long, estimable, first, level)
        del long  # the analyses of covariance below read the wide rows
        interaction = book.add(
            f"mixed.{score}.interaction.p",
            model.interaction_p,
            format_p_value(model.interaction_p),
            "",
            model.observations,
        )
        shown = interaction if interaction.startswith("<") else f"= {interaction}"
        notes.append(f"{name}, arm × time interaction P {shown}")
        book.count(f"mixed.{score}.patients.n", model.patients)
        book.count(f"mixed.{score}.observations.n", model.observations)
        for time in followup:
            if time not in estimable:
                rows.append([name, times[time]["short"], *[NO_SUMMARY] * 3])
                continue
            adjusted, p, n = ancova(
                outcome.rename(columns={arms.column: "_arm"}),
                f"{score}_{time}",
                "_arm",
                first,
                baseline,
                level,
            )
            ancova_text = book.effect(
                f"ancova.{score}.{time}", adjusted, decimals[score], "points", n
            )
            ancova_p = book.add(f"ancova.{score}.{time}.p", p, format_p_value(p), "", n)
            mixed = model.differences[time]
            mixed_text = book.effect(
                f"mixed.{score}.{time}", mixed, decimals[score], "points", model.observations
            )
            rows.append([name, times[time]["short"], f"{ancova_text} ({n})", ancova_p, mixed_text])
            tidy.append(_tidy_row(f"ancova.{score}.{time}", time, "ancova", adjusted, p))
            tidy.append(
                _tidy_row(f"mixed.{score}.{time}", time, "mixed_model", mixed, float("nan"))
            )
    markdown = markdown_table(
        [
            "Score",
            "Time",
            f"Adjusted difference ({_level(settings)} CI) (n)",
            "P",
            f"Mixed-model difference ({_level(settings)} CI)",
        ],
        rows,
        f"Secondary analysis: differences between the arms ({arms[0].label} minus "
        f"{arms[1].label}) adjusted for the score before treatment.",
        "tbl:longitudinal",
        "Adjusted difference: analysis of covariance at each time point (score ~ arm + score "
        "before treatment), patients assessed at that time point (n). Mixed-model difference: "
        "one linear mixed model per score over all time points after treatment (arm, time, "
        "arm × time and the score before treatment as fixed effects; a random intercept per "
        "patient; REML), Wald intervals. Later time points include survivors only. "
        + "; ".join(notes)
        + "."
        + (
            f" {NO_SUMMARY}: fewer than two patients in an arm with the score before treatment "
            "and at the time point, so no estimate; the mixed model leaves the time point out."
            if any(row[2] == NO_SUMMARY for row in rows)
            else ""
        ),
        align="llrrr",
    )
    return TableResult("table_longitudinal", pd.DataFrame(tidy), markdown, book.numbers)
