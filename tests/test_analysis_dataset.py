"""Whole-column derivations and the dataset's CSV text, against their plain definitions."""

from __future__ import annotations

import io
import itertools
import math
import random

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import CODEBOOK, REPO

from manuscript_engine.data.analysis_dataset import float_text
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.data.vocabulary import visit_month
from vertebroplasty.derived import asia_groups, paraplegia_outcomes, visit_months

BOOK = load_codebook(CODEBOOK)

GRADES = "ABCDE"


def outcome_of(before: str, after: str) -> str:
    """The paper's categories, one patient at a time."""
    if before == "E":
        return "not_paraplegic"
    if after == "E":
        return "full_recovery"
    if GRADES.index(after) > GRADES.index(before):
        return "improved"
    return "unchanged" if after == before else "deteriorated"


def test_paraplegia_outcome_of_every_pair_of_grades():
    pairs = list(itertools.product(GRADES, repeat=2))
    before = pd.Series([b for b, _ in pairs], index=range(100, 125))
    after = pd.Series([a for _, a in pairs], index=range(100, 125))
    result = paraplegia_outcomes(before, after, BOOK)
    assert list(result.index) == list(before.index)
    assert list(result) == [outcome_of(b, a) for b, a in pairs]
    assert set(result) == {
        "not_paraplegic",
        "full_recovery",
        "improved",
        "unchanged",
        "deteriorated",
    }


def test_asia_groups_cover_every_grade():
    assert asia_groups(BOOK) == {"A": "A", "B": "B-D", "C": "B-D", "D": "B-D", "E": "E"}


def test_visit_months_of_a_column():
    visits = pd.Series(
        ["preop", "discharge", "m01", "m12", "m24", "m01"], index=[5, 6, 7, 8, 9, 10]
    )
    months = visit_months(visits, BOOK)
    named = {"preop": 0, "discharge": 0}
    assert list(months) == [visit_month(v, named) for v in visits] == [0, 0, 1, 12, 24, 1]
    assert list(months.index) == list(visits.index)


def csv_of(column: pd.Series) -> str:
    return column.to_frame("x").to_csv(index=False, lineterminator="\n")


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.5, math.nan, -0.0, 0.1, 1e-7, 1e16, 123456.789, 3.0],
        [math.nan, math.nan],
        [random.Random(7).uniform(-1000, 1000) for _ in range(500)],
        list(np.round(np.random.default_rng(3).normal(50, 20, 500), 2)),
    ],
)
def test_float_text_writes_the_same_csv_as_pandas(values):
    column = pd.Series(values, dtype="float64")
    assert csv_of(float_text(column)) == csv_of(column)
    back = pd.read_csv(io.StringIO(csv_of(float_text(column))))["x"]
    pd.testing.assert_series_equal(back, column.rename("x"), check_exact=True)


def test_a_gap_between_pain_categories_is_named_in_the_codebook():
    from manuscript_engine.core.errors import ManuscriptError
    from vertebroplasty.derived import pain_categories

    gap = {
        "pain_category": {
            "categories": {"good": {"min": 0, "max": 4}, "fair": {"min": 5, "max": 10}}
        }
    }
    with pytest.raises(
        ManuscriptError, match="VAS 4.5 occurs in the data but falls in no category"
    ):
        pain_categories(pd.Series([4.5]), gap)


def test_a_table_asking_for_decimals_the_config_lacks_says_which():
    from manuscript_engine.core.errors import ManuscriptError
    from manuscript_engine.stats.steps import Decimals

    decimals = Decimals({"percent": 1})
    assert decimals["percent"] == 1
    with pytest.raises(ManuscriptError, match="decimals has no entry for 'rfs_months'"):
        decimals["rfs_months"]


def test_boolean_columns_are_told_from_their_values_and_types():
    from manuscript_engine.data.analysis_dataset import is_boolean_column

    assert is_boolean_column(pd.Series([True, False, True]))
    assert is_boolean_column(pd.Series([True, None, np.bool_(False)], dtype=object))
    assert is_boolean_column(pd.Series([True, pd.NA], dtype="boolean"))
    assert not is_boolean_column(pd.Series([None, None], dtype=object))
    assert not is_boolean_column(pd.Series([True, "yes"], dtype=object))
    assert not is_boolean_column(pd.Series([1.0, 0.0]))
    assert not is_boolean_column(pd.Series(["yes", "no"]))


