"""Every bad cohort gets its own clear message: file, line, column, value and rule.

The corpus is ``tests/data/bad_cohorts/<case>/``: each case holds the files that
differ from the small valid cohort in ``tests/data/cohort_small/`` (and a REMOVE file
listing files to delete).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CODEBOOK, REPO

from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.data.validation import CohortInvalid, validate_cohort
from vertebroplasty.cross_table_rules import check_across_tables

SMALL = REPO / "tests/data/cohort_small"
CASES = REPO / "tests/data/bad_cohorts"

EXPECTED = {
    "missing_file": "baseline.csv: the file is missing",
    "empty_file": "visits.csv: the file is empty",
    "ragged_row": "enrollment.csv line 3: the line has 3 cells but the header has 4",
    "header_only": "followup.csv: the file has a header but no data rows",
    "not_utf8": "baseline.csv line 3: the file is not UTF-8 text (byte 0xfc",
    "missing_column": "procedure.csv line 1, column hospital_days: the required column is missing",
    "extra_column": "baseline.csv line 1, column name: this column is not in the codebook",
    "wrong_type_age": "baseline.csv line 2, column age_years: 'seven' is not a whole number",
    "vas_above_maximum": "visits.csv line 5, column vas: 11 is above the maximum 10",
    "age_below_minimum": "baseline.csv line 3, column age_years: -3 is below the minimum 18",
    "cement_above_maximum": "procedure.csv line 2, column cement_ml: 60 is above the maximum 20",
    "kps_off_granularity": "visits.csv line 4, column kps: 65 is not on the scale's steps of 10",
    "vas_off_granularity": "visits.csv line 3, column vas: 3.3 is not on the scale's steps of 0.5",
    "unknown_arm": "enrollment.csv line 2, column arm: 'PVP + ITR' is not an allowed value. "
    "Use one of: PVP+ITR, PVP",
    "unknown_asia_grade": "followup.csv line 3, column asia_last: 'F' is not an allowed value",
    "unknown_sex": "baseline.csv line 4, column sex: 'male' is not an allowed value. "
    "Use one of: M, F",
    "stray_whitespace": "enrollment.csv line 3, column arm: ' PVP' has spaces before or after it",
    "duplicate_patient": "baseline.csv line 6, column patient_id: P0001 appears more than once "
    "(lines 2, 6)",
    "duplicate_visit": "visits.csv line 6, column patient_id: P0001 / m03 appears more than once "
    "(lines 5, 6)",
    "patient_not_enrolled": "procedure.csv line 6, column patient_id: P9999 is not in",
    "included_patient_missing": "enrollment.csv line 3, column patient_id: included patient "
    "P0002 has no row in",
    "excluded_patient_with_rows": "baseline.csv line 6, column patient_id: P0022 is excluded in",
    "cement_after_failure": "procedure.csv line 5, column cement_ml: cement is recorded but "
    "technical_success is no",
    "leakage_after_failure": "procedure.csv line 5, column leakage_site: leakage is recorded but "
    "technical_success is no",
    "visit_after_followup": "visits.csv line 18, column visit: m18 is later than the end of "
    "follow-up, 16.64 months",
    "visit_after_death": "visits.csv line 27, column visit: m36 is after the patient's death at "
    "32.92 months",
    "discharge_visit_missing": "visits.csv, column visit: patient P0002 was treated",
    "fracture_time_missing": "followup.csv line 4, column new_fracture_months: new_fracture is "
    "yes but no time is recorded",
    "fracture_time_without_fracture": "followup.csv line 2, column new_fracture_months: 5.25 "
    "months is recorded but new_fracture is no",
    "fracture_after_followup": "followup.csv line 4, column new_fracture_months: the new "
    "fracture, at 40.5 months, is later than the end of follow-up, 32.92 months",
}


def bad_cohort(case: str, destination: Path) -> Path:
    """The small valid cohort with one case's files laid over it."""
    shutil.copytree(SMALL, destination)
    for path in (CASES / case).iterdir():
        if path.name == "REMOVE":
            for name in path.read_text().split():
                (destination / name).unlink()
        else:
            shutil.copy(path, destination / path.name)
    return destination


