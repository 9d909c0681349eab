"""Prose a journal would print: the rendered text is read for sentences that open with a
numeral and for counts that disagree with their noun or verb, and each slip is named at
the template line that printed its number.

Every example is rendered from a template by the real renderer, with numbers from a
registry, as the build does; what must fail and what must pass are side by side.
"""

from __future__ import annotations

import re

import pytest
from conftest import CODEBOOK
from test_rendering import META, STATISTICS

from manuscript_engine.core.errors import TemplateProblem
from manuscript_engine.core.registry import Number, NumbersRegistry
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.text.prose_lint import Nouns, nouns_of_templates, prose_slips
from manuscript_engine.text.rendering import render_manuscript
from manuscript_engine.text.template_helpers import Manuscript
from manuscript_engine.text.template_lint import Printed, Quoted, Seals, issued

BOOK = load_codebook(CODEBOOK)
REGISTRY = NumbersRegistry(
    [
        Number(key, value, text, "patients", None, "t")
        for key, value, text in (
            ("none.n", 0, "0"),
            ("one.n", 1, "1"),
            ("one.pct", 1.4, "1.4"),
            ("two.n", 2, "2"),
            ("many.n", 13, "13"),
            ("many.pct", 18.3, "18.3"),
            ("year.n", 2015, "2015"),
            ("half", 1.5, "1.5"),
            ("change", -1.7, "-1.70"),
        )
    ]
)
FACTS = {"level": "T12", "long": "1 years", "mark": "5 cm from the midline"}
NOTE = "Note. 1 patients were lost to follow-up."
TABLE = (
    "| Outcome | n |\n|---|---|\n| 1 patients | 2 |\n\nTable: Outcomes. {#tbl:o}\n\n"
    "::: {.table-note}\nOther rows: patients with a value.\n:::\n"
)


