"""A large cohort's heavy steps take turns; a small one's run side by side."""

from __future__ import annotations

from manuscript_engine.core import heavy_jobs
from manuscript_engine.core.heavy_jobs import heavy_units


def test_small_cohort_asks_for_no_heavy_unit(tmp_path):
    (tmp_path / "a.csv").write_text("x\n" * 10)
    assert heavy_units(tmp_path, ["a.csv", "missing.csv"]) == 0


def test_files_adding_up_past_the_threshold_ask_for_one(tmp_path, monkeypatch):
    monkeypatch.setattr(heavy_jobs, "LARGE_COHORT_BYTES", 30)
    (tmp_path / "a.csv").write_text("x" * 20)
    (tmp_path / "b.csv").write_text("y" * 10)
    assert heavy_units(tmp_path, ["a.csv"]) == 0
    assert heavy_units(tmp_path, ["a.csv", "b.csv"]) == 1


def test_a_missing_data_folder_counts_as_empty(tmp_path):
    assert heavy_units(tmp_path / "nowhere", ["a.csv"]) == 0
