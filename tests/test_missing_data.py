"""Missing values as the manuscript reports them: n in every cell that lacks patients,
Missing rows, a dash where an arm has fewer than two patients, and the Methods' and
Results' sentences, checked on a cohort with gaps (devtools.gappy_cohort) against
numbers recomputed here with plain pandas from its CSV files."""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import CODEBOOK, REPO, copy_repository, run_snakemake

from devtools.gappy_cohort import gappy_cohort
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.data.validation import validate_cohort
from manuscript_engine.data.vocabulary import study_arms
from manuscript_engine.stats.tables import NumberBook, summarise_continuous, with_n
from vertebroplasty.analysis_dataset import build_patients
from vertebroplasty.cross_table_rules import check_across_tables
from vertebroplasty.follow_up import table_attrition
from vertebroplasty.missing_data import observed
from vertebroplasty.secondary_analyses import table_effects, table_longitudinal
from vertebroplasty.table_baseline import table_baseline
from vertebroplasty.table_outcomes import table_outcomes
from vertebroplasty.table_scores import table_scores

BOOK = load_codebook(CODEBOOK)
CONFIG = yaml.safe_load((REPO / "config/config.yaml").read_text())
SETTINGS, DECIMALS = CONFIG["statistics"], CONFIG["decimals"]
CODES = {"-9", "-8"}  # what the codebook declares for a missing score or baseline value
SCORES = ["vas", "odi", "kps"]
DUE = {"m01": 1, "m03": 3, "m06": 6, "m12": 12, "gt12": 18}  # month each time point falls due


@pytest.fixture(scope="module")
def patients():
    return build_patients(REPO / "data/raw", BOOK)


# --------------------------------------------------------------------------- unit
def test_with_n_shows_n_only_where_it_is_not_the_columns():
    assert with_n("2.30 ± 1.03", 68, 70) == "2.30 ± 1.03 (n = 68)"
    assert with_n("2.30 ± 1.03", 70, 70) == "2.30 ± 1.03"


@pytest.mark.parametrize("kept", [0, 1])
def test_an_arm_with_fewer_than_two_values_prints_its_n_and_a_dash(patients, kept):
    frame = patients.copy()
    pvp = frame.index[frame["arm"] == "PVP"]
    frame.loc[pvp[kept:], "vas_m06"] = np.nan
    book = NumberBook("test", study_arms(BOOK))
    s = summarise_continuous(book, "x", frame, "vas_m06", 2, SETTINGS, "points", "VAS")
    assert s["cells"]["PVP"]["mean_sd"] == "—" and s["cells"]["PVP"]["n"] == kept
    assert s["p"] == "—" and s["too_few"]
    numbers = {n.key: n for n in book.numbers}
    assert numbers["x.pvp.n"].value == kept and numbers["x.p"].text == "—"


@pytest.mark.parametrize("kept", [0, 1])
def test_tables_over_time_survive_an_arm_with_no_or_one_patient_at_a_time_point(patients, kept):
    frame = patients.copy()
    pvp = frame.index[frame["arm"] == "PVP"]
    for score in SCORES:
        frame.loc[pvp[kept:], f"{score}_m06"] = np.nan
    scores = table_scores(frame, SETTINGS, DECIMALS, codebook=BOOK).markdown
    row = rf"\| VAS \| 6 months \| \d\.\d\d ± \d\.\d\d \(\d+\) \| — \({kept}\) \| — \|"
    assert re.search(row, scores)
    assert "—: fewer than two patients with a value in the arm" in scores
    effects = table_effects(frame, SETTINGS, DECIMALS, codebook=BOOK).markdown
    assert "| VAS | 6 mo | — | — | — |  |" in effects
    assert "Holm P: adjusted for the 12 comparisons" in effects  # 15 less the 3 not made
    longitudinal = table_longitudinal(frame, SETTINGS, DECIMALS, codebook=BOOK).markdown
    assert "| VAS | 6 mo | — | — | — |" in longitudinal
    assert "the mixed model leaves the time point out" in longitudinal


