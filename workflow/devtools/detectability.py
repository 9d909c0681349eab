"""Whether a changed published number is wrong in principle: an oracle apart from the audit.

A planted error is *detectable* when it breaks a relation that the published numbers
alone determine beyond rounding: a sum of printed parts, a percentage of a printed count
and group size, an interval some standard method gives for a printed count, the same
quantity printed twice, a P value recomputable from printed counts, a mean (or SD) that
no n printed values on the variable's step can give (GRIM, GRIMMER), a mean or SD that
its printed range or scale rules out, and a claim against the printed marks, P values
and rates. The relations come from the study's data files (published_checks.yaml,
codebook.yaml); the arithmetic here shares no code with manuscript_engine.audit, so that
recall measured against it measures the audit.

References: Brown NJL, Heathers JAJ (GRIM), Soc Psychol Personal Sci 2017;8:363-9;
Anaya J (GRIMMER), PeerJ Preprints 2016;4:e2400v1; Bhatia R, Davis C, Am Math Monthly
2000;107:353-7 (variance of a bounded variable).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {"none": 0}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
EPS = 1e-9


@dataclass(frozen=True)
class Reading:
    """A printed number: its value, the half-width of its rounding, and whether it is
    printed as an upper bound ('<0.001')."""

    value: float
    half: float
    below: bool = False

    @property
    def low(self) -> float:
        return 0.0 if self.below else self.value - self.half

    @property
    def high(self) -> float:
        return self.value if self.below else self.value + self.half

    def admits(self, exact: float) -> bool:
        """Whether an exact value prints as this (either rounding of a tie admitted)."""
        if self.below:
            return exact < self.value + EPS
        return abs(exact - self.value) <= self.half + EPS


def read(entry: Mapping[str, Any]) -> Reading | None:
    """The number an entry prints, or None where it prints none."""
    text = str(entry.get("printed_value", entry["printed"])).strip()
    if text.lower() in NUMBER_WORDS:
        return Reading(float(NUMBER_WORDS[text.lower()]), 0.0)
    match = _NUMBER.search(text)
    if not match:
        return None
    digits = match.group(0)
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    exact = entry["stat"] == "count"
    return Reading(
        float(digits), 0.0 if exact else 0.5 * 10.0**-decimals, "<" in text[: match.start()]
    )


@dataclass(frozen=True)
class Relation:
    """A relation between printed numbers; ``holds`` reads entries by id."""

    name: str
    ids: frozenset[str]
    holds: Callable[[Mapping[str, Mapping[str, Any]]], bool]


def overlap(a: Reading, b: Reading) -> bool:
    return a.low <= b.high + EPS and b.low <= a.high + EPS


# --------------------------------------------------------------------------- relations
def sum_relation(rule: dict[str, Any]) -> Relation:
    parts, total = list(rule["parts"]), rule["total"]

    def holds(e):
        return math.isclose(sum(read(e[p]).value for p in parts), read(e[total]).value)

    return Relation(f"sum {rule['id']}", frozenset([*parts, total]), holds)


def group_size_id(entry: Mapping[str, Any], rules: list[dict[str, Any]]) -> str | None:
    """The printed group size of an arm's percentage, by the study's denominator rules."""
    of = entry.get("of") or {}
    if of.get("arm") in (None, "both"):
        return None
    for rule in rules:
        if (rule.get("among") or {}) == (of.get("among") or {}) and rule.get(
            "pop", of.get("pop")
        ) == of.get("pop"):
            return str(rule["id"]).replace("{arm}", of["arm"])
    return None


def percent_relation(key: str, count: str, size: str) -> Relation:
    def holds(e):
        pct, c, n = read(e[key]), read(e[count]).value, read(e[size]).value
        return n > 0 and 0 <= c <= n and pct.admits(100 * c / n)

    return Relation(f"percent {key}", frozenset([key, count, size]), holds)


def interval_limits(count: float, n: float) -> list[tuple[float, float]]:
    """The 95% limits (percent) of the standard methods for a proportion."""
    from statsmodels.stats.proportion import proportion_confint

    z = 1.959963984540054
    p = count / n
    half = z * math.sqrt(p * (1 - p) / n)
    limits = [(100 * (p - half), 100 * (p + half))]
    for method in ("wilson", "beta", "agresti_coull", "jeffreys"):
        low, high = proportion_confint(count, n, alpha=0.05, method=method)
        limits.append((100 * low, 100 * high))
    return limits


def interval_relation(low: str, high: str, estimate: str | None, count, size) -> Relation:
    def holds(e):
        lo, hi = read(e[low]), read(e[high])
        if lo.value > hi.value or lo.high < 0 or hi.low > 100:
            return False
        if estimate and not (lo.low <= read(e[estimate]).high and read(e[estimate]).low <= hi.high):
            return False
        if count and size:
            c, n = read(e[count]).value, read(e[size]).value
            if not 0 <= c <= n or n <= 0:
                return False
            return any(lo.admits(a) and hi.admits(b) for a, b in interval_limits(c, n))
        return True

    ids = [i for i in (low, high, estimate, count, size) if i]
    return Relation(f"interval {low}", frozenset(ids), holds)


def repeat_relation(keys: list[str]) -> Relation:
    """The same quantity printed twice: the same number at the same precision (one
    computation, one rounding); overlapping intervals at different precisions or where
    one is a bound ('<0.001' and '<0.01' can both be true)."""

    def holds(e):
        readings = [read(e[k]) for k in keys]
        return all(
            a.value == b.value if a.half == b.half and not (a.below or b.below) else overlap(a, b)
            for a in readings
            for b in readings
        )

    return Relation(f"repeat {keys[0]}", frozenset(keys), holds)


def count_tests(table: list[list[float]]) -> list[float]:
    """Two-sided P of Pearson's χ², χ² with Yates' correction and Fisher's exact test."""
    from scipy.stats import chi2_contingency, fisher_exact

    (a, n1), (b, n2) = table
    grid = [[a, n1 - a], [b, n2 - b]]
    out = [fisher_exact(grid).pvalue]
    if all(sum(row) > 0 for row in grid) and a + b > 0 and n1 + n2 - a - b > 0:
        out += [chi2_contingency(grid, correction=c).pvalue for c in (False, True)]
    return [float(p) for p in out]


