"""Every error in the author's guide is produced by the build, in the guide's words."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import CODEBOOK, REPO
from test_rendering import CLAIMS, render, templates

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.registry import Number, NumbersRegistry
from manuscript_engine.core.settings import check_config
from manuscript_engine.output.format_agreement import FormatsDisagree
from manuscript_engine.stats.comparisons import TooFewPatients, compare_continuous
from vertebroplasty.cross_table_rules import check_across_tables

GUIDE = (REPO / "templates/README.md").read_text()


def guide_messages() -> dict[str, list[str]]:
    """Heading -> the message blocks quoted under 'The build says'."""
    found: dict[str, list[str]] = {}
    errors = GUIDE.split("## When the build stops", 1)[1]
    for section in re.split(r"^### ", errors, flags=re.MULTILINE)[1:]:
        heading = section.splitlines()[0].strip()
        found[heading] = [
            block.strip() for block in re.findall(r"```\n(.*?)```", section, re.DOTALL)
        ]
    return found


def message_of(action) -> str:
    with pytest.raises(ManuscriptError) as excinfo:
        action()
    return str(excinfo.value)


def typed_number(tmp):
    root = templates(tmp, **{"04-results": "a\nb\nc\nd\nRelief was 88.6% in all.\n"})
    return message_of(lambda: render(root))


REGISTRY = NumbersRegistry([Number("flow.enrolled.pvp_itr.n", 81, "81", "patients", None, "t")])


def tables_error(tmp):
    one = templates(tmp / "a", **{"01-a": "{{ table('outcome') }}\n"})
    two = templates(tmp / "b", **{"01-a": "See {{ table_ref('outcomes') }}.\n"})
    outcomes = {"outcomes": "| a |\n|---|\n| b |\n\nTable: O. {#tbl:outcomes}\n"}
    return message_of(lambda: render(one, tables=outcomes)) + message_of(
        lambda: render(two, tables=outcomes)
    )


def placed_twice(tmp):
    root = templates(tmp, **{"04-results": "{{ table('effects') }}\n"})
    (root / "supplement").mkdir()
    (root / "supplement/01-secondary-analyses.md.j2").write_text("{{ table('effects') }}\n")
    effects = {"effects": "| a |\n|---|\n| b |\n\nTable: E. {#tbl:effects}\n"}
    return message_of(lambda: render(root, tables=effects))


def bad_cohort(tmp):
    from test_validation import bad_cohort as build

    from manuscript_engine.data.cohort import load_codebook
    from manuscript_engine.data.validation import validate_cohort

    folder = build("vas_above_maximum", tmp / "data" / "raw")
    text = message_of(lambda: validate_cohort(folder, load_codebook(CODEBOOK), check_across_tables))
    return text.replace(folder.as_posix(), "data/raw")


def bad_setting(tmp):
    config = {"dat_dir": "x", "synthetic_cohort": True}
    return message_of(
        lambda: check_config(
            config, REPO / "workflow/manuscript_engine/core/schemas/config.schema.yaml"
        )
    )


def formats(tmp):
    from manuscript_engine.output import format_agreement
    from manuscript_engine.output.conversion import build_document_tree

    md = tmp / "m.md"
    md.write_text("# Abstract\n\nValue 88.6.\n")
    tree = tmp / "m.json"
    sections = tmp / "sections.json"
    sections.write_text("[]")
    build_document_tree(
        md,
        tree,
        defaults=REPO / "workflow/manuscript_engine/output/pandoc/defaults/tree.yaml",
        bibliography=REPO / "templates/references.bib",
        sections=sections,
        figures=[],
    )
    html = tmp / "m.html"
    html.write_text("<h1>Abstract</h1><p>Value 88.7.</p>")
    with pytest.raises(FormatsDisagree) as excinfo:
        format_agreement.check_formats({tree: [html]}, tmp / "report.txt")
    return str(excinfo.value)


def audit(tmp):
    from test_audit import audit_of_the_real_paper

    return message_of(lambda: audit_of_the_real_paper(tmp, strict=True))


def smuggled_html(tmp):
    from test_hostile_templates import build_html

    section = "{## ##}\n" * 11 + '<iframe src="/etc/passwd"></iframe>\n'
    workdir = tmp / "work"
    workdir.mkdir()
    here = Path.cwd()
    os.chdir(workdir)
    try:
        return message_of(lambda: build_html(workdir, section, name="06-conclusion"))
    finally:
        os.chdir(here)


def not_utf8(tmp):
    root = templates(tmp, **{"01-a": "Text.\n"})
    (root / "sections/01-a.md.j2").write_bytes(b"Caf\xe9.\n")
    return message_of(lambda: render(root))


SLIPS = NumbersRegistry(
    [
        Number("flow.excluded_no_followup_mri.total.n", 13, "13", "patients", None, "t"),
        Number("leakage.site.spinal_canal.pvp.n", 1, "1", "patients", None, "t"),
        Number("paraplegia.unchanged.pvp.n", 1, "1", "patients", None, "t"),
    ]
)


def slip(tmp, line: int, text: str) -> str:
    """The message for ``text`` at ``line`` of 04-results (the lines before it read well)."""
    body = "Text.\n" * (line - 1) + text + "\n"
    return message_of(lambda: render(templates(tmp, **{"04-results": body}), registry=SLIPS))


TRIGGERS = {
    "A number typed into the prose": typed_number,
    '"Significant" typed by hand': lambda tmp: message_of(
        lambda: render(templates(tmp, **{"01-a": "It was significantly better.\n"}))
    ),
    "A number made by the template": lambda tmp: message_of(
        lambda: render(templates(tmp, **{"04-results": "a\nb\nWe treated {{ 40 + 2 }}.\n"}))
    ),
    "A sentence that opens with a number": lambda tmp: slip(
        tmp,
        6,
        '{{ num("flow.excluded_no_followup_mri.total.n") }} patients had no follow-up MRI.',
    ),
    "A count that disagrees with its noun or its verb": lambda tmp: slip(
        tmp,
        22,
        "Leakage into the spinal canal occurred in "
        '{{ num("leakage.site.spinal_canal.pvp.n") }} patients.\n'
        'Of them, {{ num("paraplegia.unchanged.pvp.n") }} were unchanged.',
    ),
    "HTML, scripts or files from outside in the text": smuggled_html,
    "A template that cannot be read": not_utf8,
    "A key that does not exist": lambda tmp: message_of(
        lambda: render(
            templates(tmp, **{"01-a": "{{ num('flow.enroled.pvp_itr.n') }}\n"}), registry=REGISTRY
        )
    ),
    "A study fact that does not exist": lambda tmp: message_of(
        lambda: render(templates(tmp, **{"01-a": "{{ fact('needle_it') }}\n"}))
    ),
    "A claim the data do not support": lambda tmp: message_of(
        lambda: render(
            templates(tmp, **{"01-a": "{{ claim('leakage.any', 'significantly lower') }}\n"}),
            registry=CLAIMS,
        )
    ),
    "A broken placeholder": lambda tmp: message_of(
        lambda: render(templates(tmp, **{"01-a": "{{ num('x') }}}}\n{{ num('x' }}\n"}))
    ),
    "A name the templates do not know": lambda tmp: message_of(
        lambda: render(templates(tmp, **{"01-a": "{{ patients_total }}\n"}))
    ),
    "A table that does not exist, or one never placed": tables_error,
    "A table placed in both the manuscript and the supplement": placed_twice,
    "A problem in the cohort data": bad_cohort,
    "A setting that does not exist or has the wrong type": bad_setting,
    "A number that differs between the formats": formats,
    "A new inconsistency in the published paper": audit,
    "Too few patients to compare": lambda tmp: message_of(
        lambda: compare_continuous(
            [5.0],
            [4.0, 5.0, 6.0],
            {"continuous_test": "mann_whitney", "mann_whitney_continuity": False},
            "Cement volume",
        )
    ),
}


def test_every_error_in_the_guide_has_a_trigger():
    assert set(guide_messages()) == set(TRIGGERS)


@pytest.mark.parametrize("heading", sorted(TRIGGERS))
def test_the_guide_quotes_the_message_the_build_prints(heading, tmp_path):
    produced = " ".join(TRIGGERS[heading](tmp_path).split())
    for quoted in guide_messages()[heading]:
        assert " ".join(quoted.split()) in produced, f"{heading}: {quoted!r} not in {produced!r}"


def test_too_few_patients_is_an_author_error():
    assert issubclass(TooFewPatients, ManuscriptError)
