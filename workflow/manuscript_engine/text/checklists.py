"""Reporting checklists (STROBE, CONSORT, RECORD ...) filled from markers in the templates.

A checklist is data: ``config/checklists/<file>.yaml`` lists its items (id, the official
section label, a description in our words), and ``checklists`` in the config names the
checklists this manuscript fills and the items it need not address, each with a reason.
Authors write ``{{ checklist('strobe', '12b') }}``, or the shorthand ``{{ strobe('12b') }}``
(one per configured checklist), where the text addresses an item. The marker prints an
empty span with an identifier (``[]{#strobe-12b}``): nothing visible, but an anchor that
pandoc carries into every format (an HTML id, a DOCX bookmark, a Typst label), so the
checklist step can find its section, page and line (:mod:`manuscript_engine.output.checklist`).

Each marker is recorded with its template and line. A marker for an unknown item, or for
an item the config calls not applicable, stops the rendering at that line; an item with
neither a marker nor a reason stops the build once every template has rendered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from manuscript_engine.core.errors import ManuscriptError, TemplateProblem
from manuscript_engine.text.template_lint import printing_place


class ChecklistIncomplete(ManuscriptError):
    """An item of a checklist is addressed nowhere and not marked not applicable."""


@dataclass(frozen=True)
class Item:
    id: str
    section: str
    description: str


@dataclass(frozen=True)
class Checklist:
    """One checklist as this manuscript fills it."""

    key: str  # the name templates call it by ('strobe')
    name: str  # as printed ('STROBE')
    title: str
    source: str
    items: tuple[Item, ...]
    definition: str  # the file its items come from
    not_applicable: Mapping[str, str] = field(default_factory=dict)

    def item(self, item_id: str) -> Item | None:
        return next((item for item in self.items if item.id == item_id), None)


def load_checklist(key: str, setting: Mapping[str, Any]) -> Checklist:
    """A checklist from its config entry (``items`` file, ``not_applicable`` reasons).

    A reason given for an item the checklist does not have is refused: it would hide a
    typing slip ('12f' for '12e').
    """
    from manuscript_engine.core.yaml_schemas import load_checked_yaml

    definition = setting["items"]
    data = load_checked_yaml(definition, "checklist")
    ids = [entry["id"] for entry in data["items"]]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ManuscriptError(
            f"{definition}: the item(s) {', '.join(repeated)} are listed more than once; "
            "give each item once."
        )
    reasons = dict(setting.get("not_applicable") or {})
    unknown = sorted(set(reasons) - set(ids))
    if unknown:
        raise ManuscriptError(
            f"config/config.yaml, checklists › {key} › not_applicable: {', '.join(unknown)} "
            f"is not an item of {definition} (items: {', '.join(ids)}). Correct the item."
        )
    return Checklist(
        key=key,
        name=data["name"],
        title=data["title"],
        source=" ".join(data["source"].split()).rstrip("."),
        items=tuple(Item(**entry) for entry in data["items"]),
        definition=definition,
        not_applicable=reasons,
    )


def load_checklists(settings: Mapping[str, Any] | None) -> dict[str, Checklist]:
    """Every checklist the ``checklists`` setting names, by the name templates use."""
    return {key: load_checklist(key, entry) for key, entry in (settings or {}).items()}


@dataclass(frozen=True)
class Marker:
    """One marker as a template printed it, and the anchor it left in the document."""

    checklist: str
    item: str
    anchor: str
    template: str
    line: int


@dataclass
class ChecklistMarkers:
    """The checklists a rendering fills, and the markers its templates print."""

    checklists: Mapping[str, Checklist]
    markers: list[Marker] = field(default_factory=list)

    def mark(self, name: str, item_id: str) -> str:
        """The marker of ``item_id`` of checklist ``name``: an empty span, its id the anchor."""
        checklist = self.checklists.get(name)
        if checklist is None:
            known = ", ".join(sorted(self.checklists)) or "none"
            raise TemplateProblem(
                f"checklist('{name}', '{item_id}'): there is no checklist '{name}' in "
                f"config/config.yaml › checklists (configured: {known})."
            )
        item = checklist.item(str(item_id))
        if item is None:
            raise TemplateProblem(
                f"{name}('{item_id}'): {checklist.name} has no item '{item_id}' "
                f"({checklist.definition}; items: {', '.join(i.id for i in checklist.items)}). "
                "Correct the item number."
            )
        if item.id in checklist.not_applicable:
            raise TemplateProblem(
                f"{name}('{item.id}'): config/config.yaml marks {checklist.name} item "
                f"{item.id} not applicable ({checklist.not_applicable[item.id]}), yet the text "
                "addresses it here. Remove the marker or the item's not_applicable entry."
            )
        path, line = printing_place()
        earlier = sum(m.checklist == name and m.item == item.id for m in self.markers)
        anchor = f"{name}-{item.id}" + (f"-{earlier + 1}" if earlier else "")
        self.markers.append(Marker(name, item.id, anchor, _shown_template(path), line or 0))
        return f"[]{{#{anchor}}}"

    def missing(self) -> list[str]:
        """One message per item that has neither a marker nor a reason to be absent."""
        marked = {(m.checklist, m.item) for m in self.markers}
        return [
            f"  - {checklist.name} item {item.id} ({item.section}): {item.description}\n"
            f"    Add {{{{ {key}('{item.id}') }}}} to the template line where the manuscript "
            f"addresses it, or give a reason under checklists › {key} › not_applicable › "
            f"'{item.id}' in config/config.yaml."
            for key, checklist in self.checklists.items()
            for item in checklist.items
            if (key, item.id) not in marked and item.id not in checklist.not_applicable
        ]

    def check_complete(self) -> None:
        """Fail, naming every item addressed nowhere, with what to do about each."""
        missing = self.missing()
        if missing:
            raise ChecklistIncomplete(
                f"{len(missing)} checklist item(s) are addressed nowhere in the templates:\n"
                + "\n".join(missing)
            )

    def check_located(self, document: str) -> None:
        """Checklists give pages and lines of the manuscript: a marker in another document
        (the supplement) would be listed nowhere, so it is refused at its place."""
        if document == "manuscript" or not self.markers:
            return
        places = "\n".join(
            f"  - {m.template} line {m.line}: {m.checklist}('{m.item}')" for m in self.markers
        )
        raise TemplateProblem(
            f"checklist markers in the {document}, which the checklist does not locate:\n"
            f"{places}\nMove each to the manuscript's text that points to the {document} "
            "(templates/sections/)."
        )

    def write(self, path: Path) -> None:
        """The markers, in the order they were printed, as JSON for the checklist step."""
        from manuscript_engine.core.atomic_files import write_text_atomically

        write_text_atomically(path, json.dumps([asdict(m) for m in self.markers], indent=1) + "\n")


def read_markers(path: Path) -> list[Marker]:
    return [Marker(**entry) for entry in json.loads(Path(path).read_text(encoding="utf-8"))]


def _shown_template(path: str | None) -> str:
    """``templates/sections/x.md.j2`` for the absolute path Jinja's loader gives."""
    if not path:
        return "a template"
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()
