"""Citations by DOI or PMID: looked up once by ``make refs``, then read from a committed file.

Templates may cite ``[@doi:10.1056/NEJMoa0900429]`` or ``[@pmid:19657121]``, as Manubot
allows. The build itself never goes online: ``make refs`` finds such keys in the
templates, asks the DOI's registration agency (content negotiation at doi.org, which
Crossref and DataCite answer) or PubMed's citation exporter for CSL JSON, and writes
``templates/references.json``, which is committed. The build reads it beside
``references.bib``, so two builds give the same reference list whatever the network does.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from manuscript_engine.core.atomic_files import write_text_atomically
from manuscript_engine.core.errors import ManuscriptError

KINDS = ("doi", "pmid")
# pandoc's citation key: a letter, digit or _ first, then those and internal punctuation
# (a trailing full stop or colon ends the key); @{...} takes anything up to the brace.
_KEY_CHAR = r"[A-Za-z0-9_]"
_BARE = rf"@((?:doi|pmid):{_KEY_CHAR}(?:{_KEY_CHAR}|[:.#$%&\-+?<>~/](?={_KEY_CHAR}))*)"
_BRACED = r"@\{((?:doi|pmid):[^}\s]+)\}"
PERSISTENT_KEY = re.compile(rf"(?<![\w@]){_BARE}|(?<![\w@]){_BRACED}")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
PMID = re.compile(r"^[1-9][0-9]{0,8}$")

# CSL fields a reference list needs; the rest of a registry's record (its own indexing
# dates, reference lists, scores, licences) changes between lookups and is dropped.
KEPT_FIELDS = (
    "type",
    "title",
    "container-title",
    "container-title-short",
    "author",
    "editor",
    "issued",
    "volume",
    "issue",
    "page",
    "DOI",
    "PMID",
    "PMCID",
    "publisher",
    "publisher-place",
    "edition",
    "ISBN",
)
KEPT_NAME_PARTS = ("family", "given", "literal", "suffix", "non-dropping-particle")
TIMEOUT_SECONDS = 20


class ReferenceLookupFailed(ManuscriptError):
    """A DOI or PMID could not be turned into a reference; the message says which and why."""


@dataclass(frozen=True)
class Citation:
    """A persistent-identifier citation key and the first place a template uses it."""

    key: str  # as written: doi:10.1056/NEJMoa0900429
    template: str
    line: int

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def identifier(self) -> str:
        """The DOI (lower case: DOIs ignore case) or the PMID."""
        value = self.key.split(":", 1)[1]
        return value.lower() if self.kind == "doi" else value

    @property
    def place(self) -> str:
        return f"{self.template} line {self.line}"


def citations_in(templates: Iterable[Path], root: Path) -> list[Citation]:
    """Every DOI and PMID key the templates cite, once each, at its first place."""
    seen: dict[str, Citation] = {}
    for path in sorted(templates):
        text = path.read_text(encoding="utf-8")
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        for match in PERSISTENT_KEY.finditer(text):
            key = match.group(1) or match.group(2)
            line = text.count("\n", 0, match.start()) + 1
            seen.setdefault(key, Citation(key, shown, line))
    return sorted(seen.values(), key=lambda c: c.key)


def malformed(citation: Citation) -> str | None:
    """Why a key cannot be an identifier (None when it can), in the author's terms."""
    if citation.kind == "doi" and not DOI.match(citation.identifier):
        return (
            f"'@{citation.key}' in {citation.place} is not a DOI: a DOI starts with '10.', "
            "a registrant number and a slash (doi:10.1056/NEJMoa0900429)"
        )
    if citation.kind == "pmid" and not PMID.match(citation.identifier):
        return (
            f"'@{citation.key}' in {citation.place} is not a PubMed ID: a PMID is a number "
            "of up to nine digits (pmid:19657121)"
        )
    return None


def lookup_url(citation: Citation) -> tuple[str, dict[str, str]]:
    """Where a key's CSL JSON is asked for, and the request headers."""
    if citation.kind == "doi":
        return (
            "https://doi.org/" + urllib.parse.quote(citation.identifier, safe="/:;()._-"),
            {"Accept": "application/vnd.citationstyles.csl+json"},
        )
    return (
        "https://api.ncbi.nlm.nih.gov/lit/ctxp/v1/pubmed/?format=csl&id=" + citation.identifier,
        {"Accept": "application/json"},
    )


