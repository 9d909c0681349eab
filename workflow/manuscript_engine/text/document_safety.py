"""What a rendered manuscript may contain before any format is written from it.

Templates, metadata and data arrive in pull requests, and the HTML is published as a
CI artifact, so the document pandoc reads must not carry anything that reads a file,
fetches from the network or runs in a reader's browser. pandoc's resource embedding
would otherwise copy any ``src`` it is given (a local file, ``.git/config``, an
internal web page) into the self-contained HTML. The checks run on pandoc's own
document tree, so they see exactly what the writers would:

- no raw HTML, LaTeX or Typst (``<script>``, ``<iframe>``, ``{=html}`` blocks), in the
  text or in the metadata (a title, a YAML block);
- no metadata beyond the engine's own keys (``header-includes`` and the like);
- images only from the allowed folder, as real files (the figures the build drew),
  never a URL, a ``data:`` URI or a link out of the folder;
- links only to web addresses, e-mail addresses and places in the document;
- no attribute that becomes an event handler, a style or a source in HTML.

After the checks, writers get images as ``data:`` URIs (:func:`embed_images`) and run
in pandoc's sandbox, which reads no other file and no URL at all.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manuscript_engine.core.errors import TemplateProblem

ENGINE_METADATA = {"title", "subtitle", "author", "date", "lang", "link-citations"}
IMAGE_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
}
CLOSING_TAG = re.compile(r"^</[a-zA-Z][\w-]*\s*>$")
LINK_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
SAFE_LINK_SCHEMES = ("http:", "https:", "mailto:")
ACTIVE_ATTRIBUTES = {
    "style",
    "src",
    "srcset",
    "href",
    "xlink:href",
    "action",
    "formaction",
    "background",
    "poster",
    "data",
    "srcdoc",
    "ping",
}


@dataclass(frozen=True)
class Finding:
    """Something the document may not contain, with the text to look for in the source."""

    what: str
    snippet: str


def nodes(value: Any) -> Iterator[dict]:
    """Every pandoc element (a dict with ``t``) inside ``value``, depth first."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "t" in item:
                yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _attributes(node: dict) -> list[list[str]]:
    """The key-value attributes of an element that has an Attr, else []."""
    content = node.get("c")
    if node["t"] in {"Div", "Span", "Header", "Figure", "Table", "CodeBlock", "Code"}:
        attr = content[1] if node["t"] == "Header" else content[0]
        return attr[2]
    if node["t"] in {"Image", "Link"}:
        return content[0][2]
    return []


def findings(
    tree: dict,
    image_allowed: Callable[[str], str | None],
    citation_keys: set[str] | None = None,
) -> list[Finding]:
    """Everything in the document tree that the manuscript may not contain.

    ``image_allowed(src)`` returns None for an allowed image, or why it is refused;
    with ``citation_keys``, a citation of any other key is refused too (citeproc would
    print the key itself, digits and all, as "(**key?**)").
    """
    found = [
        Finding(
            f"the metadata key '{key}' is not allowed (only the engine sets metadata; "
            "title and authors go in templates/metadata.yaml)",
            key,
        )
        for key in tree.get("meta", {})
        if key not in ENGINE_METADATA
    ]
    for node in nodes([tree.get("meta", {}), tree.get("blocks", [])]):
        kind = node["t"]
        if kind in {"RawBlock", "RawInline"}:
            fmt, text = node["c"]
            if CLOSING_TAG.match(text.strip()):
                continue  # reported with its opening tag
            found.append(
                Finding(
                    f"raw {fmt.upper()} is not allowed in the manuscript: "
                    f"{_short(text)}. Write it in Markdown instead",
                    text.strip().splitlines()[0] if text.strip() else text,
                )
            )
        elif kind == "Image":
            src = node["c"][2][0]
            reason = image_allowed(src)
            if reason:
                found.append(Finding(f"the image '{_short(src)}' {reason}", src))
        elif kind == "Cite" and citation_keys is not None:
            for citation in node["c"][0]:
                key = citation["citationId"]
                if key not in citation_keys:
                    found.append(Finding(unknown_citation(key), f"@{key}"))
        elif kind == "Link":
            target = node["c"][2][0]
            if LINK_SCHEME.match(target) and not target.lower().startswith(SAFE_LINK_SCHEMES):
                found.append(
                    Finding(
                        f"the link target '{_short(target)}' is not allowed: links go to "
                        "http(s) addresses, e-mail addresses or #places in the document",
                        target,
                    )
                )
        for key, value in _attributes(node):
            # "typst:..."/"html:..." keys are read by a writer as code of its format.
            if key.lower().startswith("on") or key.lower() in ACTIVE_ATTRIBUTES or ":" in key:
                found.append(
                    Finding(
                        f"the attribute '{key}=\"{_short(value)}\"' is not allowed: it would "
                        "run or load something in the reader's browser",
                        key,
                    )
                )
    return found


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ImagePolicy:
    """Images may only be the ``figures`` the build drew (its rule's declared inputs).

    ``src`` is resolved from ``base`` (the folder of the Markdown, as pandoc does), links
    followed: a picture dropped beside the figures, or a link among them leading out,
    is none of them.
    """

    def __init__(self, base: Path, figures: list[Path]) -> None:
        self.base = Path(base)
        self.figures = {Path(f).resolve() for f in figures if not Path(f).is_symlink()}

    def resolve(self, src: str) -> Path:
        return (self.base / src).resolve()

    def __call__(self, src: str) -> str | None:
        refusal = "is not allowed: the only pictures are the figures the build draws"
        if LINK_SCHEME.match(src) or src.startswith(("/", "\\", "//")):
            return f"{refusal} (place one with figure('name'))"
        if self.resolve(src) not in self.figures:
            return f"{refusal} (place one with figure('name'))"
        return None


