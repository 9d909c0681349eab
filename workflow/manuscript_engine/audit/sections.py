"""Facts across sections: what one section says against what another says.

A procedure, device, schedule, range or definition is typed once per place the paper
states it (data/published.yaml: ``stat: protocol`` with a ``fact`` key naming what it is
about). The **fact** family needs only the published text:

* the same fact stated in two places must state the same value (numbers compared as
  numbers, words compared after normalising case, dashes and spaces);
* a fact stated in one section must be stated in the sections the relations require
  (``facts.must_appear_in``: what the Abstract says, the Methods must describe);
* a protocol range of a measured variable (``of: {var, arm}``) must contain the observed
  minimum and maximum printed for it;
* two counts a definition makes disjoint cannot add up to more than the group holding
  both (``facts.excludes``: successes "without any major complications" and patients
  with a major complication, among the same patients).

:func:`check_sections` runs these with the unit and denominator families of
:mod:`manuscript_engine.audit.units`: every check here reads printed numbers only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from manuscript_engine.audit.model import Check, Paper
from manuscript_engine.audit.units import check_denominators, check_units

APPROXIMATE = ("approximately", "about", "around", "roughly", "circa", "nearly", "~")
"""Words that make a printed range a target rather than a limit."""
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DASHES = re.compile(r"\s*(?:[–—−-]|\bto\b)\s*")


def section_of(entry: dict[str, Any]) -> str:
    """The section an entry is printed in: its ``section``, else ``where`` up to a comma."""
    return str(entry.get("section") or entry["where"].split(",")[0]).strip()


def stated(entry: dict[str, Any]) -> str:
    """What a fact says: the editor's ``printed_value`` when given, else the printed text."""
    return str(entry.get("printed_value", entry["printed"]))


def numbers_in(text: str) -> list[float]:
    return [float(n) for n in _NUMBER.findall(text)]


def normalised(text: str) -> str:
    """Lower case, one kind of dash, single spaces, no closing punctuation."""
    text = _DASHES.sub("-", text.lower())
    return re.sub(r"\s+", " ", text).strip(" .;,")


def same_statement(first: str, second: str) -> bool:
    """Two statements of a fact agree: the same numbers when either has numbers, else the
    same words once normalised."""
    numbers = numbers_in(first), numbers_in(second)
    if any(numbers):
        return numbers[0] == numbers[1]
    return normalised(first) == normalised(second)


def facts_by_key(paper: Paper) -> dict[str, list[str]]:
    """The ids stating each fact, in the paper's order."""
    found: dict[str, list[str]] = defaultdict(list)
    for key, entry in paper.entries.items():
        if entry.get("fact"):
            found[str(entry["fact"])].append(key)
    return dict(found)


def _quoted(paper: Paper, key: str) -> str:
    return f"{section_of(paper.entries[key])} ('{paper.text(key)}')"


# --------------------------------------------------------------------------- the rules
def check_same_fact(paper: Paper) -> list[Check]:
    """A fact stated in several places states the same value in each."""
    checks = []
    for fact, ids in facts_by_key(paper).items():
        if len(ids) < 2:
            continue
        first = stated(paper.entries[ids[0]])
        differ = [k for k in ids[1:] if not same_statement(first, stated(paper.entries[k]))]
        texts = "; ".join(_quoted(paper, k) for k in ids)
        what = paper.entries[ids[0]]["measures"]
        checks.append(
            Check(
                id=f"fact:same:{fact}",
                location=" / ".join(paper.where(k) for k in ids),
                published=" | ".join(paper.text(k) for k in ids),
                recomputed="",
                check="fact",
                verdict="inconsistent" if differ else "consistent",
                explanation=f"{what} is stated {len(ids)} times: {texts}; "
                + (
                    "they say different things, and at most one of them can describe what was done."
                    if differ
                    else "they agree."
                ),
                involves=tuple(ids),
                severity="likely error" if differ else "",
            )
        )
    return checks


def check_must_appear(paper: Paper, relations: dict[str, Any]) -> list[Check]:
    """A fact a section states is stated in every section the relations require."""
    required = (relations.get("facts") or {}).get("must_appear_in", {}) or {}
    checks = []
    for fact, ids in facts_by_key(paper).items():
        sections = {k: section_of(paper.entries[k]) for k in ids}
        for source, targets in required.items():
            stating = [k for k in ids if sections[k] == source]
            if not stating:
                continue
            for target in [targets] if isinstance(targets, str) else targets:
                there = [k for k in ids if sections[k] == target]
                what = paper.entries[stating[0]]["measures"]
                said = "; ".join(_quoted(paper, k) for k in stating)
                checks.append(
                    Check(
                        id=f"fact:in:{target}:{fact}",
                        location=paper.where(stating[0]),
                        published=paper.text(stating[0]),
                        recomputed="; ".join(paper.text(k) for k in there),
                        check="fact",
                        verdict="consistent" if there else "inconsistent",
                        explanation=(
                            f"{what}: the {source} says it ({said}), and so does the "
                            f"{target} ({'; '.join(paper.text(k) for k in there)})."
                            if there
                            else f"{what}: the {source} says it ({said}), and the {target} "
                            f"never does. A reader cannot tell from the {target} whether it "
                            f"was done: either the {source} reports something the study did "
                            f"not do or the {target} leaves it out."
                        ),
                        involves=tuple(stating + there),
                        suspects=() if there else tuple(stating),
                        severity="" if there else "likely error",
                    )
                )
    return checks