def test_table_2_gives_the_n_of_a_short_cell_and_a_dash_for_a_single_patient(patients):
    frame = patients.copy()
    pvp = frame.index[frame["arm"] == "PVP"]
    frame.loc[pvp[1:], "cement_ml"] = np.nan
    frame.loc[pvp[:5], "vas_discharge"] = np.nan
    frame["relief_discharge"] = frame["relief_discharge"].astype(object)
    frame.loc[pvp[:5], "relief_discharge"] = None
    markdown = table_outcomes(frame, SETTINGS, DECIMALS, codebook=BOOK).markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| Cement volume"))
    assert "| — (n = 1) | — |" in row
    relief = frame.loc[pvp, "relief_discharge"].dropna().astype(bool)
    shown = f"{int(relief.sum())} ({100 * relief.mean():.1f}) (n = {len(relief)})"
    assert shown in next(line for line in markdown.splitlines() if "at discharge" in line)
    assert "—: fewer than two patients with a value in the arm" in markdown


def test_table_1_missing_rows_and_denominators_for_every_kind_of_variable(patients):
    frame = patients.copy()
    pvp = frame.index[frame["arm"] == "PVP"]
    frame.loc[pvp[:3], "age_years"] = np.nan  # continuous
    frame.loc[pvp[:2], "sex"] = None  # categorical shown as counts
    frame.loc[pvp[:4], "asia_baseline"] = None  # ASIA grades
    markdown = table_baseline(frame, SETTINGS, DECIMALS, codebook=BOOK).markdown
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    missing = [i for i, row in enumerate(rows) if row.startswith("|   Missing, n")]
    assert [rows[i] for i in missing] == [
        "|   Missing, n | 0 | 3 |  |  |",
        "|   Missing, n | 0 | 2 |  |  |",
        "|   Missing, n | 0 | 4 |  |  |",
    ]
    age = frame.loc[pvp, "age_years"].dropna()
    assert f"{age.mean():.2f} ± {age.std():.2f} ({age.min():g}–{age.max():g}) (n = 50)" in markdown
    sex = frame.loc[pvp, "sex"].value_counts()
    assert f"| 40 / 31 | {sex['M']} / {sex['F']} |" in markdown
    grade_e = frame.loc[pvp, "asia_baseline"].eq("E").sum()
    assert f"| {grade_e} ({100 * grade_e / 49:.1f}) |" in markdown  # of the 49 known
    assert "Percentages are of the patients in the arm with a known value" in markdown


def test_table_1_without_gaps_has_no_missing_rows_and_the_usual_note(patients):
    markdown = table_baseline(patients, SETTINGS, DECIMALS, codebook=BOOK).markdown
    assert "Missing, n" not in markdown and "(n = " not in markdown.split("| P |")[1]
    assert "Percentages are of all included patients in the arm." in markdown


def test_the_methods_claim_gaps_in_the_shipped_cohort_exactly_when_it_has_them(patients):
    """Whatever the shipped cohort holds (today: no gap), the sentences follow the counts
    recomputed here from its CSV files."""
    truth = independent(REPO / "data/raw")
    missed = sum(truth["missed"][t][a] for t in DUE for a in ("PVP+ITR", "PVP"))
    lacking = int(truth["weeks"].isna().sum())
    numbers = {
        n.key: n for n in table_attrition(patients, SETTINGS, DECIMALS, codebook=BOOK).numbers
    }
    sentence = numbers["missing.observed"].text
    assert sentence.startswith("No baseline characteristic") == (lacking == 0)
    assert ("every patient alive and still followed was assessed" in sentence) == (missed == 0)
    assert ("no score was left blank" in sentence) == (truth["blank"] == 0)
    assert numbers["missing.visits.n"].value == missed
    assert numbers["missing.items.n"].value == truth["blank"]
    reasons = numbers["attrition.reasons"].text
    assert reasons.endswith("or they missed visits") == (missed > 0)
    clause = numbers["attrition.m12.pvp.missed.clause"].text
    assert (clause == "") == (truth["missed"]["m12"]["PVP"] == 0)


