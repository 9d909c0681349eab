"""Tracked changes between two pandoc document trees, as pandoc's insertion and
deletion spans (the DOCX writer turns them into Word's ``w:ins`` and ``w:del``).

Blocks are aligned first, text kept in place: a longest common subsequence in which a
paragraph or heading weighs more than a table, a figure or a table note, so a table
moved past text shows as deleted at its old place and inserted at its new one (not
the text as moved around it). Between two aligned blocks, an old and a new block of
the same kind that are alike (a paragraph with some words changed, the table or figure
with the same id) are compared inside: words for text, cell by cell for a table of the
same shape, caption and picture for a figure. What is left is marked deleted or
inserted whole.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from manuscript_engine.revision.word_diff import diff_runs, key_of

Block = dict[str, Any]
SPAN_CLASS = {"delete": "deletion", "insert": "insertion"}
TEXT_BLOCKS = {"Para", "Plain"}
FLOATS = {"Table", "Figure"}
ALIKE = 0.5
"""Share of words two paragraphs must have in common to be shown as one edited
paragraph rather than one deleted and one inserted."""
REDRAWN_NOTE = "[previous figure; redrawn because its data changed]"


@dataclass
class TrackedChanges:
    """Who and when the marks are attributed to, and the marks made so far."""

    author: str
    date: str
    changed_figures: frozenset[str] = frozenset()
    marks: list[tuple[str, str]] = field(default_factory=list)
    """``(kind, text)`` per mark, kind ``insertion`` or ``deletion``, in document order."""

    def span(self, kind: str, inlines: list[Any]) -> dict:
        """pandoc's span for one tracked insertion or deletion."""
        self.marks.append((SPAN_CLASS[kind], plain_text(inlines)))
        attributes = [["author", self.author], ["date", self.date]]
        return {"t": "Span", "c": [["", [SPAN_CLASS[kind]], attributes], inlines]}

    def count(self, kind: str) -> int:
        return sum(1 for mark, _ in self.marks if mark == kind)


def plain_text(value: Any) -> str:
    """The text of pandoc elements, spaces as spaces (for reports and tests)."""
    if isinstance(value, list):
        return "".join(plain_text(item) for item in value)
    if not isinstance(value, dict):
        return ""
    kind = value.get("t")
    if kind == "Str":
        return value["c"]
    if kind in ("Space", "SoftBreak", "LineBreak"):
        return " "
    if kind == "Image":
        return "[image]"
    if kind in ("Math", "Code"):
        return value["c"][1]
    return plain_text(value.get("c"))


def diff_documents(
    old: dict, new: dict, author: str, date: str, changed_figures: Sequence[str] = ()
) -> tuple[dict, TrackedChanges]:
    """The new document with every difference from the old as a tracked change."""
    changes = TrackedChanges(author, date, frozenset(changed_figures))
    document = copy.deepcopy(new)
    document["blocks"] = diff_blocks(old["blocks"], new["blocks"], changes)
    return document, changes


def diff_blocks(old: Sequence[Block], new: Sequence[Block], changes: TrackedChanges) -> list:
    """``new`` with what differs from ``old`` marked (see the module's description)."""
    anchors = _weighted_common(old, new, changes.changed_figures)
    result: list[Block] = []
    previous_old = previous_new = 0
    for old_index, new_index in [*anchors, (len(old), len(new))]:
        result += _diff_gap(old[previous_old:old_index], new[previous_new:new_index], changes)
        if old_index < len(old):
            result.append(copy.deepcopy(new[new_index]))
        previous_old, previous_new = old_index + 1, new_index + 1
    return result


def _weight(block: Block) -> int:
    """Text weighs more than floats, so the text stays put and floats move."""
    if block.get("t") in FLOATS:
        return 1
    if block.get("t") == "Div" and "table-note" in block["c"][0][1]:
        return 1
    return 10


def _best_pairs(
    old: Sequence[Any], new: Sequence[Any], score: Callable[[Any, Any], float]
) -> list[tuple[int, int]]:
    """In-order pairs of old and new items with the largest total score (score > 0)."""
    rows, cols = len(old), len(new)
    best = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            pair = score(old[i], new[j])
            take = best[i + 1][j + 1] + pair if pair > 0 else -1.0
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < rows and j < cols:
        pair = score(old[i], new[j])
        if pair > 0 and best[i][j] == best[i + 1][j + 1] + pair:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _redrawn(block: Block, changed_figures: frozenset[str]) -> bool:
    return block.get("t") == "Figure" and block["c"][0][0].removeprefix("fig:") in changed_figures


def _weighted_common(
    old: Sequence[Block], new: Sequence[Block], changed_figures: frozenset[str] = frozenset()
) -> list[tuple[int, int]]:
    """Blocks that are identical in both, chosen to keep as much text in place as can be.

    A redrawn figure is never identical: its tree is the same (the same file name), its
    picture is not.
    """
    old_keys = [key_of(b) + ("|old" if _redrawn(b, changed_figures) else "") for b in old]
    new_keys = [key_of(b) + ("|new" if _redrawn(b, changed_figures) else "") for b in new]
    # The common head and tail need no search (most edits touch a few blocks).
    head = 0
    while head < min(len(old), len(new)) and old_keys[head] == new_keys[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(old), len(new)) - head
        and old_keys[len(old) - 1 - tail] == new_keys[len(new) - 1 - tail]
    ):
        tail += 1
    middle_old = range(head, len(old) - tail)
    middle_new = range(head, len(new) - tail)
    same = _best_pairs(
        list(middle_old),
        list(middle_new),
        lambda i, j: _weight(old[i]) if old_keys[i] == new_keys[j] else 0,
    )
    return (
        [(i, i) for i in range(head)]
        + [(middle_old[i], middle_new[j]) for i, j in same]
        + [(len(old) - tail + k, len(new) - tail + k) for k in range(tail)]
    )