def p_from_counts_relation(rule: dict[str, Any]) -> Relation:
    key, pairs = rule["p"], rule["counts"]

    def holds(e):
        table = [[read(e[a]).value, read(e[n]).value] for a, n in pairs]
        if any(not 0 <= a <= n for a, n in table):
            return False
        return any(read(e[key]).admits(p) for p in count_tests(table))

    return Relation(f"test {key}", frozenset([key, *(k for pair in pairs for k in pair)]), holds)


def grim_sums(mean: Reading, n: int, step: float) -> list[int]:
    """Sums (in steps) of n step-valued numbers whose mean prints as ``mean``."""
    low = math.ceil((mean.low * n / step) - EPS)
    high = math.floor((mean.high * n / step) + EPS)
    return list(range(low, high + 1))


def grimmer_possible(sd: Reading, sums: list[int], n: int, step: float) -> bool:
    """Whether some sum of squares of the right parity gives an SD that prints as ``sd``."""
    for total in sums:
        base = total * total / n
        q_low = math.ceil((n - 1) * (max(sd.low, 0) / step) ** 2 + base - EPS)
        q_high = math.floor((n - 1) * (sd.high / step) ** 2 + base + EPS)
        if q_high - q_low >= 1 or (q_high == q_low and (q_low - total) % 2 == 0):
            return True
    return False


def granularity_relation(mean: str, sd: str | None, size: str, step: float) -> Relation:
    def holds(e):
        n = int(read(e[size]).value)
        if n < 1:
            return False
        sums = grim_sums(read(e[mean]), n, step)
        if not sums:
            return False
        return sd is None or n < 2 or grimmer_possible(read(e[sd]), sums, n, step)

    ids = [i for i in (mean, sd, size) if i]
    return Relation(f"granularity {mean}", frozenset(ids), holds)


def range_relation(
    mean: str, sd: str | None, low: str | float, high: str | float, size: str | None
) -> Relation:
    """A mean within its range and an SD within the largest its range allows."""

    def bound(e, b):
        return read(e[b]).value if isinstance(b, str) else float(b)

    def holds(e):
        lo, hi, m = bound(e, low), bound(e, high), read(e[mean])
        if m.high < lo - EPS or m.low > hi + EPS:
            return False
        if sd is None:
            return True
        n = read(e[size]).value if size else 2
        centre = min(max(m.value, lo), hi)
        largest = math.sqrt(max((hi - centre) * (centre - lo), 0) * n / max(n - 1, 1))
        return read(e[sd]).low <= largest + EPS

    ids = [i for i in (mean, sd, low, high, size) if isinstance(i, str)]
    return Relation(f"range {mean}", frozenset(ids), holds)


