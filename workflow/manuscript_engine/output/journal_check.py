"""The manuscript against the chosen journal's profile: limits and title page.

Counts come from :mod:`.word_counts` (whose docstring gives the counting rule). Every
limit exceeded and every title-page field missing is reported at once, with the count,
the limit, the profile key that sets it and the template to edit; nothing is written
then. Otherwise ``results/checks/journal.txt`` lists each count against its limit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from manuscript_engine.core.atomic_files import write_text_atomically
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.output.word_counts import ABSTRACT_ID, ManuscriptCounts, count_manuscript

METADATA = "templates/metadata.yaml"
LIMITS = {
    "abstract_words": ("Abstract", "words"),
    "main_text_words": ("Main text", "words"),
    "tables": ("Tables", "tables"),
    "figures": ("Figures", "figures"),
    "references": ("References", "references"),
}
"""Each limit: how the report names what it counts, and the unit."""
PLACED = {
    "tables": re.compile(r"\{\{-?\s*table\("),
    "figures": re.compile(r"\{\{-?\s*figure\("),
}
"""How a template places a table or a figure (the template helpers of text/)."""


class JournalLimitExceeded(ManuscriptError):
    """The manuscript exceeds a limit of the journal, or lacks a title-page field."""


def check_journal(
    tree_path: Path,
    profile: dict[str, Any],
    profile_path: str,
    metadata: dict[str, Any],
    sections_path: Path,
    markdown_path: Path,
    report: Path,
) -> ManuscriptCounts:
    """Refuse the manuscript when it breaks the profile; else write the counts' report."""
    counts = count_manuscript(json.loads(Path(tree_path).read_text(encoding="utf-8")))
    spans = json.loads(Path(sections_path).read_text(encoding="utf-8"))
    markdown = Path(markdown_path).read_text(encoding="utf-8").splitlines()
    problems = limit_problems(counts, profile, profile_path, spans, markdown)
    problems += title_page_problems(metadata, profile, profile_path)
    if problems:
        raise JournalLimitExceeded(
            f"The manuscript does not meet what {profile['name']} asks "
            f"({len(problems)} problem(s)):\n"
            + "\n".join(f"  - {problem}" for problem in problems)
            + f"\nTo build for another journal: make paper JOURNAL=<name> (profiles in "
            f"{Path(profile_path).parent.as_posix()}/)."
        )
    write_text_atomically(report, counts_report(counts, profile, profile_path))
    return counts


def limit_problems(
    counts: ManuscriptCounts,
    profile: dict[str, Any],
    profile_path: str,
    spans: list[dict],
    markdown: list[str],
) -> list[str]:
    """One sentence per limit exceeded: the count, the limit, where it is set, what to edit."""
    problems = []
    for key, (label, unit) in LIMITS.items():
        limit = (profile.get("limits") or {}).get(key)
        found = getattr(counts, key)
        if limit is None or found <= limit:
            continue
        problems.append(
            f"{label}: {found} {unit}, the journal allows {limit} ({profile_path}, "
            f"limits › {key}). {_what_to_do(key, counts, spans, markdown)}"
        )
    return problems


def _what_to_do(key: str, counts: ManuscriptCounts, spans: list[dict], markdown: list[str]) -> str:
    if key == "abstract_words":
        return f"Shorten the Abstract in {_template_of(ABSTRACT_ID, spans, markdown)}."
    if key == "main_text_words":
        parts = ", ".join(
            f"{s.title} {s.words} ({_template_of(s.id, spans, markdown)})"
            for s in counts.main_sections()
        )
        return f"Shorten the main text; words by section: {parts}."
    if key in PLACED:
        where = [
            span["template"]
            for span in spans
            if _reads(span["template"]) and PLACED[key].search(_reads(span["template"]))
        ]
        return (
            f"Move some to the supplement or remove them: they are placed in "
            f"{', '.join(where) or 'the templates'}."
        )
    return "Cite fewer works (the reference list holds every work the templates cite)."


def _template_of(section_id: str, spans: list[dict], markdown: list[str]) -> str:
    """The template that writes the heading with ``{#section_id}`` (or a Markdown line)."""
    line = next(
        (i for i, text in enumerate(markdown, 1) if text.startswith("#") and section_id in text),
        None,
    )
    span = next((s for s in spans if line and s["first_line"] <= line <= s["last_line"]), None)
    if span:
        return span["template"]
    return "the templates" if line is None else f"the manuscript's Markdown line {line}"


def _reads(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def title_page_problems(
    metadata: dict[str, Any], profile: dict[str, Any], profile_path: str
) -> list[str]:
    """What the journal's title page needs and ``templates/metadata.yaml`` lacks."""
    wanted = profile.get("title_page") or {}
    problems = []
    authors = metadata.get("authors") or []
    if wanted.get("corresponding_email"):
        corresponding = [a for a in authors if a.get("corresponding")]
        if not corresponding:
            problems.append(
                f"{METADATA}: no author is marked `corresponding: true`; the journal asks "
                f"for a corresponding author with an e-mail address ({profile_path}, "
                "title_page › corresponding_email)."
            )
        for author in corresponding:
            if not author.get("email"):
                problems.append(
                    f"{METADATA}: the corresponding author {author['name']} has no `email`; "
                    f"the journal asks for one ({profile_path}, title_page › "
                    "corresponding_email)."
                )
    if wanted.get("affiliations"):
        for author in authors:
            if not author.get("affiliations"):
                problems.append(
                    f"{METADATA}: the author {author['name']} has no `affiliations`; the "
                    f"journal asks for each author's ({profile_path}, title_page › "
                    "affiliations)."
                )
    bounds = wanted.get("keywords") or {}
    found = len(metadata.get("keywords") or [])
    low, high = bounds.get("min", 0), bounds.get("max")
    if found < low or (high is not None and found > high):
        allowed = f"{low} to {high}" if high is not None else f"at least {low}"
        problems.append(
            f"{METADATA}: {found} keyword(s), the journal asks for {allowed} "
            f"({profile_path}, title_page › keywords). Edit `keywords` there."
        )
    return problems


def counts_report(counts: ManuscriptCounts, profile: dict[str, Any], profile_path: str) -> str:
    """The counts against the limits, as written to ``results/checks/journal.txt``."""
    lines = [
        f"Journal: {profile['name']} ({profile_path}; instructions: {profile['instructions']})",
        "Words are counted as output/word_counts.py and templates/README.md describe.",
        "",
    ]
    for key, (label, unit) in LIMITS.items():
        limit = (profile.get("limits") or {}).get(key)
        allowed = f"limit {limit}" if limit is not None else "no limit"
        lines.append(f"{label}: {getattr(counts, key)} {unit} ({allowed})")
    lines += ["", "Words by section (main text):"]
    lines += [f"  {s.title}: {s.words}" for s in counts.main_sections()]
    figures = profile["figures"]
    lines += [
        "",
        f"Figure files: {figures['format'].upper()}, {figures['dpi']} dpi",
        f"Line numbers: {'on' if profile['line_numbers'] else 'off'}",
    ]
    return "\n".join(lines) + "\n"
