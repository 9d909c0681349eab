"""A masked copy of the manuscript for blind review, made from the document tree.

What goes, and how:

- **The title page** (everything before the first heading: affiliations, corresponding
  authors) goes; its boxed notices (the synthetic-data notice) stay. The metadata keeps
  only the title, subtitle, date and language, so the DOCX's and the PDF's document
  properties name no author.
- **Phrases and blocks marked in a template** go: ``[Shanghai Sixth People's
  Hospital]{.identifying}`` prints as usual in the manuscript and as "[withheld for
  blind review]" in the masked copy; a ``::: {.identifying}`` block is left out.
- **Sections that name people or funders** go: a top-level section whose heading has
  the class ``identifying`` (``# Funding {.unnumbered .identifying}``) or whose id is a
  usual back-matter name (:data:`IDENTIFYING_SECTIONS`: acknowledgement, funding,
  disclosure, conflicts of interest, author contributions).
- **Self-citations** are masked: a work of the reference list is the authors' own when
  one of its authors has the surname and the first initial of an author of
  ``templates/metadata.yaml`` (the last word of a name is taken as the surname). Its
  entry reads "Anonymous. Details withheld for blind review (2014)."; its number in the
  text stays, as a number names nobody.
- **First-person self-citation is refused, not rewritten**: a template line that cites
  the authors' own work and speaks of it as theirs ("we", "our", "the authors") would
  identify them even with the entry masked, and only the author can reword it. The
  build stops and names the template and line ("the technique was described [@gu2014]"
  passes; "we described it [@gu2014]" does not). Templates hold one sentence per line.

Then the masked tree is searched for every author's name (in full and as a reference
list writes it, "Gu YF"), e-mail address and affiliation; anything left stops the build,
naming it and the section.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from manuscript_engine.core.atomic_files import write_text_atomically
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.output.word_counts import REFERENCE_LIST, plain_text

IDENTIFYING_CLASS = "identifying"
IDENTIFYING_SECTIONS = {
    "acknowledgement",
    "acknowledgements",
    "acknowledgment",
    "acknowledgments",
    "funding",
    "disclosure",
    "disclosures",
    "conflicts-of-interest",
    "competing-interests",
    "author-contributions",
}
"""Ids pandoc gives the usual back-matter headings that name people or funders."""
KEPT_META = ("title", "subtitle", "date", "lang", "link-citations")
"""Metadata the masked copy keeps: nothing that names a person."""
FIRST_PERSON = re.compile(
    r"\b(?:[Ww]e|[Oo]urs?|us|[Mm]y|[Tt]he authors|[Tt]hese authors|[Pp]resent authors)\b"
)
MASKED_ENTRY = "Anonymous. Details withheld for blind review"
WITHHELD = "[withheld for blind review]"
"""What replaces a phrase marked ``[...]{.identifying}`` in a template."""


class MaskingRefused(ManuscriptError):
    """The masked copy would still identify the authors."""


# --------------------------------------------------------------------------- who the authors are
def name_parts(name: str) -> tuple[str, str]:
    """(surname, initials) of a name written given names first: 'Yi-Feng Gu' -> ('Gu', 'YF')."""
    words = name.split()
    given = re.split(r"[\s\-.]+", " ".join(words[:-1]))
    return words[-1], "".join(part[0].upper() for part in given if part)


def identifying_strings(metadata: dict[str, Any]) -> list[str]:
    """Everything a masked copy may not show: names, e-mail addresses, affiliations."""
    found: list[str] = []
    for author in metadata.get("authors") or []:
        name = author["name"]
        surname, initials = name_parts(name)
        found += [name, f"{surname} {initials}", f"{surname}, {initials}"]
        if author.get("email"):
            found.append(author["email"])
    for affiliation in (metadata.get("affiliations") or {}).values():
        found.append(" ".join(affiliation.split()))
        # each part of an address long enough to be an institution's name
        found += [p.strip() for p in affiliation.split(",") if len(p.split()) >= 3]
    return list(dict.fromkeys(s for s in found if s.strip()))


def bibliography_entries(files: Iterable[Path]) -> list[dict]:
    """The references as CSL JSON: BibTeX read by pandoc, CSL JSON files as they are."""
    import pypandoc

    entries: list[dict] = []
    for file in map(Path, files):
        if file.suffix == ".json":
            entries += json.loads(file.read_text(encoding="utf-8"))
        else:
            entries += json.loads(
                pypandoc.convert_file(str(file), "csljson", format="bibtex", sandbox=True)
            )
    return entries


def self_citations(entries: list[dict], metadata: dict[str, Any]) -> dict[str, str]:
    """Key -> year of every work with an author of this paper (surname and first initial)."""
    ours = {
        (surname.casefold(), initials[:1])
        for surname, initials in (name_parts(a["name"]) for a in metadata.get("authors") or [])
    }
    found = {}
    for entry in entries:
        for person in entry.get("author") or []:
            family, given = person.get("family", ""), person.get("given", "")
            if (family.casefold(), given[:1].upper()) in ours:
                found[entry["id"]] = _year(entry)
                break
    return found


def _year(entry: dict) -> str:
    parts = (entry.get("issued") or {}).get("date-parts") or [[""]]
    return str(parts[0][0]) if parts and parts[0] else ""


# --------------------------------------------------------------------------- first person
def first_person_problems(
    markdown: list[str], spans: list[dict], cited: dict[str, str]
) -> list[str]:
    """Template lines that cite the authors' own work in the first person."""
    from manuscript_engine.text.document_safety import locate

    problems = []
    for line in markdown:
        keys = [key for key in cited if re.search(rf"@{re.escape(key)}\b", line)]
        spoken = FIRST_PERSON.search(line)
        if keys and spoken:
            snippet = line[spoken.start() : spoken.start() + 40].split("[@")[0].strip()
            problems.append(
                f"{locate(snippet, markdown, spans)}\n    cites the authors' own work "
                f"({', '.join(keys)}) as theirs ('{spoken.group()}'), which a masked copy "
                "cannot hide. Write it in the third person, e.g. 'the technique was "
                "described before [@key]'."
            )
    return problems


