"""Codes that mean "missing" (the codebook's ``missing_codes``) become empty cells before
the type checks, are counted per column, and are refused where a value is required."""

from __future__ import annotations

import shutil

import pytest
from conftest import CODEBOOK, REPO

from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.data.validation import CohortInvalid, missing_codes, validate_cohort
from vertebroplasty.cross_table_rules import check_across_tables

SMALL = REPO / "tests/data/cohort_small"


def cohort_with(tmp_path, table: str, old: str, new: str):
    folder = shutil.copytree(SMALL, tmp_path / "cohort")
    path = folder / f"{table}.csv"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return folder


def test_a_declared_code_becomes_missing_and_is_counted_by_code(tmp_path):
    folder = cohort_with(tmp_path, "visits", "P0001,m01,3.0,23,60", "P0001,m01,-9,-8,")
    tables = validate_cohort(folder, load_codebook(CODEBOOK), check_across_tables)
    visits = tables["visits"]
    row = visits[(visits["patient_id"] == "P0001") & (visits["visit"] == "m01")].iloc[0]
    assert row[["vas", "odi", "kps"]].isna().all()
    gaps = visits.attrs["missing"]
    assert gaps["vas"] == {"coded -9 (not assessed)": 1}
    assert gaps["odi"] == {"coded -8 (unable to answer)": 1}
    assert gaps["kps"] == {"empty": 1}
    assert "patient_id" not in gaps


def test_a_code_in_a_required_column_names_file_line_column_value_and_rule(tmp_path):
    folder = cohort_with(tmp_path, "baseline", "P0002,46,M", "P0002,-9,M")
    with pytest.raises(CohortInvalid) as excinfo:
        validate_cohort(folder, load_codebook(CODEBOOK), check_across_tables)
    message = str(excinfo.value)
    assert (
        "baseline.csv line 3, column age_years: '-9' is the code for a missing value "
        "(not assessed), but this column may not be missing" in message
    )
    assert "below the minimum" not in message  # one message per cell


def test_a_column_override_replaces_the_default_and_an_empty_override_disables_it():
    book = {"missing_codes": {"-9": "not assessed"}}
    assert missing_codes(book, {}) == {"-9": "not assessed"}
    assert missing_codes(book, {"missing_codes": {"99": "not applicable"}}) == {
        "99": "not applicable"
    }
    assert missing_codes(book, {"missing_codes": {}}) == {}


def test_an_undeclared_code_is_still_an_ordinary_bad_value(tmp_path):
    folder = cohort_with(tmp_path, "visits", "P0001,m01,3.0,23,60", "P0001,m01,-7,23,60")
    with pytest.raises(CohortInvalid) as excinfo:
        validate_cohort(folder, load_codebook(CODEBOOK), check_across_tables)
    assert "column vas: -7 is below the minimum 0" in str(excinfo.value)


def test_the_validation_step_logs_missing_cells_per_column_and_code(tmp_path, monkeypatch, caplog):
    from test_validation import Files, step_settings

    from manuscript_engine.data.steps import validate_cohort as step

    folder = cohort_with(tmp_path, "visits", "P0001,m01,3.0,23,60", "P0001,m01,-9,,60")
    project = tmp_path / "project"
    settings = step_settings(folder, project, monkeypatch)
    book = load_codebook(CODEBOOK)
    (project / "results/validated").mkdir()
    outputs = Files(**{name: f"results/validated/{name}.csv" for name in book["tables"]})
    with caplog.at_level("INFO", logger="manuscript"):
        step(Files(codebook=str(CODEBOOK), settings=settings), outputs, None, None)
    assert "missing in visits.csv, column vas: 1 coded -9 (not assessed)" in caplog.text
    assert "missing in visits.csv, column odi: 1 empty" in caplog.text
    assert "column kps" not in caplog.text
    written = (project / "results/validated/visits.csv").read_text()
    assert "P0001,m01,,,60" in written  # the code is gone from what the analysis reads
