"""Journal profiles: the schema, the word-count rule, the limit messages and the masked copy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pypandoc
import pytest
import yaml

from manuscript_engine.core.journals import (
    JournalInvalid,
    available_journals,
    journal_profile_file,
    load_journal,
)
from manuscript_engine.core.yaml_schemas import YamlInvalid
from manuscript_engine.output.journal_check import (
    JournalLimitExceeded,
    check_journal,
    title_page_problems,
)
from manuscript_engine.output.masking import (
    WITHHELD,
    MaskingRefused,
    first_person_problems,
    identifying_strings,
    leftovers,
    mask_tree,
    self_citations,
    write_masked_tree,
)
from manuscript_engine.output.word_counts import count_manuscript, plain_text, words_in

REPO = Path(__file__).resolve().parents[1]
JOURNALS = REPO / "config/journals"

# A worked example, counted by hand, one word per number:
#   Pain(1) relief(2) was(3) more(4) frequent(5) with(6) PVP+ITR(7) (62(8) of(9) 70;(10)
#   P(11) <  0.001)(12) than(13) with(14) PVP(15) alone,(16) a(17) difference(18) of(19)
#   26.3(20) percentage(21) points(22) ±(-) 7.1(23) —(-) see(24) follow-up(25) [@smith2001]
# "<", "±" and "—" hold no letter or digit; the citation mark is not counted.
WORKED_EXAMPLE = (
    "Pain relief was more frequent with PVP+ITR (62 of 70; P < 0.001) than with PVP alone, "
    "a difference of 26.3 percentage points ± 7.1 — see follow-up [@smith2001]."
)
WORKED_EXAMPLE_WORDS = 25
REFERENCES = """\
references:
- id: smith2001
  type: article-journal
  author: [{family: Smith, given: John}]
  title: A study
  issued: {date-parts: [[2001]]}
- id: gu2014
  type: article-journal
  author: [{family: Gu, given: Y. F.}, {family: Chen, given: K. Y.}]
  title: Our earlier technique
  issued: {date-parts: [[2014]]}
- id: chen2009
  type: article-journal
  author: [{family: Chen, given: K. Y.}]
  title: Someone else's work
  issued: {date-parts: [[2009]]}
"""
METADATA = {
    "title": "A trial",
    "authors": [
        {
            "name": "Yi-Feng Gu",
            "affiliations": ["radiology"],
            "corresponding": True,
            "email": "gu@example.org",
        },
        {"name": "Dong Chen", "affiliations": ["radiology"]},
    ],
    "affiliations": {
        "radiology": "Institute of Interventional Radiology, Example Hospital, Shanghai"
    },
    "keywords": ["one", "two", "three"],
}


def tree_of(markdown: str) -> dict:
    """pandoc's document tree of ``markdown``, citations resolved (as the build makes it)."""
    document = f"---\n{REFERENCES}---\n\n{markdown}"
    return json.loads(
        pypandoc.convert_text(document, "json", format="markdown", extra_args=["--citeproc"])
    )


# --------------------------------------------------------------------------- counting words
def test_the_worked_example_has_the_words_counted_by_hand():
    paragraph = tree_of(WORKED_EXAMPLE)["blocks"][0]  # then citeproc's reference list
    assert words_in(paragraph) == WORKED_EXAMPLE_WORDS


