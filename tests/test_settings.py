"""Settings reach rules as files: written when they change, left alone when they do not."""

from __future__ import annotations

import json
import os

from vertebroplasty.settings import read_settings, write_settings

CONFIG = {"audit_strict": True, "manuscript": {"date": "2026-11-27"}, "data_dir": "data/raw"}


def test_each_top_level_setting_gets_its_own_file_and_reads_back(tmp_path):
    write_settings(CONFIG, tmp_path)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["audit_strict.json", "data_dir.json", "manuscript.json"]
    assert read_settings(tmp_path / name for name in files) == CONFIG


def test_an_unchanged_setting_keeps_its_file_untouched(tmp_path):
    write_settings(CONFIG, tmp_path)
    path = tmp_path / "manuscript.json"
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    write_settings(dict(CONFIG), tmp_path)
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_a_changed_setting_replaces_only_its_own_file(tmp_path):
    write_settings(CONFIG, tmp_path)
    for path in tmp_path.iterdir():
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    write_settings({**CONFIG, "audit_strict": False}, tmp_path)
    assert json.loads((tmp_path / "audit_strict.json").read_text()) is False
    assert (tmp_path / "audit_strict.json").stat().st_mtime_ns != 1_000_000_000
    assert (tmp_path / "manuscript.json").stat().st_mtime_ns == 1_000_000_000
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_the_file_does_not_depend_on_the_order_of_keys(tmp_path):
    write_settings({"manuscript": {"b": 1, "a": 2}}, tmp_path / "one")
    write_settings({"manuscript": {"a": 2, "b": 1}}, tmp_path / "two")
    assert (tmp_path / "one/manuscript.json").read_bytes() == (
        tmp_path / "two/manuscript.json"
    ).read_bytes()
