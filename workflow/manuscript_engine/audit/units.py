"""Counts against the population they name: units of analysis and table denominators.

Two families of check that need only the published numbers:

* **unit**: a count or percentage must fit the population it names. A paper may count
  patients, procedures or lesions; its tables may tell how many of each unit an arm has
  (``units`` in data/published_checks.yaml: "47 patients with 1 lesion treated, 12 with
  2, ..." makes 47·1 + 12·2 + ... lesions). Every entry whose ``unit`` is one of those
  and which states the total (a count of the whole arm) or a percentage of it must agree
  with that total. When it equals instead a count of the study's default unit
  (patients), the reading "counts patients, not lesions" is named.
* **denominator**: a table header's n against the n implied by every percentage printed
  under it (``headers``). A percentage with 0 decimals fits a range of whole-number
  denominators; when the header's n is not among them and every mismatching row of the
  table fits one other n, the rows are one finding with that reading.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from manuscript_engine.audit import proportions
from manuscript_engine.audit.model import Check, Paper
from manuscript_engine.core.formatting import format_decimal

DEFAULT_UNIT = "patients"


# --------------------------------------------------------------------------- shared helpers
def study_arms(paper: Paper) -> list[str]:
    """The arms the published entries name (in the paper's order), without 'both'."""
    seen: dict[str, None] = {}
    for entry in paper.entries.values():
        arm = (entry.get("of") or {}).get("arm")
        if arm and arm != "both":
            seen.setdefault(str(arm), None)
    return list(seen)


def for_arm(template: str, arm: str) -> str:
    """An id of the relations with ``{arm}`` replaced by the arm's key."""
    return str(template).replace("{arm}", arm)


def default_unit(relations: dict[str, Any]) -> str:
    return str((relations.get("units") or {}).get("default", DEFAULT_UNIT))


def unit_of(entry: dict[str, Any], relations: dict[str, Any]) -> str:
    """The unit an entry counts: its own ``unit``, else the study's default."""
    return str(entry.get("unit") or default_unit(relations))


def denominators_for(count: float, percent: float, decimals: int, limit: int) -> list[int] | None:
    """Every whole-number n up to ``limit`` for which count/n prints as ``percent``.

    A percentage printed with 0 decimals fits a range of n (66/70 and 66/71 are 94% and
    93%; 62/70 and 62/69 both print as 90%). None when the count is 0: every n fits.
    """
    if count == 0:
        return None
    target = format_decimal(percent, decimals)
    half = 0.5 * 10**-decimals
    lowest = max(math.ceil(count), 1)
    highest = (
        limit if percent - half <= 0 else min(limit, math.floor(100 * count / (percent - half)) + 1)
    )
    return [
        n for n in range(lowest, highest + 1) if format_decimal(100 * count / n, decimals) == target
    ]


def nearest_denominator(count: float, percent: float) -> int | None:
    """The whole n whose count/n comes closest to a percentage no n reproduces."""
    return round(100 * count / percent) if percent > 0 else None


def printed_count(paper: Paper, entry: dict[str, Any], prefix: str = "") -> str | None:
    """The count printed for the same quantity as a percentage, from the same table first."""
    same = [
        key
        for key, other in paper.entries.items()
        if other["stat"] == "count" and other.get("of") == entry.get("of")
    ]
    here = [key for key in same if prefix and paper.where(key).startswith(prefix)]
    return (here or same or [None])[0]


def _numbers(values: Iterable[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


# --------------------------------------------------------------------------- unit
def unit_totals(paper: Paper, relations: dict[str, Any]) -> dict[tuple[str, str], list[dict]]:
    """Per (unit, arm): each total the tables imply, how, and the ids it reads.

    Each ``units.totals`` rule weighs the rows of a table: a row counting the patients
    with k units adds k units per patient. Two tables may each tell a unit's total.
    """
    totals: dict[tuple[str, str], list[dict]] = {}
    for rule in (relations.get("units") or {}).get("totals", []) or []:
        for arm in study_arms(paper):
            rows = {for_arm(key, arm): float(weight) for key, weight in rule["weights"].items()}
            if not all(key in paper.entries for key in rows):
                continue
            total = sum(paper.value(key) * weight for key, weight in rows.items())
            terms = " + ".join(f"{paper.value(k):g}·{w:g}" for k, w in rows.items())
            totals.setdefault((rule["unit"], arm), []).append(
                {
                    "total": total,
                    "how": f"{terms} = {total:g}",
                    "ids": tuple(rows),
                    "source": rule.get("source", ""),
                    "unit": rule["unit"],
                }
            )
    return totals


def _tables_agree(unit: str, arm: str, told: list[dict]) -> Check:
    """Two or more tables that each tell how many of a unit an arm has."""
    values = {known["total"] for known in told}
    shown = "; ".join(f"{known['how']}{_source(known)}" for known in told)
    same = len(values) == 1
    return Check(
        id=f"unit:tables:{unit}:{arm}",
        location="; ".join(known["source"] or known["ids"][0] for known in told),
        published=", ".join(f"{known['total']:g}" for known in told),
        recomputed="",
        check="unit",
        verdict="consistent" if same else "inconsistent",
        explanation=f"The tables tell the number of {unit} in this arm {len(told)} ways: "
        f"{shown}; "
        + (
            "they agree."
            if same
            else "they disagree, and an arm has one number of them: one of the tables "
            "is wrong, or they count different groups without saying so."
        ),
        involves=tuple(key for known in told for key in known["ids"]),
        severity="" if same else "likely error",
        cause="" if same else f"unit:{unit}",
    )


def default_counts(paper: Paper, relations: dict[str, Any], arm: str) -> dict[float, str]:
    """The counts of the default unit (patients) the paper prints for an arm, by value."""
    found: dict[float, str] = {}
    for template in (relations.get("units") or {}).get("default_counts", []) or []:
        key = for_arm(template, arm)
        if key in paper.entries:
            found.setdefault(paper.value(key), key)
    return found


def _states_total(entry: dict[str, Any]) -> bool:
    """A count of a whole arm (no ``var``: every member of its population)."""
    of = entry.get("of") or {}
    return entry["stat"] == "count" and "var" not in of and of.get("arm") not in (None, "both")


def check_units(paper: Paper, relations: dict[str, Any]) -> list[Check]:
    """Every count or percentage of a unit with a known total against that total."""
    told = unit_totals(paper, relations)
    default = default_unit(relations)
    checks = [_tables_agree(unit, arm, ways) for (unit, arm), ways in told.items() if len(ways) > 1]
    for key, entry in paper.entries.items():
        unit = unit_of(entry, relations)
        arm = (entry.get("of") or {}).get("arm")
        if unit == default or (unit, arm) not in told:
            continue
        known = told[unit, arm][0]
        if _states_total(entry):
            checks.append(_total_check(paper, relations, key, unit, arm, known))
        elif entry["stat"] == "percent":
            check = _percent_check(paper, relations, key, unit, arm, known)
            if check:
                checks.append(check)
        elif entry["stat"] == "count":
            checks.append(_part_check(paper, key, unit, known))
    return checks + check_units_named_alike(paper, relations)


def check_units_named_alike(paper: Paper, relations: dict[str, Any]) -> list[Check]:
    """The same quantity (the same kind of number of the same ``of``) printed in several
    places must name the same unit: "12% of the treated lesions" in the Results and "12%
    of the patients" in the Discussion cannot both be right."""
    default = default_unit(relations)
    groups: dict[str, list[str]] = {}
    for key, entry in paper.entries.items():
        if entry["stat"] in ("count", "percent") and entry.get("of"):
            same = entry["stat"] + json.dumps(entry["of"], sort_keys=True)
            groups.setdefault(same, []).append(key)
    checks = []
    for keys in groups.values():
        units = {key: unit_of(paper.entries[key], relations) for key in keys}
        if len(set(units.values())) < 2:
            continue
        named = "; ".join(f"{paper.text(k)} as {units[k]} ({paper.where(k)})" for k in keys)
        others = sorted({u for u in units.values() if u != default})
        reading = (
            f"counts {default}, not {' or '.join(others)}" if default in units.values() else ""
        )
        checks.append(
            Check(
                id=f"unit:named:{keys[0]}",
                location=" / ".join(paper.where(k) for k in keys),
                published=" | ".join(paper.text(k) for k in keys),
                recomputed="",
                check="unit",
                verdict="inconsistent",
                explanation=f"The same number is printed {len(keys)} times with different "
                f"units: {named}. A count or share of {default} and one of "
                f"{' or '.join(others)} differ whenever a patient has more than one; the "
                "paper uses one number for both."
                + (
                    f" Read as {default} everywhere, the places agree."
                    if reading
                    else " No place says which it is."
                ),
                involves=tuple(keys),
                suspects=tuple(k for k in keys if units[k] != default),
                severity="ambiguous" if reading else "likely error",
                reading=reading,
                cause=f"unit:{others[0]}",
            )
        )
    return checks


def _source(known: dict) -> str:
    return f" ({known['source']})" if known["source"] else ""


def _total_check(paper, relations, key, unit, arm, known) -> Check:
    value, total = paper.value(key), known["total"]
    entry = paper.entries[key]
    text = (
        f"The tables give {known['how']} {unit} in this arm{_source(known)}; "
        f"'{entry['measures']}' prints {value:g}"
    )
    if math.isclose(value, total):
        return _unit_check(key, paper, known, "consistent", text + ": they agree.", str(total))
    return _mismatch(paper, relations, key, unit, arm, known, [value], text)


def _percent_check(paper, relations, key, unit, arm, known) -> Check | None:
    entry = paper.entries[key]
    count_key = printed_count(paper, entry, paper.where(key).split(",")[0])
    if count_key is None:
        return None
    count, percent, decimals = paper.value(count_key), paper.value(key), paper.decimals(key)
    total = known["total"]
    fits = denominators_for(count, percent, decimals, limit=int(10 * max(total, count)) + 10)
    if fits is None:
        return None
    of_total = 100 * count / total
    text = (
        f"The tables give {known['how']} {unit} in this arm{_source(known)}; "
        f"{count:g} of {total:g} is {of_total:.1f}%, which prints as "
        f"{format_decimal(of_total, decimals)}%, and the paper prints {paper.text(key)} "
        f"({entry['measures']})"
    )
    ids = (key, count_key)
    if int(total) in fits:
        return _unit_check(key, paper, known, "consistent", text + ".", str(total), ids)
    if fits:
        text += f"; {count:g}/n prints so only for n = {_numbers(fits)}"
        candidates = fits
    else:
        near = nearest_denominator(count, percent)
        text += (
            f"; no whole n gives it exactly (the count or the percentage is misprinted), "
            f"the closest is n = {near}"
        )
        candidates = [near] if near else []
    return _mismatch(paper, relations, key, unit, arm, known, candidates, text, ids, bool(fits))


def _part_check(paper, key, unit, known) -> Check:
    value, total = paper.value(key), known["total"]
    entry = paper.entries[key]
    fits = value <= total
    text = (
        f"'{entry['measures']}' counts {value:g} {unit}, "
        f"{'within' if fits else 'more than'} the {known['how']} {unit} the tables give"
        f"{_source(known)}."
    )
    if fits:
        return _unit_check(key, paper, known, "consistent", text, str(total))
    return _unit_check(
        key,
        paper,
        known,
        "inconsistent",
        text + " A part cannot outnumber its whole.",
        str(total),
        severity="contradiction",
    )


def _mismatch(
    paper, relations, key, unit, arm, known, candidates, text, ids=None, exact=True
) -> Check:
    """A count or percentage of ``unit`` that does not fit the unit's total: does it fit a
    count of the default unit instead? (``exact``: the candidates reproduce it exactly.)"""
    default = default_unit(relations)
    people = default_counts(paper, relations, arm)
    matched = [people[v] for v in map(float, candidates) if v in people]
    ids = ids or (key,)
    if matched:
        other = matched[0]
        reading = f"counts {default}, not {unit}"
        text += (
            f". {paper.value(other):g} is the number of {default} "
            f"('{paper.entries[other]['measures']}', {paper.where(other)}): read as {default}, "
            + ("the numbers agree" if exact else "it is the nearest group")
            + f"; read as {unit}, they contradict the tables' {known['total']:g}. Ambiguous "
            f"rather than an error of arithmetic: the numbers fit {default} and the word "
            f"'{unit}' does not, which changes what the figure means (a share of the "
            f"{default}, not of the {unit})."
        )
        return _unit_check(
            key,
            paper,
            known,
            "inconsistent",
            text,
            f"{known['total']:g}",
            ids + (other,),
            severity="ambiguous",
            reading=reading,
            suspects=(),  # the word, not the number: grouped by its cause alone
        )
    text += (
        f". It fits neither the tables' {known['total']:g} {unit} nor any printed count "
        f"of {default} in this arm."
    )
    return _unit_check(
        key,
        paper,
        known,
        "inconsistent",
        text,
        f"{known['total']:g}",
        ids,
        severity="likely error",
        suspects=(key,),
    )


def _unit_check(
    key,
    paper,
    known,
    verdict,
    text,
    recomputed,
    ids=None,
    *,
    severity="",
    reading="",
    suspects=(),
) -> Check:
    unit_ids = tuple(dict.fromkeys((*(ids or (key,)), *known["ids"])))
    return Check(
        id=f"unit:{key}",
        location=paper.where(key),
        published=paper.text(key),
        recomputed=recomputed,
        check="unit",
        verdict=verdict,
        explanation=text,
        involves=unit_ids,
        suspects=tuple(suspects),
        severity=severity,
        reading=reading,
        cause=f"unit:{known['unit']}" if verdict == "inconsistent" else "",
    )


# --------------------------------------------------------------------------- denominator
def check_denominators(paper: Paper, relations: dict[str, Any]) -> list[Check]:
    """Each percentage under a table header against the header's n.

    ``headers`` in the relations name, per table, the header's n (``{arm}`` for the
    arm's key) and the ``where`` prefix of the rows it covers: every percentage whose
    ``where`` starts with it, in the same arm, is taken of that n, or of the n the
    table's ``note`` prints for the rows it names.
    """
    checks = []
    for rule in relations.get("headers", []) or []:
        for arm in study_arms(paper):
            header = for_arm(rule["n"], arm)
            note = for_arm(rule["note"], arm) if rule.get("note") else None
            if header in paper.entries:
                checks += _table_denominators(
                    paper, header, rule["covers"], arm, note if note in paper.entries else None
                )
    return checks


def _table_denominators(
    paper: Paper, header: str, covers: str, arm: str, note: str | None = None
) -> list[Check]:
    n = paper.value(header)
    rows = []
    for key, entry in paper.entries.items():
        if entry["stat"] != "percent" or (entry.get("of") or {}).get("arm") != arm:
            continue
        if not paper.where(key).startswith(covers):
            continue
        count_key = printed_count(paper, entry, covers)
        if count_key is None:
            continue
        count, percent, decimals = paper.value(count_key), paper.value(key), paper.decimals(key)
        fits = denominators_for(count, percent, decimals, limit=int(10 * max(n, count)) + 10)
        rows.append((key, count_key, count, percent, decimals, fits))
    noted = int(paper.value(note)) if note else None
    wrong = [
        row
        for row in rows
        if row[5] is not None
        and int(n) not in row[5]
        and noted not in row[5]
        and proportions.percent_readings(int(row[2]), int(n), paper.text(row[0])) is None
    ]
    shared = set.intersection(*(set(row[5]) for row in wrong)) if wrong else set()
    checks = []
    for key, count_key, count, _percent, decimals, fits in rows:
        shown = f"{count:g}/{n:g} = {100 * count / n:.2f}%, which prints as " + format_decimal(
            100 * count / n, decimals
        )
        base = dict(
            id=f"denominator:{key}",
            location=paper.where(key),
            published=f"{paper.text(count_key)} ({paper.text(key)})",
            check="denominator",
            involves=(key, count_key, header),
        )
        convention = proportions.percent_readings(int(count), int(n), paper.text(key))
        if convention not in (None, "rounding") and fits is not None and int(n) not in fits:
            checks.append(
                Check(
                    **base,
                    recomputed=f"n = {n:g}",
                    verdict="consistent",
                    explanation=f"The header gives n = {n:g} ({paper.where(header)}); {shown}%, "
                    f"and {paper.text(key)}% by {convention} (the percentage check reports "
                    "the convention).",
                )
            )
            continue
        if fits is None or int(n) in fits:
            checks.append(
                Check(
                    **base,
                    recomputed=f"n = {n:g}",
                    verdict="consistent",
                    explanation=f"The header gives n = {n:g} ({paper.where(header)}); {shown}%, "
                    f"as printed.",
                )
            )
            continue
        if noted in fits:
            checks.append(
                Check(
                    **{**base, "involves": (key, count_key, header, note)},
                    recomputed=f"n = {noted}",
                    verdict="consistent",
                    explanation=f"The header gives n = {n:g} ({paper.where(header)}) and the "
                    f"table's note n = {noted} for the rows it names ({paper.where(note)}); "
                    f"{count:g}/{noted} prints as {paper.text(key)}%, as printed.",
                )
            )
            continue
        if not fits:
            checks.append(
                Check(
                    **base,
                    recomputed="no n",
                    verdict="inconsistent",
                    explanation=f"The header gives n = {n:g} ({paper.where(header)}); {shown}%, "
                    f"not {paper.text(key)}%, and no whole-number n makes "
                    f"{count:g}/n print as {paper.text(key)}%: the count or the percentage is "
                    f"wrong.",
                    suspects=(key, count_key),
                    severity="contradiction",
                )
            )
            continue
        text = (
            f"The header gives n = {n:g} ({paper.where(header)}); {shown}%, not "
            f"{paper.text(key)}%; {count:g}/n prints as {paper.text(key)}% for n = "
            f"{_numbers(fits)}"
        )
        if shared:
            others = _numbers(sorted(shared))
            reading = f"the percentages are of n = {others}, not the header's {n:g}"
            text += (
                f". {'All ' + str(len(wrong)) + ' rows' if len(wrong) > 1 else 'The one row'} "
                f"of this table whose percentage misses the header's n fit n = {others}"
                + _who(paper, arm, shared, header)
                + ": the percentages were taken of that group, not of the header's."
            )
            checks.append(
                Check(
                    **base,
                    recomputed=f"n = {others}",
                    verdict="inconsistent",
                    explanation=text,
                    suspects=(key,),
                    severity="ambiguous",
                    reading=reading,
                    cause=f"denominator:{header}",
                )
            )
        else:
            checks.append(
                Check(
                    **base,
                    recomputed=f"n = {_numbers(fits)}",
                    verdict="inconsistent",
                    explanation=text + "; the other mismatching rows of this table fit "
                    "other n, so no single group explains them.",
                    suspects=(key,),
                    severity="likely error",
                )
            )
    return checks


def _who(paper: Paper, arm: str, sizes: set[int], header: str) -> str:
    """The printed counts of the arm that equal one of ``sizes``, as a reader's hint."""
    named = [
        f"'{entry['measures']}' ({paper.text(key)})"
        for key, entry in paper.entries.items()
        if key != header
        and entry["stat"] == "count"
        and (entry.get("of") or {}).get("arm") == arm
        and paper.value(key) in sizes
        and "var" in (entry.get("of") or {})
    ][:2]
    return f", the size of {' and of '.join(named)}" if named else ""
