"""The codebook and the config are the only home of the study's vocabulary.

The engine never names an arm, a visit, a score, a category or a cut-off; renaming an
arm, moving a cut-off or changing alpha is a data and config edit that tables, figures,
text and audit follow with no code edit.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re

import pytest
import yaml
from conftest import CODEBOOK, REPO, copy_repository, run_snakemake

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.data.vocabulary import (
    category_range,
    expand_arm_codes,
    lower_is_better,
    study_arms,
    visit_month,
)

ENGINE = REPO / "workflow" / "manuscript_engine"
BOOK = load_codebook(CODEBOOK)


def study_words() -> tuple[set[str], set[str]]:
    """The study's own words, from the codebook: (names found anywhere in a string, common
    words found only as a whole string, such as the categories 'good' or 'none')."""
    book = yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))
    names, words = set(), set()
    for group in book["arms"]["groups"]:
        names |= {group["key"], group["code"], group["label"]}
    definitions = book["definitions"]
    names |= set(definitions["table3_columns"]) | set(definitions["visits"].values())
    words |= set(definitions["pain_category"]["categories"])
    words |= set(definitions["pain_course"]["categories"].values())
    for table in book["tables"].values():
        for name, column in table["columns"].items():
            if "better" in column:
                names |= {name, column.get("label", name)}
            if "example" in column:
                names.add(str(column["example"]))
            if isinstance(column.get("values"), list):
                words |= {str(v) for v in column["values"]}
    # "none" is also the English word (the number words of printed text); it stays allowed.
    return {n for n in names if len(n) > 2}, {w for w in words if len(w) > 1} - {"none"}


def study_numbers() -> set[float]:
    """Cut-offs and thresholds that are not whole numbers (whole ones are everywhere)."""
    book = yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))
    config = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
    bounds = {
        float(value)
        for category in book["definitions"]["pain_category"]["categories"].values()
        for value in category.values()
    }
    return {value for value in bounds | {float(config["statistics"]["alpha"])} if value % 1}


NOT_THE_STUDYS = {
    ("output/figures.py", "TEXT_CONTRAST"): "WCAG 2.1 AA text contrast, 4.5:1 (SC 1.4.3)",
    ("output/figures.py", "FLARE"): "WCAG's 0.05 added to both luminances of a contrast",
}
"""Engine constants that equal a study number by coincidence: each named with the
standard it comes from. Only a whole constant assignment can be listed here."""


def engine_literals():
    """(file, line, literal) for every string and number written in engine code, except
    the constants of :data:`NOT_THE_STUDYS`."""
    for path in sorted(ENGINE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        listed = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and (path.relative_to(ENGINE).as_posix(), node.targets[0].id) in NOT_THE_STUDYS
        }
        for node in ast.walk(tree):
            literal = isinstance(node, ast.Constant) and isinstance(node.value, str | float)
            if literal and id(node) not in listed:
                yield path.relative_to(REPO), node.lineno, node.value


def test_each_listed_standard_constant_exists_and_is_a_study_number():
    """The list stays short and true: a constant that no longer matches leaves it."""
    numbers = study_numbers()
    for (file, name), _standard in NOT_THE_STUDYS.items():
        tree = ast.parse((ENGINE / file).read_text(encoding="utf-8"))
        values = [
            node.value.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == name
            and isinstance(node.value, ast.Constant)
        ]
        assert len(values) == 1 and values[0] in numbers, (file, name)


def test_the_scan_knows_the_study_words():
    names, words = study_words()
    assert {"PVP+ITR", "pvp_itr", "preop", "m01", "vas", "VAS", "P0001"} <= names
    assert {"excellent", "lung", "disc", "poor"} <= words
    assert {2.5, 4.5, 0.05} <= study_numbers()


def test_no_study_word_or_cut_off_is_written_in_engine_code():
    names, words = study_words()
    pattern = re.compile(r"(?<![A-Za-z_])(" + "|".join(map(re.escape, names)) + r")(?![A-Za-z_])")
    numbers = study_numbers()
    found = []
    for path, line, value in engine_literals():
        if isinstance(value, float) and value in numbers:
            found.append(f"{path}:{line}: {value}")
        elif isinstance(value, str):
            found += [f"{path}:{line}: {m!r}" for m in pattern.findall(value)]
            found += [f"{path}:{line}: {value!r}" for _ in [0] if value in words]
    assert found == []


def test_the_scan_would_find_a_label_typed_in_engine_code(tmp_path):
    names, _ = study_words()
    planted = 'ARMS = {"PVP+ITR": "pvp_itr"}\nALPHA = 0.05\n'
    literals = [n.value for n in ast.walk(ast.parse(planted)) if isinstance(n, ast.Constant)]
    assert "PVP+ITR" in names and 0.05 in study_numbers()
    assert {"PVP+ITR", "pvp_itr", 0.05} <= set(literals)


# ----------------------------------------------------------------------- the vocabulary
def test_arms_keep_code_label_and_key_apart():
    arms = study_arms(BOOK)
    assert arms.keys == ["pvp_itr", "pvp"] and arms.codes == ["PVP+ITR", "PVP"]
    assert arms.find("pvp").code == "PVP" and arms.find("PVP+ITR").key == "pvp_itr"
    assert arms.column == "arm"


def test_the_arm_column_allows_exactly_the_arms_codes():
    book = {
        "arms": {
            "column": "arm",
            "groups": [{"key": "a", "code": "X1"}, {"key": "b", "code": "Y"}],
        },
        "tables": {"t": {"columns": {"arm": {"type": "category", "values": "arms"}}}},
    }
    assert expand_arm_codes(book)["tables"]["t"]["columns"]["arm"]["values"] == ["X1", "Y"]


def test_a_codebook_without_arms_says_what_to_add():
    with pytest.raises(ManuscriptError, match="top-level `arms:`"):
        study_arms({"tables": {}})


def test_directions_ranges_and_visit_months_come_from_the_codebook():
    assert lower_is_better(BOOK, "vas") and not lower_is_better(BOOK, "kps")
    assert category_range(BOOK, "pain_category", "good") == "2.5–4.5"
    assert [visit_month(v, {"preop": 0, "discharge": 0}) for v in ("preop", "m18")] == [0, 18]
    with pytest.raises(ManuscriptError, match="better: lower"):
        lower_is_better({"tables": {"t": {"columns": {"x": {}}}}}, "x")


# ----------------------------------------------------------------------- end to end
def renamed_study(workdir):
    """Rename an arm (code and label), move a cut-off, change alpha: data and config only."""
    codebook = workdir / "data/codebook.yaml"
    text = codebook.read_text(encoding="utf-8")
    text = text.replace(
        '{key: pvp_itr, code: "PVP+ITR", label: "PVP+ITR"',
        '{key: pvp_itr, code: "PVP_ITR_2", label: "Vertebroplasty+TR"',
    )
    text = text.replace("good: {min: 2.5, max: 4.5}", "good: {min: 2.5, max: 4}")
    text = text.replace("fair: {min: 5, max: 6.5}", "fair: {min: 4.5, max: 6.5}")
    codebook.write_text(text, encoding="utf-8")
    enrollment = workdir / "data/raw/enrollment.csv"
    rows = list(csv.reader(io.StringIO(enrollment.read_text(encoding="utf-8"))))
    column = rows[0].index("arm")
    for row in rows[1:]:
        row[column] = "PVP_ITR_2" if row[column] == "PVP+ITR" else row[column]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    enrollment.write_text(out.getvalue(), encoding="utf-8")
    config = workdir / "config/config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        .replace("alpha: 0.05 ", "alpha: 0.01 ")
        .replace("audit_strict: true", "audit_strict: false"),
        encoding="utf-8",
    )
    checks = workdir / "data/published_checks.yaml"
    checks.write_text(
        checks.read_text(encoding="utf-8").replace("alpha: 0.05}", "alpha: 0.01}"),
        encoding="utf-8",
    )


@pytest.mark.e2e
def test_renamed_arm_moved_cut_off_and_new_alpha_need_no_code_edit(tmp_path):
    workdir = copy_repository(tmp_path / "repo")
    renamed_study(workdir)
    result = run_snakemake(workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    results = workdir / "results"
    markdown = (results / "manuscript/manuscript.md").read_text(encoding="utf-8")
    body = markdown.split("# Patients and methods", 1)[1]
    # text: the new label, never the old one; the moved cut-off; the new alpha
    assert "Vertebroplasty+TR" in body and "PVP+ITR" not in body
    assert "good (2.5–4)" in body and "fair (4.5–6.5)" in body
    assert "P values below 0.01" in body
    # tables
    baseline = (results / "tables/table_baseline.md").read_text(encoding="utf-8")
    assert "Vertebroplasty+TR (n = 71)" in baseline
    assert "good (2.5–4)" in (results / "tables/table_outcomes.md").read_text(encoding="utf-8")
    assert "Good (VAS 2.5–4)" in (results / "tables/table_pain_relief.md").read_text("utf-8")
    # figures: alt text and captions quote the labels and ranges
    numbers = json.loads((results / "numbers.json").read_text(encoding="utf-8"))
    assert "Vertebroplasty+TR" in numbers["figures.scores_over_time.alt"]["text"]
    assert "good 2.5–4" in numbers["figures.pain_relief.caption"]["text"]
    # the registry keeps its keys (templates name arms by key)
    assert numbers["flow.included.pvp_itr.n"]["value"] == 71
    # audit: judged by the paper's alpha, and the moved cut-off changes what matches
    audit = (results / "audit/audit.md").read_text(encoding="utf-8")
    assert "does not mark P < 0.01" in audit or "marks P < 0.01" in audit
    assert "P < 0.05." not in audit
