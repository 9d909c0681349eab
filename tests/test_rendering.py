import re
from pathlib import Path

import jinja2
import pytest
from conftest import CODEBOOK

from manuscript_engine.core.errors import TemplateProblem
from manuscript_engine.core.registry import Number, NumbersRegistry
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.text.rendering import (
    SYNTHETIC_SUBTITLE,
    render_manuscript,
    template_location,
)
from manuscript_engine.text.template_helpers import Manuscript

META = {"title": "A title", "authors": [{"name": "A. Author"}], "affiliations": {}}
REGISTRY = NumbersRegistry([Number("flow.included.pvp_itr.n", 71, "71", "patients", None, "t")])


def templates(tmp_path, **sections):
    root = tmp_path / "templates"
    (root / "sections").mkdir(parents=True)
    for name, text in sections.items():
        (root / "sections" / f"{name}.md.j2").write_text(text)
    return root


STATISTICS = {"alpha": 0.05, "ci_level": 0.95}
BOOK = load_codebook(CODEBOOK)


def render(root, synthetic=False, registry=REGISTRY, tables=None):
    manuscript = Manuscript(
        registry, {"needle_itr": "14 G"}, tables or {}, "../figures", STATISTICS, BOOK
    )
    settings = {"date": "2020-01-02", "synthetic_cohort": synthetic}
    return render_manuscript(root, manuscript, metadata=META, settings=settings)


def test_sections_render_in_the_order_of_their_prefix(tmp_path):
    root = templates(tmp_path, **{"02-results": "Second.\n", "01-intro": "First.\n"})
    text = render(root)
    assert text.index("First.") < text.index("Second.")


def test_a_number_is_quoted_by_key(tmp_path):
    root = templates(tmp_path, **{"01-a": 'We treated {{ num("flow.included.pvp_itr.n") }}.\n'})
    assert "We treated 71." in render(root)


COUNTS = NumbersRegistry(
    [
        Number(key, value, text, "patients", None, "t")
        for key, value, text in (
            ("none.n", 0, "0"),
            ("one.n", 1, "1"),
            ("many.n", 13, "13"),
            ("more.n", 42, "42"),
            ("huge.n", 124, "124"),
            ("age.mean", 58.17, "58.17"),
        )
    ]
)


@pytest.mark.parametrize(
    ("call", "text"),
    [
        ('count("none.n", "patient")', "in no patients."),
        ('count("one.n", "patient")', "in 1 patient."),
        ('count("many.n", "patient")', "in 13 patients."),
        ('count("one.n", "vertebral body", "vertebral bodies")', "in 1 vertebral body."),
        ('count("many.n", "vertebral body", "vertebral bodies")', "in 13 vertebral bodies."),
    ],
)
def test_a_count_takes_its_noun_in_the_right_number(tmp_path, call, text):
    root = templates(tmp_path, **{"01-a": f"It occurred in {{{{ {call} }}}}.\n"})
    assert f"It occurred {text}" in render(root, registry=COUNTS)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("many.n", "Thirteen patients"),
        ("more.n", "Forty-two patients"),
        ("none.n", "No patients"),
        ("huge.n", "A total of 124 patients"),  # too many to spell out
    ],
)
def test_a_count_opening_a_sentence_is_spelt_out(tmp_path, key, text):
    call = f'count("{key}", "patient", opens_sentence=True)'
    root = templates(tmp_path, **{"01-a": f"{{{{ {call} }}}} had no MRI.\n"})
    assert f"{text} had no MRI." in render(root, registry=COUNTS)


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        ('count("age.mean", "year")', "is 58.17, not a count; use num('age.mean')"),
        ('count("many.n", "patients 2")', "must be plain words"),
    ],
)
def test_a_count_that_cannot_be_worded_says_what_to_do(tmp_path, call, problem):
    root = templates(tmp_path, **{"01-a": f"{{{{ {call} }}}} had no MRI.\n"})
    with pytest.raises(TemplateProblem, match=re.escape(problem)):
        render(root, registry=COUNTS)


def test_a_misspelt_key_names_template_line_text_and_the_closest_key(tmp_path):
    line = 'We treated {{ num("flow.include.pvp_itr.n") }}.'
    root = templates(tmp_path, **{"01-a": f"Intro.\n{line}\n"})
    with pytest.raises(TemplateProblem) as excinfo:
        render(root)
    message = str(excinfo.value)
    assert "templates/sections/01-a.md.j2 line 2" in message
    assert 'We treated {{ num("flow.include.pvp_itr.n") }}.' in message
    assert "Did you mean 'flow.included.pvp_itr.n'" in message