def look_up_online(citation: Citation) -> dict:
    """CSL JSON for one key from doi.org or PubMed; refuses with the reason on failure."""
    url, headers = lookup_url(citation)
    request = urllib.request.Request(url, headers={**headers, "User-Agent": "make-refs"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        known = "no registration agency knows" if citation.kind == "doi" else "PubMed has"
        raise ReferenceLookupFailed(
            f"'@{citation.key}' ({citation.place}): {known} no record for it "
            f"(HTTP {error.code}). Check the identifier."
        ) from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ReferenceLookupFailed(
            f"'@{citation.key}' ({citation.place}): {url} could not be reached ({error}). "
            "Run `make refs` again when online."
        ) from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReferenceLookupFailed(
            f"'@{citation.key}' ({citation.place}): the answer from {url} is not CSL JSON."
        ) from error


def csl_entry(record: dict, citation: Citation) -> dict:
    """The reference-list fields of a looked-up record, under the template's key."""
    if isinstance(record, list) and len(record) == 1:
        record = record[0]
    if not isinstance(record, dict) or not record.get("title") or not record.get("type"):
        raise ReferenceLookupFailed(
            f"'@{citation.key}' ({citation.place}): the record found has no title or type, "
            "so it cannot be listed as a reference."
        )
    entry = {field: record[field] for field in KEPT_FIELDS if field in record}
    for role in ("author", "editor"):
        if role in entry:
            entry[role] = [
                {part: name[part] for part in KEPT_NAME_PARTS if part in name}
                for name in entry[role]
                if isinstance(name, dict)
            ]
    if isinstance(entry["title"], list):  # some agencies send ["Title"]
        entry["title"] = entry["title"][0] if entry["title"] else ""
    entry["id"] = citation.key
    return entry


def read_references(path: Path) -> list[dict]:
    """The committed CSL JSON references (none when the file does not exist yet)."""
    if not Path(path).exists():
        return []
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries
    ):
        raise ManuscriptError(
            f"{path} is not a list of CSL JSON references with an id each; "
            "delete it and run `make refs` again."
        )
    return entries


def references_text(entries: Iterable[dict]) -> str:
    """The file's text: sorted by key, keys sorted, so a lookup order changes nothing."""
    ordered = sorted(entries, key=lambda e: e["id"])
    return json.dumps(ordered, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass
class Update:
    """What ``make refs`` did: keys looked up, kept from the file, dropped, failed."""

    looked_up: list[str]
    kept: list[str]
    dropped: list[str]
    failed: list[str]


def update_references(
    templates: Iterable[Path],
    root: Path,
    out: Path,
    look_up: Callable[[Citation], dict] = look_up_online,
) -> Update:
    """Bring ``out`` in line with the templates' DOI and PMID citations.

    Keys already in the file are not looked up again (a record does not change under
    the authors' feet); keys no template cites any more are dropped. Each failure is
    collected, the rest written, and the failures raised together.
    """
    citations = citations_in(templates, root)
    problems = [reason for c in citations if (reason := malformed(c))]
    have = {entry["id"]: entry for entry in read_references(out)}
    cited = {c.key for c in citations}
    entries, update = [], Update([], [], sorted(set(have) - cited), [])
    for citation in citations:
        if malformed(citation):
            update.failed.append(citation.key)
        elif citation.key in have:
            entries.append(have[citation.key])
            update.kept.append(citation.key)
        else:
            try:
                entries.append(csl_entry(look_up(citation), citation))
                update.looked_up.append(citation.key)
            except ReferenceLookupFailed as failure:
                problems.append(str(failure))
                update.failed.append(citation.key)
    if entries or Path(out).exists():  # no file until a template cites a DOI or PMID
        write_text_atomically(out, references_text(entries))
    if problems:
        raise ReferenceLookupFailed(
            f"{len(problems)} citation(s) could not be looked up; the others were written "
            f"to {out}:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return update
