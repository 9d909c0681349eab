"""Provenance of the HTML's numbers: each quoted registry number carries its key, and
the record the page shows for a key says how it was computed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import CODEBOOK

from manuscript_engine.core.errors import TemplateProblem
from manuscript_engine.core.registry import Number, NumbersRegistry
from manuscript_engine.data.cohort import load_codebook
from manuscript_engine.data.vocabulary import study_arms
from manuscript_engine.output.format_agreement import numbers_of, text_of
from manuscript_engine.output.provenance import (
    ADDED_CLOSE,
    ADDED_OPEN,
    Origin,
    Provenance,
    appendix,
    escaped_json,
    make_numbers_focusable,
    page_data,
    quoted_keys,
)
from manuscript_engine.stats.comparisons import compare_categorical, compare_continuous
from manuscript_engine.stats.tables import NumberBook
from manuscript_engine.text.rendering import render_manuscript
from manuscript_engine.text.template_helpers import Manuscript, number_span

META = {"title": "A title", "authors": [{"name": "A. Author"}], "affiliations": {}}
STATISTICS = {"alpha": 0.05, "ci_level": 0.95}
BOOK = load_codebook(CODEBOOK)
SPAN = re.compile(r'\[([^\]]*)\]\{\.num data-key="([a-z0-9_.]+)"\}')


def registry(*extra: Number) -> NumbersRegistry:
    return NumbersRegistry(
        [
            Number("relief.pvp_itr.n", 62, "62", "patients", 70, "table_relief"),
            Number("relief.pvp_itr.pct", 88.57, "88.6", "%", 70, "table_relief"),
            Number("relief.pvp_itr.ci_low", 79.0, "79.0", "%", 70, "table_relief"),
            Number("relief.pvp_itr.ci_high", 94.1, "94.1", "%", 70, "table_relief"),
            Number("excluded.n", 13, "13", "patients", None, "table_relief"),
            Number("volume.p", 0.0004, "< 0.001", "", 123, "table_relief"),
            *extra,
        ]
    )


def manuscript(numbers: NumbersRegistry | None = None) -> Manuscript:
    return Manuscript(numbers or registry(), {}, {}, "../figures", STATISTICS, BOOK)


def test_a_templates_helper_marks_each_number_with_its_key_and_the_plain_text_stays():
    helpers = manuscript().globals()
    quoted = helpers["n_pct"]("relief.pvp_itr")
    assert str(quoted) == "62 (88.6%)"
    assert quoted.annotated == (
        '[62]{.num data-key="relief.pvp_itr.n"} ([88.6]{.num data-key="relief.pvp_itr.pct"}%)'
    )
    assert helpers["p"]("volume").annotated == 'P [< 0.001]{.num data-key="volume.p"}'
    spelt = helpers["count"]("excluded.n", "patient", opens_sentence=True)
    assert spelt.annotated == '[Thirteen]{.num data-key="excluded.n"} patients'
    assert helpers["num"]("relief.pvp_itr.pct").annotated == (
        '[88.6]{.num data-key="relief.pvp_itr.pct"}'
    )


def test_the_engines_own_calls_get_plain_text():
    # A figure caption or an error message reads the helpers directly: no marks there.
    direct = manuscript()
    assert direct.n_pct("relief.pvp_itr") == "62 (88.6%)"
    assert direct.ci("relief.pvp_itr") == "95% CI 79.0–94.1%"


def test_text_markdown_would_read_differently_in_brackets_is_left_unmarked():
    assert number_span("a.b", "1.5 [0.2]") == "1.5 [0.2]"
    assert number_span("a.b", "<b>2</b>") == "<b>2</b>"
    assert number_span("a.b", "< 0.001") == '[< 0.001]{.num data-key="a.b"}'


def render(tmp_path, text: str) -> tuple[str, str]:
    root = tmp_path / "templates"
    (root / "sections").mkdir(parents=True)
    (root / "sections" / "01-results.md.j2").write_text(text)
    annotated: list[str] = []
    plain = render_manuscript(
        root,
        manuscript(),
        metadata=META,
        settings={"date": "2020-01-02", "synthetic_cohort": False},
        annotated=annotated,
    )
    return plain, annotated[0]


def test_every_quoted_registry_value_is_one_span_and_the_rest_is_the_plain_markdown(tmp_path):
    plain, annotated = render(
        tmp_path,
        "# Results\n\n"
        'Relief in {{ n_pct("relief.pvp_itr") }} patients ({{ ci("relief.pvp_itr") }});\n'
        '{{ p("volume") }}. {{ count("excluded.n", "patient", opens_sentence=True) }} '
        "were excluded.\n",
    )
    spans = SPAN.findall(annotated)
    # n, pct, ci_low, ci_high, p and the spelt-out count: six registry values quoted
    assert [key for _, key in spans] == [
        "relief.pvp_itr.n",
        "relief.pvp_itr.pct",
        "relief.pvp_itr.ci_low",
        "relief.pvp_itr.ci_high",
        "volume.p",
        "excluded.n",
    ]
    assert SPAN.sub(r"\1", annotated) == plain
    assert plain.count("\n") == annotated.count("\n")  # same lines: the checks map them
    assert "data-key" not in plain


def mann_whitney_registry() -> NumbersRegistry:
    arms = study_arms(BOOK)
    book = NumberBook("table_outcomes", arms)
    first, second = np.array([6, 6, 7, 7, 8.0]), np.array([3, 4, 4, 5.0])
    result = compare_continuous(
        first, second, {"continuous_test": "mann_whitney", "mann_whitney_continuity": False}
    )
    book.comparison("volume", result, 2.1, 2, 9, "mL")
    return NumbersRegistry(book.numbers)


def provenance(numbers: NumbersRegistry, tmp_path: Path) -> Provenance:
    table = tmp_path / "table_outcomes.md"
    table.write_text("| P |\n|---|\n| 0.016 |\n\nTable: Outcomes {#tbl:outcomes}\n")
    return Provenance(
        registry=numbers,
        origins={"table_outcomes": Origin("make_table", "vertebroplasty.table_outcomes:x")},
        tables={"table_outcomes": table},
        placed={"tbl:outcomes": ("manuscript", "3")},
        hashes={"data/raw/a.csv": "ab" * 32},
        data_inputs=["data/raw/a.csv"],
        commit="0123abc",
    )


def test_a_mann_whitney_p_names_u_the_group_sizes_and_how_p_was_computed(tmp_path):
    record = provenance(mann_whitney_registry(), tmp_path).record("volume.p")
    test = record["test"]
    assert test["name"] == "Mann–Whitney U test"
    assert test["statistic"] == "U = 20.0"  # every first-group value beats every second
    assert test["sizes"] == "n₁ = 5, n₂ = 4"
    assert test["variant"].startswith("asymptotic")
    assert record["rule"] == "make_table"
    assert record["function"] == "vertebroplasty.table_outcomes:x"
    assert record["module"] == "workflow/vertebroplasty/table_outcomes.py"
    assert record["tables"][0]["label"] == "Table 3"
    assert record["n"] == "9"


def test_a_fisher_test_is_recorded_as_exact_with_its_column_totals():
    result = compare_categorical([[1, 9], [4, 1]], {"min_expected_count": 5})
    assert result.provenance()["variant"] == "exact"
    assert result.provenance()["sizes"] == [5, 10]


def test_what_the_registry_does_not_know_is_said_not_invented(tmp_path):
    numbers = NumbersRegistry([Number("free.value", 3, "3", "", None, "somewhere else")])
    record = provenance(numbers, tmp_path).record("free.value")
    assert record["n"] == "not recorded"
    assert record["rule"] == "not recorded"
    assert record["test"] is None
    assert record["tables"] == []


def test_a_registry_entrys_detail_survives_the_json_file(tmp_path):
    numbers = mann_whitney_registry()
    numbers.to_json(tmp_path / "numbers.json")
    again = NumbersRegistry.from_json(tmp_path / "numbers.json")
    assert again["volume.test"].detail == numbers["volume.test"].detail
    assert "detail" not in json.loads((tmp_path / "numbers.json").read_text())["volume.p"]


def test_markup_in_a_value_is_never_markup_on_the_page(tmp_path):
    hostile = "</script><script>alert(1)</script>&"
    numbers = NumbersRegistry([Number("x.y", hostile, hostile, "", None, "table_outcomes")])
    data = page_data(provenance(numbers, tmp_path), ["x.y"])
    blob = escaped_json(data)
    assert "<" not in blob and ">" not in blob and "&" not in blob
    assert json.loads(blob)["keys"]["x.y"]["text"] == hostile
    assert "<script>" not in appendix(data)


def tree_with_number() -> dict:
    span = {"t": "Span", "c": [["", ["num"], [["data-key", "a.b"]]], [{"t": "Str", "c": "7"}]]}
    return {"blocks": [{"t": "Para", "c": [span, {"t": "Str", "c": "x"}, dict(span)]}]}


def test_numbers_become_focusable_and_are_listed_once():
    tree = tree_with_number()
    make_numbers_focusable(tree)
    assert tree["blocks"][0]["c"][0]["c"][0][2] == [["data-key", "a.b"], ["tabindex", "0"]]
    assert quoted_keys(tree) == ["a.b"]


def test_the_format_check_reads_the_paper_not_the_provenance_added_to_the_html(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<html><body><p>Relief in <span class="num" data-key="a.b" tabindex="0">62</span>'
        f" patients.</p>{ADDED_OPEN}<table><tr><td>99.5</td></tr></table>{ADDED_CLOSE}"
        "</body></html>"
    )
    assert numbers_of(text_of(page), "") == ["62"]


def test_a_template_cannot_forge_a_numbers_mark(tmp_path):
    with pytest.raises(TemplateProblem, match=r"line 3 .*'num' and the attribute 'data-key'"):
        render(
            tmp_path,
            "# Results\n\n"
            'About {{ num("relief.pvp_itr.n") }} or [many]{.num data-key="volume.p"}.\n',
        )


def test_a_source_the_build_does_not_know_has_no_origin(tmp_path):
    known = provenance(registry(), tmp_path)
    assert known.origin_of("table_outcomes (outcome population)").rule == "make_table"
    assert known.origin_of("") is None
    assert known.origin_of("a hand-made list") is None


def test_the_tree_without_number_marks_is_the_plain_markdowns_tree():
    """One pandoc pass serves every format: the marked tree, unmarked, equals the tree of
    the plain Markdown, numbers inside words, brackets, tables and captions included."""
    import pypandoc

    from manuscript_engine.output.provenance import without_number_marks

    plain = (
        "Of 145 (62%) patients, 3.5 ± 1.2 points.\n\n| a | b |\n|---|--:|\n"
        "| x | 71 |\n\n: Table 1 (n = 124)\n"
    )
    marked = (
        'Of [145]{.num data-key="a.n"} ([62]{.num data-key="a.pct"}%) patients, '
        '[3.5 ± 1.2]{.num data-key="m"} points.\n\n| a | b |\n|---|--:|\n'
        '| x | [71]{.num data-key="b"} |\n\n: Table 1 (n = [124]{.num data-key="n"})\n'
    )

    def tree(text: str) -> dict:
        return json.loads(pypandoc.convert_text(text, "json", format="markdown"))

    assert without_number_marks(tree(marked)) == tree(plain)
    assert tree(marked) != tree(plain)