def says_significant(text: str) -> bool | None:
    """What a claim's words say about significance (None: nothing)."""
    t = text.lower().replace(" ", "")
    if any(w in t for w in ("nosignificant", "notsignificant", "p>", "p≥", "p>=")):
        return False
    if "p<" in t or "significant" in t:
        return True
    return None


def first_arm_direction(words: str) -> str | None:
    w = f" {words.lower()} "
    return "higher" if " higher " in w else "lower" if " lower " in w else None


# --------------------------------------------------------------------------- assembly
def relations_of(
    entries: list[dict[str, Any]], relations: dict[str, Any], codebook: dict[str, Any]
) -> list[Relation]:
    """Every relation among the printed numbers that the study's files declare or imply."""
    by_id = {e["id"]: e for e in entries}
    out = [sum_relation(rule) for rule in relations.get("sums", [])]
    rules = relations.get("denominators", [])
    same_of: dict[tuple, list[str]] = {}
    for e in entries:
        if e["stat"] in ("count", "percent", "mean", "sd") and e.get("of"):
            same_of.setdefault((e["stat"], repr(sorted(e["of"].items()))), []).append(e["id"])
        if e["stat"] == "p_value":
            same_of.setdefault(("p", e["of"]["compares"]), []).append(e["id"])
    out += [repeat_relation(keys) for keys in same_of.values() if len(keys) > 1]

    def first(stat, of):
        return next((k for k in same_of.get((stat, repr(sorted(of.items()))), [])), None)

    for e in entries:
        of = e.get("of") or {}
        if e["stat"] == "percent":
            count, size = first("count", of), group_size_id(e, rules)
            if count and size in by_id:
                out.append(percent_relation(e["id"], count, size))
        if e["stat"] == "ci_lower":
            high = next(
                k for k, x in by_id.items() if x["stat"] == "ci_upper" and x.get("of") == of
            )
            size = group_size_id(e, rules)
            out.append(
                interval_relation(
                    e["id"],
                    high,
                    first("percent", of),
                    first("count", of),
                    size if size in by_id else None,
                )
            )
    out += [p_from_counts_relation(r) for r in relations.get("tests", []) if "counts" in r]
    out += _summary_relations(entries, relations, codebook, same_of)
    out += _claim_relations(entries, relations, codebook)
    return out


def _columns(codebook):
    return {
        name: column
        for table in codebook["tables"].values()
        for name, column in table["columns"].items()
    }


def _summary_relations(entries, relations, codebook, same_of) -> list[Relation]:
    """GRIM/GRIMMER where the n is printed (the tests' mean triples), and ranges."""
    columns = _columns(codebook)
    sizes = {m: n for r in relations.get("tests", []) for m, _, n in r.get("means", [])}
    out = []
    for e in entries:
        if e["stat"] != "mean":
            continue
        of = e["of"]
        sd = next(iter(same_of.get(("sd", repr(sorted(of.items()))), [])), None)
        size = sizes.get(e["id"])
        spec = columns.get(of["var"], {})
        if size and spec.get("step"):
            out.append(granularity_relation(e["id"], sd, size, float(spec["step"])))
        printed_range = [
            next((x["id"] for x in entries if x["stat"] == s and x.get("of") == of), None)
            for s in ("min", "max")
        ]
        low, high = printed_range
        if low is None or high is None:
            low, high = spec.get("min"), spec.get("max")
        if low is not None and high is not None:
            out.append(range_relation(e["id"], sd, low, high, size))
    return out


