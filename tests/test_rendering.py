import pytest

from vertebroplasty.errors import TemplateProblem
from vertebroplasty.registry import Number, NumbersRegistry
from vertebroplasty.rendering import SYNTHETIC_SUBTITLE, render_manuscript

META = {"title": "A title", "authors": [{"name": "A. Author"}], "affiliations": {}}
REGISTRY = NumbersRegistry([Number("flow.included.pvp_itr.n", 71, "71", "patients", None, "t")])


def templates(tmp_path, **sections):
    root = tmp_path / "templates"
    (root / "sections").mkdir(parents=True)
    for name, text in sections.items():
        (root / "sections" / f"{name}.md.j2").write_text(text)
    return root


def render(root, synthetic=False):
    return render_manuscript(
        root, REGISTRY, META, {"date": "2020-01-02", "synthetic_cohort": synthetic}
    )


def test_sections_render_in_the_order_of_their_prefix(tmp_path):
    root = templates(tmp_path, **{"02-results": "Second.\n", "01-intro": "First.\n"})
    text = render(root)
    assert text.index("First.") < text.index("Second.")


def test_a_number_is_quoted_by_key(tmp_path):
    root = templates(tmp_path, **{"01-a": 'We treated {{ num("flow.included.pvp_itr.n") }}.\n'})
    assert "We treated 71." in render(root)


def test_a_misspelt_key_names_template_line_text_and_the_closest_key(tmp_path):
    line = 'We treated {{ num("flow.include.pvp_itr.n") }}.'
    root = templates(tmp_path, **{"01-a": f"Intro.\n{line}\n"})
    with pytest.raises(TemplateProblem) as excinfo:
        render(root)
    message = str(excinfo.value)
    assert "templates/sections/01-a.md.j2 line 2" in message
    assert 'We treated {{ num("flow.include.pvp_itr.n") }}.' in message
    assert "Did you mean 'flow.included.pvp_itr.n'" in message


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
