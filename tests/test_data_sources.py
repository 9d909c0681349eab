"""SPSS, Excel and REDCap sources give the CSV path's validated tables, and bad input
in each is named at its place in that source (file/sheet!cell, case and variable, line
and field), with nothing written to results/validated.

Every fixture is generated here from the shipped synthetic cohort (data/raw) with
devtools.export_cohort, then changed the way a real export goes wrong.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import CODEBOOK, REPO

from devtools.export_cohort import (
    export_excel,
    export_redcap,
    export_spss,
    read_cohort_text,
    spss_table,
    write_spss,
)
from manuscript_engine.core.settings import settings_file, write_setting
from manuscript_engine.core.yaml_files import load_yaml
from manuscript_engine.data.cohort import load_codebook, to_csv_text
from manuscript_engine.data.sources import source_files
from manuscript_engine.data.sources.read import validate_source
from manuscript_engine.data.steps import validate_cohort as first_step
from manuscript_engine.data.validation import CohortInvalid
from vertebroplasty.cross_table_rules import check_across_tables

BOOK = load_codebook(CODEBOOK)
LONGITUDINAL = load_yaml(REPO / "config/sources.yaml")["redcap"]
REPEATING = {"missing_codes": ["UNK"], "repeated": {"visits": {"instrument": "visits"}}}


@pytest.fixture(scope="module")
def cohort() -> dict[str, pd.DataFrame]:
    return read_cohort_text(REPO / "data/raw", BOOK)


@pytest.fixture(scope="module")
def few_patients(cohort) -> dict[str, pd.DataFrame]:
    """The cohort's first 15 enrolled patients (every table), for the quick bad-input cases."""
    kept = set(cohort["enrollment"]["patient_id"].iloc[:15])
    return {
        name: t[t["patient_id"].isin(kept)].reset_index(drop=True) for name, t in cohort.items()
    }


@pytest.fixture(scope="module")
def csv_tables() -> dict[str, str]:
    """The validated tables of the CSV path, as the first step writes them."""
    return written(validate_source({"data_dir": str(REPO / "data/raw")}, BOOK, check_across_tables))


def written(tables) -> dict[str, str]:
    return {
        name: to_csv_text(tables[name][list(spec["columns"])], spec["columns"])
        for name, spec in BOOK["tables"].items()
    }


def copy_tables(cohort):
    return {name: table.copy() for name, table in cohort.items()}


# --------------------------------------------------------------------------- writing sources
def spss_source(folder: Path, tables) -> dict:
    export_spss(tables, BOOK, folder / "spss")
    return {"data_source": "spss", "spss_dir": str(folder / "spss")}


def excel_source(folder: Path, tables) -> dict:
    export_excel(tables, BOOK, folder / "cohort.xlsx")
    return {"data_source": "excel", "excel_workbook": str(folder / "cohort.xlsx")}


def redcap_source(folder: Path, tables, mapping=LONGITUDINAL, layout="longitudinal") -> dict:
    export_redcap(tables, BOOK, mapping, folder / "redcap", layout)
    (folder / "config").mkdir(exist_ok=True)
    (folder / "config/sources.yaml").write_text(
        __import__("yaml").safe_dump({"redcap": mapping}), encoding="utf-8"
    )
    return {
        "data_source": "redcap",
        "redcap_records": str(folder / "redcap/records.csv"),
        "redcap_dictionary": str(folder / "redcap/dictionary.csv"),
    }


def run_first_step(folder: Path, settings: dict) -> None:
    """The DAG's first step (rule validate_cohort), run in ``folder`` as Snakemake would."""
    settings = {**settings, "study_package": "vertebroplasty"}
    paths = []
    for key, value in settings.items():
        path = settings_file(folder / "results/settings", key, value)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_setting(settings, key, path)
        paths.append(path)
    output = {n: str(folder / f"results/validated/{n}.csv") for n in BOOK["tables"]}
    (folder / "results/validated").mkdir(exist_ok=True)  # as Snakemake makes it
    first_step(SimpleNamespace(settings=paths, codebook=str(CODEBOOK)), output, None, None)