# --------------------------------------------------------------------------- the masked tree
def mask_tree(tree: dict, cited: dict[str, str]) -> dict:
    """The tree without title page, identifying sections and self-citations' details."""
    masked = copy.deepcopy(tree)
    blocks = masked["blocks"]
    first = next((i for i, b in enumerate(blocks) if b["t"] == "Header"), len(blocks))
    kept = [b for b in blocks[:first] if b["t"] == "Div"]  # boxed notices
    dropping_level = None
    for block in blocks[first:]:
        if block["t"] == "Header":
            level, (identifier, classes, _), _ = block["c"]
            if dropping_level is not None and level <= dropping_level:
                dropping_level = None
            if dropping_level is None and (
                IDENTIFYING_CLASS in classes or identifier in IDENTIFYING_SECTIONS
            ):
                dropping_level = level
        if dropping_level is None:
            kept.append(block)
    for block in kept:
        if block["t"] == "Div" and block["c"][0][0] == REFERENCE_LIST:
            for entry in block["c"][1]:
                key = entry["c"][0][0].removeprefix("ref-")
                if entry.get("t") == "Div" and key in cited:
                    entry["c"][1] = [_masked_entry(entry["c"][1], cited[key])]
    masked["blocks"] = withhold_marked(kept)
    masked["meta"] = {k: v for k, v in masked.get("meta", {}).items() if k in KEPT_META}
    return masked


def withhold_marked(node: Any) -> Any:
    """The fragment with each ``.identifying`` phrase replaced and each such block left out."""
    if isinstance(node, list):
        return [withhold_marked(item) for item in node if not _marked_block(item)]
    if not isinstance(node, dict):
        return node
    if node.get("t") == "Span" and IDENTIFYING_CLASS in node["c"][0][1]:
        return {"t": "Str", "c": WITHHELD}
    return {**node, "c": withhold_marked(node["c"])} if "c" in node else node


def _marked_block(node: Any) -> bool:
    return (
        isinstance(node, dict) and node.get("t") == "Div" and IDENTIFYING_CLASS in node["c"][0][1]
    )


def _masked_entry(blocks: list[dict], year: str) -> dict:
    """A reference entry's paragraph: its number (if the style prints one), then Anonymous."""
    first = blocks[0] if blocks and blocks[0].get("t") in ("Para", "Plain") else None
    number = [
        inline
        for inline in (first or {}).get("c", [])
        if inline.get("t") == "Span" and "csl-left-margin" in inline["c"][0][1]
    ]
    words = f"{MASKED_ENTRY} ({year}).".split() if year else f"{MASKED_ENTRY}.".split()
    text: list[dict] = []
    for word in words:
        text += [{"t": "Str", "c": word}, {"t": "Space"}]
    inline = (
        [{"t": "Span", "c": [["", ["csl-right-inline"], []], text[:-1]]}] if number else text[:-1]
    )
    return {"t": "Para", "c": number + inline}


def leftovers(tree: dict, forbidden: list[str]) -> list[str]:
    """Each identifying string still in the tree, with the section it is in."""
    found = []
    section = "the title page"
    pieces: list[tuple[str, str]] = [("the document properties", plain_text(tree.get("meta")))]
    for block in tree["blocks"]:
        if block["t"] == "Header" and block["c"][0] == 1:
            section = f"the section '{plain_text(block['c'][2])}'"
        pieces.append((section, plain_text(block)))
    for where, text in pieces:
        normal = _normal(text)
        for item in forbidden:
            if re.search(rf"(?<!\w){re.escape(_normal(item))}(?!\w)", normal, re.IGNORECASE):
                found.append(f"'{item}' in {where}")
    return list(dict.fromkeys(found))


def _normal(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split())


# --------------------------------------------------------------------------- the step
def write_masked_tree(
    tree_path: Path,
    output: Path,
    *,
    metadata: dict[str, Any],
    bibliography: list[Path],
    markdown: Path,
    sections: Path,
) -> dict[str, str]:
    """Write the masked tree, or refuse naming what would still identify the authors."""
    tree = json.loads(Path(tree_path).read_text(encoding="utf-8"))
    cited = self_citations(bibliography_entries(bibliography), metadata)
    lines = Path(markdown).read_text(encoding="utf-8").splitlines()
    spans = json.loads(Path(sections).read_text(encoding="utf-8"))
    problems = first_person_problems(lines, spans, cited)
    masked = mask_tree(tree, cited)
    problems += [
        f"{item}: the masked copy still names an author, an address or an affiliation. "
        "Move it to the title page (templates/metadata.yaml) or an acknowledgement, "
        "or reword it."
        for item in leftovers(masked, identifying_strings(metadata))
    ]
    if problems:
        raise MaskingRefused(
            f"The masked copy for blind review would identify the authors "
            f"({len(problems)} problem(s)):\n" + "\n".join(f"  - {p}" for p in problems)
        )
    write_text_atomically(output, json.dumps(masked, ensure_ascii=False))
    return cited
