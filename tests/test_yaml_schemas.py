"""Every hand-written YAML file is checked against its schema where it is read.

Each malformed file below used to be read without complaint, then either stopped a
later step with a bare error (``KeyError: 'type'``, ``StopIteration``), was blamed on
the cohort data, or was silently misread (the comment of each case says which). Now
the reader refuses it, naming the file, the key path, what was found and what is
expected. The files are read the way the build reads them: through the codebook and
published-number loaders, the audit step and the rendering step.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO

from manuscript_engine.core.errors import ManuscriptError

SHIPPED = {
    "codebook": "data/codebook.yaml",
    "published": "data/published.yaml",
    "published_checks": "data/published_checks.yaml",
    "audit": "config/audit.yaml",
    "study_facts": "config/study_facts.yaml",
    "metadata": "templates/metadata.yaml",
    "journal": "config/journals/journal_of_pain_research.yaml",
    "sources": "config/sources.yaml",
    "checklist": "config/checklists/strobe_cohort.yaml",
}
"""Each file format (schema name) and the project's file in it."""


# --------------------------------------------------------------------------- readers
def read_codebook(workdir: Path) -> None:
    from manuscript_engine.data.cohort import load_codebook

    load_codebook(Path(SHIPPED["codebook"]))


def read_published(workdir: Path) -> None:
    from manuscript_engine.audit.published import load_published

    load_published(Path(SHIPPED["published"]))


def run_audit(workdir: Path) -> None:
    """The audit step up to reading the cohort (absent here): every YAML file it takes."""
    from manuscript_engine.audit.checks import write_audit

    out = workdir / "results/audit"
    write_audit(
        published=SHIPPED["published"],
        relations=SHIPPED["published_checks"],
        patients="results/analysis/absent.csv",
        enrollment="results/validated/absent.csv",
        number_files=[],
        codebook=SHIPPED["codebook"],
        acknowledgements=SHIPPED["audit"],
        strict=True,
        synthetic=True,
        csv=out / "audit.csv",
        markdown=out / "audit.md",
        numbers=workdir / "results/numbers/audit.json",
    )


def render(workdir: Path) -> None:
    """The rendering step up to the templates: the study facts and the metadata."""
    import yaml

    from manuscript_engine.core.settings import settings_file, write_setting
    from manuscript_engine.text.steps import render_markdown

    config = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
    settings = []
    for key in ("manuscript", "synthetic_cohort", "statistics"):
        settings.append(settings_file("results/settings", key, config[key]))
        Path(settings[-1]).parent.mkdir(parents=True, exist_ok=True)
        write_setting(config, key, settings[-1])
    numbers = workdir / "results/numbers/numbers.json"
    numbers.parent.mkdir(parents=True, exist_ok=True)
    numbers.write_text(json.dumps({}), encoding="utf-8")
    render_markdown(
        SimpleNamespace(
            settings=settings,
            numbers=str(numbers),
            figures=[str(workdir / "results/figures/patient_flow.svg")],
            tables=[],
            facts=SHIPPED["study_facts"],
            metadata=SHIPPED["metadata"],
            codebook=SHIPPED["codebook"],
        ),
        SimpleNamespace(
            markdown=str(workdir / "results/manuscript/manuscript.md"),
            sources=str(workdir / "results/pandoc/sections.json"),
        ),
        SimpleNamespace(template_dir=str(workdir / "templates")),
        None,
    )


def read_journal(workdir: Path) -> None:
    from manuscript_engine.core.journals import load_journal

    load_journal(Path(SHIPPED["journal"]))


def read_sources(workdir: Path) -> None:
    from manuscript_engine.data.sources.read import load_sources_config

    load_sources_config(Path(SHIPPED["sources"]), [])


def read_checklist(workdir: Path) -> None:
    from manuscript_engine.text.checklists import load_checklist

    load_checklist("strobe", {"items": SHIPPED["checklist"]})


