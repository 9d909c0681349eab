"""Counting a manuscript as journals count it: words of the Abstract and the main text,
tables, figures and references, read from pandoc's document tree (citations resolved).

The rule, written for authors in templates/README.md:

- **A word** is a run of characters between spaces that holds at least one letter or
  digit. "A+B", "14", "0.001", "(88.6%)" and "follow-up" are one word each; a
  lone "<", "±" or "–" is none. This is the rule of the word-count filter in pandoc's
  Lua filter manual ("Counting words in a document": every text element with a
  character that is not punctuation), which word processors follow for ordinary text.
- **The Abstract** is the section whose heading has the id ``sec:abstract``: its
  running text, with its labels ("Objective.", "Results."), without its heading.
- **The main text** is every numbered top-level section after the Abstract
  (Introduction, Methods, Results, Discussion, Conclusion, with their subsections).
  Left out, as journals leave them out: the title page (everything before the first
  heading), every heading, tables with their captions and notes (``table-note``),
  figures with their captions, in-text citation marks, and the unnumbered back matter
  (acknowledgement, disclosure, supplementary material, references).
- **Tables** and **figures** are those of the numbered sections (the supplement's are
  not counted); **references** are the entries of the reference list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from manuscript_engine.output.jats import ABSTRACT_ID

WORD = re.compile(r"[^\W_]")
"""A text element is a word when it holds a letter or a digit."""
SKIPPED_INLINES = {"Cite", "Note"}
"""Inline elements whose text is not counted: citation marks and footnotes."""
SKIPPED_BLOCKS = {"Header", "Table", "Figure"}
TABLE_NOTE = "table-note"
REFERENCE_LIST = "refs"


@dataclass
class Section:
    """One top-level section: its heading id and text, and its words."""

    id: str
    title: str
    numbered: bool
    words: int = 0


@dataclass
class ManuscriptCounts:
    """What journals limit, counted in one pass over the tree."""

    abstract_words: int = 0
    main_text_words: int = 0
    tables: int = 0
    figures: int = 0
    references: int = 0
    sections: list[Section] = field(default_factory=list)

    def main_sections(self) -> list[Section]:
        """The sections the main text is counted from, in order."""
        seen_abstract = False
        kept = []
        for section in self.sections:
            if section.id == ABSTRACT_ID:
                seen_abstract = True
            elif seen_abstract and section.numbered:
                kept.append(section)
        return kept


def words_in(node: Any) -> int:
    """The words of a fragment of the tree: text elements holding a letter or a digit."""
    return sum(1 for text in texts(node) if WORD.search(text))


def texts(node: Any) -> Iterator[str]:
    """Every text element (``Str``) of a fragment, citation marks and footnotes left out."""
    if isinstance(node, list):
        for item in node:
            yield from texts(item)
    elif isinstance(node, dict):
        kind = node.get("t")
        if kind == "Str":
            yield node["c"]
        elif kind not in SKIPPED_INLINES:
            yield from texts(node.get("c"))


def plain_text(node: Any) -> str:
    """A fragment's text, words separated by single spaces (for messages)."""
    return " ".join(texts(node))


def _classes(block: dict) -> list[str]:
    content = block.get("c")
    if block.get("t") in ("Div", "Header") and isinstance(content, list):
        attributes = content[1] if block["t"] == "Header" else content[0]
        return list(attributes[1])
    return []


def count_manuscript(tree: dict) -> ManuscriptCounts:
    """Count the words of each top-level section, and the tables, figures and references."""
    counts = ManuscriptCounts()
    current: Section | None = None
    for block in tree.get("blocks", []):
        kind = block.get("t")
        if kind == "Header" and block["c"][0] == 1:
            identifier, classes, _ = block["c"][1]
            current = Section(identifier, plain_text(block["c"][2]), "unnumbered" not in classes)
            counts.sections.append(current)
            continue
        if current is None:  # the title page
            continue
        if kind == "Div" and block["c"][0][0] == REFERENCE_LIST:
            counts.references += sum(1 for entry in block["c"][1] if entry.get("t") == "Div")
            continue
        if current.numbered:
            counts.tables += kind == "Table"
            counts.figures += kind == "Figure"
        current.words += _running_words(block)
    counts.abstract_words = sum(s.words for s in counts.sections if s.id == ABSTRACT_ID)
    counts.main_text_words = sum(s.words for s in counts.main_sections())
    return counts


def _running_words(block: dict) -> int:
    """Words of a block's running text: no headings, tables, figures or table notes."""
    kind = block.get("t")
    if kind in SKIPPED_BLOCKS or TABLE_NOTE in _classes(block):
        return 0
    if kind == "Div":
        return sum(_running_words(inner) for inner in block["c"][1])
    return words_in(block)