def test_written_booleans_read_back_as_booleans_beside_missing_cells(tmp_path):
    from manuscript_engine.data.analysis_dataset import _parse_patients, write_patients

    frame = pd.DataFrame(
        {"died": [True, False, None], "vas": [1.5, None, 2.0], "arm": ["A", "B", "A"]},
        index=pd.Index(["P1", "P2", "P3"], name="patient_id"),
    )
    write_patients(frame, tmp_path / "patients.csv")
    text = (tmp_path / "patients.csv").read_text()
    assert text == "patient_id,died,vas,arm\nP1,yes,1.5,A\nP2,no,,B\nP3,,2.0,A\n"
    back = _parse_patients(tmp_path / "patients.csv")
    assert back["died"].tolist()[:2] == [True, False] and pd.isna(back["died"].iloc[2])


def test_only_columns_of_nothing_but_yes_and_no_become_booleans(tmp_path):
    """pandas' reader decides per column: a column mixing yes with other texts, or
    spelling it otherwise, keeps its texts."""
    from manuscript_engine.data.analysis_dataset import _parse_patients

    path = tmp_path / "patients.csv"
    path.write_text(
        "patient_id,all,gappy,mixed,capital,empty,count\n"
        "P1,yes,yes,yes,Yes,,1\nP2,no,,maybe,no,,2\nP3,yes,no,no,no,,3\n"
    )
    frame = _parse_patients(path)
    assert frame["all"].dtype == bool and frame["all"].tolist() == [True, False, True]
    assert frame["gappy"].tolist()[::2] == [True, False] and pd.isna(frame["gappy"].iloc[1])
    assert frame["mixed"].tolist() == ["yes", "maybe", "no"]
    assert frame["capital"].tolist() == ["Yes", "no", "no"]
    assert frame["empty"].isna().all() and frame["count"].tolist() == [1, 2, 3]
    assert frame.index.tolist() == ["P1", "P2", "P3"]


def test_the_arm_column_is_categorical_in_the_codebook_order_unless_a_code_is_unknown(tmp_path):
    from manuscript_engine.data.analysis_dataset import read_patients

    path = tmp_path / "patients.csv"
    path.write_text("patient_id,arm,vas\nP1,PVP,1\nP2,PVP+ITR,2\nP3,PVP,3\n")
    codebook = {
        "arms": {
            "column": "arm",
            "groups": [{"key": "itr", "code": "PVP+ITR"}, {"key": "pvp", "code": "PVP"}],
        }
    }
    frame = read_patients(path, codebook)
    assert list(frame["arm"].cat.categories) == ["PVP+ITR", "PVP"]
    assert frame["arm"].tolist() == ["PVP", "PVP+ITR", "PVP"]
    assert (frame["arm"] == "PVP").tolist() == [True, False, True]
    assert read_patients(path)["arm"].dtype != "category"  # without a codebook: as read
    path.write_text("patient_id,arm,vas\nP1,PVP,1\nP2,other,2\n")
    assert read_patients(path, codebook)["arm"].tolist() == ["PVP", "other"]


def test_every_table_is_the_same_from_the_frame_the_steps_read(tmp_path):
    """Categorical patients and arms change no table: the frame the study built and the
    frame read back give the same Markdown and the same numbers, to the last bit."""
    from manuscript_engine.core.step_runner import load_step, study_layout
    from manuscript_engine.data.analysis_dataset import read_patients, write_patients
    from manuscript_engine.data.cohort import load_codebook
    from manuscript_engine.stats.steps import Decimals
    from vertebroplasty.analysis_dataset import build_patients

    book = load_codebook(CODEBOOK)
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    built = build_patients(REPO / "data/raw", book)
    write_patients(built, tmp_path / "patients.csv")
    read = read_patients(tmp_path / "patients.csv", book)
    assert isinstance(read.index, pd.CategoricalIndex) and read["arm"].dtype == "category"
    for name, spec in study_layout("vertebroplasty").TABLES.items():
        table = load_step(spec)
        results = [
            table(frame, config["statistics"], Decimals(config["decimals"]), codebook=book)
            for frame in (built, read)
        ]
        assert results[0].markdown == results[1].markdown, name
        first, second = ([(n.key, repr(n.value), n.text, n.n) for n in r.numbers] for r in results)
        assert first == second, name
        assert results[0].tidy.to_csv() == results[1].tidy.to_csv(), name