READERS = {
    "codebook": read_codebook,
    "published": read_published,
    "published_checks": run_audit,
    "audit": run_audit,
    "study_facts": render,
    "metadata": render,
    "journal": read_journal,
    "sources": read_sources,
    "checklist": read_checklist,
}
"""Where the build reads each file."""


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A folder with the shipped YAML files at their places, as the working directory."""
    for name in SHIPPED.values():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refusal(project: Path, kind: str, old: str | None, new: str) -> str:
    """The message the build gives once ``old`` is replaced by ``new`` in the file.

    With ``old`` None the whole file is ``new``.
    """
    path = project / SHIPPED[kind]
    text = path.read_text(encoding="utf-8")
    if old is not None:
        assert text.count(old) == 1, f"{old!r} is not once in {SHIPPED[kind]}"
    path.write_text(new if old is None else text.replace(old, new), encoding="utf-8")
    with pytest.raises(ManuscriptError) as refused:
        READERS[kind](project)
    return str(refused.value)


# --------------------------------------------------------------------------- malformed files
CB, PUB, REL = "codebook", "published", "published_checks"
AGE = "age_years: {meaning: Age at the procedure, type: integer, unit: years, min: 18, max: 100"
CEMENT_STEP = (
    "        step: 0.5\n        missing: true\n        missing_when: empty exactly when no"
)
CI_HIGH = next(
    line + "\n"
    for line in (REPO / SHIPPED[PUB]).read_text(encoding="utf-8").splitlines()
    if "safety.technical_success.ci_high.pvp_itr" in line
)
TITLE = (REPO / SHIPPED["metadata"]).read_text(encoding="utf-8").split("authors:")[0]

CASES = [
    # (case, file format, text replaced (None: the whole file), replacement, expected parts)
    (
        "journal profile with abstract_word for abstract_words",
        "journal",
        "  abstract_words: 300",
        "  abstract_word: 300",
        [
            "config/journals/journal_of_pain_research.yaml, limits › abstract_word: "
            "'abstract_word' is not a known key. Did you mean 'abstract_words'?"
        ],
    ),
    (
        "sources record_event misspelt",
        "sources",
        "  record_event:",
        "  record_evnt:",
        [
            "config/sources.yaml, redcap › record_evnt: 'record_evnt' is not a known key. Did "
            "you mean 'record_event'?"
        ],
    ),
    (
        "codebook missing code that is also an allowed value",
        CB,
        "labels: {M: Male, F: Female}, missing: false}",
        "labels: {M: Male, F: Female}, missing: false, missing_codes: {M: not known}}",
        [
            "data/codebook.yaml, tables › baseline › columns › sex › missing_codes: 'M' is "
            "both an allowed value and a code for a missing value"
        ],
    ),
    (
        "codebook column with typ: for type",  # was: KeyError: 'type' in validation
        CB,
        AGE,
        AGE.replace("type:", "typ:"),
        [
            "data/codebook.yaml, tables › baseline › columns › age_years › typ: 'typ' is not a "
            "known key. Did you mean 'type'?",
            "data/codebook.yaml, tables › baseline › columns › age_years: the key 'type' is "
            "missing (what the column holds); found only meaning, typ, unit, min, max, step",
        ],
    ),
    (
        "codebook type integr",  # was: accepted
        CB,
        AGE,
        AGE.replace("integer", "integr"),
        [
            "data/codebook.yaml, tables › baseline › columns › age_years › type: 'integr' is not "
            "a choice; use one of: string, integer, number, category, boolean. Did you mean "
            "'integer'?"
        ],
    ),
    (
        "codebook min as text",  # was: accepted
        CB,
        AGE,
        AGE.replace("min: 18", "min: eighteen"),
        [
            "data/codebook.yaml, tables › baseline › columns › age_years › min: must be a "
            "number, found 'eighteen' (the smallest allowed value)."
        ],
    ),
    (
        "codebook min above max",  # was: every age reported as a data error
        CB,
        AGE,
        AGE.replace("min: 18", "min: 180"),
        [
            "data/codebook.yaml, tables › baseline › columns › age_years › min: the minimum 180 "
            "is above the maximum 100; expected min <= max."
        ],
    ),
    (
        "codebook category without values",  # was: KeyError: 'values' in validation
        CB,
        "sex: {meaning: Sex, type: category, values: [M, F], labels: {M: Male, F: Female}, "
        "missing: false}",
        "sex: {meaning: Sex, type: category, labels: {M: Male, F: Female}, missing: false}",
        [
            "data/codebook.yaml, tables › baseline › columns › sex: the key 'values' is missing "
            "(a category column lists its allowed codes under 'values'); found only meaning, "
            "type, labels, missing."
        ],
    ),
    (
        "codebook values on an integer column",  # was: accepted and ignored
        CB,
        "type: integer, min: 1, max: 4",
        'type: integer, values: ["1", "2"], min: 1, max: 4',
        [
            "data/codebook.yaml, tables › baseline › columns › vertebrae_treated › values: only "
            "a category column lists values, and this column's type is integer."
        ],
    ),
    (
        "codebook key column not among the columns",  # was: KeyError: Index(['visit_code'])
        CB,
        "key: [patient_id, visit]",
        "key: [patient_id, visit_code]",
        [
            "data/codebook.yaml, tables › visits › key[1]: found 'visit_code', which is not a "
            "column of this table; expected one of: patient_id, visit, vas, odi, kps. Did you "
            "mean 'visit'?"
        ],
    ),
    (
        "codebook number column without step",  # was: KeyError: 'step' writing the CSV
        CB,
        CEMENT_STEP,
        CEMENT_STEP.replace("        step: 0.5\n", ""),
        [
            "data/codebook.yaml, tables › procedure › columns › cement_ml: the key 'step' is "
            "missing (a number column gives its recording 'step'"
        ],
    ),
    (
        "codebook booleans unquoted",  # was: every yes/no cell a data error
        CB,
        'booleans: ["yes", "no"]',
        "booleans: [yes, no]",
        [
            'data/codebook.yaml, booleans: must be ["yes", "no"], found a list [true, false] '
            '(how yes/no columns are written: exactly ["yes", "no"], in quotes'
        ],
    ),
    (
        "codebook pattern that is no regular expression",  # was: accepted, the pattern not checked
        CB,
        'pattern: "^[A-Za-z0-9_-]{1,32}$"\n        example: P0001\n'
        "        missing: false\n      arm:",
        'pattern: "^[A-Za-z0-9_-{1,32}$"\n        example: P0001\n'
        "        missing: false\n      arm:",
        [
            "data/codebook.yaml, tables › enrollment › columns › patient_id › pattern: found "
            "'^[A-Za-z0-9_-{1,32}$', which is not a valid regular expression"
        ],
    ),
    (
        "codebook a list instead of a mapping",  # was: TypeError: list indices
        CB,
        None,
        "- tables\n- definitions\n",
        [
            "data/codebook.yaml: the file must hold a group of 'key: value' entries (the "
            "codebook), found a list ['tables', 'definitions']."
        ],
    ),
    (
        "codebook empty",  # was: TypeError: 'NoneType' object is not subscriptable
        CB,
        None,
        "# nothing yet\n",
        [
            "data/codebook.yaml: the file is empty; it must hold a group of 'key: value' "
            "entries (the codebook)."
        ],
    ),
    (
        "published entry without id",  # was: KeyError: 'id' in the audit
        PUB,
        "- {id: abstract.included.total, where:",
        "- {where:",
        [
            "data/published.yaml, numbers[0]: the key 'id' is missing (a stable name without "
            "spaces, such as 'flow.included.total'); found only where, printed, measures, stat, "
            "of."
        ],
    ),
    (
        "published unknown stat",  # was: accepted, the number never checked
        PUB,
        "'patients analysed, PVP (group B)', stat: count",
        "'patients analysed, PVP (group B)', stat: number",
        [
            "data/published.yaml, numbers[2] (id abstract.included.pvp) › stat: 'number' is not "
            "a choice; use one of: count, percent, mean, sd, min, max, ci_lower, ci_upper, "
            "p_value, claim, significance_mark, protocol, literature."
        ],
    ),
    (
        "published ci_lower without its ci_upper",  # was: StopIteration in the audit
        PUB,
        CI_HIGH,
        "",
        [
            "data/published.yaml, numbers[47] (id safety.technical_success.ci_low.pvp_itr) › "
            "stat: found a ci_lower without its ci_upper; expected an entry with stat ci_upper "
            "and the same 'of' (the same measure)"
        ],
    ),
    (
        "published printed as a list",  # was: accepted, the number read from "[124]"
        PUB,
        "{id: abstract.included.total, where: 'Abstract, Patients and methods', printed: '124'",
        "{id: abstract.included.total, where: 'Abstract, Patients and methods', printed: [124]",
        [
            "data/published.yaml, numbers[0] (id abstract.included.total) › printed: must be "
            "text, found a list [124] (the number exactly as printed, as text in quotes"
        ],
    ),
    (
        "published printed unquoted",  # was: accepted, trailing zeros lost
        PUB,
        "printed: '13.0'",
        "printed: 13.0",
        [
            "data/published.yaml, numbers[25] (id methods.spss) › printed: must be text, found "
            "13.0",
            "Put it in quotes, so that YAML keeps it as it is typed.",
        ],
    ),
    (
        "published is: no unquoted",  # was: accepted, no patient counted (False != 'no')
        PUB,
        "var: included, is: 'no'}",
        "var: included, is: no}",
        [
            "data/published.yaml, numbers[29] (id flow.excluded.total) › of › is: must be text "
            "or a number, found false",
            "write 'yes' or 'no' in quotes.",
        ],
    ),
    (
        "published population misspelt",  # was: accepted, every included patient counted
        PUB,
        "(PVP)', stat: count, of: {arm: pvp, pop: outcome}}",
        "(PVP)', stat: count, of: {arm: pvp, pop: outcomes}}",
        [
            "data/published.yaml, numbers[59] (id safety.treated.pvp) › of › pop: 'outcomes' is "
            "not a choice; use one of: enrolled, included, outcome. Did you mean 'outcome'?"
        ],
    ),
    (
        "published id used twice",  # was: accepted, the first entry silently dropped
        PUB,
        "- {id: abstract.included.pvp, where:",
        "- {id: abstract.included.pvp_itr, where:",
        [
            "data/published.yaml, numbers[2] (id abstract.included.pvp_itr) › id: "
            "'abstract.included.pvp_itr' is already the id of numbers[1]; expected an id used "
            "once"
        ],
    ),
    (
        "published_checks part that is no published number",  # was: KeyError in the audit
        REL,
        "parts: [flow.included.pvp_itr, flow.no_mri.pvp_itr, flow.lost.pvp_itr]",
        "parts: [flow.included.pvp_itr, flow.no_mri.pvp_itr, flow.lost.pvp_it]",
        [
            "data/published_checks.yaml, sums[0] (id flow.enrolled.pvp_itr) › parts[2]: found "
            "'flow.lost.pvp_it', which is not the id of any published number "
            "(data/published.yaml). Did you mean 'flow.lost.pvp_itr'?"
        ],
    ),
    (
        "published_checks table note that is no published number",  # was: silently unused
        REL,
        '- {n: "t2.n.{arm}", covers: "Table 2"}',
        '- {n: "t2.n.{arm}", covers: "Table 2", note: "t2.note.{arm}"}',
        [
            "data/published_checks.yaml, headers[1] › note: found 't2.note.{arm}', which for "
            "arm 'pvp' is 't2.note.pvp', not the id of any published number "
            "(data/published.yaml). Did you mean 't2.n.pvp'?"
        ],
    ),
    (
        "published_checks comment that is no published number",  # was: silently unused
        REL,
        "\n  k: 2\n",
        "\n  k: 2\n  comments: [{claim: t3.note.kps, cell: {score: kps, visit: m01, arm: pvp}}]\n",
        [
            "data/published_checks.yaml, trajectories › comments[0] › claim: found "
            "'t3.note.kps', which is not the id of any published number (data/published.yaml)."
        ],
    ),
    (
        "audit unknown key",  # was: accepted, nothing acknowledged
        "audit",
        "\nacknowledged:\n",
        "\nacknowledgements:\n",
        [
            "config/audit.yaml, acknowledgements: 'acknowledgements' is not a known key. Did you "
            "mean 'acknowledged'? Known keys here: acknowledged.",
            "config/audit.yaml: the key 'acknowledged' is missing",
        ],
    ),
    (
        "audit finding id without its prefix",  # was: accepted, reported as resolved
        "audit",
        '  "finding:asia_last.a.pvp":',
        '  "asia_last.a.pvp":',
        [
            "config/audit.yaml, acknowledged: the name 'asia_last.a.pvp' is not allowed; use a "
            "finding id as the audit report shows it, such as 'finding:pain.deteriorated.total'"
        ],
    ),
    (
        "audit reason of the wrong type",  # was: accepted, the number shown as the reason
        "audit",
        '"finding:asia_last.a.pvp": "Group B\'s ASIA grades at last follow-up (22 + 3 + 27) add to '
        '52 of 53; its transitions give 28 with B-D."',
        '"finding:asia_last.a.pvp": 52',
        [
            "config/audit.yaml, acknowledged › finding:asia_last.a.pvp: must be text, found 52 "
            "(a one-line reason, as text)."
        ],
    ),
    (
        "study_facts fact as a group",  # was: accepted, "{'gauge': '14 G'}" printed
        "study_facts",
        "needle_itr: 14 G",
        "needle_itr: {gauge: 14 G}",
        [
            "config/study_facts.yaml, needle_itr: must be text or a number, found a group of "
            "keys (gauge)"
        ],
    ),
    (
        "study_facts fact left empty",  # was: accepted, "None" printed
        "study_facts",
        "needle_pvp: 13 G",
        "needle_pvp:",
        ["config/study_facts.yaml, needle_pvp: must be text or a number, found an empty value"],
    ),
    (
        "study_facts a list instead of a mapping",  # was: every fact reported unknown
        "study_facts",
        None,
        "- needle_itr: 14 G\n- needle_pvp: 13 G\n",
        [
            "config/study_facts.yaml: the file must hold a group of 'key: value' entries (the "
            "study facts), found a list"
        ],
    ),
    (
        "metadata title missing",  # was: KeyError: 'title' in the title block
        "metadata",
        TITLE,
        "",
        [
            "templates/metadata.yaml: the key 'title' is missing (the manuscript's title, as "
            "text); found only authors, affiliations, keywords."
        ],
    ),
    (
        "metadata author name a number",  # was: accepted, 42 printed as an author
        "metadata",
        "{name: Dong Chen,",
        "{name: 42,",
        ["templates/metadata.yaml, authors[7] › name: must be text, found 42"],
    ),
    (
        "checklist item numbered with a capital letter",  # would never match a marker
        "checklist",
        '{id: "12b",',
        '{id: "12B",',
        [
            "config/checklists/strobe_cohort.yaml, items[14] (id 12B) › id: '12B' is not in the "
            "expected form (the item's number, with its letter or number for a sub-item "
            "('12b', '6.1'))."
        ],
    ),
    (
        "checklist item without its description",
        "checklist",
        ', description: "Consider showing the flow of participants in a diagram."}',
        "}",
        [
            "config/checklists/strobe_cohort.yaml, items[20] (id 13c): the key 'description' is "
            "missing (what the item asks, in the project's own words); found only id, section."
        ],
    ),
    (
        "metadata affiliation that is not listed",  # was: accepted, the author unaffiliated
        "metadata",
        "{name: Dong Chen, affiliations: [orthopaedics]}",
        "{name: Dong Chen, affiliations: [orthopedics]}",
        [
            "templates/metadata.yaml, authors[7] (name Dong Chen) › affiliations[0]: found "
            "'orthopedics', which is not a key of 'affiliations'; expected one of: radiology, "
            "orthopaedics. Did you mean 'orthopaedics'?"
        ],
    ),
]


@pytest.mark.parametrize(
    ("kind", "old", "new", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_malformed_file_is_refused_naming_file_key_found_and_expected(
    project, kind, old, new, expected
):
    message = refusal(project, kind, old, new)
    assert message.startswith(f"{SHIPPED[kind]} is not in the form the build reads")
    assert message.endswith(
        "The form of each key is described in "
        f"workflow/manuscript_engine/core/schemas/{kind}.schema.yaml."
    )
    for part in expected:
        assert part in message, message


def test_the_cases_cover_every_file_format():
    assert len(CASES) >= 20
    assert {case[1] for case in CASES} == set(SHIPPED)


# --------------------------------------------------------------------------- shipped files
@pytest.mark.parametrize("kind", SHIPPED)
def test_the_shipped_files_pass_their_schemas(kind):
    from manuscript_engine.audit.published import load_published
    from manuscript_engine.core.yaml_schemas import load_checked_yaml

    published = load_published(REPO / SHIPPED["published"])
    load_checked_yaml(REPO / SHIPPED[kind], kind, published=published)


def test_the_schemas_are_valid_json_schemas():
    import jsonschema

    from manuscript_engine.core.yaml_files import load_yaml
    from manuscript_engine.core.yaml_schemas import SCHEMAS

    names = sorted(p.name.removesuffix(".schema.yaml") for p in SCHEMAS.glob("*.schema.yaml"))
    assert names == sorted([*SHIPPED, "config"])  # config.yaml: checked by check_config
    for name in names:
        jsonschema.Draft202012Validator.check_schema(load_yaml(SCHEMAS / f"{name}.schema.yaml"))


SECOND_STUDY = """\
version: 1
booleans: ["yes", "no"]
arms:
  column: group
  groups:
    - {key: drug, code: drug, label: Drug}
    - {key: placebo, code: placebo, label: Placebo}
