"""Every table's numbers, recomputed from the cohort CSVs with independent code."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest
import yaml
from conftest import CODEBOOK, REPO
from independent_cohort import build_patients, mean_sd, values
from scipy import stats

from manuscript_engine.core.step_runner import load_step, study_layout
from manuscript_engine.data.analysis_dataset import read_patients, write_patients
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.data.vocabulary import study_arms
from vertebroplasty.analysis_dataset import build_patients as package_patients

BOOK = load_codebook(CODEBOOK)
TABLES = {name: load_step(spec) for name, spec in study_layout("vertebroplasty").TABLES.items()}

CONFIG = yaml.safe_load((REPO / "config/config.yaml").read_text())
PATIENTS = build_patients()
ARMS = {"PVP+ITR": "pvp_itr", "PVP": "pvp"}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    # The frame as the table steps see it: written, then read back (categorical
    # patients and arms), not the frame the study built.
    path = tmp_path_factory.mktemp("analysis") / "patients.csv"
    write_patients(package_patients(REPO / "data/raw", load_codebook(CODEBOOK)), path)
    frame = read_patients(path, BOOK)
    numbers = {}
    for build in TABLES.values():
        for number in build(frame, CONFIG["statistics"], CONFIG["decimals"], codebook=BOOK).numbers:
            numbers[number.key] = number
    return numbers


def close(registry, key, expected, tolerance=1e-9):
    assert registry[key].value == pytest.approx(expected, abs=tolerance), key


@pytest.mark.parametrize("arm", ARMS)
def test_table_baseline_means_counts_and_ranges(registry, arm):
    a = ARMS[arm]
    for column in ("age_years", "symptom_weeks"):
        v = values(PATIENTS, arm, column, outcome_only=False)
        mean, sd = mean_sd(v)
        close(registry, f"baseline.{column}.{a}.mean", mean)
        close(registry, f"baseline.{column}.{a}.sd", sd)
        assert registry[f"baseline.{column}.{a}.range"].text == f"{min(v):g}–{max(v):g}"
    in_arm = [p for p in PATIENTS.values() if p["arm"] == arm]
    for column, key in (
        ("primary_tumor", "primary_tumor"),
        ("sex", "sex"),
        ("vertebrae_treated", "vertebrae_treated"),
        ("asia_baseline", "asia"),
    ):
        for category, n in Counter(p[column] for p in in_arm).items():
            assert registry[f"baseline.{key}.{category.lower()}.{a}.n"].value == n


@pytest.mark.parametrize("arm", ARMS)
def test_table_outcomes_rows(registry, arm):
    a = ARMS[arm]
    included = [p for p in PATIENTS.values() if p["arm"] == arm]
    treated = [p for p in included if p["outcome"]]
    checks = {
        "technical_success": (sum(p["technical_success"] == "yes" for p in included), included),
        "pain_relief.initial": (sum(p["relief_discharge"] == "yes" for p in treated), treated),
        "pain_relief.final": (sum(p["relief_final"] == "yes" for p in treated), treated),
        "leakage.any": (sum(p["leakage"] == "yes" for p in treated), treated),
        "stability": (sum(p["stable"] == "yes" for p in treated), treated),
    }
    for key, (n, population) in checks.items():
        assert registry[f"{key}.{a}.n"].value == n, key
        close(registry, f"{key}.{a}.pct", 100 * n / len(population))
    for key, column, outcome_only in (
        ("hospital_stay", "hospital_days", False),
        ("cement_volume", "cement_ml", True),
        ("followup", "followup_months", False),
    ):
        mean, sd = mean_sd(values(PATIENTS, arm, column, outcome_only))
        close(registry, f"{key}.{a}.mean", mean)
        close(registry, f"{key}.{a}.sd", sd)


@pytest.mark.parametrize("score", ["vas", "odi", "kps"])
@pytest.mark.parametrize("time", ["preop", "m01", "m03", "m06", "m12", "gt12"])
def test_table_scores_cells_and_mann_whitney_p(registry, score, time):
    column = f"{score}_{time}"
    by_arm = {arm: values(PATIENTS, arm, column) for arm in ARMS}
    for arm, v in by_arm.items():
        mean, sd = mean_sd(v)
        close(registry, f"scores.{score}.{time}.{ARMS[arm]}.mean", mean)
        close(registry, f"scores.{score}.{time}.{ARMS[arm]}.sd", sd)
        assert registry[f"scores.{score}.{time}.{ARMS[arm]}.n"].value == len(v)
    # scipy called directly: the paper's test (asymptotic, tie-corrected, no continuity)
    expected = stats.mannwhitneyu(
        by_arm["PVP+ITR"], by_arm["PVP"], use_continuity=False, method="asymptotic"
    ).pvalue
    close(registry, f"scores.{score}.{time}.p", expected, 1e-12)


@pytest.mark.parametrize("arm", ARMS)
def test_secondary_tables(registry, arm):
    a = ARMS[arm]
    treated = [p for p in PATIENTS.values() if p["arm"] == arm and p["outcome"]]
    for site, n in Counter(p["leakage_site"] for p in treated).items():
        assert registry[f"leakage.site.{site}.{a}.n"].value == n
    for moment in ("discharge", "final"):
        for category, n in Counter(p[f"pain_{moment}"] for p in treated).items():
            assert registry[f"pain_category.{moment}.{category}.{a}.n"].value == n
    for relief, key in (("yes", "relief_at_discharge"), ("no", "no_relief_at_discharge")):
        group = [p for p in treated if p["relief_discharge"] == relief]
        for course, n in Counter(p["pain_course"] for p in group).items():
            assert registry[f"pain_course.{key}.{course}.{a}.n"].value == n
    for moment, column in (("baseline", "asia_baseline"), ("last", "asia_last")):
        for grade, n in Counter(p[column] for p in treated).items():
            assert registry[f"asia.{moment}.{grade.lower()}.{a}.n"].value == n
    paraplegic = [p for p in treated if p["paraplegic_baseline"] == "yes"]
    for outcome, n in Counter(p["paraplegia_outcome"] for p in paraplegic).items():
        assert registry[f"paraplegia.{outcome}.{a}.n"].value == n
    recovered = sum(p["paraplegia_recovered"] == "yes" for p in paraplegic)
    close(registry, f"paraplegia.recovered.{a}.pct", 100 * recovered / len(paraplegic))


def test_paraplegia_recovery_p_is_pearson_chi_squared(registry):
    table = []
    for arm in ARMS:
        group = [
            p
            for p in PATIENTS.values()
            if p["arm"] == arm and p["outcome"] and p["paraplegic_baseline"] == "yes"
        ]
        yes = sum(p["paraplegia_recovered"] == "yes" for p in group)
        table.append([yes, len(group) - yes])
    expected = stats.chi2_contingency(list(zip(*table, strict=True)), correction=False).pvalue
    close(registry, "paraplegia.recovered.p", expected, 1e-12)
    assert registry["paraplegia.recovered.test"].value == "chi2"


def test_every_p_value_prints_with_three_decimals_or_as_less_than(registry):
    for key, number in registry.items():
        if key.endswith(".p"):
            assert number.text == "< 0.001" or (len(number.text) == 5 and number.text[1] == ".")


def test_confidence_intervals_lie_within_0_and_100_and_around_the_estimate(registry):
    for key, number in registry.items():
        if key.endswith(".ci_low"):
            base = key.removesuffix(".ci_low")
            low, high = number.value, registry[f"{base}.ci_high"].value
            assert 0 <= low <= registry[f"{base}.pct"].value <= high <= 100, base


def test_the_test_used_follows_the_config(registry):
    frame = package_patients(REPO / "data/raw", load_codebook(CODEBOOK))
    welch = CONFIG["statistics"] | {"continuous_test": "welch_t"}
    numbers = {
        n.key: n
        for n in TABLES["table_scores"](frame, welch, CONFIG["decimals"], codebook=BOOK).numbers
    }
    assert numbers["scores.vas.m01.test"].value == "welch_t"
    v = [values(PATIENTS, arm, "vas_m01") for arm in ARMS]
    assert numbers["scores.vas.m01.p"].value == pytest.approx(
        stats.ttest_ind(*v, equal_var=False).pvalue
    )
    assert statistics.fmean(v[0]) < statistics.fmean(v[1])
    assert numbers["scores.vas.m01.difference"].value < 0


def test_a_category_added_to_the_codebook_is_counted_in_table_1_in_codebook_order():
    from vertebroplasty.table_baseline import table_baseline

    codebook = load_codebook(CODEBOOK)
    tumours = codebook["tables"]["baseline"]["columns"]["primary_tumor"]["values"]
    tumours.insert(tumours.index("breast") + 1, "bladder")
    frame = package_patients(REPO / "data/raw", load_codebook(CODEBOOK))
    first = frame.index[frame["arm"] == "PVP+ITR"][0]
    frame.loc[first, "primary_tumor"] = "bladder"
    result = table_baseline(frame, CONFIG["statistics"], CONFIG["decimals"], codebook=codebook)
    numbers = {n.key: n.value for n in result.numbers}
    assert numbers["baseline.primary_tumor.bladder.pvp_itr.n"] == 1
    assert numbers["baseline.primary_tumor.bladder.pvp.n"] == 0
    for arm in ARMS.values():
        for key in ("sex", "primary_tumor", "vertebrae_treated", "asia"):
            rows = [
                value
                for k, value in numbers.items()
                if k.startswith(f"baseline.{key}.")
                and k.endswith(f".{arm}.n")
                and k != f"baseline.{key}.total.{arm}.n"
            ]
            assert sum(rows) == numbers[f"baseline.n.{arm}"], (key, arm)
    names = [line.split("|")[1].strip() for line in result.markdown.splitlines()[2:] if "|" in line]
    at = names.index("Breast cancer")
    assert names[at : at + 3] == ["Breast cancer", "bladder", "Colon cancer"]


def test_a_table_refuses_to_drop_a_category_it_does_not_list():
    from manuscript_engine.core.errors import ManuscriptError
    from manuscript_engine.stats.tables import NumberBook, summarise_categories

    frame = package_patients(REPO / "data/raw", load_codebook(CODEBOOK))
    with pytest.raises(ManuscriptError) as excinfo:
        summarise_categories(
            NumberBook("table_asia_grades (outcome population)", study_arms(BOOK)),
            "asia.baseline",
            frame,
            "asia_baseline",
            ["A", "B", "C", "D"],
            CONFIG["statistics"],
            1,
        )
    assert str(excinfo.value) == (
        "table_asia_grades (outcome population): asia_baseline 'E' occurs in the data but is "
        "not among the table's categories (A, B, C, D), so its counts would not add up to n. "
        "Add the category to the codebook and to the table's categories, or correct the data."
    )


def test_the_scores_table_note_points_out_a_course_that_rises_and_falls_back():
    frame = package_patients(REPO / "data/raw", load_codebook(CODEBOOK))
    build = TABLES["table_scores"]
    note = build(frame, CONFIG["statistics"], CONFIG["decimals"], codebook=BOOK).markdown
    # Group B's KPS: 76.42 ± 4.84, 87.36 ± 4.45, 64.34 ± 5.00 (2.4 and 4.9 pooled SDs).
    assert (
        "With PVP, mean KPS rose from 76.42 (before treatment) to 87.36 (1 month) and fell "
        "to 64.34 (3 months), by more than 2 pooled SDs each way." in note
    )
    assert note.count("pooled SDs") == 1
    stricter = {**CONFIG["statistics"], "reversal_sds": 3}
    assert "pooled SDs" not in build(frame, stricter, CONFIG["decimals"], codebook=BOOK).markdown
    silent = {k: v for k, v in CONFIG["statistics"].items() if k != "reversal_sds"}
    assert "pooled SDs" not in build(frame, silent, CONFIG["decimals"], codebook=BOOK).markdown


def test_the_leakage_table_puts_the_any_leakage_p_on_its_row_and_the_site_test_apart():
    frame = package_patients(REPO / "data/raw", load_codebook(CODEBOOK))
    settings, decimals = CONFIG["statistics"], CONFIG["decimals"]
    sites = TABLES["table_leakage_sites"](frame, settings, decimals, codebook=BOOK)
    outcomes = TABLES["table_outcomes"](frame, settings, decimals, codebook=BOOK)
    any_p = next(n.text for n in outcomes.numbers if n.key == "leakage.any.p")
    site_p = next(n.text for n in sites.numbers if n.key == "leakage.site.p")
    rows = {
        line.split("|")[1].strip(): line.split("|")[-2].strip()
        for line in sites.markdown.splitlines()
        if line.startswith("|")
    }
    # Any leakage, 29/70 against 29/53, is Table 3's comparison (Pearson's χ², 0.144);
    # the whole distribution of sites is a separate test (0.559).
    assert rows["Any site"].startswith(any_p) and any_p == "0.144"
    assert rows["Distribution over the rows below"].startswith(site_p) and site_p != any_p


def test_table_1_has_smds_missing_rows_only_when_missing_and_an_optional_p_column(registry):
    frame = package_patients(REPO / "data/raw", load_codebook(CODEBOOK))
    build = TABLES["table_baseline"]
    plain = build(frame, CONFIG["statistics"], CONFIG["decimals"], codebook=BOOK).markdown
    assert "| SMD |" in plain and "Missing, n" not in plain
    # Age's SMD, recomputed: |mean difference| / sqrt of the mean of the two variances
    ages = [values(PATIENTS, arm, "age_years", outcome_only=False) for arm in ARMS]
    pooled = ((statistics.variance(ages[0]) + statistics.variance(ages[1])) / 2) ** 0.5
    close(
        registry,
        "baseline.age_years.smd",
        abs(statistics.mean(ages[0]) - statistics.mean(ages[1])) / pooled,
    )
    gappy = frame.copy()
    gappy.loc[gappy.index[:3], "symptom_weeks"] = float("nan")
    with_gap = build(gappy, CONFIG["statistics"], CONFIG["decimals"], codebook=BOOK).markdown
    missing = [line for line in with_gap.splitlines() if "Missing, n" in line]
    assert len(missing) == 1
    first_arm = gappy.loc[gappy.index[:3], "arm"]
    assert missing[0].split("|")[2].strip() == str(int((first_arm == "PVP+ITR").sum()))
    no_p = build(
        frame,
        CONFIG["statistics"] | {"baseline_p_values": False},
        CONFIG["decimals"],
        codebook=BOOK,
    ).markdown
    assert "| P |" not in no_p and "| SMD |" in no_p and "^a^" not in no_p


def test_imbalances_above_the_threshold_are_listed_for_the_limitations(registry):
    listed = registry["baseline.imbalance.list"].text
    above = [k for k, n in registry.items() if k.endswith(".smd") and (n.value or 0) > 0.1]
    assert registry["baseline.imbalance.n"].value == len(above) == listed.count("(SMD ")
    frame = package_patients(REPO / "data/raw", load_codebook(CODEBOOK))
    strict = TABLES["table_baseline"](
        frame, CONFIG["statistics"] | {"smd_threshold": 5}, CONFIG["decimals"], codebook=BOOK
    )
    text = {n.key: n.text for n in strict.numbers}
    assert text["baseline.imbalance.list"] == "none"
