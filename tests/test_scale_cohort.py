"""Larger cohorts for the benchmark keep the schema and pass validation."""

from conftest import CODEBOOK

from devtools.scale_cohort import scale_cohort
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.data.validation import validate_cohort
from vertebroplasty.cross_table_rules import check_across_tables


def test_a_scaled_cohort_is_valid_with_new_unique_ids(tmp_path):
    scale_cohort(400, tmp_path)
    tables = validate_cohort(tmp_path, load_codebook(CODEBOOK), check_across_tables)
    enrollment = tables["enrollment"]
    assert len(enrollment) == 400
    assert enrollment["patient_id"].is_unique
    assert enrollment["patient_id"].str.startswith("S").all()
    included = set(enrollment.loc[enrollment["included"] == "yes", "patient_id"])
    assert set(tables["baseline"]["patient_id"]) == included
    assert set(tables["visits"]["patient_id"]) == included


def test_scaling_is_seeded(tmp_path):
    scale_cohort(50, tmp_path / "a")
    scale_cohort(50, tmp_path / "b")
    for name in ("enrollment.csv", "visits.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
