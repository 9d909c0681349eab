"""Settings reach rules as files: written when they change, left alone when they do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.settings import (
    discard_altered_settings,
    read_settings,
    settings_file,
    write_setting,
)

CONFIG = {"audit_strict": True, "manuscript": {"date": "2026-11-27"}, "data_dir": "data/raw"}


def write_all(config: dict, folder) -> list[str]:
    paths = [settings_file(folder, key, value) for key, value in config.items()]
    for key, path in zip(config, paths, strict=True):
        write_setting(config, key, path)
    return paths


def test_each_setting_gets_a_file_named_for_its_value_and_reads_back(tmp_path):
    paths = write_all(CONFIG, tmp_path)
    assert [path.rsplit("/", 1)[1].split("-")[0] for path in paths] == list(CONFIG)
    assert read_settings(paths) == CONFIG


def test_a_changed_value_is_a_different_file(tmp_path):
    same = settings_file(tmp_path, "audit_strict", True)
    assert settings_file(tmp_path, "audit_strict", True) == same
    assert settings_file(tmp_path, "audit_strict", False) != same


def test_the_file_does_not_depend_on_the_order_of_keys(tmp_path):
    one = settings_file(tmp_path, "manuscript", {"b": 1, "a": 2})
    assert one == settings_file(tmp_path, "manuscript", {"a": 2, "b": 1})


def test_a_settings_file_edited_by_hand_is_refused_when_read(tmp_path):
    [path] = write_all({"audit_strict": True}, tmp_path)
    Path(path).write_text("false\n")
    with pytest.raises(ManuscriptError, match="was changed by hand"):
        read_settings([path])


def test_a_setting_changed_during_the_build_is_not_written_under_the_old_name(tmp_path):
    path = settings_file(tmp_path, "audit_strict", True)
    with pytest.raises(ManuscriptError, match="does not hold the current value"):
        write_setting({"audit_strict": False}, "audit_strict", path)
    assert not Path(path).exists()


def test_altered_settings_files_are_discarded_and_intact_ones_kept(tmp_path):
    kept, altered = write_all({"data_dir": "data/raw", "audit_strict": True}, tmp_path)
    Path(altered).write_text("false\n")
    assert discard_altered_settings(tmp_path) == [Path(altered).as_posix()]
    assert Path(kept).exists()
    assert not Path(altered).exists()


# --------------------------------------------------------------------------- the check
def checked_config(**manuscript) -> dict:
    """The shipped config/config.yaml with the manuscript settings replaced."""
    import yaml
    from conftest import REPO

    config = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
    config["manuscript"] = manuscript
    return config


def test_an_impossible_manuscript_date_is_refused_by_the_config_check():
    import pytest
    from conftest import REPO

    from manuscript_engine.core.settings import ConfigInvalid, check_config

    schema = REPO / "workflow/manuscript_engine/core/schemas/config.schema.yaml"
    check_config(checked_config(date="2028-02-29"), schema)  # a leap day is a real date
    for date in ("2026-02-30", "2026-13-01", "27-11-2026"):
        with pytest.raises(ConfigInvalid) as excinfo:
            check_config(checked_config(date=date), schema)
        assert str(excinfo.value) == (
            "The build settings are not valid:\n"
            f"  - config/config.yaml, key 'manuscript.date': {date} is not a real date; "
            "write it as YYYY-MM-DD."
        )


def config_message(**changes) -> str:
    """The config check's message for the shipped config with ``changes`` (None: removed)."""
    from conftest import REPO

    from manuscript_engine.core.settings import ConfigInvalid, check_config

    config = checked_config(date="2026-11-27")
    for key, value in changes.items():
        if value is None:
            del config[key]
        else:
            config[key] = value
    with pytest.raises(ConfigInvalid) as excinfo:
        check_config(config, REPO / "workflow/manuscript_engine/core/schemas/config.schema.yaml")
    return str(excinfo.value)


def test_data_dir_is_needed_only_when_the_cohort_is_read_from_csv():
    """A user who swaps data_dir for spss_dir, as the README's table suggests, is not
    asked for a CSV folder the build will not read."""
    from conftest import REPO

    from manuscript_engine.core.settings import check_config

    config = {**checked_config(date="2026-11-27"), "data_source": "spss", "spss_dir": "s"}
    del config["data_dir"]
    check_config(config, REPO / "workflow/manuscript_engine/core/schemas/config.schema.yaml")
    assert config_message(data_source="csv", data_dir=None).splitlines()[1:] == [
        "  - config/config.yaml: the setting data_dir is missing; add it."
    ]