MISSPELT = 'We treated {{ num("flow.include.pvp_itr.n") }}.'
WHERE = f"templates/sections/04-results.md.j2 line 3: {MISSPELT}"


@pytest.mark.parametrize("folder", ["relative", "absolute"])
def test_a_misspelt_key_is_shown_at_its_exact_path_and_line(folder, tmp_path, monkeypatch):
    """An author saw templates/templates/sections/04-results.md.j2: the whole path is checked."""
    monkeypatch.chdir(tmp_path)
    root = templates(tmp_path, **{"04-results": f"Intro.\n\n{MISSPELT}\n"})
    with pytest.raises(TemplateProblem) as excinfo:
        render(Path("templates") if folder == "relative" else root)
    assert str(excinfo.value).splitlines() == [
        WHERE,
        "  there is no number with the key 'flow.include.pvp_itr.n'. "
        "Did you mean 'flow.included.pvp_itr.n'?",
    ]


def test_a_file_named_from_the_working_folder_is_not_put_in_the_templates_folder_again(
    tmp_path, monkeypatch
):
    """Jinja's own loader of a relative folder names files from the working folder
    (templates/sections/...); they were joined to templates/ once more."""
    monkeypatch.chdir(tmp_path)
    templates(tmp_path, **{"04-results": f"Intro.\n\n{MISSPELT}\n"})
    env = jinja2.Environment(loader=jinja2.FileSystemLoader("templates"))
    env.globals["num"] = REGISTRY.__getitem__
    with pytest.raises(TemplateProblem) as excinfo:
        env.get_template("sections/04-results.md.j2").render()
    assert template_location(excinfo.value, Path("templates")) == WHERE


def test_a_bare_template_name_is_looked_up_in_the_templates_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    templates(tmp_path, **{"04-results": f"Intro.\n\n{MISSPELT}\n"})
    error = jinja2.TemplateSyntaxError(
        "x", 3, "sections/04-results.md.j2", "sections/04-results.md.j2"
    )
    assert template_location(error, Path("templates")) == WHERE


def test_an_undefined_variable_stops_the_build_with_its_line(tmp_path):
    root = templates(tmp_path, **{"01-a": "a\nb\n{{ patients_total }}\n"})
    expected = r"01-a.md.j2 line 3.*\n.*'patients_total' is undefined"
    with pytest.raises(TemplateProblem, match=expected):
        render(root)


def test_a_syntax_error_names_template_and_line(tmp_path):
    root = templates(tmp_path, **{"01-a": "fine\n{{ num('x' }}\n"})
    with pytest.raises(TemplateProblem, match=r"01-a.md.j2 line 2"):
        render(root)


def test_templates_cannot_reach_python_internals(tmp_path):
    root = templates(tmp_path, **{"01-a": "{{ num.__globals__ }}\n"})
    with pytest.raises(TemplateProblem):
        render(root)


def test_pandoc_attributes_pass_through_jinja(tmp_path):
    root = templates(tmp_path, **{"01-a": "# Results {#sec:results}\n"})
    assert "# Results {#sec:results}" in render(root)


def test_synthetic_notice_follows_the_config(tmp_path):
    root = templates(tmp_path, **{"01-a": "Text.\n"})
    assert SYNTHETIC_SUBTITLE in render(root, synthetic=True)
    assert SYNTHETIC_SUBTITLE not in render(root, synthetic=False)


def comparison(base, p, difference):
    return [
        Number(f"{base}.p", p, "x", "", None, "t"),
        Number(f"{base}.difference", difference, "x", "", None, "t"),
        Number(f"{base}.pvp_itr.pct", 88.6, "88.6", "%", 70, "t"),
    ]


CLAIMS = NumbersRegistry(
    [*comparison("pain_relief.final", 0.0004, 26.3), *comparison("leakage.any", 0.144, -13.3)]
)


def test_a_typed_number_in_prose_fails_with_template_line_and_text(tmp_path):
    root = templates(tmp_path, **{"01-a": "Fine.\nRelief was 88.6% in the combined arm.\n"})
    with pytest.raises(TemplateProblem) as excinfo:
        render(root)
    message = str(excinfo.value)
    assert "templates/sections/01-a.md.j2 line 2" in message
    assert "the number '88.6%' is typed into the prose" in message
    assert "Relief was 88.6% in the combined arm." in message