def test_the_observed_sentence_agrees_in_number():
    one = observed(1, 124, ["duration of symptoms"], 1, 1)
    assert one == (
        "Of the 124 included patients, 1 lacked at least one baseline characteristic "
        "(duration of symptoms); 1 scheduled assessment of patients alive and still followed "
        "was not made, and 1 score was left blank at assessments that took place."
    )
    assert "(age and sex)" in observed(2, 124, ["age", "sex"], 0, 0)


def test_the_gappy_cohort_is_valid_and_the_same_for_the_same_seed(tmp_path):
    for name in ("a", "b"):
        gappy_cohort(tmp_path / name, REPO / "data/raw", CODEBOOK)
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    tables = validate_cohort(tmp_path / "a", BOOK, check_across_tables)
    gaps = tables["visits"].attrs["missing"]
    assert {"empty", "coded -9 (not assessed)", "coded -8 (unable to answer)"} <= set(gaps["vas"])


# --------------------------------------------------------------------------- e2e
def independent(data) -> dict:
    """Everything the checks need, from the gappy CSVs with plain pandas."""
    read = {
        name: pd.read_csv(data / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("enrollment", "baseline", "procedure", "visits", "followup")
    }
    enrollment = read["enrollment"][read["enrollment"]["included"] == "yes"]
    arm = enrollment.set_index("patient_id")["arm"]
    baseline = read["baseline"].set_index("patient_id")
    weeks = pd.to_numeric(
        baseline["symptom_weeks"].where(~baseline["symptom_weeks"].isin(CODES | {""}))
    )
    success = read["procedure"].set_index("patient_id")["technical_success"] == "yes"
    outcome = success[success].index
    visits = read["visits"].copy()
    for score in SCORES:
        visits[score] = pd.to_numeric(visits[score].where(~visits[score].isin(CODES | {""})))
    visits["month"] = visits["visit"].map(
        lambda v: 0 if v in ("preop", "discharge") else int(v[1:])
    )
    late = visits[visits["month"] > 12].sort_values("month").groupby("patient_id").tail(1)
    at = {
        time: visits[visits["visit"] == time].set_index("patient_id")[SCORES]
        for time in ("preop", "m01", "m03", "m06", "m12")
    }
    at["gt12"] = late.set_index("patient_id")[SCORES]
    follow = read["followup"].set_index("patient_id")["followup_months"].astype(float)
    missed = {}
    for time, month in DUE.items():
        scored = at[time].reindex(outcome).notna().any(axis=1)
        due = follow.reindex(outcome) >= month
        missed[time] = {
            a: int((due & ~scored)[arm[outcome] == a].sum()) for a in ("PVP+ITR", "PVP")
        }
        missed[time, "due"] = {a: int(due[arm[outcome] == a].sum()) for a in ("PVP+ITR", "PVP")}
    blank = sum(
        int(at[t].reindex(outcome)[at[t].reindex(outcome).notna().any(axis=1)].isna().sum().sum())
        for t in at
    )
    return {
        "discharge": visits[visits["visit"] == "discharge"].set_index("patient_id")["vas"],
        "arm": arm,
        "weeks": weeks,
        "outcome": outcome,
        "at": at,
        "missed": missed,
        "blank": blank,
    }


def half_up(value: float) -> str:
    """Two decimals, halves rounded away from zero as the tables (and SPSS) print them;
    Python's own format rounds 3.125 to even (3.12)."""
    return str(Decimal(repr(float(value))).quantize(Decimal("0.01"), ROUND_HALF_UP))


def cell(values: pd.Series) -> str:
    return f"{half_up(values.mean())} ± {half_up(values.std(ddof=1))}"


@pytest.mark.e2e
def test_a_cohort_with_gaps_builds_and_reports_them_as_recomputed_independently(tmp_path):
    workdir = copy_repository(tmp_path / "repo")
    gappy_cohort(workdir / "data/raw", REPO / "data/raw", CODEBOOK)
    result = run_snakemake(workdir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    truth = independent(workdir / "data/raw")
    results = workdir / "results"
    manuscript = (results / "manuscript/manuscript.md").read_text(encoding="utf-8")
    numbers = json.loads((results / "numbers.json").read_text(encoding="utf-8"))
    arm, outcome, at = truth["arm"], truth["outcome"], truth["at"]

    # scores table: n, mean and SD of each arm at each time point
    scores = (results / "tables/table_scores.md").read_text(encoding="utf-8")
    labels = {"preop": "Before treatment", "m01": "1 month", "m03": "3 months",
              "m06": "6 months", "m12": "1 year", "gt12": "> 1 year"}  # fmt: skip
    for time, label in labels.items():
        cells = []
        for code in ("PVP+ITR", "PVP"):
            v = at[time].reindex(outcome[arm[outcome] == code])["vas"].dropna()
            cells.append(f"{cell(v)} ({len(v)})")
        assert f"| VAS | {label} | {cells[0]} | {cells[1]} |" in scores, label

    # Table 1: the missing symptom durations, by arm, and the n of the mean
    baseline = (results / "tables/table_baseline.md").read_text(encoding="utf-8")
    lacking = {
        code: int(truth["weeks"][arm[arm == code].index].isna().sum())
        for code in ("PVP+ITR", "PVP")
    }
    assert sum(lacking.values()) > 0
    assert f"|   Missing, n | {lacking['PVP+ITR']} | {lacking['PVP']} |  |  |" in baseline
    for code, total in (("PVP+ITR", 71), ("PVP", 53)):
        known = truth["weeks"][arm[arm == code].index].dropna()
        shown = f"{cell(known)} ({known.min():g}–{known.max():g})"
        assert (shown + (f" (n = {len(known)})" if len(known) < total else "")) in baseline

    # pain relief at discharge: the patients without a VAS value there
    discharge = truth["discharge"].reindex(outcome)
    no_vas = [int(discharge[arm[outcome] == code].isna().sum()) for code in ("PVP+ITR", "PVP")]
    assert sum(no_vas) > 0
    relief = (results / "tables/table_pain_relief.md").read_text(encoding="utf-8")
    assert f"|   No VAS value, n | {no_vas[0]} | {no_vas[1]} |  |" in relief

    # Methods: what was missing
    missed = sum(truth["missed"][t][a] for t in DUE for a in ("PVP+ITR", "PVP"))
    assert missed > 0 and truth["blank"] > 0
    assert (
        f"Of the 124 included patients, {sum(lacking.values())} lacked at least one baseline "
        f"characteristic (duration of symptoms before the procedure); {missed} scheduled "
        "assessments of patients alive and still followed were not made, and "
        f"{truth['blank']} scores were left blank at assessments that took place."
    ) in manuscript
    assert "No missing value was imputed." in manuscript
    assert numbers["missing.items.n"]["value"] == truth["blank"]

    # Results: at one year, the patients still followed who were not assessed
    assert "because patients died, their follow-up ended or they missed visits" in manuscript
    for code in ("PVP+ITR", "PVP"):
        m, due = truth["missed"]["m12"][code], truth["missed"]["m12", "due"][code]
        assert f", and {m} of the {due} still followed were not assessed" in manuscript
        assessed = at["m12"].reindex(outcome[arm[outcome] == code]).notna().any(axis=1).sum()
        assert re.search(rf"\b{assessed} of (the )?{(arm[outcome] == code).sum()}\b", manuscript)