def test_a_misspelt_setting_names_the_key_and_the_closest_setting():
    config = checked_config(date="2026-11-27")
    message = config_message(dat_dir=config["data_dir"], data_dir=None)
    assert (
        "  - config/config.yaml, key 'dat_dir': not a known setting. Did you mean 'data_dir'? "
    ) in message


def test_a_word_typed_on_the_command_line_for_a_switch_names_the_key():
    """`snakemake --config synthetic_cohort=maybe` passes the text 'maybe'."""
    assert config_message(synthetic_cohort="maybe").splitlines()[1:] == [
        "  - config/config.yaml, key 'synthetic_cohort': must be true or false, found 'maybe'."
    ]


def test_true_and_false_typed_on_the_command_line_are_switches():
    from conftest import REPO

    from manuscript_engine.core.settings import check_config

    config = {**checked_config(date="2026-11-27"), "audit_strict": "false"}
    check_config(config, REPO / "workflow/manuscript_engine/core/schemas/config.schema.yaml")
    assert config["audit_strict"] is False


def test_a_missing_setting_is_named():
    assert config_message(data_dir=None).splitlines()[1:] == [
        "  - config/config.yaml: the setting data_dir is missing; add it."
    ]


# --------------------------------------------------------------------------- remembered
SCHEMA = "workflow/manuscript_engine/core/schemas/config.schema.yaml"


def test_settings_that_passed_are_not_checked_again_until_they_or_the_schema_change(
    tmp_path, monkeypatch
):
    """A build with nothing to do spares jsonschema's import and check; any change of
    the settings or of the schema checks them again."""
    import shutil

    from conftest import REPO

    from manuscript_engine.core import settings

    passed = tmp_path / "passed.json"
    schema = tmp_path / "config.schema.yaml"
    shutil.copy(REPO / SCHEMA, schema)
    checks = []
    problems = settings._problems
    monkeypatch.setattr(settings, "_problems", lambda *a: checks.append(a) or problems(*a))
    config = checked_config(date="2026-11-27")
    settings.check_config(config, schema, passed=passed)
    settings.check_config(checked_config(date="2026-11-27"), schema, passed=passed)
    assert len(checks) == 1
    settings.check_config(checked_config(date="2026-11-28"), schema, passed=passed)
    assert len(checks) == 2
    schema.write_text(schema.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    settings.check_config(checked_config(date="2026-11-27"), schema, passed=passed)
    assert len(checks) == 3


def test_settings_that_failed_are_never_remembered(tmp_path):
    from conftest import REPO

    from manuscript_engine.core.settings import ConfigInvalid, check_config

    passed = tmp_path / "passed.json"
    for _ in range(2):
        with pytest.raises(ConfigInvalid, match="is not a real date"):
            check_config(checked_config(date="2026-02-30"), REPO / SCHEMA, passed=passed)
    assert not passed.exists()


def test_a_damaged_record_of_passed_settings_is_ignored(tmp_path):
    """The record is a cache: text that is not its list checks the settings again."""
    from conftest import REPO

    from manuscript_engine.core.settings import ConfigInvalid, check_config

    passed = tmp_path / "passed.json"
    for damage in ("{not json", '{"a": 1}', "[1, 2]"):
        passed.write_text(damage, encoding="utf-8")
        with pytest.raises(ConfigInvalid):
            check_config(checked_config(date="2026-02-30"), REPO / SCHEMA, passed=passed)
        check_config(checked_config(date="2026-11-27"), REPO / SCHEMA, passed=passed)
    assert len(json.loads(passed.read_text(encoding="utf-8"))) == 1


def test_a_setting_json_cannot_write_as_itself_is_checked_every_time(tmp_path):
    """A YAML date would have the JSON text of the string that spells it: once that
    string had passed, the date (refused: the schema wants text) would pass unchecked."""
    import datetime

    from conftest import REPO

    from manuscript_engine.core.settings import ConfigInvalid, check_config

    passed = tmp_path / "passed.json"
    as_text = checked_config(date="2026-11-27")
    as_text["checklists"]["strobe"]["not_applicable"]["12b"] = "datetime.date(2026, 1, 1)"
    check_config(as_text, REPO / SCHEMA, passed=passed)
    as_date = checked_config(date="2026-11-27")
    as_date["checklists"]["strobe"]["not_applicable"]["12b"] = datetime.date(2026, 1, 1)
    for _ in range(2):
        with pytest.raises(ConfigInvalid, match="not_applicable.12b"):
            check_config(as_date, REPO / SCHEMA, passed=passed)