def test_numbers_inside_jinja_citations_and_labels_are_not_prose(tmp_path):
    text = (
        "As shown before [@gu2014; @li2013] {{ num('flow.included.pvp_itr.n') }} "
        "{## note 12 ##}\n# Results {#sec:results2}\n"
    )
    assert "71" in render(templates(tmp_path, **{"01-a": text}))


def test_compare_chooses_words_from_p_and_direction(tmp_path):
    root = templates(
        tmp_path,
        **{
            "01-a": "Relief was {{ compare('pain_relief.final') }}.\n"
            "Leakage was {{ compare('leakage.any') }}.\n"
        },
    )
    text = render(root, registry=CLAIMS)
    assert "Relief was significantly higher with PVP+ITR than with PVP." in text
    assert "Leakage was not significantly different between PVP+ITR and PVP." in text


def test_significantly_beside_a_p_above_alpha_fails_the_build(tmp_path):
    line = "Leakage was {{ claim('leakage.any', 'significantly lower') }} with PVP+ITR."
    root = templates(tmp_path, **{"01-a": f"{line}\n"})
    with pytest.raises(TemplateProblem) as excinfo:
        render(root, registry=CLAIMS)
    message = str(excinfo.value)
    assert "01-a.md.j2 line 1" in message
    assert "'significantly lower' about leakage.any is not supported" in message


def test_higher_cannot_describe_a_lower_value(tmp_path):
    root = templates(tmp_path, **{"01-a": "{{ claim('leakage.any', 'higher') }}\n"})
    with pytest.raises(TemplateProblem, match="is lower than the PVP value"):
        render(root, registry=CLAIMS)


def test_a_true_claim_renders(tmp_path):
    root = templates(
        tmp_path,
        **{"01-a": "Relief was {{ claim('pain_relief.final', 'significantly higher') }}.\n"},
    )
    assert "Relief was significantly higher." in render(root, registry=CLAIMS)


def test_significance_typed_by_hand_is_refused(tmp_path):
    root = templates(tmp_path, **{"01-a": "Relief was significantly better.\n"})
    with pytest.raises(TemplateProblem, match="'significantly' is typed by hand"):
        render(root)


def test_tables_and_figures_are_numbered_in_order_of_placement(tmp_path):
    tables = {
        "baseline": "| a |\n|---|\n| b |\n\nTable: Baseline. {#tbl:baseline}\n",
        "outcomes": "| a |\n|---|\n| b |\n\nTable: Outcomes. {#tbl:outcomes}\n",
    }
    root = templates(
        tmp_path,
        **{
            "01-a": "See {{ table_ref('outcomes') }}.\n\n"
            "{{ table('baseline') }}\n\n{{ table('outcomes') }}\n"
        },
    )
    text = render(root, tables=tables)
    assert "See [Table 2](#tbl:outcomes)." in text
    assert "Table: Table 1. Baseline." in text and "Table: Table 2. Outcomes." in text


def test_an_unknown_fact_suggests_the_closest_name(tmp_path):
    root = templates(tmp_path, **{"01-a": "A {{ fact('needle_it') }} needle.\n"})
    with pytest.raises(TemplateProblem, match="Did you mean 'needle_itr'"):
        render(root)


def test_a_comparison_without_a_difference_asks_for_numbers_not_words(tmp_path):
    """A survival median never reached leaves no difference to read a direction from."""
    registry = NumbersRegistry(
        [
            Number("rfs.p", 0.003, "0.003", "", None, "t"),
            Number("rfs.difference", None, "not reached", "", None, "t"),
        ]
    )
    root = templates(tmp_path, **{"01-a": 'It was {{ compare("rfs", "longer", "shorter") }}.\n'})
    with pytest.raises(TemplateProblem, match="rfs has no difference to choose words from"):
        render(root, registry=registry)


def test_no_difference_at_all_is_not_called_higher_or_lower(tmp_path):
    registry = NumbersRegistry(comparison("x", 0.001, 0.0))
    root = templates(tmp_path, **{"01-a": 'It was {{ compare("x") }}.\n'})
    assert "not significantly different" in render(root, registry=registry)


def test_a_scale_range_of_a_column_without_a_range_is_named(tmp_path):
    root = templates(tmp_path, **{"01-a": 'From {{ scale_range("arm") }}.\n'})
    with pytest.raises(TemplateProblem, match="there is no column arm in data/codebook.yaml"):
        render(root)