def check_protocol_ranges(paper: Paper) -> list[Check]:
    """A protocol's range for a measured variable contains the observed min and max."""
    checks = []
    for key, entry in paper.entries.items():
        if entry["stat"] == "protocol":
            of = entry.get("of") or {}
            bounds = numbers_in(stated(entry))
            if "var" not in of or len(bounds) != 2:
                continue
            low, high = sorted(bounds)
            observed = [
                k
                for k, e in paper.entries.items()
                if e["stat"] in ("min", "max")
                and (e.get("of") or {}).get("var") == of["var"]
                and (e.get("of") or {}).get("arm", "both") == of.get("arm", "both")
            ]
            if not observed:
                continue
            outside = [k for k in observed if not low <= paper.value(k) <= high]
            seen = ", ".join(
                f"{paper.entries[k]['stat']} {paper.text(k)} ({paper.where(k)})" for k in observed
            )
            explanation = (
                f"{entry['measures']}: the {section_of(entry)} give {paper.text(key)}; the "
                f"observed values are {seen}"
            )
            approximate = any(word in str(entry["printed"]).lower() for word in APPROXIMATE)
            if not outside:
                explanation += f", all within {low:g}–{high:g}."
            else:
                beyond = " and ".join(dict.fromkeys(paper.text(k) for k in outside))
                explanation += (
                    f"; outside {low:g}–{high:g}: {beyond}, so some procedures did not "
                    "follow the stated range"
                    + (
                        f", which the {section_of(entry)} call approximate: a target, not a limit."
                        if approximate
                        else ", and the paper does not say the range was only a target."
                    )
                )
            checks.append(
                Check(
                    id=f"fact:range:{key}",
                    location=paper.where(key),
                    published=paper.text(key),
                    recomputed=", ".join(paper.text(k) for k in observed),
                    check="fact",
                    verdict="inconsistent" if outside else "consistent",
                    explanation=explanation,
                    involves=(key, *observed),
                    suspects=(key,) if outside else (),
                    severity=("ambiguous" if approximate else "likely error") if outside else "",
                    reading=(
                        f"the range is approximate ('{paper.text(key)}'), a target rather "
                        "than a limit"
                    )
                    if outside and approximate
                    else "",
                )
            )
    return checks


def check_exclusions(paper: Paper, relations: dict[str, Any]) -> list[Check]:
    """Two counts a definition makes disjoint fit in the group that holds them both."""
    checks = []
    for rule in (relations.get("facts") or {}).get("excludes", []) or []:
        count, other, within = rule["count"], rule["cannot_overlap"], rule["within"]
        a, b, n = paper.value(count), paper.value(other), paper.value(within)
        definition = rule.get("definition")
        defined = (
            f"The {section_of(paper.entries[definition])} define it: '{paper.text(definition)}'. "
            if definition
            else ""
        )
        why = f" {rule['because']}" if rule.get("because") else ""
        fits = a + b <= n
        explanation = (
            f"{defined}{a:g} counted as '{paper.entries[count]['measures']}' "
            f"({paper.where(count)}) and {b:g} counted as "
            f"'{paper.entries[other]['measures']}' ({paper.where(other)}) cannot overlap."
            f"{why} Both are among the {n:g} of '{paper.entries[within]['measures']}', "
            f"so {a:g} + {b:g} = {a + b:g} "
            + (
                "fits."
                if fits
                else f"cannot exceed {n:g}: at least {a + b - n:g} of the "
                f"{a:g} was not a success by the paper's own definition."
            )
        )
        checks.append(
            Check(
                id=f"fact:excludes:{rule['id']}",
                location=paper.where(count),
                published=f"{paper.text(count)} + {paper.text(other)}",
                recomputed=f"{a + b:g} of {n:g}",
                check="fact",
                verdict="consistent" if fits else "inconsistent",
                explanation=explanation,
                involves=tuple(k for k in (count, other, within, definition) if k),
                suspects=() if fits else (count,),
                severity="" if fits else "contradiction",
            )
        )
    return checks


def check_facts(paper: Paper, relations: dict[str, Any]) -> list[Check]:
    """Every fact rule: the same value everywhere, present where required, protocol
    ranges around what was observed, definitions that keep counts apart."""
    return (
        check_same_fact(paper)
        + check_must_appear(paper, relations)
        + check_protocol_ranges(paper)
        + check_exclusions(paper, relations)
    )


def check_sections(paper: Paper, relations: dict[str, Any]) -> list[Check]:
    """The three families that read only the published numbers and text."""
    return (
        check_units(paper, relations)
        + check_denominators(paper, relations)
        + check_facts(paper, relations)
    )