def test_the_count_follows_pandocs_documented_word_count_filter(tmp_path):
    """pandoc's Lua filter manual, "Counting words in a document": a text element (Str) is
    a word when it is not entirely punctuation (`el.text:match("%P")`). On ASCII text
    that is our rule; the citation mark is dropped first, as journals do not count it."""
    lua = tmp_path / "wordcount.lua"
    lua.write_text(
        "local words = 0\n"
        "local function count(el) if el.text:match('%P') then words = words + 1 end end\n"
        "function Pandoc(doc) doc:walk({Str = count}); io.stderr:write(words) return doc end\n",
        encoding="utf-8",
    )
    ascii_example = WORKED_EXAMPLE.replace(" [@smith2001]", "").replace(" ± 7.1 —", " + 7.1 -")
    import subprocess

    result = subprocess.run(
        [pypandoc.get_pandoc_path(), "--lua-filter", str(lua), "-t", "plain"],
        input=ascii_example,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(result.stderr) == words_in(tree_of(ascii_example)["blocks"]) == WORKED_EXAMPLE_WORDS


MANUSCRIPT = f"""\
- **Radiology:** Institute of Interventional Radiology, Example Hospital, Shanghai

Corresponding author: Yi-Feng Gu (gu@example.org).

# Abstract {{#sec:abstract}}

**Objective.** Five words in the abstract.

# Introduction {{#sec:introduction}}

{WORKED_EXAMPLE}

## A subheading of six words here

| a | b |
|---|---|
| one two | three four |

: Table 1. A caption of seven words here.

::: {{.table-note}}
A note under the table, not counted.
:::

![Figure 1. A caption.](figure.png)

# Conclusion {{#sec:conclusion}}

Three more words.

# Acknowledgement {{-}}

We thank Dong Chen of Example Hospital.

# References {{-}}

::: {{#refs}}
:::
"""


def test_the_abstract_and_main_text_are_counted_as_journals_count_them():
    counts = count_manuscript(tree_of(MANUSCRIPT))
    assert counts.abstract_words == 6  # "Objective." and five words
    # the worked example and "Three more words.": no title page, headings, table,
    # caption, table note, figure, citation mark, acknowledgement or reference list
    assert counts.main_text_words == WORKED_EXAMPLE_WORDS + 3
    assert [s.title for s in counts.main_sections()] == ["Introduction", "Conclusion"]
    assert (counts.tables, counts.figures, counts.references) == (1, 1, 1)


# --------------------------------------------------------------------------- profiles
def test_the_shipped_profiles_load_and_name_real_styles():
    assert available_journals(JOURNALS) == ["insights_into_imaging", "journal_of_pain_research"]
    source = load_journal(JOURNALS / "journal_of_pain_research.yaml")
    other = load_journal(JOURNALS / "insights_into_imaging.yaml")
    assert source["limits"]["abstract_words"] == 300
    assert other["limits"] == {
        "abstract_words": 250,
        "main_text_words": 3000,
        "tables": 5,
        "figures": 6,
    }
    assert source["citation_style"] != other["citation_style"]


def test_the_default_build_uses_the_source_journals_profile():
    config = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
    assert config["journal"] == "journal_of_pain_research"


def test_an_unknown_journal_is_refused_naming_the_profiles():
    with pytest.raises(JournalInvalid) as refused:
        journal_profile_file("insights_into_imagng", JOURNALS)
    message = str(refused.value)
    assert "'insights_into_imagng'" in message
    assert "Did you mean 'insights_into_imaging'?" in message
    assert "Available profiles: insights_into_imaging, journal_of_pain_research." in message


def profile_copy(tmp_path: Path, edit) -> Path:
    path = tmp_path / "config/journals/test.yaml"
    path.parent.mkdir(parents=True)
    shutil.copy(JOURNALS / "insights_into_imaging.yaml", path)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def test_a_misspelt_key_is_refused_naming_it_and_the_known_keys(tmp_path):
    path = profile_copy(tmp_path, lambda text: text.replace("abstract_words:", "abstract_word:"))
    with pytest.raises(YamlInvalid) as refused:
        load_journal(path)
    message = str(refused.value)
    assert "limits › abstract_word: 'abstract_word' is not a known key." in message
    assert "Did you mean 'abstract_words'?" in message
    assert (
        "Known keys here: abstract_words, figures, main_text_words, references, tables." in message
    )


def test_a_citation_style_the_package_lacks_is_refused(tmp_path):
    path = profile_copy(
        tmp_path,
        lambda text: text.replace("springer-vancouver-brackets", "springer-vancover-brackets"),
    )
    with pytest.raises(JournalInvalid, match="'springer-vancover-brackets' is not a style"):
        load_journal(path)


# --------------------------------------------------------------------------- limits
def write_build(tmp_path: Path, markdown: str) -> dict[str, Path]:
    """The files the check reads: the tree, the Markdown and which template wrote what."""
    template = tmp_path / "templates/sections/01-abstract.md.j2"
    template.parent.mkdir(parents=True)
    template.write_text(markdown, encoding="utf-8")
    files = {
        "tree": tmp_path / "manuscript.json",
        "markdown": tmp_path / "manuscript.md",
        "sections": tmp_path / "sections.json",
        "report": tmp_path / "journal.txt",
    }
    files["tree"].write_text(json.dumps(tree_of(markdown)), encoding="utf-8")
    files["markdown"].write_text(markdown, encoding="utf-8")
    lines = len(markdown.splitlines())
    files["sections"].write_text(
        json.dumps([{"template": template.as_posix(), "first_line": 1, "last_line": lines}]),
        encoding="utf-8",
    )
    return files


def check(files: dict[str, Path], profile: dict, shown_as: str = "config/journals/x.yaml"):
    """The journal check of a build written by :func:`write_build`."""
    return check_journal(
        files["tree"],
        profile,
        shown_as,
        METADATA,
        files["sections"],
        files["markdown"],
        files["report"],
    )


def mask(files: dict[str, Path], folder: Path) -> dict[str, str]:
    """The masked copy of a build written by :func:`write_build`, with REFERENCES."""
    bibliography = folder / "references.json"
    bibliography.write_text(json.dumps(csl_entries()), encoding="utf-8")
    return write_masked_tree(
        files["tree"],
        folder / "masked.json",
        metadata=METADATA,
        bibliography=[bibliography],
        markdown=files["markdown"],
        sections=files["sections"],
    )


def test_an_exceeded_limit_stops_the_build_with_the_counts(tmp_path):
    files = write_build(tmp_path, MANUSCRIPT)
    profile = load_journal(JOURNALS / "insights_into_imaging.yaml")
    profile["limits"] = {"abstract_words": 5, "main_text_words": 1000, "tables": 0}
    with pytest.raises(JournalLimitExceeded) as refused:
        check(files, profile)
    message = str(refused.value)
    template = (tmp_path / "templates/sections/01-abstract.md.j2").as_posix()
    assert (
        "Abstract: 6 words, the journal allows 5 (config/journals/x.yaml, limits › "
        f"abstract_words). Shorten the Abstract in {template}."
    ) in message
    assert (
        "Tables: 1 tables, the journal allows 0 (config/journals/x.yaml, limits › tables)"
        in message
    )
    assert "Main text" not in message  # 28 words are within 1000
    assert not files["report"].exists()


def test_within_the_limits_the_report_lists_each_count(tmp_path):
    files = write_build(tmp_path, MANUSCRIPT)
    check(files, load_journal(JOURNALS / "insights_into_imaging.yaml"))
    report = files["report"].read_text(encoding="utf-8")
    assert "Abstract: 6 words (limit 250)" in report
    assert f"Main text: {WORKED_EXAMPLE_WORDS + 3} words (limit 3000)" in report
    assert "References: 1 references (no limit)" in report


def test_the_title_page_must_hold_what_the_journal_asks():
    profile = load_journal(JOURNALS / "insights_into_imaging.yaml")
    metadata = {
        **METADATA,
        "authors": [{"name": "Yi-Feng Gu", "corresponding": True}],
        "keywords": ["a", "b", "c", "d", "e", "f"],
    }
    problems = "\n".join(title_page_problems(metadata, profile, "config/journals/x.yaml"))
    assert "the corresponding author Yi-Feng Gu has no `email`" in problems
    assert "the author Yi-Feng Gu has no `affiliations`" in problems
    assert "6 keyword(s), the journal asks for 1 to 5" in problems


# --------------------------------------------------------------------------- masking
def csl_entries() -> list[dict]:
    return yaml.safe_load(REFERENCES)["references"]


def test_self_citations_match_surname_and_first_initial():
    # gu2014 has Gu Y.F., an author; chen2009's Chen K.Y. is not the author Dong Chen
    assert self_citations(csl_entries(), METADATA) == {"gu2014": "2014"}


def test_a_self_citation_in_the_first_person_is_refused_with_its_template_line(tmp_path):
    template = tmp_path / "intro.md.j2"
    template.write_text(
        "The technique was described before [@gu2014].\n"
        "We developed it earlier [@gu2014].\n"
        "We followed another group's method [@chen2009].\n",
        encoding="utf-8",
    )
    markdown = template.read_text(encoding="utf-8").splitlines()
    spans = [{"template": template.as_posix(), "first_line": 1, "last_line": 3}]
    problems = first_person_problems(markdown, spans, {"gu2014": "2014"})
    assert len(problems) == 1
    assert problems[0].startswith(f"{template.as_posix()} line 2: We developed it earlier")
    assert "(gu2014)" in problems[0]


def test_the_masked_tree_keeps_no_name_affiliation_or_address():
    tree = tree_of(
        MANUSCRIPT.replace("Three more words.", "Approved by [Example Hospital]{.identifying}.")
        + "\nCited [@gu2014; @chen2009].\n"
    )
    tree["meta"]["author"] = {"t": "MetaInlines", "c": [{"t": "Str", "c": "Yi-Feng Gu"}]}
    forbidden = identifying_strings(METADATA)
    assert leftovers(tree, forbidden)  # the unmasked tree names them
    masked = mask_tree(tree, {"gu2014": "2014"})
    assert leftovers(masked, forbidden) == []
    text = plain_text(masked["blocks"])
    assert "Acknowledgement" not in text and "Example Hospital" not in text
    assert f"Approved by {WITHHELD} ." in text
    assert "Anonymous. Details withheld for blind review (2014)." in text
    assert "Someone Else" in text  # another author's work keeps its entry
    assert "author" not in masked["meta"]


def test_a_name_left_in_the_text_stops_the_masked_copy(tmp_path):
    markdown = MANUSCRIPT.replace("Three more words.", "Yi-Feng Gu measured every vertebra.")
    with pytest.raises(MaskingRefused) as refused:
        mask(write_build(tmp_path, markdown), tmp_path)
    assert "'Yi-Feng Gu' in the section 'Conclusion'" in str(refused.value)
    assert not (tmp_path / "masked.json").exists()


def test_the_authors_guide_example_counts_as_it_says():
    guide = (REPO / "templates/README.md").read_text(encoding="utf-8")
    example = (
        '"Relief was more frequent with PVP+ITR (62 of 70; P < 0.001) [@gu2014]."\nis 11 words.'
    )
    assert example in guide
    assert words_in(tree_of(example.split('"')[1])["blocks"][0]) == 11