def _diff_gap(old: Sequence[Block], new: Sequence[Block], changes: TrackedChanges) -> list:
    """Blocks between two anchors: alike ones compared inside, the rest deleted or inserted."""
    result: list[Block] = []
    previous_old = previous_new = 0
    for i, j in [*_best_pairs(old, new, _likeness), (len(old), len(new))]:
        result += [mark_block(block, "delete", changes) for block in old[previous_old:i]]
        result += [mark_block(block, "insert", changes) for block in new[previous_new:j]]
        if i < len(old):
            result.append(_diff_alike(old[i], new[j], changes))
        previous_old, previous_new = i + 1, j + 1
    return result


def _words(block: Block) -> list[str]:
    return plain_text(block).split()


def _likeness(old: Block, new: Block) -> float:
    """How alike two blocks are (0: show as deleted and inserted)."""
    kind = old.get("t")
    if kind != new.get("t"):
        return 0.0
    if kind in FLOATS or kind == "Div":
        return 1.0 if old["c"][0] == new["c"][0] else 0.0
    if kind == "Header" and old["c"][0] != new["c"][0]:
        return 0.0
    if kind in TEXT_BLOCKS or kind == "Header":
        ratio = difflib.SequenceMatcher(None, _words(old), _words(new), autojunk=False).ratio()
        return ratio if ratio >= ALIKE else 0.0
    return 0.0


def _diff_alike(old: Block, new: Block, changes: TrackedChanges) -> Block:
    kind = new["t"]
    block = copy.deepcopy(new)
    if kind in TEXT_BLOCKS:
        block["c"] = diff_inlines(old["c"], new["c"], changes)
    elif kind == "Header":
        block["c"][2] = diff_inlines(old["c"][2], new["c"][2], changes)
    elif kind == "Div":
        block["c"][1] = diff_blocks(old["c"][1], new["c"][1], changes)
    elif kind == "Table":
        return _diff_table(old, new, changes)
    elif kind == "Figure":
        return _diff_figure(old, new, changes)
    return block


def diff_inlines(old: list, new: list, changes: TrackedChanges) -> list:
    """``new`` inlines with the words that differ from ``old`` in tracked spans."""
    result: list[Any] = []
    for tag, items in diff_runs(old, new):
        result += items if tag == "equal" else [changes.span(tag, items)]
    return result


def mark_block(block: Block, kind: str, changes: TrackedChanges) -> Block:
    """A copy of ``block`` with all its text (every paragraph, cell and caption) marked."""
    marked = copy.deepcopy(block)
    _mark_inside(marked, kind, changes)
    return marked


def _mark_inside(value: Any, kind: str, changes: TrackedChanges) -> None:
    if isinstance(value, list):
        for item in value:
            _mark_inside(item, kind, changes)
        return
    if not isinstance(value, dict) or "t" not in value:
        return
    if value["t"] in TEXT_BLOCKS and value["c"]:
        value["c"] = [changes.span(kind, value["c"])]
    elif value["t"] == "Header" and value["c"][2]:
        value["c"][2] = [changes.span(kind, value["c"][2])]
    elif value["t"] not in ("Str", "Space", "SoftBreak"):
        _mark_inside(value.get("c"), kind, changes)


def _table_parts(table: Block) -> list[list]:
    """The block lists of a table, caption first, then every cell row by row."""
    _, caption, _, head, bodies, foot = table["c"]
    rows = [*head[1]]
    for body in bodies:
        rows += [*body[2], *body[3]]
    rows += foot[1]
    return [caption[1], *[cell[4] for row in rows for cell in row[1]]]


def _table_shape(table: Block) -> str:
    """The table without its text: two tables of one shape are compared cell by cell."""
    bare = copy.deepcopy(table)
    for part in _table_parts(bare):
        part.clear()
    return key_of(bare)


def _diff_table(old: Block, new: Block, changes: TrackedChanges) -> list[Block] | Block:
    if _table_shape(old) != _table_shape(new):
        return _replaced(old, new, changes)
    table = copy.deepcopy(new)
    for old_part, part in zip(_table_parts(old), _table_parts(table), strict=True):
        part[:] = diff_blocks(old_part, list(part), changes)
    return table


def _replaced(old: Block, new: Block, changes: TrackedChanges) -> Block:
    """The old block deleted and the new inserted, in a Div that keeps them together."""
    blocks = [mark_block(old, "delete", changes), mark_block(new, "insert", changes)]
    return {"t": "Div", "c": [["", ["replaced"], []], blocks]}


def _diff_figure(old: Block, new: Block, changes: TrackedChanges) -> Block:
    """Caption compared by word; a redrawn picture deleted (a note) and inserted."""
    figure = copy.deepcopy(new)
    figure["c"][1][1] = diff_blocks(old["c"][1][1], new["c"][1][1], changes)
    name = new["c"][0][0].removeprefix("fig:")
    if name in changes.changed_figures:
        note = [{"t": "Str", "c": word} for word in REDRAWN_NOTE.split(" ")]
        spaced = [x for word in note for x in (word, {"t": "Space"})][:-1]
        figure["c"][2] = [
            {"t": "Plain", "c": [changes.span("delete", spaced)]},
            *[mark_block(block, "insert", changes) for block in new["c"][2]],
        ]
    else:
        figure["c"][2] = diff_blocks(old["c"][2], new["c"][2], changes)
    return figure
