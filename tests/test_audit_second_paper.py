"""The audit of a second published paper from its published numbers alone (no data).

Li X et al., A WeChat-Based Self-Management Intervention for Community Middle-Aged and
Elderly Adults with Hypertension in Guangzhou, China: A Cluster-Randomized Controlled
Trial. Int J Environ Res Public Health 2019;16(21):4058, doi:10.3390/ijerph16214058
(PMC6862068): Table 1 and the abstract's counts, in examples/published/wechat_bp/.

Every verdict asserted here was checked by hand (examples/published/wechat_bp/README.md):
the abstract's 464 participants are not 186 + 276; every percentage is its count over
the header n; every 2 x 2 P is the uncorrected chi-square test but one (hypertension
control, 0.148, is the Yates-corrected one); four t-test P values are not reproduced
from the printed means and SDs, and lie within what their rounding allows.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from manuscript_engine.audit.checks import (
    audit_published,
    check_intervals,
    check_percentages,
    check_repeats,
    check_sums,
    check_tests,
)
from manuscript_engine.audit.model import Paper
from manuscript_engine.core.yaml_schemas import (
    YamlInvalid,
    check_yaml_against_schema,
    load_checked_yaml,
)

STUDY = Path(__file__).resolve().parents[1] / "examples" / "published" / "wechat_bp"


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    return load_checked_yaml(STUDY / "published.yaml", "published")["numbers"]


@pytest.fixture(scope="module")
def relations(entries) -> dict:
    return load_checked_yaml(STUDY / "published_checks.yaml", "published_checks", published=entries)


@pytest.fixture(scope="module")
def paper(entries, relations) -> Paper:
    return Paper(entries, codebook=None, relations=relations)


def verdicts(checks) -> dict[str, str]:
    return {c.id: c.verdict for c in checks}


def test_the_files_pass_their_schemas_and_declare_arms_and_scales(entries, relations):
    assert len(entries) == 118
    assert [(a["key"], a["label"]) for a in relations["arms"]] == [
        ("intervention", "Intervention"),
        ("control", "Control"),
    ]
    assert relations["scales"]["age_years"] == {"step": 1, "range": [45, 70]}
    assert relations["scales"]["self_management"] == {"better": "higher"}
    assert {e["of"]["arm"] for e in entries if "arm" in e.get("of", {})} == {
        "intervention",
        "control",
        "both",
    }


def test_the_abstracts_total_is_not_the_sum_of_its_arms(paper, relations):
    found = verdicts(check_sums(paper, relations["sums"]))
    assert found == {
        "sum:abstract.enrolled.total": "inconsistent",  # 186 + 276 = 462, printed 464
        "sum:abstract.included.total": "consistent",  # 110 + 143 = 253
        "sum:t1.education.intervention": "consistent",  # 47 + 80 + 59 = 186
        "sum:t1.education.control": "consistent",  # 95 + 136 + 45 = 276
    }
    wrong = next(c for c in check_sums(paper, relations["sums"]) if c.verdict == "inconsistent")
    assert wrong.recomputed == "462" and wrong.published == "464"


def test_every_percentage_is_its_count_over_the_header_n(paper):
    checks = check_percentages(paper)
    assert len(checks) == 28  # 11 yes/no rows and 3 education rows, two arms each
    assert set(verdicts(checks).values()) == {"consistent"}
    male = next(c for c in checks if c.id == "percent:t1.male.pct.intervention")
    assert male.explanation.startswith("75/186 = 40.32%")


def test_no_interval_is_printed(paper):
    assert check_intervals(paper) == []


def test_the_group_sizes_of_abstract_and_table_agree(paper):
    assert verdicts(check_repeats(paper)) == {
        "repeat:abstract.enrolled.intervention": "consistent",
        "repeat:abstract.enrolled.control": "consistent",
    }


def test_the_p_values_recomputed_from_counts_and_means(paper, relations):
    checks = check_tests(paper, relations["tests"], relations["methods"])
    found = verdicts(checks)
    by_id = {c.id: c for c in checks}
    counts = [
        "male",
        "married",
        "employed",
        "low_income",
        "heart_disease",
        "cerebrovascular_disease",
        "kidney_disease",
        "diabetes",
        "family_history",
        "monitoring_bp",
        "bp_controlled",
    ]
    assert all(found[f"test:t1.{key}.p"] == "consistent" for key in counts)
    # Ten rows are the uncorrected chi-square test; hypertension control (0.148) is only
    # the Yates-corrected one (uncorrected 0.122): the table mixes the two.
    assert by_id["test:t1.male.p"].recomputed == "χ² test"
    assert by_id["test:t1.bp_controlled.p"].recomputed == "χ² test with Yates' correction"
    assert "Student's t-test" in by_id["test:t1.sbp_mmhg.p"].recomputed
    for key in ("sbp_mmhg", "disease_knowledge", "self_management", "social_support"):
        assert found[f"test:t1.{key}.p"] == "consistent"
    # Not reproduced by either t-test from the printed means and SDs as printed, but
    # reached inside their rounding to one decimal (README.md): consistent, statcheck's rule.
    for key in ("age_years", "disease_course_years", "dbp_mmhg", "self_efficacy"):
        assert found[f"test:t1.{key}.p"] == "consistent"
        assert "within the rounding" in by_id[f"test:t1.{key}.p"].explanation
    assert "inconsistent" not in found.values()
    assert len(checks) == 19


def _invalid(relations: dict, entries: list[dict]) -> str:
    with pytest.raises(YamlInvalid) as raised:
        check_yaml_against_schema(
            relations, "published_checks", "published_checks.yaml", published=entries
        )
    return str(raised.value)


def test_an_arm_the_numbers_name_but_the_relations_do_not_declare_is_refused(entries, relations):
    broken = copy.deepcopy(relations)
    broken["arms"][1]["key"] = "usual_care"
    message = _invalid(broken, entries)
    assert "published_checks.yaml, arms:" in message
    assert "'t1.n.control' names the arm 'control', which is not a key of 'arms'" in message


def test_an_arm_key_used_twice_and_a_reversed_range_are_refused(entries, relations):
    broken = copy.deepcopy(relations)
    broken["arms"].append({"key": "control", "label": "Control again"})
    broken["scales"]["age_years"]["range"] = [70, 45]
    message = _invalid(broken, entries)
    assert "arms[2] › key: 'control' is already the key of arm 2" in message
    assert "scales › age_years › range: the lowest value 70 is above the highest 45" in message


def test_a_scale_with_an_unknown_field_is_refused(entries, relations):
    broken = copy.deepcopy(relations)
    broken["scales"]["sbp_mmhg"] = {"better": "lower", "unit": "mmHg"}
    assert "'unit' is not a known key" in _invalid(broken, entries)


def test_the_whole_audit_without_data_finds_one_problem(capsys):
    audit = audit_published(STUDY / "published.yaml")
    assert [(f.id, f.severity) for f in audit.findings] == [
        ("finding:abstract.enrolled.total", "contradiction")
    ]
    from manuscript_engine.cli.audit_paper import main

    assert main([str(STUDY / "published.yaml")]) == 0
    printed = capsys.readouterr().out
    assert "1 distinct finding: 1 contradiction, 0 likely errors" in printed
    assert "186 + 276 = 462, but the paper prints 464" in printed


def test_a_paper_without_its_relations_file_is_told_what_to_write(tmp_path, capsys):
    from manuscript_engine.cli.audit_paper import main

    (tmp_path / "published.yaml").write_text((STUDY / "published.yaml").read_text())
    assert main([str(tmp_path / "published.yaml")]) == 1
    error = capsys.readouterr().err
    assert "no relations file beside" in error and "published_checks.yaml" in error