def test_every_case_in_the_corpus_has_an_expected_message():
    on_disk = {p.name for p in CASES.iterdir()} - {"bom_and_crlf_are_fine"}
    assert on_disk == set(EXPECTED)


def test_the_small_cohort_is_valid():
    tables = validate_cohort(SMALL, load_codebook(CODEBOOK), check_across_tables)
    assert len(tables["enrollment"]) == 6


def test_a_byte_order_mark_and_crlf_line_endings_are_accepted(tmp_path):
    folder = bad_cohort("bom_and_crlf_are_fine", tmp_path / "cohort")
    tables = validate_cohort(folder, load_codebook(CODEBOOK), check_across_tables)
    assert list(tables["enrollment"].columns)[0] == "patient_id"
    assert (
        tables["enrollment"]["exclusion_reason"].iloc[0]
        != tables["enrollment"]["exclusion_reason"].iloc[0]
    )  # an empty cell is missing, not "\r"


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_cohort_gives_its_own_clear_message(case, tmp_path):
    folder = bad_cohort(case, tmp_path / "cohort")
    with pytest.raises(CohortInvalid) as excinfo:
        validate_cohort(folder, load_codebook(CODEBOOK), check_across_tables)
    message = str(excinfo.value)
    assert f"{folder.as_posix()}/{EXPECTED[case]}" in message, message


def test_validation_does_not_modify_its_input(tmp_path):
    folder = bad_cohort("stray_whitespace", tmp_path / "cohort")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(CohortInvalid):
        validate_cohort(folder, load_codebook(CODEBOOK), check_across_tables)
    assert before == {p.name: p.read_bytes() for p in folder.iterdir()}


def test_every_problem_in_a_file_is_collected_and_the_listing_is_capped(tmp_path):
    folder = bad_cohort("vas_above_maximum", tmp_path / "cohort")
    visits = folder / "visits.csv"
    lines = visits.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    rows = [",".join([*r.split(",")[:2], "12", *r.split(",")[3:]]) for r in rows]
    visits.write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(CohortInvalid) as excinfo:
        validate_cohort(folder, load_codebook(CODEBOOK), check_across_tables)
    assert len(excinfo.value.problems) == len(rows)
    assert f"and {len(rows) - 25} more in" in str(excinfo.value)


def test_duplicate_rows_are_grouped_once_and_their_lines_listed_up_to_ten(tmp_path, monkeypatch):
    """Looking up each duplicate's copies in turn took minutes on 20,900 duplicates."""
    from manuscript_engine.data import validation

    folder = bad_cohort("duplicate_visit", tmp_path / "cohort")
    visits = folder / "visits.csv"
    header, *rows = visits.read_text().splitlines()
    visits.write_text("\n".join([header, *rows * 6]) + "\n")
    lookups = []
    real = validation._duplicate_lines
    monkeypatch.setattr(
        validation, "_duplicate_lines", lambda *args: lookups.append(args) or real(*args)
    )
    with pytest.raises(CohortInvalid) as excinfo:
        validate_cohort(folder, load_codebook(CODEBOOK), check_across_tables)
    problems = excinfo.value.problems
    assert len(problems) == 6 * len(rows)
    assert len(lookups) == 1
    n = len(rows)
    copies = ", ".join(str(line + copy * n) for copy in range(5) for line in (5, 6))
    assert str(next(p for p in problems if p.line == 6 + n)).endswith(
        f"line {6 + n}, column patient_id: P0001 / m03 appears more than once (lines {copies} "
        "and 2 more); each patient_id and visit must have one row. Remove or correct the copy."
    )


def problems_after_replacing(tmp_path, table: str, old: str, new: str) -> str:
    """The validation message for the small cohort with one text replaced in one table."""
    folder = shutil.copytree(SMALL, tmp_path / "cohort")
    path = folder / f"{table}.csv"
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(CohortInvalid) as excinfo:
        validate_cohort(folder, load_codebook(CODEBOOK), check_across_tables)
    return str(excinfo.value)


