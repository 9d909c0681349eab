import json

import pytest

from manuscript_engine.core.errors import UnknownNumberKey
from manuscript_engine.core.registry import Number, NumbersRegistry


def entry(key, value=1):
    return Number(key, value, str(value), "patients", None, "test")


def test_unknown_key_names_the_closest_existing_keys():
    registry = NumbersRegistry([entry("flow.included.pvp_itr.n"), entry("flow.included.pvp.n")])
    with pytest.raises(UnknownNumberKey) as excinfo:
        registry["flow.includd.pvp_itr.n"]
    assert "'flow.includd.pvp_itr.n'" in str(excinfo.value)
    assert "Did you mean 'flow.included.pvp_itr.n'" in str(excinfo.value)


def test_a_key_defined_twice_is_refused():
    with pytest.raises(ValueError, match="defined twice"):
        NumbersRegistry([entry("a.b"), entry("a.b", 2)])


def test_keys_must_be_lower_case_dotted_words():
    with pytest.raises(ValueError, match="lower-case"):
        entry("Flow.Included")


def test_json_round_trip_is_sorted_and_lossless(tmp_path):
    registry = NumbersRegistry([entry("z.last", 3), entry("a.first", 2)])
    path = tmp_path / "numbers.json"
    registry.to_json(path)
    assert list(json.loads(path.read_text())) == ["a.first", "z.last"]
    again = NumbersRegistry.from_json(path)
    assert again["z.last"] == registry["z.last"]
