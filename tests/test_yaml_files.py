"""The project's YAML files are read without anchors, aliases or repeated keys.

A few lines of nested aliases (a "billion laughs") expand to billions of values; each
reader of a project file refuses them, naming the file and line, before building
anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import REPO

from manuscript_engine.audit.published import load_published
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.yaml_files import check_yaml_file, load_yaml
from manuscript_engine.data.cohort import load_codebook

LAUGHS = """\
numbers:
  - id: ha
    lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
    lol2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    lol3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
tables: [*c, *c, *c, *c, *c, *c, *c, *c, *c]
"""


def written(tmp_path: Path, text: str, name: str = "file.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("reader", [load_codebook, load_published, load_yaml, check_yaml_file])
def test_anchors_and_aliases_are_refused_before_anything_is_built(reader, tmp_path):
    path = written(tmp_path, LAUGHS, "codebook.yaml")
    with pytest.raises(ManuscriptError) as excinfo:
        reader(path)
    assert str(excinfo.value) == (
        f"{path.as_posix()}, line 3: anchors and aliases ('&name', '*name') are not allowed "
        "in the project's YAML files. Write the value out in full where it is needed."
    )


def test_an_alias_alone_is_refused_and_the_message_uses_the_name_given(tmp_path):
    path = written(tmp_path, "x: 1\ny: *x\n")
    with pytest.raises(ManuscriptError, match=r"^config/audit.yaml, line 2: anchors and alias"):
        load_yaml(path, shown_as="config/audit.yaml")


def test_a_key_repeated_in_one_mapping_is_refused(tmp_path):
    path = written(tmp_path, "statistics:\n  alpha: 0.05\n  seed: [1, {a: 2}]\n  alpha: 0.01\n")
    with pytest.raises(ManuscriptError) as excinfo:
        load_yaml(path, "config/config.yaml")
    assert str(excinfo.value) == (
        "config/config.yaml, line 4: the key 'alpha' is already set at line 2 in the same "
        "group, and only the last value would count. Remove or rename one."
    )


@pytest.mark.parametrize(
    "text",
    [
        "a: {k: 1}\nb: {k: 1}\nk: 1\n",  # the same key in different mappings
        "- {k: 1}\n- {k: 1}\n",
        "1: one\n'1': text\n",  # a number and a text are different keys
        "",
    ],
)
def test_the_same_key_in_different_places_is_fine(text, tmp_path):
    assert load_yaml(written(tmp_path, text)) == yaml.safe_load(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a: b: c\n",
            "line 1, column 5: this is not valid YAML (mapping values are not allowed in this "
            "context). Check the indentation, and put quotes around a value that holds ': ' or "
            "' #'.",
        ),
        ("a: [1, 2\n", "line 2, column 1: this is not valid YAML (did not find expected ','"),
        ("a: \x07\n", "line 1: this is not valid YAML (control characters are not allowed)"),
        ("date: 2026-02-30\n", "line 1: 2026-02-30 is not a real date; write it as YYYY-MM-DD."),
        ("? [a, b]\n: 1\n", "line 1, column 3: this is not valid YAML (found unhashable key)"),
    ],
)
def test_text_that_is_not_valid_yaml_is_named_with_line_and_column(text, expected, tmp_path):
    with pytest.raises(ManuscriptError) as excinfo:
        load_yaml(written(tmp_path, text), "templates/metadata.yaml")
    assert str(excinfo.value).startswith(f"templates/metadata.yaml, {expected}")


def test_a_file_that_is_not_utf8_or_not_a_file_is_named(tmp_path):
    path = tmp_path / "published.yaml"
    path.write_bytes(b"numbers:\n  - printed: \xfc\n")
    with pytest.raises(ManuscriptError, match=r"published.yaml line 2 is not UTF-8 text"):
        load_yaml(path)
    with pytest.raises(ManuscriptError, match=r"is not a regular file"):
        load_yaml(Path("/dev/zero"))


@pytest.mark.parametrize(
    "name",
    [
        "data/codebook.yaml",
        "data/published.yaml",
        "data/published_checks.yaml",
        "config/config.yaml",
        "config/audit.yaml",
        "config/study_facts.yaml",
        "workflow/manuscript_engine/core/schemas/config.schema.yaml",
        "templates/metadata.yaml",
    ],
)
def test_every_project_file_reads_as_before(name):
    check_yaml_file(REPO / name)
    assert load_yaml(REPO / name) == yaml.safe_load((REPO / name).read_text(encoding="utf-8"))