def test_an_identifier_with_a_line_break_inside_its_quotes_is_refused(tmp_path):
    message = problems_after_replacing(tmp_path, "enrollment", "P0001,", '"P0001\n",')
    assert (
        "enrollment.csv line 3, column patient_id: 'P0001\\n' is not a valid patient_id "
        "(expected a value like 'P0001')"
    ) in message


def test_a_visit_code_with_a_final_line_break_is_refused(tmp_path):
    message = problems_after_replacing(tmp_path, "visits", "P0001,preop,", 'P0001,"preop\n",')
    assert "column visit: 'preop\\n' is not a valid visit" in message


@pytest.mark.parametrize(
    ("table", "old", "new", "expected"),
    [
        # a spreadsheet's words for "no value": how to record a missing value instead
        (
            "visits",
            "P0001,preop,8.0,",
            "P0001,preop,n/a,",
            "visits.csv line 2, column vas: 'n/a' is not a number. If the value is missing, "
            "leave the cell empty or enter a missing code: -9 (not assessed), -8 (unable to "
            "answer).",
        ),
        # a European decimal comma: the same number with a point
        (
            "procedure",
            "P0001,yes,6.5,",
            'P0001,yes,"6,5",',
            "procedure.csv line 2, column cement_ml: '6,5' is not a number: write the decimal "
            "with a point (6.5).",
        ),
        # a column that may not be missing is not offered the missing codes
        (
            "baseline",
            "P0001,44,",
            "P0001,-,",
            "baseline.csv line 2, column age_years: '-' is not a whole number. Enter the value; "
            "this column may not be missing.",
        ),
        # the printed label typed in place of the code, and a near spelling of a code
        (
            "baseline",
            "P0001,44,F,",
            "P0001,44,Female,",
            "'Female' is not an allowed value. Use one of: M, F. 'Female' is how F is printed: "
            "enter the code F.",
        ),
        (
            "enrollment",
            "P0001,PVP+ITR,",
            "P0001,PVP + ITR,",
            "'PVP + ITR' is not an allowed value. Use one of: PVP+ITR, PVP. Did you mean "
            "'PVP+ITR'?",
        ),
    ],
)
def test_a_spreadsheet_habit_is_refused_with_the_fix(tmp_path, table, old, new, expected):
    assert expected in problems_after_replacing(tmp_path, table, old, new)


def test_a_header_typed_in_words_is_named_as_the_column_it_spells(tmp_path):
    """'Patient ID' is patient_id typed as people write it: rename it, not remove it."""
    message = problems_after_replacing(tmp_path, "enrollment", "patient_id,", "Patient ID,")
    assert (
        "enrollment.csv line 1, column patient_id: the required column is missing (found "
        "'Patient ID': rename the header to patient_id)."
    ) in message
    assert "this column is not in the codebook" not in message


def test_a_second_header_spelling_a_present_column_is_still_an_extra_column(tmp_path):
    message = problems_after_replacing(
        tmp_path, "enrollment", "exclusion_reason", "exclusion_reason,Patient ID"
    )
    assert "column Patient ID: this column is not in the codebook" in message


# --------------------------------------------------------------------------- what is read
SECRET = "patient_id,arm,included,exclusion_reason,secret-hash-$6$not-to-be-printed"


@pytest.fixture
def cohort_copy(tmp_path) -> Path:
    return shutil.copytree(SMALL, tmp_path / "cohort")


def refusal(folder: Path) -> str:
    with pytest.raises(CohortInvalid) as excinfo:
        validate_cohort(folder, load_codebook(CODEBOOK), check_across_tables)
    return str(excinfo.value)


def test_a_link_to_a_file_outside_the_data_folder_is_refused_unread(cohort_copy, tmp_path):
    secret = tmp_path / "elsewhere" / "shadow"
    secret.parent.mkdir()
    secret.write_text(SECRET + "\n")
    (cohort_copy / "baseline.csv").unlink()
    (cohort_copy / "baseline.csv").symlink_to(secret)
    message = refusal(cohort_copy)
    assert (
        f"{cohort_copy.as_posix()}/baseline.csv: the file is a link to {secret.as_posix()}, "
        f"outside the data folder {cohort_copy.as_posix()}. Copy the CSV file itself into the "
        "data folder."
    ) in message
    assert "not-to-be-printed" not in message


