"""Checks on the template source: no typed numbers, no hand-typed significance words.

Digits belong in the data, the registry or ``config/study_facts.yaml``; prose that
types one can go stale without anyone noticing. Jinja expressions, statements and
comments, citation keys (``[@gu2014]``), pandoc attributes (``{#tbl:x}``) and link
targets are not prose and are not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

NOT_PROSE = re.compile(
    r"\{\{.*?\}\}"  # Jinja expressions
    r"|\{%.*?%\}"  # Jinja statements
    r"|\{##.*?##\}"  # Jinja comments
    r"|\[@[^\]]*\]|@[\w:-]+"  # citations
    r"|\{[#.][^}]*\}"  # pandoc attributes
    r"|\]\([^)]*\)",  # link targets
    re.DOTALL,
)
DIGIT = re.compile(r"[0-9]")
SIGNIFICANCE = re.compile(r"\b(non-?)?significan(t|tly|ce)\b", re.IGNORECASE)


@dataclass(frozen=True)
class LintProblem:
    template: str
    line: int
    text: str
    rule: str

    def __str__(self) -> str:
        return f"{self.template} line {self.line}: {self.rule}\n    {self.text}"


def mask(source: str) -> str:
    """The source with every non-prose region blanked out (line breaks kept)."""
    return NOT_PROSE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), source)


def lint_template(path: Path, shown_as: str) -> list[LintProblem]:
    source = Path(path).read_text(encoding="utf-8")
    problems = []
    original = source.splitlines()
    for number, line in enumerate(mask(source).splitlines(), start=1):
        digit = DIGIT.search(line)
        if digit:
            token = re.search(
                r"\S*[0-9]\S*", line[digit.start() - 20 if digit.start() > 20 else 0 :]
            ).group(0)
            problems.append(
                LintProblem(
                    shown_as,
                    number,
                    original[number - 1].strip(),
                    f"the number '{token}' is typed into the prose. Quote it from the data with "
                    "{{ num('key') }} (`make numbers` lists the keys), or from "
                    "config/study_facts.yaml with {{ fact('name') }}.",
                )
            )
        word = SIGNIFICANCE.search(line)
        if word:
            problems.append(
                LintProblem(
                    shown_as,
                    number,
                    original[number - 1].strip(),
                    f"'{word.group(0)}' is typed by hand. Let the data choose the words with "
                    "{{ compare('key') }}, or check your wording with {{ claim('key', '...') }}.",
                )
            )
    return problems