def validated(folder: Path) -> dict[str, str]:
    return {
        n: (folder / f"results/validated/{n}.csv").read_text(encoding="utf-8")
        for n in BOOK["tables"]
    }


# --------------------------------------------------------------------------- same tables
@pytest.mark.parametrize(
    "make",
    [
        spss_source,
        excel_source,
        redcap_source,
        lambda folder, tables: redcap_source(folder, tables, REPEATING, "repeating"),
    ],
    ids=["spss", "excel", "redcap-longitudinal", "redcap-repeating"],
)
def test_each_source_writes_the_csv_paths_validated_tables(
    make, cohort, csv_tables, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    run_first_step(tmp_path, make(tmp_path, cohort))
    assert validated(tmp_path) == csv_tables


def test_spss_user_missing_values_are_missing_and_counted(cohort, csv_tables, tmp_path, caplog):
    """A code the file declares missing (99 = not assessed) reads as an empty cell."""
    folder = tmp_path / "spss"
    export_spss(cohort, BOOK, folder)
    spec = BOOK["tables"]["procedure"]
    frame, labels = spss_table(cohort["procedure"], spec, BOOK)
    empty = frame["cement_ml"].isna()
    assert empty.sum() > 0  # the technical failures
    frame.loc[empty, "cement_ml"] = 99.0
    write_spss(frame, labels, spec, folder / "procedure.sav", missing_ranges={"cement_ml": [99]})
    with caplog.at_level(logging.INFO, logger="manuscript"):
        tables = validate_source({"data_source": "spss", "spss_dir": str(folder)}, BOOK)
    assert written(tables) == csv_tables
    assert f"procedure.sav: {empty.sum()} value(s) declared missing in SPSS" in caplog.text


def test_spss_labels_may_be_the_codes_or_their_labels_in_any_case(cohort, tmp_path):
    """1 labelled 'M' or 'male' is the code M (printed Male); 'Yes' is yes; 'none' is none."""
    folder = tmp_path / "spss"
    export_spss(cohort, BOOK, folder)
    expected = written(validate_source({"data_source": "spss", "spss_dir": str(folder)}, BOOK))
    for table, column, labels in [
        ("baseline", "sex", {1.0: "M", 2.0: "female"}),
        ("enrollment", "included", {1.0: "Yes", 0.0: "NO"}),
        (
            "procedure",
            "leakage_site",
            {
                1.0: "none",
                2.0: "Intervertebral disc",
                3.0: "PUNCTURE_PATH",
                4.0: "paravertebral space",
                5.0: "venous",
                6.0: "Spinal canal",
            },
        ),
    ]:
        spec = BOOK["tables"][table]
        frame, all_labels = spss_table(cohort[table], spec, BOOK)
        write_spss(frame, {**all_labels, column: labels}, spec, folder / f"{table}.sav")
    got = validate_source({"data_source": "spss", "spss_dir": str(folder)}, BOOK)
    assert written(got) == expected


def test_excel_numbers_typed_as_text_blank_rows_and_columns_are_read(cohort, csv_tables, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "cohort.xlsx"
    export_excel(cohort, BOOK, path)
    book = load_workbook(path)
    visits = book["visits"]
    visits["C2"].value = str(visits["C2"].value)  # a number stored as text
    visits.insert_rows(5)  # a blank row inside the data
    book["baseline"]["K1"].value = None  # a blank column far right
    book["followup"].append([])
    book.save(path)
    tables = validate_source({"data_source": "excel", "excel_workbook": str(path)}, BOOK)
    assert written(tables) == csv_tables


def test_redcap_missing_data_codes_count_only_when_declared(cohort, tmp_path):
    tables = copy_tables(cohort)
    tables["visits"].loc[tables["visits"].index[1], "odi"] = "UNK"
    settings = redcap_source(tmp_path, tables, REPEATING, "repeating")
    got = validate_source(settings, BOOK, sources_config=tmp_path / "config/sources.yaml")
    assert pd.isna(got["visits"].loc[1, "odi"])
    undeclared = {**REPEATING, "missing_codes": []}
    settings = redcap_source(tmp_path, tables, undeclared, "repeating")
    with pytest.raises(CohortInvalid) as error:
        validate_source(settings, BOOK, sources_config=tmp_path / "config/sources.yaml")
    assert (
        "records.csv line 4 (record P0001, visits instance 2), field odi: 'UNK' is not a "
        "whole number" in str(error.value)
    )


def test_the_rule_inputs_are_the_chosen_sources_files(tmp_path, cohort):
    settings = excel_source(tmp_path, cohort)
    assert source_files(settings, BOOK) == [settings["excel_workbook"]]
    settings = spss_source(tmp_path, cohort)
    assert len(source_files(settings, BOOK)) == len(BOOK["tables"])
    (tmp_path / "spss/visits.sav").unlink()  # reported by validation, in words
    assert f"{tmp_path}/spss/visits.sav" not in source_files(settings, BOOK)


# --------------------------------------------------------------------------- bad input
def spss_labels(table, column, new_labels):
    def make(folder, cohort):
        settings = spss_source(folder, cohort)
        spec = BOOK["tables"][table]
        frame, labels = spss_table(cohort[table], spec, BOOK)
        labels[column] = new_labels
        write_spss(frame, labels, spec, folder / f"spss/{table}.sav")
        return settings

    return make


def spss_frame(table, change, **more):
    def make(folder, cohort):
        settings = spss_source(folder, cohort)
        spec = BOOK["tables"][table]
        frame, labels = spss_table(cohort[table], spec, BOOK)
        frame = change(frame)
        write_spss(
            frame,
            {k: v for k, v in labels.items() if k in frame},
            spec,
            folder / f"spss/{table}.sav",
            **more,
        )
        return settings

    return make


def set_cell(frame, row, column, value):
    frame = frame.copy()
    if isinstance(value, str) and frame[column].dtype != object:
        frame[column] = frame[column].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    frame.loc[frame.index[row], column] = value
    return frame


def workbook(change):
    def make(folder, cohort):
        from openpyxl import load_workbook

        settings = excel_source(folder, cohort)
        book = load_workbook(settings["excel_workbook"])
        change(book)
        book.save(settings["excel_workbook"])
        return settings

    return make


def redcap_file(name, change, mapping=LONGITUDINAL, layout="longitudinal"):
    def make(folder, cohort):
        settings = redcap_source(folder, cohort, mapping, layout)
        path = folder / f"redcap/{name}.csv"
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        return settings

    return make


def replace_line(number, old, new):
    def change(text):
        lines = text.split("\n")
        assert old in lines[number - 1], lines[number - 1]
        lines[number - 1] = lines[number - 1].replace(old, new, 1)
        return "\n".join(lines)

    return change


def set_record_cell(number, column, value):
    """Line ``number`` of a CSV export with ``column`` set to ``value``."""

    def change(text):
        lines = text.split("\n")
        position = lines[0].split(",").index(column)
        cells = lines[number - 1].split(",")
        cells[position] = value
        lines[number - 1] = ",".join(cells)
        return "\n".join(lines)

    return change


def drop_line(number):
    def change(text):
        lines = text.split("\n")
        return "\n".join(lines[: number - 1] + lines[number:])

    return change


def formula(book):
    book["procedure"]["C2"].value = "=B2*2"


BAD = {
    # SPSS: the value labels are the codebook's codes
    "spss_unknown_label": (
        spss_labels("enrollment", "arm", {1.0: "PVP + ITR", 2.0: "PVP"}),
        (
            "enrollment.sav, case ",
            ", variable arm: the value 1 is labelled 'PVP + ITR', which data/codebook.yaml does "
            "not have for this column. Correct the label in SPSS (Variable View > Values): use "
            "one of: PVP+ITR, PVP. Did you mean 'PVP+ITR'? The same value is in case(s) ",
        ),
    ),
    "spss_code_without_label": (
        spss_frame("baseline", lambda f: set_cell(f, 2, "sex", 3.0)),
        "baseline.sav, case 3 (patient_id P0003), variable sex: the value 3 has no value label",
    ),
    # numbers stored without any value labels: label them, rather than "not allowed"
    "spss_codes_without_any_labels": (
        spss_labels("baseline", "sex", {}),
        "variable sex: the value 1 is a number, but the variable has no value labels in SPSS, "
        "so it names no value of data/codebook.yaml. Label the values in SPSS (Variable View > "
        "Values): use one of: Male, Female (or the codes M, F). The same value is in case(s) ",
    ),
    "spss_boolean_label": (
        spss_labels("followup", "died", {1.0: "dead", 0.0: "alive"}),
        "followup.sav, case 1 (patient_id P0001), variable died: the value ",
    ),
    "spss_text_in_number": (
        spss_frame("baseline", lambda f: set_cell(f, 0, "age_years", "forty")),
        "baseline.sav, case 1 (patient_id P0001), variable age_years: 'forty' is not a whole "
        "number.",
    ),
    "spss_out_of_range": (
        spss_frame("visits", lambda f: set_cell(f, 2, "vas", 11.0)),
        "visits.sav, case 3 (patient_id P0001, visit m01), variable vas: 11 is above the "
        "maximum 10.",
    ),
    "spss_date_format": (
        spss_frame("baseline", lambda f: f, variable_format={"age_years": "DATE11"}),
        "baseline.sav, variable age_years: the variable has the date format DATE11 in SPSS",
    ),
    "spss_missing_variable": (
        spss_frame("procedure", lambda f: f.drop(columns="hospital_days")),
        "procedure.sav, variable hospital_days: the required column is missing.",
    ),
    "spss_missing_file": (
        lambda folder, cohort: (
            spss_source(folder, cohort),
            (folder / "spss/followup.sav").unlink(),
        )[0],
        "followup.sav: the file is missing. Save the table from SPSS",
    ),
    # Excel: sheet and cell
    "excel_text_in_number": (
        workbook(lambda b: b["visits"].__setitem__("C3", "seven")),
        "cohort.xlsx, cell visits!C3 (column vas): 'seven' is not a number.",
    ),
    "excel_number_text_with_space": (
        workbook(lambda b: b["visits"].__setitem__("D3", " 40")),
        "cohort.xlsx, cell visits!D3 (column odi): ' 40' has spaces before or after it.",
    ),
    "excel_merged_cells": (
        workbook(lambda b: b["enrollment"].merge_cells("C2:D2")),
        "cohort.xlsx, cells enrollment!C2:D2: merged cells hold one value for several cells",
    ),
    "excel_formula_without_value": (
        workbook(formula),
        "cohort.xlsx, cell procedure!C2: the formula has no saved value",
    ),
    "excel_date_in_number": (
        workbook(
            lambda b: b["baseline"].__setitem__("B2", __import__("datetime").datetime(2009, 3, 1))
        ),
        "cohort.xlsx, cell baseline!B2 (column age_years): the cell holds a date or time "
        "(2009-03-01T00:00:00)",
    ),
    "excel_missing_sheet": (
        workbook(lambda b: b.remove(b["followup"])),
        "the workbook has no sheet named 'followup'",
    ),
    "excel_wrong_header": (
        workbook(lambda b: b["visits"].__setitem__("C1", "VAS score")),
        "cohort.xlsx, sheet visits header row 1, column vas: the required column is missing",
    ),
    "excel_value_without_header": (
        workbook(lambda b: b["visits"].__setitem__("H4", "see notes")),
        "cohort.xlsx, cell visits!H4: the cell holds 'see notes' but its column has no header",
    ),
    "excel_code_not_in_codebook": (
        workbook(lambda b: b["baseline"].__setitem__("C2", "Female")),
        "cohort.xlsx, cell baseline!C2 (column sex): 'Female' is not an allowed value. Use "
        "one of: M, F.",
    ),
    # REDCap: the dictionary against the codebook, then the records
    "redcap_choice_mismatch": (
        redcap_file("dictionary", replace_line(3, "1, PVP+ITR", "1, PVP-ITR")),
        "dictionary.csv line 3, field arm: the choice '1, PVP-ITR' has a label data/codebook.yaml "
        "does not have for this column. Correct it in REDCap (or the codebook): use one of: "
        "PVP+ITR, PVP. Did you mean 'PVP+ITR'?",
    ),
    "redcap_choice_missing": (
        redcap_file("dictionary", replace_line(3, " | 2, PVP", "")),
        "dictionary.csv line 3, field arm: the codebook's value 'PVP' has no choice in the data "
        "dictionary",
    ),
    "redcap_range_mismatch": (
        redcap_file("dictionary", replace_line(16, "number,0,10", "number,0,100")),
        "dictionary.csv line 16, field vas: the validation maximum is 100, but the codebook's "
        "max is 10.",
    ),
    "redcap_missing_field": (
        redcap_file("dictionary", drop_line(18)),
        "dictionary.csv, field kps: the codebook's column has no field in the data dictionary",
    ),
    "redcap_wrong_field_type": (
        redcap_file("dictionary", replace_line(6, "integer,18,100", ",18,100")),
        "dictionary.csv line 6, field age_years: the field type is 'text' without validation, "
        "but the codebook column is an integer. Set its validation to integer.",
    ),
    "redcap_checkbox_field": (
        redcap_file(
            "dictionary", replace_line(23, "died,followup,,yesno,", "died,followup,,checkbox,")
        ),
        "dictionary.csv line 23, field died: a checkbox field holds several answers, but the "
        "codebook column holds one value. Make it a radio or dropdown field.",
    ),
    "redcap_code_not_a_choice": (
        redcap_file("records", set_record_cell(2, "arm", "7")),
        "records.csv line 2 (record P0001, event enrolment_arm_1), field arm: '7' is not a "
        "choice of this field in the data dictionary (choices: 1, 2).",
    ),
    # records exported as labels rather than raw codes: the export to choose instead
    "redcap_records_exported_as_labels": (
        redcap_file("records", set_record_cell(2, "arm", "PVP+ITR")),
        "field arm: 'PVP+ITR' is not a choice of this field in the data dictionary (choices: "
        "1, 2). The records hold the choice codes only when exported as raw data: if they were "
        "exported as labels, export them again with 'CSV / Microsoft Excel (raw data)'.",
    ),
    "redcap_unknown_event": (
        redcap_file("records", replace_line(4, "discharge_arm_1", "dischrage_arm_1")),
        "records.csv line 4 (record P0001, event dischrage_arm_1), field redcap_event_name: the "
        "event 'dischrage_arm_1' is not in config/sources.yaml",
    ),
    "redcap_field_in_wrong_event": (
        redcap_file("records", set_record_cell(3, "arm", "2")),
        "records.csv line 3 (record P0001, event preop_arm_1), field arm: the field has a value "
        "(2) in a row where it does not belong",
    ),
    "redcap_duplicate_instance": (
        redcap_file("records", replace_line(4, "visits,2,", "visits,1,"), REPEATING, "repeating"),
        "records.csv line 4 (record P0001, visits instance 1), field redcap_repeat_instance: "
        "record P0001 has instance 1 of visits twice (lines 3 and 4)",
    ),
    "redcap_out_of_range": (
        redcap_file("records", set_record_cell(3, "kps", "65")),
        "records.csv line 3 (record P0001, event preop_arm_1), field kps: 65 is not on the "
        "scale's steps of 10.",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_named_at_its_place_and_nothing_is_written(
    case, few_patients, tmp_path, monkeypatch
):
    make, expected = BAD[case]
    monkeypatch.chdir(tmp_path)
    settings = make(tmp_path, copy_tables(few_patients))
    with pytest.raises(CohortInvalid) as error:
        run_first_step(tmp_path, settings)
    for part in [expected] if isinstance(expected, str) else expected:
        assert part in str(error.value)
    assert "Nothing was built" in str(error.value)
    assert list((tmp_path / "results/validated").iterdir()) == []


def test_an_event_renamed_in_redcap_is_named_once_not_on_every_row(
    few_patients, tmp_path, monkeypatch
):
    """A renamed event touches a row of every patient: one message, at its first row."""
    monkeypatch.chdir(tmp_path)
    rename = redcap_file("records", lambda text: text.replace("month_1_arm_1", "month_01_arm_1"))
    settings = rename(tmp_path, copy_tables(few_patients))
    rows = (tmp_path / "redcap/records.csv").read_text().count("month_01_arm_1")
    with pytest.raises(CohortInvalid) as error:
        run_first_step(tmp_path, settings)
    assert rows > 1
    assert str(error.value).count("the event 'month_01_arm_1' is not in config/sources.yaml") == 1
    assert "every row of this event is refused until it is. Did you mean 'month_1_arm_1'?" in str(
        error.value
    )


def test_the_shipped_mapping_names_every_visit_of_the_cohort(cohort):
    """config/sources.yaml maps an event to each visit the synthetic cohort holds."""
    events = LONGITUDINAL["repeated"]["visits"]["events"]
    assert set(cohort["visits"]["visit"]) <= set(events.values())
    assert len(set(events.values())) == len(events)


def test_export_command_writes_a_synthetic_labelled_spss_file(tmp_path):
    import pyreadstat

    from devtools.export_cohort import main

    main(["--to", "spss", str(tmp_path / "out"), "--data", str(REPO / "data/raw")])
    _, meta = pyreadstat.read_sav(str(tmp_path / "out/enrollment.sav"), metadataonly=True)
    assert meta.file_label.startswith("SYNTHETIC")
    assert meta.variable_value_labels["arm"] == {1.0: "PVP+ITR", 2.0: "PVP"}
    shutil.rmtree(tmp_path / "out")


# --------------------------------------------------------------------------- whole build
@pytest.mark.e2e
def test_each_source_builds_the_same_manuscript_and_an_edit_rebuilds(built_repo, tmp_path):
    """The manuscript from SPSS, Excel and REDCap exports of the shipped cohort is the CSV
    build's, byte for byte; and an edited source file reruns the first step (no stale data).
    Each build stops at the Markdown (the other formats are made from it alone); one copy
    of the built repository serves all three."""
    from conftest import copy_built, run_snakemake

    workdir = copy_built(built_repo, tmp_path / "repo")
    cohort = read_cohort_text(workdir / "data/raw", BOOK)
    export = workdir / "data/export"
    sources = {
        "spss": spss_source(export, cohort),
        "excel": excel_source(export, cohort),
        "redcap": redcap_source(export, cohort),
    }
    shutil.copy(REPO / "config/sources.yaml", workdir / "config/sources.yaml")
    expected = {
        name: (built_repo / "results" / name).read_bytes()
        for name in ["manuscript/manuscript.md", *(f"validated/{t}.csv" for t in BOOK["tables"])]
    }
    for source, settings in sources.items():
        relative = [
            f"{k}={Path(v).relative_to(workdir) if '/' in v else v}" for k, v in settings.items()
        ]
        result = run_snakemake(workdir, "results/manuscript/manuscript.md", "--config", *relative)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"({source}) is valid" in (workdir / "results/logs/validate_cohort.log").read_text()
        for name, content in expected.items():
            assert (workdir / "results" / name).read_bytes() == content, (source, name)
    from openpyxl import load_workbook

    book = load_workbook(sources["excel"]["excel_workbook"])
    book["visits"]["C2"].value = 7.5
    book.save(sources["excel"]["excel_workbook"])
    relative = [
        f"{k}={Path(v).relative_to(workdir) if '/' in v else v}"
        for k, v in sources["excel"].items()
    ]
    result = run_snakemake(workdir, "-n", "--config", *relative)
    assert result.returncode == 0, result.stderr
    assert "validate_cohort" in result.stdout
