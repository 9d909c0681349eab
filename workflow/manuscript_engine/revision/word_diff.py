"""A word-level diff of two sequences of pandoc inlines.

pandoc splits text at spaces into ``Str`` elements, so diffing a paragraph's inlines
one by one is a diff by word; an emphasised phrase, a citation or a link is one unit.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Any

Inline = dict[str, Any]


def key_of(element: Any) -> str:
    """A canonical text for comparing two pandoc elements for equality."""
    return json.dumps(element, sort_keys=True, ensure_ascii=False)


def diff_runs(old: Sequence[Any], new: Sequence[Any]) -> list[tuple[str, list[Any]]]:
    """``old`` turned into ``new`` as runs of ``('equal' | 'delete' | 'insert', items)``.

    A replacement is a deletion followed by an insertion, as Word shows it. A run of
    spaces alone between two changes joins them, so "a b" -> "c d" reads as one
    deletion and one insertion rather than four marks around an unchanged space.
    """
    matcher = difflib.SequenceMatcher(
        None, [key_of(x) for x in old], [key_of(x) for x in new], autojunk=False
    )
    runs: list[tuple[str, list[Any]]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs.append(("equal", list(old[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("delete", list(old[i1:i2])))
        if j2 > j1:
            runs.append(("insert", list(new[j1:j2])))
    return _join_across_spaces(runs)


def _is_space(items: list[Any]) -> bool:
    return all(isinstance(x, dict) and x.get("t") in ("Space", "SoftBreak") for x in items)


def _join_across_spaces(runs: list[tuple[str, list[Any]]]) -> list[tuple[str, list[Any]]]:
    """Merge ``change, space, change`` into one deletion and one insertion.

    The space stays on both sides, so rejecting or accepting every change gives back
    exactly the old or the new text.
    """
    out: list[tuple[str, list[Any], list[Any]]] = []
    for tag, items in runs:
        if tag == "equal":
            out.append(("equal", items, items))
            continue
        deleted, inserted = (items, []) if tag == "delete" else ([], items)
        if out and out[-1][0] == "change":
            _, before_deleted, before_inserted = out.pop()
            out.append(("change", before_deleted + deleted, before_inserted + inserted))
            continue
        if len(out) >= 2 and out[-1][0] == "equal" and _is_space(out[-1][1]):
            _, before_deleted, before_inserted = out[-2]
            if (
                out[-2][0] == "change"
                and (before_deleted or deleted)
                and (before_inserted or inserted)
            ):
                space = out.pop()[1]
                out.pop()
                out.append(
                    ("change", before_deleted + space + deleted, before_inserted + space + inserted)
                )
                continue
        out.append(("change", deleted, inserted))
    runs_out: list[tuple[str, list[Any]]] = []
    for tag, deleted, inserted in out:
        if tag == "equal":
            runs_out.append(("equal", deleted))
            continue
        runs_out += [("delete", deleted)] if deleted else []
        runs_out += [("insert", inserted)] if inserted else []
    return runs_out
