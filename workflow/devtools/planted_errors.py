"""Copies of a paper's published numbers with one realistic error each, to measure recall.

Every copy changes one printed number (or one pair, for a swap) the way errors creep into
papers: a transposed digit (5.62 -> 5.26), a count off by one, a percentage rounded the
wrong way (75.47 -> 76), the two arms' values exchanged, a claim flipped (significance
dropped, a mark removed or added, "higher" made "lower"), a percentage or interval over
the wrong group, a percentage printed as a proportion or a mean with its decimal point
slipped. The list is enumerated in the paper's order, so it is the same on every run.

    python -m devtools.planted_errors [--out PATH]   (writes the list as YAML)
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devtools.detectability import group_size_id, read

KINDS = (
    "sum",
    "percentage",
    "interval",
    "p_value",
    "grim",
    "repeat",
    "claim",
    "denominator",
    "unit",
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Change:
    """One field of one entry, before and after."""

    id: str
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Variant:
    """One planted error: its kind (what the audit should catch it as), how it was made,
    and what it changed."""

    kind: str
    mutation: str
    changes: tuple[Change, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.id for c in self.changes))

    def changed(self, base: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The changed entries, by id."""
        out: dict[str, dict[str, Any]] = {}
        for c in self.changes:
            entry = out.setdefault(c.id, {k: v for k, v in base[c.id].items()})
            entry.pop("printed_value", None) if c.field == "printed" else None
            entry[c.field] = c.new
        return out

    def apply(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The paper's entries with this error planted."""
        changed = self.changed({e["id"]: e for e in entries})
        return [changed.get(e["id"], e) for e in entries]

    def describe(self) -> str:
        return "; ".join(f"{c.id}: {c.old!r} -> {c.new!r}" for c in self.changes)


# --------------------------------------------------------------------------- text edits
def _with_number(text: str, number: str) -> str:
    match = _NUMBER.search(text)
    return text[: match.start()] + number + text[match.end() :]


def _decimals(digits: str) -> int:
    return len(digits.split(".")[1]) if "." in digits else 0


def _fmt(value: float, decimals: int) -> str:
    scaled = math.floor(abs(value) * 10**decimals + 0.5 + 1e-9) / 10**decimals
    return f"{math.copysign(scaled, value) if scaled else 0.0:.{decimals}f}"


def transpositions(text: str) -> list[str]:
    """The text with two neighbouring, different digits of its number exchanged."""
    match = _NUMBER.search(text)
    if not match:
        return []
    digits = match.group(0)
    places = [i for i, ch in enumerate(digits) if ch.isdigit()]
    out = []
    for i, j in zip(places, places[1:], strict=False):
        if digits[i] == digits[j]:
            continue
        swapped = list(digits)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        new = "".join(swapped)
        if len(new.split(".")[0]) > 1 and new[0] == "0":
            continue  # "07": no one prints a leading zero
        out.append(_with_number(text, new))
    return out


def last_digit(text: str, step: int) -> str | None:
    """The text with its number's last printed digit one up or down."""
    digits = _NUMBER.search(text).group(0)
    decimals = _decimals(digits)
    value = round(float(digits) + step * 10.0**-decimals, decimals)
    return None if value < 0 else _with_number(text, _fmt(value, decimals))


def _pct_text(value: float, like: str) -> str:
    digits = _NUMBER.search(like).group(0)
    return _with_number(like, _fmt(value, _decimals(digits)))


# --------------------------------------------------------------------------- roles
class Roles:
    """What each published number takes part in, to label an error by what should catch it."""

    def __init__(self, entries, relations, codebook):
        self.entries = entries
        self.by_id = {e["id"]: e for e in entries}
        self.arms = [g["key"] for g in codebook["arms"]["groups"]][:2]
        self.rules = relations.get("denominators", [])
        self.in_sums = {i for r in relations.get("sums", []) for i in [*r["parts"], r["total"]]}
        self.sizes = {n for r in relations.get("tests", []) for *_, n in r.get("counts", [])}
        self.sizes |= {n for r in relations.get("tests", []) for *_, n in r.get("means", [])}
        self.copies: set[str] = set()
        seen: set[tuple[str, str]] = set()
        for e in entries:
            if e["stat"] in ("count", "percent", "mean", "sd", "p_value") and e.get("of"):
                key = (e["stat"], repr(sorted(e["of"].items())))
                if key in seen:
                    self.copies.add(e["id"])
                seen.add(key)

    def kind(self, entry) -> str:
        stat = entry["stat"]
        if stat == "p_value":
            return "p_value"
        if entry["id"] in self.copies:
            return "repeat"
        if stat == "count":
            if entry["id"] in self.in_sums:
                return "sum"
            return "denominator" if entry["id"] in self.sizes else "sum"
        return {
            "percent": "percentage",
            "mean": "grim",
            "sd": "grim",
            "ci_lower": "interval",
            "ci_upper": "interval",
            "significance_mark": "claim",
            "claim": "claim",
        }[stat]

    def count_and_size(self, entry) -> tuple[str | None, str | None]:
        of = entry.get("of")
        count = next(
            (k for k, e in self.by_id.items() if e["stat"] == "count" and e.get("of") == of),
            None,
        )
        size = group_size_id(entry, self.rules)
        return count, size if size in self.by_id else None

    def other_sizes(self, entry) -> list[str]:
        """Group sizes a percentage of this entry could wrongly be taken of: the other
        population's of the same arm, and the same population's of the other arm."""
        of = entry["of"]
        out = []
        for pop in ("included", "outcome"):
            for arm in self.arms:
                if (pop, arm) == (of.get("pop"), of["arm"]) or (
                    pop != of.get("pop") and arm != of["arm"]
                ):
                    continue
                size = group_size_id({"of": {"arm": arm, "pop": pop}}, self.rules)
                if size in self.by_id:
                    out.append(size)
        return out


# --------------------------------------------------------------------------- mutations
def _one(kind, mutation, entry, new, field="printed") -> Variant:
    return Variant(kind, mutation, (Change(entry["id"], field, str(entry[field]), new),))


def _number_errors(entry, roles: Roles) -> Iterator[Variant]:
    kind, text = roles.kind(entry), str(entry["printed"])
    if read(entry) is None:
        return
    if entry["stat"] == "count":
        value = int(read(entry).value)
        for step in (1, -1):
            if value + step >= 0:
                yield _one(kind, "off-by-one count", entry, str(value + step))
    for new in transpositions(text):
        yield _one(kind, "transposed digits", entry, new)
    if entry["stat"] == "count":
        return
    if entry["stat"] == "percent":
        yield from _percentage_errors(entry, roles, kind, text)
        return
    if entry["stat"] == "p_value" and "<" in text:
        exact = text.lstrip("<").strip() if text.startswith("<") else text.replace("<", "=")
        yield _one(kind, "wrong rounding", entry, exact)
    for step in (1, -1):
        new = last_digit(text, step)
        if new and new != text:
            yield _one(kind, "wrong rounding", entry, new)
    if entry["stat"] in ("mean", "sd"):
        digits = _NUMBER.search(text).group(0)
        decimals = _decimals(digits)
        slipped = (
            _fmt(float(digits) * 10, decimals - 1)
            if decimals
            else _fmt(float(digits) / 10, decimals + 1)
        )
        yield _one("unit", "decimal point slipped", entry, _with_number(text, slipped))


def _percentage_errors(entry, roles: Roles, kind, text) -> Iterator[Variant]:
    count, size = roles.count_and_size(entry)
    digits = _NUMBER.search(text).group(0)
    decimals = _decimals(digits)
    if count and size:
        exact = 100 * read(roles.by_id[count]).value / read(roles.by_id[size]).value
        scale = 10**decimals
        down, up = math.floor(exact * scale) / scale, math.ceil(exact * scale) / scale
        wrong = up if _fmt(exact, decimals) == _fmt(down, decimals) else down
        if _fmt(wrong, decimals) != digits:
            yield _one(kind, "wrong rounding", entry, _pct_text(wrong, text))
        for other in roles.other_sizes(entry):
            n = read(roles.by_id[other]).value
            new = _pct_text(100 * read(roles.by_id[count]).value / n, text)
            if new != text:
                yield _one("denominator", f"wrong denominator ({other})", entry, new)
    for step in (1, -1):
        new = last_digit(text, step)
        if new and new != text:
            yield _one(kind, "last digit off by one", entry, new)
    proportion = _fmt(float(digits) / 100, decimals + 2)
    yield _one("unit", "percentage printed as a proportion", entry, proportion)


def _interval_errors(entry, roles: Roles) -> Iterator[Variant]:
    """Both limits of an interval over the wrong group (Wilson, as the paper's is)."""
    from statsmodels.stats.proportion import proportion_confint

    of = entry["of"]
    high = next(e for e in roles.entries if e["stat"] == "ci_upper" and e.get("of") == of)
    count, _ = roles.count_and_size(entry)
    if not count:
        return
    hits = read(roles.by_id[count]).value
    for other in roles.other_sizes(entry):
        n = read(roles.by_id[other]).value
        if hits > n:
            continue
        limits = proportion_confint(hits, n, method="wilson")
        changes = tuple(
            Change(e["id"], "printed", str(e["printed"]), _pct_text(100 * v, str(e["printed"])))
            for e, v in ((entry, limits[0]), (high, limits[1]))
        )
        if any(c.old != c.new for c in changes):
            yield Variant("denominator", f"interval over the wrong group ({other})", changes)


def _claim_errors(entry) -> Iterator[Variant]:
    text = str(entry["printed"])
    if entry["stat"] == "significance_mark":
        new = "none" if text.strip() == "*" else "*"
        yield _one("claim", "mark removed" if new == "none" else "mark added", entry, new)
        return
    flipped = (
        text.replace("no significant", "significant")
        if "no significant" in text
        else text.replace("<", ">")
        if "<" in text
        else None
    )
    if flipped and flipped != text:
        yield _one("claim", "significance dropped or added", entry, flipped)
    words = str(entry.get("measures", ""))
    for a, b in ((" higher", " lower"), (" lower", " higher")):
        if a in words:
            yield _one("claim", "direction flipped", entry, words.replace(a, b), "measures")
            break


def _swaps(roles: Roles) -> Iterator[Variant]:
    """The two arms' values of one printed quantity exchanged."""
    first, second = roles.arms
    for entry in roles.entries:
        if entry["stat"] not in ("count", "percent", "mean", "sd", "ci_lower", "ci_upper"):
            continue
        if not entry["id"].endswith(f".{first}"):
            continue
        other = roles.by_id.get(entry["id"][: -len(first)] + second)
        if other is None or str(other["printed"]) == str(entry["printed"]):
            continue
        kind = "claim" if entry["of"].get("visit") else roles.kind(entry)
        yield Variant(
            kind,
            "swapped arms",
            (
                Change(entry["id"], "printed", str(entry["printed"]), str(other["printed"])),
                Change(other["id"], "printed", str(other["printed"]), str(entry["printed"])),
            ),
        )


def planted_errors(
    entries: list[dict[str, Any]], relations: dict[str, Any], codebook: dict[str, Any]
) -> list[Variant]:
    """Every planted error, in the paper's order, each once."""
    roles = Roles(entries, relations, codebook)
    found: dict[tuple, Variant] = {}

    def add(variants):
        for v in variants:
            key = tuple((c.id, c.field, c.new) for c in v.changes)
            if all(c.old != c.new for c in v.changes):
                found.setdefault(key, v)

    for entry in entries:
        stat = entry["stat"]
        if stat in ("protocol", "literature", "min", "max"):
            continue
        if stat in ("claim", "significance_mark"):
            add(_claim_errors(entry))
            continue
        add(_number_errors(entry, roles))
        if stat == "ci_lower":
            add(_interval_errors(entry, roles))
    add(_swaps(roles))
    return list(found.values())


def as_records(variants: list[Variant]) -> list[dict[str, Any]]:
    return [
        {
            "kind": v.kind,
            "mutation": v.mutation,
            "changes": [c.__dict__ for c in v.changes],
        }
        for v in variants
    ]


def main(argv: list[str] | None = None) -> None:
    from devtools.published_from_cohort import build

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the variants here (YAML)")
    args = parser.parse_args(argv)
    entries, relations, codebook = build()
    variants = planted_errors(entries, relations, codebook)
    text = yaml.safe_dump(as_records(variants), sort_keys=False, allow_unicode=True)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(f"{len(variants)} variants")


if __name__ == "__main__":
    main()
