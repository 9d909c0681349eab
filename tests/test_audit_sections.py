"""The audit families that read only the published numbers: units of analysis, table
denominators and facts across sections. Each rule on small crafted papers, passing and
failing, then on the real paper (data/published.yaml and data/published_checks.yaml)."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import PUBLISHED, REPO

from manuscript_engine.audit.model import SEVERITIES, Paper
from manuscript_engine.audit.published import load_published
from manuscript_engine.audit.sections import (
    check_exclusions,
    check_facts,
    check_must_appear,
    check_protocol_ranges,
    check_same_fact,
    check_sections,
    same_statement,
)
from manuscript_engine.audit.units import check_denominators, check_units, denominators_for
from manuscript_engine.core.yaml_schemas import YamlInvalid, check_yaml_against_schema

ARM = "x"


def number(id_, printed, stat="count", where=None, unit=None, **of):
    entry = {
        "id": id_,
        "where": where or f"Results, {id_}",
        "printed": printed,
        "measures": id_.replace("_", " "),
        "stat": stat,
        "of": {"arm": ARM, "pop": "included", **{k.rstrip("_"): v for k, v in of.items()}},
    }
    if unit:
        entry["unit"] = unit
    return entry


def fact(id_, where, printed, about, **extra):
    return {
        "id": id_,
        "where": where,
        "printed": printed,
        "measures": about,
        "stat": "protocol",
        "fact": about,
        **extra,
    }


def by_id(checks):
    return {c.id: c for c in checks}


# --------------------------------------------------------------------------- unit
UNITS = {
    "units": {
        "default": "patients",
        "default_counts": ["n.{arm}"],
        "totals": [
            {
                "unit": "vertebrae",
                "source": "Table 1",
                "weights": {"rows.1.{arm}": 1, "rows.2.{arm}": 2},
            }
        ],
    }
}


def vertebra_paper(*extra):
    """3 patients, 2 with one treated vertebra and 1 with two: 4 vertebrae."""
    return Paper(
        [
            number("n.x", "3", where="Table 1, header"),
            number("rows.1.x", "2", where="Table 1, row 1", var="levels", is_="1"),
            number("rows.2.x", "1", where="Table 1, row 2", var="levels", is_="2"),
            *extra,
        ],
        relations=UNITS,
    )


def test_a_total_of_vertebrae_equal_to_the_tables_total_is_consistent():
    paper = vertebra_paper(number("treated.x", "4", unit="vertebrae", pop="outcome"))
    (check,) = check_units(paper, UNITS)
    assert check.id == "unit:treated.x"
    assert check.verdict == "consistent"
    assert "2·1 + 1·2 = 4 vertebrae" in check.explanation
    assert set(check.involves) == {"treated.x", "rows.1.x", "rows.2.x"}


def test_a_total_of_vertebrae_equal_to_the_patients_reads_as_patients():
    paper = vertebra_paper(number("treated.x", "3", unit="vertebrae", pop="outcome"))
    (check,) = check_units(paper, UNITS)
    assert (check.verdict, check.severity) == ("inconsistent", "ambiguous")
    assert check.reading == "counts patients, not vertebrae"
    # The word is wrong, not the number: the check joins others by its cause alone.
    assert check.suspects == () and check.cause == "unit:vertebrae"
    assert {"treated.x", "n.x", "rows.1.x", "rows.2.x"} == set(check.involves)
    assert "3 is the number of patients" in check.explanation


def test_a_total_that_fits_neither_vertebrae_nor_patients_is_a_likely_error():
    paper = vertebra_paper(number("treated.x", "5", unit="vertebrae", pop="outcome"))
    (check,) = check_units(paper, UNITS)
    assert (check.verdict, check.severity, check.reading) == ("inconsistent", "likely error", "")
    assert "fits neither the tables' 4 vertebrae nor any printed count of patients" in (
        check.explanation
    )


@pytest.mark.parametrize(
    ("printed", "verdict", "severity"),
    [
        ("50", "consistent", ""),
        ("67", "inconsistent", "ambiguous"),
        ("40", "inconsistent", "likely error"),
    ],
)
def test_a_percentage_of_vertebrae_is_taken_of_the_tables_total(printed, verdict, severity):
    of = {"var": "leak", "is": "yes"}
    paper = vertebra_paper(
        number("leak.n.x", "2", unit="vertebrae", **of),
        number("leak.pct.x", printed, stat="percent", unit="vertebrae", **of),
    )
    found = by_id(check_units(paper, UNITS))
    assert found["unit:leak.n.x"].verdict == "consistent"  # 2 of 4: a part within its whole
    check = found["unit:leak.pct.x"]
    assert (check.verdict, check.severity) == (verdict, severity)
    assert "2 of 4 is 50.0%" in check.explanation
    if severity == "ambiguous":  # 2/3 = 67%: the percentage is of the 3 patients
        assert check.reading == "counts patients, not vertebrae"


def test_a_part_that_outnumbers_the_whole_is_a_contradiction():
    paper = vertebra_paper(number("leak.x", "5", unit="vertebrae", var="leak", is_="yes"))
    (check,) = check_units(paper, UNITS)
    assert (check.verdict, check.severity) == ("inconsistent", "contradiction")


@pytest.mark.parametrize(("second_row", "verdict"), [("2", "consistent"), ("3", "inconsistent")])
def test_two_tables_telling_the_same_units_total_must_agree(second_row, verdict):
    relations = copy.deepcopy(UNITS)
    relations["units"]["totals"].append(
        {"unit": "vertebrae", "source": "Table 4", "weights": {"levels.{arm}": 2}}
    )
    paper = vertebra_paper(number("levels.x", second_row, where="Table 4", var="v", is_="2"))
    (check,) = check_units(paper, relations)
    assert (check.id, check.verdict) == ("unit:tables:vertebrae:x", verdict)
    assert check.involves == ("rows.1.x", "rows.2.x", "levels.x")
    if verdict == "inconsistent":
        assert check.severity == "likely error"
        assert "2·1 + 1·2 = 4 (Table 1); 3·2 = 6 (Table 4); they disagree" in check.explanation


@pytest.mark.parametrize(
    ("units", "severity", "reading"),
    [
        ((None, "vertebrae"), "ambiguous", "counts patients, not vertebrae"),
        (("procedures", "vertebrae"), "likely error", ""),
        (("vertebrae", "vertebrae"), None, None),
    ],
)
def test_one_quantity_printed_twice_names_one_unit(units, severity, reading):
    of = {"var": "leak", "is": "yes"}
    paper = Paper(
        [
            number("results.leak", "41.4%", stat="percent", unit=units[0], **of),
            number("discussion.leak", "41.4%", stat="percent", unit=units[1], **of),
        ]
    )
    found = check_units(paper, {"units": {"default": "patients"}})
    if severity is None:
        assert found == []
        return
    (check,) = found
    assert (check.id, check.verdict) == ("unit:named:results.leak", "inconsistent")
    assert (check.severity, check.reading) == (severity, reading)
    assert check.involves == ("results.leak", "discussion.leak")
    assert check.suspects == tuple(k for k, u in zip(check.involves, units, strict=True) if u)


def test_entries_of_the_default_unit_or_of_a_unit_without_a_total_are_not_checked():
    paper = vertebra_paper(
        number("treated.x", "9", pop="outcome"), number("leaks.x", "9", unit="leakages", pop="x")
    )
    assert check_units(paper, UNITS) == []


# --------------------------------------------------------------------------- denominator
@pytest.mark.parametrize(
    ("count", "percent", "decimals", "expected"),
    [
        (66, 94, 0, [70]),  # 66/70 = 94.3%; 66/71 = 93.0%
        (29, 41.4, 1, [70]),
        (2, 67, 0, [3]),
        (40, 76, 0, []),  # 40/52 = 76.9%, 40/53 = 75.5%: no whole n
        (1, 1, 0, list(range(67, 201))),  # 0 decimals: 1/67 ... 1/200 all print as 1%
    ],
)
def test_the_whole_number_denominators_that_reproduce_a_percentage(
    count, percent, decimals, expected
):
    assert denominators_for(count, percent, decimals, limit=200) == expected


def test_a_count_of_zero_fits_every_denominator():
    assert denominators_for(0, 0, 0, limit=50) is None


HEADERS = {"headers": [{"n": "t.n.{arm}", "covers": "Table 2"}]}


def table(header, rows):
    """A table with a header n and rows (name, count, percent) in one arm."""
    entries = [number("t.n.x", header, where="Table 2, header")]
    for name, count, percent in rows:
        of = {"var": name, "is": "yes"}
        where = f'Table 2, row "{name}"'
        entries += [
            number(f"{name}.n", count, where=where + " (n)", **of),
            number(f"{name}.pct", percent, stat="percent", where=where + " (%)", **of),
        ]
    return Paper(entries, relations=HEADERS)


def test_rows_that_fit_the_header_are_consistent():
    found = check_denominators(table("11", [("a", "11", "100"), ("b", "5", "45")]), HEADERS)
    assert [c.verdict for c in found] == ["consistent", "consistent"]
    assert found[1].explanation.startswith("The header gives n = 11")
    assert set(found[1].involves) == {"b.pct", "b.n", "t.n.x"}


def test_rows_that_all_fit_another_n_are_one_finding_with_that_reading():
    paper = table("11", [("a", "9", "90"), ("b", "5", "50"), ("c", "11", "100")])
    found = by_id(check_denominators(paper, HEADERS))
    assert found["denominator:c.pct"].verdict == "consistent"
    for key in ("a.pct", "b.pct"):
        check = found[f"denominator:{key}"]
        assert (check.verdict, check.severity) == ("inconsistent", "ambiguous")
        assert check.reading == "the percentages are of n = 10, not the header's 11"
        assert check.cause == "denominator:t.n.x"
        assert check.suspects == (key,)
    assert "9/11 = 81.82%, which prints as 82%, not 90%" in found["denominator:a.pct"].explanation


def test_rows_taken_of_the_n_the_tables_note_prints_agree_with_the_table():
    paper = table("11", [("a", "9", "90"), ("b", "5", "50"), ("c", "11", "100")])
    note = number("t.note.x", "10", where="Table 2, note")
    rules = {"headers": [{**HEADERS["headers"][0], "note": "t.note.{arm}"}]}
    paper = Paper([*paper.entries.values(), note], relations=rules)
    found = by_id(check_denominators(paper, rules))
    assert {c.verdict for c in found.values()} == {"consistent"}
    assert "the table's note n = 10" in found["denominator:a.pct"].explanation
    assert "t.note.x" in found["denominator:a.pct"].involves


def test_rows_that_fit_different_other_ns_are_likely_errors_each():
    paper = table("11", [("a", "9", "90"), ("b", "5", "25")])  # 9/10 and 5/20
    found = by_id(check_denominators(paper, HEADERS))
    assert {c.severity for c in found.values()} == {"likely error"}
    assert {c.cause for c in found.values()} == {""}


def test_a_percentage_no_whole_n_reproduces_is_a_contradiction():
    # 40/44 = 90.9% and 40/45 = 88.9%: no n makes 40 print as 89.5%, nor does any convention.
    (check,) = check_denominators(table("53", [("s", "40", "89.5")]), HEADERS)
    assert (check.verdict, check.severity) == ("inconsistent", "contradiction")
    assert check.suspects == ("s.pct", "s.n")


def test_a_percentage_a_rounding_convention_explains_is_left_to_the_percentage_check():
    # 40/53 = 75.47%: no n rounds 40 to 76%, but rounding twice does (75.5%, then 76%).
    (check,) = check_denominators(table("53", [("s", "40", "76")]), HEADERS)
    assert check.verdict == "consistent" and "double rounding" in check.explanation


def test_rows_outside_the_headers_table_are_not_its_concern():
    paper = table("11", [("a", "9", "90")])
    paper.entries["a.pct"]["where"] = "Results, Safety"
    assert check_denominators(paper, HEADERS) == []


# --------------------------------------------------------------------------- fact
@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("14 G", "14 G", True),
        ("5–10 mL", "5 to 10 mL", True),
        ("Marrow nucleus rongeurs.", "marrow  nucleus rongeurs", True),
        ("14 G", "13 G", False),
        ("5–10 mL", "3–8 mL", False),
        ("rongeurs", "curette", False),
    ],
)
def test_two_statements_of_a_fact_are_compared_as_numbers_or_normalised_words(first, second, same):
    assert same_statement(first, second) is same


@pytest.mark.parametrize(("methods", "verdict"), [("14 G", "consistent"), ("13 G", "inconsistent")])
def test_a_fact_stated_in_two_sections_states_the_same_value(methods, verdict):
    paper = Paper(
        [
            fact("a.needle", "Abstract, Methods", "14 G", "needle"),
            fact("m.needle", "Methods, Procedure", methods, "needle"),
        ]
    )
    (check,) = check_same_fact(paper)
    assert (check.id, check.verdict) == ("fact:same:needle", verdict)
    assert check.involves == ("a.needle", "m.needle")
    assert check.severity == ("" if verdict == "consistent" else "likely error")
    assert "Abstract ('14 G'); Methods ('" + methods + "')" in check.explanation


def test_printed_value_says_what_two_wordings_of_a_fact_mean():
    paper = Paper(
        [
            fact("t.design", "Title", "a prospective study", "design", printed_value="prospective"),
            fact(
                "m.design",
                "Methods",
                "obtained prospectively",
                "design",
                printed_value="prospective",
            ),
        ]
    )
    assert check_same_fact(paper)[0].verdict == "consistent"


REQUIRED = {"facts": {"must_appear_in": {"Abstract": ["Methods"]}}}


def test_a_fact_of_the_abstract_must_be_described_in_the_methods():
    paper = Paper(
        [
            fact("a.tool", "Abstract, Methods", "rongeurs", "tool"),
            fact("m.tool", "Methods, Procedure", "rongeurs", "tool"),
            fact("a.ablation", "Abstract, Methods", "ablated with a probe", "ablation"),
            fact("r.other", "Results", "only in the results", "other"),
        ]
    )
    found = by_id(check_must_appear(paper, REQUIRED))
    assert set(found) == {"fact:in:Methods:tool", "fact:in:Methods:ablation"}
    assert found["fact:in:Methods:tool"].verdict == "consistent"
    missing = found["fact:in:Methods:ablation"]
    assert (missing.verdict, missing.severity) == ("inconsistent", "likely error")
    assert missing.suspects == ("a.ablation",)
    assert "the Abstract says it (Abstract ('ablated with a probe')), and the Methods never" in (
        missing.explanation
    )


def test_an_entrys_section_overrides_its_where():
    paper = Paper(
        [
            fact("a.tool", "Abstract, Methods", "rongeurs", "tool"),
            fact("m.tool", "Procedure box", "rongeurs", "tool", section="Methods"),
        ]
    )
    assert check_must_appear(paper, REQUIRED)[0].verdict == "consistent"


def range_paper(printed, low="3", high="8", arm=ARM):
    protocol = fact(
        "m.volume", "Methods, Procedure", printed, "volume", of={"var": "volume", "arm": ARM}
    )
    return Paper(
        [
            protocol,
            number("v.min", low, stat="min", var="volume"),
            number("v.max", high, stat="max", var="volume"),
            {
                **number("other.min", "1", stat="min", var="volume"),
                "of": {"arm": "y", "var": "volume"},
            },
        ]
    )


@pytest.mark.parametrize(
    ("printed", "verdict", "severity"),
    [
        ("2–9 mL", "consistent", ""),
        ("Approximately 5–10 mL", "inconsistent", "ambiguous"),
        ("5–10 mL", "inconsistent", "likely error"),
    ],
)
def test_a_protocol_range_contains_the_observed_range(printed, verdict, severity):
    (check,) = check_protocol_ranges(range_paper(printed))
    assert (check.id, check.verdict, check.severity) == ("fact:range:m.volume", verdict, severity)
    assert check.involves == ("m.volume", "v.min", "v.max")  # not the other arm's minimum
    if severity == "ambiguous":
        assert check.reading == (
            "the range is approximate ('Approximately 5–10 mL'), a target rather than a limit"
        )
    if verdict == "inconsistent":
        assert "outside 5–10: 3" in check.explanation


EXCLUDES = {
    "facts": {
        "excludes": [
            {
                "id": "success",
                "count": "ok",
                "cannot_overlap": "bad",
                "within": "n",
                "definition": "def",
            }
        ]
    }
}


@pytest.mark.parametrize(
    ("successes", "complications", "verdict"),
    [("52", "1", "consistent"), ("53", "0", "consistent"), ("53", "1", "inconsistent")],
)
def test_counts_a_definition_keeps_apart_fit_in_their_group(successes, complications, verdict):
    paper = Paper(
        [
            number("n", "53"),
            number("ok", successes, var="success", is_="yes"),
            number("bad", complications, var="complication", is_="major"),
            fact("def", "Methods", "success without any major complication", "definition"),
        ]
    )
    (check,) = check_exclusions(paper, EXCLUDES)
    assert check.verdict == verdict
    assert check.involves == ("ok", "bad", "n", "def")
    if verdict == "inconsistent":
        assert check.severity == "contradiction"
        assert check.suspects == ("ok",)
        assert "53 + 1 = 54 cannot exceed 53" in check.explanation


# --------------------------------------------------------------------------- the real paper
RELATIONS = yaml.safe_load((REPO / "data/published_checks.yaml").read_text(encoding="utf-8"))
ENTRIES = load_published(PUBLISHED)


@pytest.fixture(scope="module")
def real():
    return by_id(check_sections(Paper(ENTRIES, relations=RELATIONS), RELATIONS))


REAL_FINDINGS = {
    # Cement leakage "of the 70 treated vertebral bodies", "53 vertebral bodies", cement
    # "in 70/53 treated vertebrae", Table 2's "Stability of the treated vertebrae": the
    # patients, not the 112/101 vertebrae Table 1 implies.
    "unit:safety.treated.pvp_itr": ("ambiguous", "counts patients, not vertebrae"),
    "unit:safety.treated.pvp": ("ambiguous", "counts patients, not vertebrae"),
    "unit:safety.leakage.pct.pvp_itr": ("ambiguous", "counts patients, not vertebrae"),
    "unit:safety.leakage.pct.pvp": ("ambiguous", "counts patients, not vertebrae"),
    "unit:cement.n.pvp_itr": ("ambiguous", "counts patients, not vertebrae"),
    "unit:cement.n.pvp": ("ambiguous", "counts patients, not vertebrae"),
    "unit:t2.stability.pct.pvp_itr": ("ambiguous", "counts patients, not vertebrae"),
    "unit:t2.stability.pct.pvp": ("ambiguous", "counts patients, not vertebrae"),
    # The same leakage counts and rates as vertebral bodies (Results) and as patients
    # (Table 2 under its "n = 71" header; the Discussion's "41.4% in patients").
    "unit:named:safety.leakage.n.pvp_itr": ("ambiguous", "counts patients, not vertebrae"),
    "unit:named:safety.leakage.pct.pvp_itr": ("ambiguous", "counts patients, not vertebrae"),
    "unit:named:safety.leakage.n.pvp": ("ambiguous", "counts patients, not vertebrae"),
    "unit:named:safety.leakage.pct.pvp": ("ambiguous", "counts patients, not vertebrae"),
    # Table 2, group A: 66 (94), 29 (41.4), 62 (89), 65 (93) are of 70, not the header's 71.
    "denominator:t2.initial_relief.pct.pvp_itr": (
        "ambiguous",
        "the percentages are of n = 70, not the header's 71",
    ),
    "denominator:t2.leakage.pct.pvp_itr": (
        "ambiguous",
        "the percentages are of n = 70, not the header's 71",
    ),
    "denominator:t2.final_relief.pct.pvp_itr": (
        "ambiguous",
        "the percentages are of n = 70, not the header's 71",
    ),
    "denominator:t2.stability.pct.pvp_itr": (
        "ambiguous",
        "the percentages are of n = 70, not the header's 71",
    ),
    # The Abstract's radiofrequency ablation and "increased mobility", and the
    # Discussion's "blind" study: never in the Methods.
    "fact:in:Methods:procedure.tumour_ablation": ("likely error", ""),
    "fact:in:Methods:outcome.mobility_rate": ("likely error", ""),
    "fact:in:Methods:design.blinding": ("likely error", ""),
    # "Approximately 5–10 mL" of cement against the observed 3–8 mL.
    "fact:range:methods.cement_range": (
        "ambiguous",
        "the range is approximate ('Approximately 5–10 mL'), a target rather than a limit",
    ),
    # Group B "technically successful in all patients" (53 of 53) though one had a
    # cement leak into the canal with complete paraplegia, a major complication.
    "fact:excludes:technical_success.pvp": ("contradiction", ""),
}


def test_the_real_paper_findings_are_these(real):
    inconsistent = {
        key: (c.severity, c.reading) for key, c in real.items() if c.verdict == "inconsistent"
    }
    assert inconsistent == REAL_FINDINGS


def test_the_real_papers_vertebrae_are_112_and_101_by_table_1(real):
    assert (
        "47·1 + 12·2 + 7·3 + 5·4 = 112 vertebrae" in real["unit:safety.treated.pvp_itr"].explanation
    )
    assert "27·1 + 10·2 + 10·3 + 6·4 = 101 vertebrae" in real["unit:safety.treated.pvp"].explanation
    assert "29/n prints so only for n = 70" in real["unit:safety.leakage.pct.pvp_itr"].explanation


def test_the_real_papers_table_2_rows_of_70_are_one_finding(real):
    causes = {
        c.cause
        for k, c in real.items()
        if k.startswith("denominator:") and c.severity == "ambiguous"
    }
    assert causes == {"denominator:t2.n.pvp_itr"}
    assert real["denominator:t2.technical_success.pct.pvp_itr"].verdict == "consistent"  # 70/71
    assert "the size of 'Technical success, group A (PVP+ITR)' (70)" in (
        real["denominator:t2.leakage.pct.pvp_itr"].explanation
    )


def test_the_real_papers_agreeing_facts_are_consistent(real):
    for key in (
        "fact:same:needle_gauge.pvp_itr",
        "fact:same:followup_schedule",
        "fact:same:procedure.tumour_removal_tool",
        "fact:same:design.prospective",
        "fact:excludes:technical_success.pvp_itr",
    ):
        assert real[key].verdict == "consistent", key


def test_every_real_check_names_what_it_read_and_what_may_be_wrong(real):
    ids = {e["id"] for e in ENTRIES}
    for key, check in real.items():
        assert key.split(":")[0] == check.check in ("unit", "denominator", "fact")
        assert check.involves and set(check.involves) <= ids, key
        assert set(check.suspects) <= set(check.involves), key
        if check.verdict == "inconsistent":
            assert check.severity in SEVERITIES, key
            assert bool(check.reading) == (check.severity in ("ambiguous", "convention")), key
        else:
            assert not check.severity and not check.suspects, key


def test_the_families_need_no_cohort_and_no_study_words():
    source = "".join(
        (REPO / "workflow/manuscript_engine/audit" / name).read_text(encoding="utf-8").lower()
        for name in ("units.py", "sections.py")
    )
    for word in ("pvp", "itr", "vertebra", "vas", "kps", "odi", "cement", "pandas", "frame"):
        assert word not in source, word


# --------------------------------------------------------------------------- the files' rules
def refused(kind: str, data, **context) -> str:
    with pytest.raises(YamlInvalid) as error:
        check_yaml_against_schema(data, kind, f"data/{kind}.yaml", **context)
    return str(error.value)


def shipped(name: str):
    return yaml.safe_load((REPO / "data" / name).read_text(encoding="utf-8"))


def test_the_shipped_files_pass_with_their_units_headers_and_facts():
    check_yaml_against_schema(shipped("published.yaml"), "published", "data/published.yaml")
    check_yaml_against_schema(
        RELATIONS, "published_checks", "data/published_checks.yaml", published=ENTRIES
    )


def test_a_header_missing_for_one_arm_is_named_with_the_arm():
    relations = copy.deepcopy(RELATIONS)
    relations["headers"][1]["n"] = "t2.size.{arm}"
    message = refused("published_checks", relations, published=ENTRIES)
    assert (
        "headers[1] › n: found 't2.size.{arm}', which for arm 'pvp_itr' is 't2.size.pvp_itr', "
        "not the id of any published number"
    ) in message


def test_a_section_no_entry_is_printed_in_is_refused():
    relations = copy.deepcopy(RELATIONS)
    relations["facts"]["must_appear_in"] = {"Abstract": ["Method"]}
    message = refused("published_checks", relations, published=ENTRIES)
    assert "found 'Method', which is the section of no published number" in message
    assert "Did you mean 'Methods'?" in message


def test_an_exclusion_naming_no_published_number_is_refused():
    relations = copy.deepcopy(RELATIONS)
    relations["facts"]["excludes"][0]["within"] = "t2.n.everyone"
    message = refused("published_checks", relations, published=ENTRIES)
    assert "facts › excludes[0] (id technical_success.pvp_itr) › within: found 't2.n.everyone'" in (
        message
    )


def entry_of(book, key):
    return next(e for e in book["numbers"] if e["id"] == key)


def test_a_fact_on_a_count_is_refused():
    book = shipped("published.yaml")
    entry_of(book, "t1.n.pvp")["fact"] = "size"
    message = refused("published", book)
    assert (
        "(id t1.n.pvp) › stat: must be \"protocol\", found 'count' (only a protocol "
        "statement is about a 'fact')"
    ) in message


def test_a_unit_on_a_mean_is_refused():
    book = shipped("published.yaml")
    entry_of(book, "cement.mean.pvp")["unit"] = "vertebrae"
    message = refused("published", book)
    assert (
        "(id cement.mean.pvp) › unit: found a unit on a mean; only a count, a percentage or "
        "its confidence limits has a 'unit'"
    ) in message


def test_a_protocol_range_without_an_observed_range_is_refused():
    book = shipped("published.yaml")
    entry_of(book, "methods.cement_range")["of"] = {"var": "hospital_days", "arm": "pvp_itr"}
    entry_of(book, "methods.needle_pvp")["of"] = {"var": "cement_ml", "arm": "pvp"}
    message = refused("published", book)
    assert "no published minimum or maximum of 'hospital_days' in arm 'pvp_itr'" in message
    assert "found '13 G', which is not a range of two numbers" in message


def test_facts_from_the_real_relations_alone_match_check_facts():
    paper = Paper(ENTRIES, relations=RELATIONS)
    assert {c.id for c in check_facts(paper, RELATIONS)} == {
        c.id for c in check_sections(paper, RELATIONS) if c.check == "fact"
    }