def test_a_link_to_a_device_is_refused_unread(cohort_copy):
    (cohort_copy / "visits.csv").unlink()
    (cohort_copy / "visits.csv").symlink_to("/dev/null")
    message = refusal(cohort_copy)
    assert f"{cohort_copy.as_posix()}/visits.csv: the file is a link to /dev/null, outside" in (
        message
    )


def test_a_folder_in_place_of_a_cohort_file_is_refused(cohort_copy):
    (cohort_copy / "followup.csv").unlink()
    (cohort_copy / "followup.csv").mkdir()
    assert (
        f"{cohort_copy.as_posix()}/followup.csv: this is a folder, not a regular file. "
        "Put the exported CSV file itself in the data folder under this name."
    ) in refusal(cohort_copy)


def test_links_inside_the_data_folder_and_a_data_folder_elsewhere_are_fine(tmp_path):
    real = shutil.copytree(SMALL, tmp_path / "exports" / "2026-11")
    (real / "visits_v2.csv").write_bytes((real / "visits.csv").read_bytes())
    (real / "visits.csv").unlink()
    (real / "visits.csv").symlink_to("visits_v2.csv")
    linked = tmp_path / "data_dir"
    linked.symlink_to(real, target_is_directory=True)
    assert len(validate_cohort(linked, load_codebook(CODEBOOK), check_across_tables)["visits"]) > 0


# --------------------------------------------------------------------------- the step
class Files(list):
    """A rule's input or output as Snakemake hands it to a step: a list of paths whose
    entries also have names (``input.settings``, ``output["visits"]``)."""

    def __init__(self, **named):
        super().__init__(
            p for value in named.values() for p in (value if isinstance(value, list) else [value])
        )
        self.__dict__.update(named)

    def __getitem__(self, key):
        return self.__dict__[key] if isinstance(key, str) else super().__getitem__(key)


def step_settings(folder: Path, project: Path, monkeypatch) -> list[str]:
    """The settings files the validation step reads, written in ``project`` (made the
    working folder) for the cohort in ``folder``."""
    from manuscript_engine.core.settings import settings_file, write_setting

    (project / "results/settings").mkdir(parents=True)
    monkeypatch.chdir(project)
    config = {"data_dir": folder.as_posix(), "study_package": "vertebroplasty"}
    settings = [settings_file("results/settings", key, config[key]) for key in config]
    for key, setting in zip(config, settings, strict=True):
        write_setting(config, key, setting)
    return settings


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_the_validation_step_shows_the_message_logs_it_and_writes_nothing(
    case, tmp_path, monkeypatch, capsys
):
    """The step as the build runs it (the build itself is tested with one bad cohort in
    test_integrity_build.py)."""
    from manuscript_engine.core.step_runner import StepFailed, run_in_process

    folder = bad_cohort(case, tmp_path / "cohort")
    settings = step_settings(folder, tmp_path / "project", monkeypatch)
    book = load_codebook(CODEBOOK)
    tables = [str(folder / f"{name}.csv") for name in book["tables"]]
    inputs = Files(
        tables=[t for t in tables if Path(t).exists()], codebook=str(CODEBOOK), settings=settings
    )
    outputs = Files(**{name: f"results/validated/{name}.csv" for name in book["tables"]})
    log = "results/logs/validate_cohort.log"
    with pytest.raises(StepFailed):
        run_in_process(
            "manuscript_engine.data.steps:validate_cohort", inputs, outputs, Files(), Files(), [log]
        )
    shown = capsys.readouterr().err
    assert "ERROR: The cohort data break " in shown
    assert f"{folder.as_posix()}/{EXPECTED[case]}" in shown
    assert "Traceback" not in shown
    assert f"{folder.as_posix()}/{EXPECTED[case]}" in Path(log).read_text()
    assert not list(Path("results/validated").glob("*.csv"))