def data_uri(path: Path) -> str:
    kind = IMAGE_TYPES[path.suffix.lower()]
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def embed_images(
    tree: dict, policy: ImagePolicy, prefer: str | None = None, inline: bool = True
) -> dict:
    """The tree with every image checked again and, with ``inline``, as a ``data:`` URI.

    ``prefer`` (".png") takes a sibling file of that type when there is one: Word shows
    no SVG without a PNG fallback. Without ``inline`` the source stays a relative path
    (Word files describe a picture by its source, so a ``data:`` URI would be its text).
    """
    for node in nodes(tree.get("blocks", [])):
        if node["t"] == "Image":
            target = node["c"][2]
            source = target[0]
            sibling = Path(source).with_suffix(prefer).as_posix() if prefer else source
            if prefer and policy(sibling) is None:
                source = sibling  # checked like the original: a real file in the folder
            if reason := policy(source):
                raise TemplateProblem(f"the image '{source}' {reason}")
            target[0] = data_uri(policy.resolve(source)) if inline else source
    return tree


# --------------------------------------------------------------------------- locations
def locate(
    snippet: str, markdown_lines: list[str], sections: list[dict], others: list[Path] = ()
) -> str:
    """Where ``snippet`` came from: template and line, or the rendered line.

    ``sections`` (written beside the Markdown by the render step) gives the template
    of each range of Markdown lines; ``others`` are searched when the Markdown does not
    hold the snippet (the bibliography, whose entries citeproc writes).
    """
    needle = snippet.strip()
    line = next((i for i, text in enumerate(markdown_lines, 1) if needle and needle in text), None)
    if line is None:
        for other in others:
            lines = Path(other).read_text(encoding="utf-8", errors="replace").splitlines()
            found = next((i for i, text in enumerate(lines, 1) if needle in text), None)
            if needle and found:
                return f"{Path(other).as_posix()} line {found}: {lines[found - 1].strip()}"
        return "the manuscript"
    section = next((s for s in sections if s["first_line"] <= line <= s["last_line"]), None)
    if section is None:
        return f"the manuscript's Markdown line {line}"
    try:
        source = Path(section["template"]).read_text(encoding="utf-8-sig").splitlines()
    except OSError:
        source = []
    found = next((i for i, text in enumerate(source, 1) if needle in text), None)
    if found:
        return f"{section['template']} line {found}: {source[found - 1].strip()}"
    rendered = line - section["first_line"] + 1
    return (
        f"{section['template']} (line {rendered} of its rendered text, made by an "
        f"expression or an include): {markdown_lines[line - 1].strip()}"
    )


BIBTEX_KEY = re.compile(r"@(?!(?:comment|string|preamble)\b)\w+\s*\{\s*([^,\s]+)\s*,", re.I)


def unknown_citation(key: str) -> str:
    """Why a cited key has no reference, and what the author does about it."""
    if key.startswith(("doi:", "pmid:")):
        return (
            f"the citation '@{key}' has not been looked up yet; run `make refs` (online) "
            "and commit templates/references.json"
        )
    return (
        f"the citation '@{key}' is not in the bibliography; add it to "
        "templates/references.bib or correct the key"
    )


def bibliography_keys(bibliography: Path) -> set[str]:
    """The entry keys of a BibTeX file (``@article{gu2014, ...}`` gives ``gu2014``), or
    the ids of a CSL JSON file (the DOI and PMID references ``make refs`` writes)."""
    if Path(bibliography).suffix == ".json":
        from manuscript_engine.text.references import read_references

        return {entry["id"] for entry in read_references(Path(bibliography))}
    return set(BIBTEX_KEY.findall(Path(bibliography).read_text(encoding="utf-8")))


def check_document(
    tree_path: Path,
    markdown: Path,
    *,
    sections: Path,
    policy: ImagePolicy,
    citation_keys: set[str] | None = None,
    others: list[Path] = (),
) -> None:
    """Refuse the document when it holds anything :func:`findings` reports."""
    tree = json.loads(Path(tree_path).read_text(encoding="utf-8"))
    problems = findings(tree, policy, citation_keys)
    if not problems:
        return
    lines = Path(markdown).read_text(encoding="utf-8").splitlines()
    spans = json.loads(Path(sections).read_text(encoding="utf-8"))
    listing = "\n".join(
        f"  - {locate(p.snippet, lines, spans, others)}\n    {p.what}." for p in problems
    )
    raise TemplateProblem(
        f"The manuscript holds {len(problems)} thing(s) it may not contain:\n{listing}\n"
        "Templates, metadata and data may hold text, numbers from the data, tables and "
        "figures placed with table('name') and figure('name'), and links; nothing that "
        "loads a file or runs in the reader's browser."
    )