def render(tmp_path, text: str, *, partials: dict[str, str] | None = None, tables=None):
    """Render ``text`` as the section ``templates/sections/01-a.md.j2``."""
    root = tmp_path / "templates"
    (root / "sections").mkdir(parents=True)
    (root / "sections/01-a.md.j2").write_text(text + "\n", encoding="utf-8")
    for name, partial in (partials or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(partial, encoding="utf-8")
    manuscript = Manuscript(REGISTRY, FACTS, tables or {"o": TABLE}, "../figures", STATISTICS, BOOK)
    metadata = {**META, "affiliations": {"lab": "1 Example Road, 200233 Shanghai"}}
    settings = {"date": "2020-01-02", "synthetic_cohort": False}
    return render_manuscript(root, manuscript, metadata=metadata, settings=settings)


def refusal(tmp_path, text: str, **kwargs) -> str:
    with pytest.raises(TemplateProblem) as excinfo:
        render(tmp_path, text, **kwargs)
    return str(excinfo.value)


# --------------------------------------------------------------------------- a numeral opening
@pytest.mark.parametrize(
    ("template", "line", "opens"),
    [
        ('{{ num("many.n") }} patients had no MRI.', 1, "13"),
        ('It ended.\n{{ num("many.n") }} patients had no MRI.', 2, "13"),
        ('It ended.\n\n{{ num("many.n") }} patients had no MRI.', 3, "13"),
        ('It ended. ({{ num("many.n") }} patients had no MRI.)', 1, "13"),
        ('**Results.**\n{{ num("many.n") }} patients had no MRI.', 2, "13"),
        ('- {{ num("many.n") }} patients had no MRI.', 1, "13"),
        ('# Results\n{{ num("many.n") }} patients had no MRI.', 2, "13"),
        ('{{ n_pct("many") }} patients had no MRI.', 1, "13"),
        ('{{ num("change") }} points was the change.', 1, "-1.70"),
        ('{{ num("year.n") }} was the first year.', 1, "2015"),
        ('{{ num("half") }} months passed.', 1, "1.5"),
        ('{{ count("many.n", "patient") }} had no MRI.', 1, "13"),
        ('{{ fact("mark") }} was marked.', 1, "5"),
    ],
)
def test_a_sentence_opening_with_a_numeral_is_refused_at_its_line(tmp_path, template, line, opens):
    message = refusal(tmp_path, template)
    source = template.splitlines()[line - 1]
    assert f"templates/sections/01-a.md.j2 line {line}: {source}" in message
    assert f"the sentence opens with the number {opens} (" in message


def test_a_numeral_opening_is_fixed_with_count_spelt_out(tmp_path):
    message = refusal(tmp_path, 'Intro.\n{{ num("many.n") }} patients had no MRI.')
    fix = "{{ count('many.n', 'patient', opens_sentence=True) }}"
    assert f"Write {fix} in place of the number and its noun" in message
    assert "Thirteen patients" in message
    # The advice works: the sentence it gives renders.
    text = render(tmp_path / "fixed", f"Intro.\n{fix} had no MRI.")
    assert "Thirteen patients had no MRI." in text


def test_a_count_opening_a_sentence_is_told_to_spell_itself_out(tmp_path):
    message = refusal(tmp_path, '{{ count("many.n", "patient") }} had no MRI.')
    assert "Add opens_sentence=True, {{ count('many.n', 'patient', opens_sentence=True) }}" in (
        message
    )


@pytest.mark.parametrize(
    "template",
    [
        '{{ count("many.n", "patient", opens_sentence=True) }} had no MRI.',
        'In all, {{ num("many.n") }} patients had no MRI.',
        'See Fig. {{ num("two.n") }} for the flow.',
        'As Gu et al. {{ num("year.n") }} reported, it works.',
        'It was {{ num("many.n") }}; {{ num("two.n") }} of them had no MRI.',
        'Text ({{ num("many.n") }} patients) and more.',
        "# Results {{ num('two.n') }}\n\nText.",
        '`{{ num("many.n") }} patients` is code.',
        '{{ fact("level") }} was the level most often treated.',
        "{{ meta.affiliations.lab }}",
        'Note: > {{ num("one.n") }} year: the last visit.',
    ],
)
def test_what_does_not_open_a_sentence_with_a_numeral_passes(tmp_path, template):
    render(tmp_path, template)


# --------------------------------------------------------------------------- a count and its noun
@pytest.mark.parametrize(
    ("template", "words"),
    [
        ('It occurred in {{ num("one.n") }} patients.', "1 patients"),
        ('It occurred in {{ num("one.n") }} vertebrae.', "1 vertebrae"),
        ('It occurred in {{ num("one.n") }} time points.', "1 time points"),
        ('It occurred in {{ n_pct("one") }} patients.', "1 (1.4%) patients"),
        ('It occurred in {{ num("one.n") }} {{ arm("pvp") }} patients.', "1 PVP patients"),
        ('It occurred in {{ num("one.n") }} more patients.', "1 more patients"),
        ('Follow-up lasted {{ num("one.n") }} months.', "1 months"),
        ('VAS fell by {{ num("one.n") }} points.', "1 points"),
        ('It occurred in {{ num("two.n") }} patient.', "2 patient"),
        ('It occurred in {{ num("two.n") }} patient with a leak.', "2 patient"),
        ('It occurred in {{ num("none.n") }} patient with a leak.', "0 patient"),
        ('Follow-up lasted {{ num("two.n") }} year, at most.', "2 year"),
        ('It occurred in {{ num("one.n") }}\npatients.', "1 patients"),
    ],
)
def test_a_count_and_its_noun_that_disagree_are_refused(tmp_path, template, words):
    message = refusal(tmp_path, template)
    assert f"templates/sections/01-a.md.j2 line 1: {template.splitlines()[0]}" in message
    assert f"'{words}': the count and its noun disagree" in message


def test_a_disagreeing_count_is_fixed_with_count(tmp_path):
    message = refusal(tmp_path, 'It occurred in {{ num("one.n") }} vertebrae.')
    fix = "{{ count('one.n', 'vertebra', 'vertebrae') }}"
    assert "(1 vertebra, 2 vertebrae). The number comes from the data" in message
    assert f"write {fix} in place of the number and its noun" in message
    assert "It occurred in 1 vertebra." in render(tmp_path / "fixed", f"It occurred in {fix}.")


def test_a_count_with_its_percentage_is_told_to_choose_the_noun(tmp_path):
    message = refusal(tmp_path, 'It occurred in {{ n_pct("one") }} patients.')
    choose = "{% if value('one.n') == 1 %}patient{% else %}patients{% endif %}"
    assert f"choose the noun with {choose}" in message
    fixed = render(tmp_path / "fixed", f'It occurred in {{{{ n_pct("one") }}}} {choose}.')
    assert "It occurred in 1 (1.4%) patient." in fixed


def test_a_noun_given_to_count_is_known_everywhere(tmp_path):
    template = (
        'It was {{ count("two.n", "lesion site") }}.\nLater it was {{ num("one.n") }} lesion sites.'
    )
    message = refusal(tmp_path, template)
    assert "line 2: Later it was" in message and "'1 lesion sites'" in message
    assert nouns_of_templates([template]) == {"lesion site": ("lesion sites",)}
    assert nouns_of_templates(["{{ count('x', 'body', plural='bodies') }}"]) == {
        "body": ("bodies",)
    }


def test_a_wrong_plural_given_to_count_is_named(tmp_path):
    message = refusal(tmp_path, 'It was in {{ count("one.n", "patients") }}.')
    assert "'1 patients'" in message
    assert "The noun comes from count('one.n', 'patients')" in message


@pytest.mark.parametrize(
    "template",
    [
        'It occurred in {{ count("one.n", "patient") }}.',
        'It occurred in {{ count("none.n", "patient") }}.',
        'It occurred in {{ count("one.n", "vertebra", "vertebrae") }}.',
        'Grade {{ num("one.n") }} patients were few.',
        'At ASIA grade {{ num("one.n") }} patients were few.',
        'See Table {{ num("one.n") }} for patients.',
        'A {{ num("two.n") }} year follow-up was planned.',
        'We kept {{ num("two.n") }} patient records.',
        'Using a {{ num("many.n") }} G needle and a guide wire.',
        'Follow-up lasted {{ num("one.n") }} month.',
        'Follow-up lasted {{ num("half") }} months.',
        'It occurred in {{ num("none.n") }} patients.',
        'It occurred in {{ num("one.n") }} of {{ num("two.n") }} patients.',
        'It occurred in {{ num("one.n") }}–{{ num("two.n") }} patients.',
        'It used {{ num("two.n") }} × {{ num("two.n") }} tables.',
        'It was {{ num("change") }} points.',
        'The {{ num("one.n") }} patient\'s scan was lost.',
        'Of the centres, {{ num("one.n") }} reports that it works.',
        '{{ table("o") }}',
    ],
)
def test_counts_that_agree_or_are_not_counts_pass(tmp_path, template):
    render(tmp_path, template)


# --------------------------------------------------------------------------- a count and its verb
@pytest.mark.parametrize(
    ("template", "words", "choose"),
    [
        ('Of them, {{ num("one.n") }} were unchanged.', "1 were", "was"),
        ('Two recovered and {{ num("two.n") }} was lost.', "2 was", "was"),
        ('Of them, {{ num("one.n") }} have died.', "1 have", "has"),
        ('Of them, {{ n_pct("one") }} were unchanged.', "1 (1.4%) were", "was"),
    ],
)
def test_a_count_and_its_verb_that_disagree_are_refused(tmp_path, template, words, choose):
    message = refusal(tmp_path, template)
    assert f"'{words}': the count and its verb disagree" in message
    assert "{% if value(" in message and f"== 1 %}}{choose}{{% else %}}" in message


@pytest.mark.parametrize(
    "template",
    [
        'Of them, {{ num("one.n") }} was unchanged.',
        'Of them, {{ num("two.n") }} were unchanged.',
        'Of them, {{ num("one.n") }} remained unchanged.',
        'Scores of {{ num("one.n") }} were common.',
        'Those recruited in {{ num("year.n") }} were few.',
        'Between {{ num("year.n") }} and {{ num("year.n") }} was a gap.',
    ],
)
def test_a_count_whose_verb_agrees_or_is_no_subject_passes(tmp_path, template):
    render(tmp_path, template)


# --------------------------------------------------------------------------- the words' source
def test_a_slip_in_an_include_is_named_in_the_include(tmp_path):
    partial = "First line.\nOf all, {{ num('one.n') }} patients had it.\n"
    message = refusal(
        tmp_path,
        "Intro.\n{% include 'partials/p.md' %}",
        partials={"partials/p.md": partial},
    )
    assert "templates/partials/p.md line 2: Of all, {{ num('one.n') }} patients had it." in (
        message
    )


def test_a_slip_in_a_fact_sends_the_author_to_the_facts(tmp_path):
    message = refusal(tmp_path, 'It lasted {{ fact("long") }}.')
    assert "'1 years': the count and its noun disagree" in message
    assert "The words are the study fact 'long': reword it in config/study_facts.yaml" in message


def test_a_slip_in_a_table_note_is_reported_as_the_builds_own(tmp_path):
    table = TABLE.replace("Other rows: patients with a value.", NOTE)
    message = refusal(tmp_path, "Before.\n\n{{ table('o') }}", tables={"o": table})
    assert "templates/sections/01-a.md.j2 line 3: {{ table('o') }}" in message
    assert "These words are made by the build (table('o'))" in message
    assert "report it to whoever maintains the analysis" in message


def test_every_slip_is_listed_at_once_in_the_order_of_the_text(tmp_path):
    template = (
        '{{ num("many.n") }} patients had no MRI.\n'
        'It occurred in {{ num("one.n") }} patients.\n'
        'Of them, {{ num("one.n") }} were unchanged.'
    )
    message = refusal(tmp_path, template)
    assert message.startswith("The text has 3 slip(s) of wording that a journal would not print")
    lines = [int(n) for n in re.findall(r"01-a\.md\.j2 line (\d+):", message)]
    assert lines == [1, 2, 3]


def test_nothing_is_refused_in_sections_that_read_well(tmp_path):
    text = render(
        tmp_path,
        "# Results\n\n"
        '{{ count("many.n", "patient", opens_sentence=True) }} had no MRI, and '
        '{{ count("one.n", "patient") }} was lost to follow-up.\n'
        "Of them, {{ num('two.n') }} remained unchanged ({{ table_ref('o') }}).\n\n"
        "{{ table('o') }}\n",
    )
    assert "Thirteen patients had no MRI, and 1 patient was lost to follow-up." in text


# --------------------------------------------------------------------------- the seals behind it
def test_each_sealed_value_keeps_where_it_was_printed():
    seals = Seals()
    here = Printed("templates/sections/01-a.md.j2", 4, None)
    text = f"In {seals.seal(issued('13'), here)} patients, {seals.seal(issued('1'))}."
    plain, spans = seals.spans(text)
    assert plain == seals.unseal(text) == "In 13 patients, 1."
    assert [(plain[s.start : s.end], s.printed.line) for s in spans] == [("13", 4), ("1", None)]


def test_a_forged_or_altered_seal_has_no_place():
    seals = Seals()
    sealed = seals.seal(Quoted("13"))
    forged = sealed.replace("13", "14")
    plain, spans = seals.spans(f"{forged} and {sealed}")
    assert plain == "14 and 13"
    assert [(s.start, s.end) for s in spans] == [(7, 9)]


def test_prose_slips_read_only_prose():
    text = (
        "---\ntitle: x\n---\n"
        "| 1 patients | 13 |\n|---|---|\n\n"
        "```\n13 patients\n```\n\n"
        '![Figure 1. Flow.](f.svg){#fig:f fig-alt="13 patients were enrolled."}\n\n'
        "Cited [@ref2014].\n"
    )
    assert prose_slips(text, [], Nouns()) == []
    slips = prose_slips("It ended. 13 patients had none.\n", [], Nouns())
    assert [(s.words, s.rendered_line, s.printed) for s in slips] == [("13", 1, None)]
