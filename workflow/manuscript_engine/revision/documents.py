"""Writing the compared document: a DOCX with Word's tracked changes and an HTML diff.

Both are written by the engine's own conversion (the figures the current build drew,
the DOCX's reference document and date), so the tracked-changes copy looks like the
manuscript and two runs on the same pair of commits give the same bytes.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from manuscript_engine.output.conversion import convert_document

HTML_TAGS = {"insertion": "ins", "deletion": "del"}
ENGINE_DEFAULTS = Path(__file__).resolve().parents[1] / "output" / "pandoc" / "defaults"


def pandoc_file(repo: Path, name: str) -> Path:
    """The study's ``config/pandoc/<name>`` if it has one, else the engine's default."""
    own = Path(repo) / "config" / "pandoc" / name
    return own if own.exists() else ENGINE_DEFAULTS / name


def write_tracked_docx(tree: dict, output: Path, repo: Path, date: str) -> None:
    results = Path(repo) / "results"
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "tracked.json"
        source.write_text(json.dumps(tree), encoding="utf-8")
        convert_document(
            source,
            output,
            "docx",
            defaults=pandoc_file(repo, "docx.yaml"),
            date=date,
            reference_doc=results / "pandoc" / "reference.docx",
            figures=sorted((results / "figures").glob("*.png")),
        )


def with_html_marks(value: Any) -> Any:
    """The tree with each tracked span as ``<ins>``/``<del>`` around its words."""
    if isinstance(value, list):
        out = []
        for item in value:
            if _is_mark(item):
                tag = HTML_TAGS[item["c"][0][1][0]]
                out += [_raw(f"<{tag}>"), *with_html_marks(item["c"][1]), _raw(f"</{tag}>")]
            else:
                out.append(with_html_marks(item))
        return out
    if isinstance(value, dict):
        return {key: with_html_marks(item) for key, item in value.items()}
    return value


def _is_mark(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and item.get("t") == "Span"
        and len(item["c"][0][1]) == 1
        and item["c"][0][1][0] in HTML_TAGS
    )


def _raw(html: str) -> dict:
    return {"t": "RawInline", "c": ["html", html]}


def write_html_diff(tree: dict, output: Path, repo: Path, date: str) -> None:
    """A self-contained page (figures embedded, no script) with ``<ins>`` and ``<del>``."""
    results = Path(repo) / "results"
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "diff.json"
        source.write_text(json.dumps(with_html_marks(tree)), encoding="utf-8")
        convert_document(
            source,
            output,
            "html",
            defaults=pandoc_file(repo, "html.yaml"),
            date=date,
            figures=sorted((results / "figures").glob("*.svg")),
            stylesheet=pandoc_file(repo, "manuscript.css"),
        )
