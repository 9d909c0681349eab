"""JATS XML, the format journals and PubMed Central ingest, written from the document tree.

The manuscript's title page is text the templates write (affiliations, keywords,
corresponding authors); JATS wants them as structured front matter instead. So the
blocks before the first section are taken out of the body, the authors, affiliations and
keywords come from the title-page metadata (``templates/metadata.yaml``), the section
whose identifier is :data:`ABSTRACT_ID` becomes ``<abstract>``, and a boxed notice on
the title page (the synthetic-data notice) becomes a front-matter note. pandoc's
``jats_publishing`` writer does the rest.

:func:`check_jats` then reads the XML back and refuses it when its structure falls
short of what a journal's ingest needs: an article title, one contributor per author
with a resolvable affiliation, an abstract, titled sections, every table, figure and
reference of the manuscript, and internal links that land.
"""

from __future__ import annotations

import json
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import yaml

from manuscript_engine.core.errors import ManuscriptError

ABSTRACT_ID = "sec:abstract"
JATS_WRITER = "jats_publishing"
XLINK = "{http://www.w3.org/1999/xlink}"


def front_matter(metadata: dict[str, Any]) -> dict[str, Any]:
    """pandoc's JATS template variables from the title-page metadata."""
    affiliations = metadata.get("affiliations") or {}
    ids = {key: f"{number}" for number, key in enumerate(affiliations, 1)}
    authors, correspondence = [], []
    for author in metadata.get("authors") or []:
        entry: dict[str, Any] = {
            "name": author["name"],
            "affiliation": [ids[key] for key in author.get("affiliations", []) if key in ids],
        }
        if author.get("corresponding") and author.get("email"):
            # JATS links a corresponding author to a note holding the address
            entry["cor-id"] = str(len(correspondence) + 1)
            correspondence.append({"id": entry["cor-id"], "email": author["email"]})
        authors.append(entry)
    return {
        "title": metadata.get("title"),
        "author": authors,
        "affiliation": [
            {"id": ids[key], "organization": " ".join(str(text).split())}
            for key, text in affiliations.items()
        ],
        "tags": list(metadata.get("keywords") or []),
        "article": {
            "type": "research-article",
            **({"author-notes": {"corresp": correspondence}} if correspondence else {}),
        },
    }


def _header_id(block: dict) -> str | None:
    return block["c"][1][0] if block.get("t") == "Header" else None


def move_front_matter(tree: dict) -> dict:
    """The tree with the title page and the abstract moved out of the body into meta."""
    blocks = tree["blocks"]
    first = next((i for i, b in enumerate(blocks) if b["t"] == "Header"), len(blocks))
    title_page, body = blocks[:first], blocks[first:]
    notes = [b for b in title_page if b["t"] == "Div"]
    start = next((i for i, b in enumerate(body) if _header_id(b) == ABSTRACT_ID), None)
    abstract: list[dict] = []
    if start is not None:
        level = body[start]["c"][0]
        end = next(
            (
                i
                for i in range(start + 1, len(body))
                if body[i]["t"] == "Header" and body[i]["c"][0] <= level
            ),
            len(body),
        )
        abstract, body = body[start + 1 : end], body[:start] + body[end:]
    # the authors come with their affiliations from the metadata file; the tree's plain
    # names would take precedence over it
    meta = {key: value for key, value in tree.get("meta", {}).items() if key != "author"}
    if abstract:
        meta["abstract"] = {"t": "MetaBlocks", "c": abstract}
    if notes:
        meta["notes"] = {"t": "MetaBlocks", "c": notes}
    return {**tree, "meta": meta, "blocks": body}


def write_jats(tree_path: Path, output: Path, metadata: dict[str, Any]) -> None:
    """The manuscript as JATS XML (``output``), checked by :func:`check_jats`."""
    from manuscript_engine.output.conversion import run_pandoc, unlink_other_documents

    tree = unlink_other_documents(json.loads(Path(tree_path).read_text(encoding="utf-8")))
    expected = expected_structure(tree, metadata)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "front.json"
        source.write_text(json.dumps(move_front_matter(tree)), encoding="utf-8")
        front = Path(scratch) / "front.yaml"
        front.write_text(yaml.safe_dump(front_matter(metadata), allow_unicode=True))
        run_pandoc(
            source,
            JATS_WRITER,
            output,
            "json",
            ["--standalone", f"--metadata-file={front}"],
            check=lambda path: check_jats(path, expected),
        )


def expected_structure(tree: dict, metadata: dict[str, Any]) -> dict[str, int]:
    """What the JATS must hold, counted in the document tree and the metadata."""
    from manuscript_engine.text.document_safety import nodes as elements

    nodes = list(elements(tree["blocks"]))
    references = sum(
        1
        for node in nodes
        if node["t"] == "Div" and "csl-entry" in node["c"][0][1] and node["c"][0][0]
    )
    return {
        "contributors": len(metadata.get("authors") or []),
        "tables": sum(1 for node in nodes if node["t"] == "Table"),
        "figures": sum(1 for node in nodes if node["t"] == "Figure"),
        "references": references,
    }


def check_jats(path: Path, expected: dict[str, int]) -> None:
    """Refuse a JATS file a journal's ingest would reject or mangle; name each problem."""
    root = ElementTree.parse(path).getroot()
    problems = []
    meta = root.find("front/article-meta")
    if meta is None:
        raise ManuscriptError(f"{path}: the JATS has no <front>/<article-meta>.")
    title = meta.find("title-group/article-title")
    if title is None or not "".join(title.itertext()).strip():
        problems.append("<article-meta> has no article title (templates/metadata.yaml, title)")
    contributors = meta.findall("contrib-group/contrib")
    if len(contributors) != expected["contributors"]:
        problems.append(
            f"{len(contributors)} contributor(s) in <contrib-group>, "
            f"{expected['contributors']} author(s) in the metadata"
        )
    affiliations = {aff.get("id") for aff in meta.iter("aff")}
    for contributor in contributors:
        name = "".join(contributor.find("string-name").itertext()).strip()
        links = [x.get("rid") for x in contributor.findall("xref") if x.get("ref-type") == "aff"]
        if not links:
            problems.append(f"the author {name} has no affiliation")
        problems += [
            f"the author {name} links to a missing affiliation {rid}"
            for rid in links
            if rid not in affiliations
        ]
    abstract = meta.find("abstract")
    if abstract is None or not "".join(abstract.itertext()).strip():
        problems.append(f"no <abstract> (the section with identifier {ABSTRACT_ID!r})")
    sections = root.findall("body/sec")
    if not sections:
        problems.append("the <body> has no sections")
    problems += [
        f"a section without a title (id {sec.get('id')})"
        for sec in root.iter("sec")
        if not "".join(sec.findtext("title") or "").strip() and sec.find("title") is None
    ]
    found = {
        "tables": len(list(root.iter("table-wrap"))),
        "figures": len(list(root.iter("fig"))),
        "references": len(root.findall("back/ref-list/ref")),
    }
    problems += [
        f"{found[kind]} {kind} in the JATS, {expected[kind]} in the manuscript"
        for kind in found
        if found[kind] != expected[kind]
    ]
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    problems += [
        f"a link to {xref.get('rid')!r}, which nothing in the article carries"
        for xref in root.iter("xref")
        if xref.get("rid") and xref.get("rid") not in ids
    ]
    if problems:
        raise ManuscriptError(
            f"The JATS XML falls short of a journal's requirements ({len(problems)} "
            "problem(s)):\n" + "\n".join(f"  - {p}" for p in problems)
        )