def _claim_relations(entries, relations, codebook) -> list[Relation]:
    """Each direction claim (published_checks.yaml ``direction.claims``) against the
    printed P values it rests on, the marks and means of the table cells it covers, and
    the rates and means it compares. The sentence's words decide significance and
    higher/lower where they say it; the rule decides where they are silent."""
    by_id = {e["id"]: e for e in entries}
    alpha = float(relations["methods"]["alpha"])
    columns = _columns(codebook)
    arms = [g["key"] for g in codebook["arms"]["groups"]][:2]
    section = relations.get("direction") or {}
    groups = section.get("groups") or {}
    marks = {e["of"]["compares"]: e["id"] for e in entries if e["stat"] == "significance_mark"}
    means: dict[tuple[str, str, str], str] = {}
    for e in entries:
        of = e.get("of") or {}
        if e["stat"] == "mean" and "visit" in of:
            means[(of["var"], of["visit"], of["arm"])] = e["id"]
    out = []
    for rule in section.get("claims") or []:
        key = rule["claim"]
        if key not in by_id:
            continue

        def significant(e, key=key, rule=rule):
            said = says_significant(str(e[key]["printed"]))
            return rule.get("significant") if said is None else said

        def direction(e, key=key, rule=rule):
            stated = rule.get("direction", "better")
            if stated not in ("higher", "lower"):
                return stated
            return first_arm_direction(str(e[key].get("measures", ""))) or stated

        ps = [p for p in rule.get("p", []) if p in by_id]
        if ps:
            out.append(
                Relation(
                    f"claim P {rule['id']}",
                    frozenset([key, *ps]),
                    lambda e, ps=ps, sig=significant: (
                        sig(e) is None
                        or all(
                            (read(e[p]).low < alpha) if sig(e) else read(e[p]).high >= alpha
                            for p in ps
                        )
                    ),
                )
            )
        scores = [s for name in rule.get("scores", []) for s in groups.get(name, [name])]
        for score in dict.fromkeys(scores):
            visits = rule.get("visits") or list(
                dict.fromkeys(v for (var, v, _) in means if var == score)
            )
            for visit in visits:
                mark = marks.get(f"{score}.{visit}")
                if mark:
                    out.append(
                        Relation(
                            f"claim mark {rule['id']} {mark}",
                            frozenset([key, mark]),
                            lambda e, m=mark, sig=significant: (
                                sig(e) is None
                                or str(e[m]["printed"]).strip() == ("*" if sig(e) else "none")
                            ),
                        )
                    )
                cell = [means.get((score, visit, arm)) for arm in arms]
                if "arm" in rule and None not in cell:
                    lower = columns.get(score, {}).get("better") == "lower"
                    mine, other = cell if rule["arm"] == arms[0] else cell[::-1]
                    out.append(
                        Relation(
                            f"claim favours {rule['id']} {score}.{visit}",
                            frozenset([key, *cell]),
                            lambda e, a=mine, b=other, lower=lower, d=direction: _on_side(
                                read(e[a]), read(e[b]), d(e), lower
                            ),
                        )
                    )
        for field in ("rates", "means"):
            if field not in rule or "arm" not in rule:
                continue
            mine = rule[field][rule["arm"]]
            other = next(v for arm, v in rule[field].items() if arm != rule["arm"])
            ids = [i for i in (*mine, *other) if i in by_id]
            out.append(
                Relation(
                    f"claim {field} {rule['id']}",
                    frozenset([key, *ids]),
                    lambda e, a=mine, b=other, field=field, d=direction: _on_side(
                        _quantity(e, a, field), _quantity(e, b, field), d(e), False
                    ),
                )
            )
    return out


def _quantity(e, ids: list[str], field: str) -> Reading:
    """A rate (events over total) or a mean, with the range its rounding allows."""
    if field == "means":
        return read(e[ids[0]])
    events, total = read(e[ids[0]]), read(e[ids[1]])
    low = events.low / total.high if total.high else 0.0
    high = events.high / total.low if total.low else math.inf
    return Reading((low + high) / 2, (high - low) / 2)


def _on_side(mine: Reading, other: Reading, direction: str, lower_better: bool) -> bool:
    """Whether the claimed arm's value can lie on the side the claim says ('better' by the
    score's own direction), within the rounding of both."""
    if direction == "better":
        direction = "lower" if lower_better else "higher"
    if direction == "higher":
        return mine.high > other.low + EPS
    return mine.low < other.high - EPS


# --------------------------------------------------------------------------- the oracle
class Oracle:
    """Relations of a paper's printed numbers, to judge changed copies of it."""

    def __init__(self, entries, relations, codebook):
        self.base = {e["id"]: e for e in entries}
        self.relations = relations_of(entries, relations, codebook)
        self.broken_in_base = [r.name for r in self.relations if not r.holds(self.base)]

    def broken(self, changed: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """The relations that held in the paper and fail with the ``changed`` entries."""
        view = {**self.base, **changed}
        skip = set(self.broken_in_base)
        return [
            r.name
            for r in self.relations
            if r.ids & changed.keys() and r.name not in skip and not _safe(r, view)
        ]


def _safe(relation: Relation, view) -> bool:
    try:
        return relation.holds(view)
    except (ValueError, ZeroDivisionError, AttributeError):
        return False