tables:
  participants:
    file: participants.csv
    granularity: one row per randomised participant
    key: [subject]
    columns:
      subject: {meaning: Participant code, type: string, pattern: "^S[0-9]{3}$"}
      group: {meaning: Allocated group, type: category, values: [drug, placebo]}
      weight_kg: {meaning: Weight, type: number, unit: kg, min: 30, max: 250, step: 0.1}
      relapse: {meaning: Relapse within a year, type: boolean, missing: true,
                missing_when: empty when lost to follow-up}
definitions:
  populations: {randomised: Every participant.}
  response: {source: weight_kg, categories: {low: {min: 30, max: 70}, high: {min: 70.1, max: 250}}}
"""


def test_a_second_study_with_other_tables_arms_and_variables_passes():
    import yaml

    from manuscript_engine.core.yaml_schemas import check_yaml_against_schema

    check_yaml_against_schema(yaml.safe_load(SECOND_STUDY), "codebook", "other/codebook.yaml")
    facts = {"drug_name": "Examplomab", "dose_mg": 50}
    check_yaml_against_schema(facts, "study_facts", "other/study_facts.yaml")
    published = {
        "numbers": [
            {
                "id": f"relapse.{limit}.drug",
                "where": "Results",
                "printed": printed,
                "measures": "relapse rate, drug group",
                "stat": limit,
                "of": {"arm": "drug", "pop": "included", "var": "relapse", "is": "yes"},
            }
            for limit, printed in (("ci_lower", "12%"), ("ci_upper", "30%"))
        ]
    }
    check_yaml_against_schema(published, "published", "other/published.yaml")


def test_problems_of_one_file_are_all_listed_up_to_a_limit():
    from manuscript_engine.core.yaml_schemas import SHOWN, YamlInvalid, check_yaml_against_schema

    facts = {f"fact_{i}": None for i in range(SHOWN + 5)}
    with pytest.raises(YamlInvalid) as refused:
        check_yaml_against_schema(facts, "study_facts", "config/study_facts.yaml")
    lines = str(refused.value).splitlines()
    assert lines[0] == (
        f"config/study_facts.yaml is not in the form the build reads ({SHOWN + 5} problem(s)):"
    )
    assert lines[-2] == "  - ... and 5 more problem(s) of this file."
