"""Arithmetic within the paper: parts against totals, percentages against their counts
and group sizes, confidence intervals against their counts, and the same quantity
printed twice."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

from manuscript_engine.audit import proportions, rounding
from manuscript_engine.audit.model import Check, Paper
from manuscript_engine.core.formatting import format_decimal


def _arm_reading(paper: Paper, parts: list[str], total: float) -> str:
    """A reading under which a total that does not add up does: the parts of one arm
    alone make it (the text's total counts one group, though it does not say so)."""
    if not paper.arms:
        return ""
    for arm in paper.arms:
        own = [p for p in parts if (paper.entries[p].get("of") or {}).get("arm") == arm.key]
        if own and len(own) < len(parts) and math.isclose(sum(map(paper.value, own)), total):
            shown = " + ".join(paper.text(p) for p in own)
            return f"the total counts {arm.label} alone ({shown} = {int(total)})"
    return ""


def check_sums(paper: Paper, sums: list[dict[str, Any]]) -> list[Check]:
    """Parts against the total printed elsewhere."""
    checks = []
    for rule in sums:
        parts = [paper.value(p) for p in rule["parts"]]
        total = paper.value(rule["total"])
        shown = " + ".join(f"{int(v)}" for v in parts)
        same = math.isclose(sum(parts), total)
        note = f" ({rule['note']})" if rule.get("note") else ""
        reading = "" if same else _arm_reading(paper, rule["parts"], total)
        severity = "" if same else "ambiguous" if reading else "contradiction"
        checks.append(
            Check(
                f"sum:{rule['id']}",
                paper.where(rule["parts"][0]),
                paper.text(rule["total"]),
                f"{int(sum(parts))}",
                "sum",
                "consistent" if same else "inconsistent",
                f"{shown} = {int(sum(parts))}"
                + ("" if same else f", but the paper prints {int(total)} ({rule['total']})")
                + note
                + (f"; consistent if {reading}" if reading else "")
                + ".",
                involves=(*rule["parts"], rule["total"]),
                severity=severity,
                reading=reading,
            )
        )
    return checks


def denominator_id(paper: Paper, entry: dict[str, Any]) -> str | None:
    """The printed group size a percentage or interval is taken of (exact n only)."""
    size = paper.group_size(entry)
    return size.source if size is not None and size.exact else None


def count_id(paper: Paper, entry: dict[str, Any]) -> str | None:
    """A count printed for the same quantity as a percentage."""
    for key, other in paper.entries.items():
        if other["stat"] == "count" and other.get("of") == entry.get("of"):
            return key
    return None


def _percent_reading(count: int, n: int, printed: str) -> str:
    """In words, the rounding convention under which count/n prints as ``printed``."""
    name = proportions.percent_readings(count, n, printed)
    value = 100 * count / n
    decimals = rounding.decimals_in(printed)
    if name == "truncation":
        return f"truncated rather than rounded ({value:.3f}% cut to {printed})"
    if name == "double rounding":
        once = format_decimal(value, decimals + 1)
        return f"rounded twice ({value:.2f}% to {once}% to {printed})"
    if name == "rounding half to even":
        return f"rounded half to even ({value:g}% to {printed})"
    return ""


def check_percentages(paper: Paper) -> list[Check]:
    checks = []
    for key, entry in paper.entries.items():
        if entry["stat"] != "percent":
            continue
        count_key, total_key = count_id(paper, entry), denominator_id(paper, entry)
        if not count_key or not total_key:
            continue
        count, total = paper.value(count_key), paper.value(total_key)
        decimals, printed = paper.decimals(key), paper.value(key)
        pct = 100 * count / total
        same = format_decimal(pct, decimals) == format_decimal(printed, decimals)
        implied = [
            d
            for d in range(max(int(count), 1), int(3 * total) + 2)
            if format_decimal(100 * count / d, decimals) == format_decimal(printed, decimals)
        ]
        explanation = (
            f"{int(count)}/{int(total)} = {pct:.2f}%, printed to {decimals} decimals "
            f"is {format_decimal(pct, decimals)}"
        )
        reading = "" if same else _percent_reading(int(count), int(total), entry["printed"])
        if not same:
            explanation += f", not {entry['printed']}" + (
                f"; {reading}"
                if reading
                else "; a denominator of " + ", ".join(map(str, implied[:3])) + " would give it"
                if implied
                else f"; no whole-number denominator gives {entry['printed']} "
                f"with {int(count)} patients"
            )
        checks.append(
            Check(
                f"percent:{key}",
                entry["where"],
                entry["printed"],
                format_decimal(pct, decimals),
                "percent",
                "consistent" if same else "inconsistent",
                explanation + ".",
                involves=(key, count_key, total_key),
                suspects=(key,),
                severity="" if same else "convention" if reading else "likely error",
                reading=reading or "",
            )
        )
    return checks


def interval_methods(count: float, n: float) -> dict[str, tuple[float, float]]:
    """95% intervals for a proportion by the methods papers use, in percent."""
    return proportions.proportion_intervals(int(count), int(n))


STANDARD_INTERVALS = ("Wald", "Wilson", "Clopper–Pearson", "Agresti–Coull")


def _interval_verdict(problems: list[str], reproduced: list[str], checkable: bool):
    """Verdict, severity and reading of an interval from what reproduces it."""
    standard = [name for name in reproduced if name in STANDARD_INTERVALS]
    if problems:
        reading = f"an untruncated {reproduced[0]} interval" if reproduced else ""
        return "inconsistent", "likely error", reading
    if not checkable or standard:
        return "consistent", "", ""
    if reproduced:
        return "inconsistent", "ambiguous", f"a {reproduced[0]} interval"
    return "inconsistent", "likely error", ""


def check_intervals(paper: Paper) -> list[Check]:
    """Each confidence interval of a proportion: inside 0–100%, around its estimate, and
    reproduced by some method from its count and group size."""
    checks = []
    lows = {k: e for k, e in paper.entries.items() if e["stat"] == "ci_lower"}
    for low_key, entry in lows.items():
        high_key = next(
            k
            for k, e in paper.entries.items()
            if e["stat"] == "ci_upper" and e.get("of") == entry.get("of")
        )
        low, high = paper.value(low_key), paper.value(high_key)
        estimate_key = next(
            (
                k
                for k, e in paper.entries.items()
                if e["stat"] == "percent" and e.get("of") == entry.get("of")
            ),
            None,
        )
        count_key, total_key = count_id(paper, entry), denominator_id(paper, entry)
        estimate = paper.value(estimate_key) if estimate_key else None
        problems = []
        if low < 0 or high > 100:
            problems.append(
                f"the interval {paper.text(low_key)}–{paper.text(high_key)} reaches outside "
                "0–100%, which no proportion can"
            )
        if estimate is not None and not low <= estimate <= high:
            problems.append(f"the estimate {estimate}% lies outside the interval")
        reproduced = []
        if count_key is None and estimate is not None and total_key:
            count = round(estimate * paper.value(total_key) / 100)
        else:
            count = paper.value(count_key) if count_key else None
        checkable = count is not None and total_key is not None
        if checkable and not 0 <= count <= paper.value(total_key):
            problems.append(
                f"its count {int(count)} lies outside 0–{int(paper.value(total_key))}, its group"
            )
            checkable = False
        if checkable:
            n = paper.value(total_key)
            decimals = paper.decimals(low_key)
            methods = interval_methods(count, n)
            for name, (lo, hi) in methods.items():
                if format_decimal(lo, decimals) == format_decimal(low, decimals) and format_decimal(
                    hi, decimals
                ) == format_decimal(high, decimals):
                    reproduced.append(name)
            detail = "; ".join(f"{name} {lo:.1f}–{hi:.1f}%" for name, (lo, hi) in methods.items())
            problems_text = "; ".join(problems)
            explanation = (
                f"{problems_text + '. ' if problems else ''}For {int(count)}/{int(n)}: "
                f"{detail}. Reproduced by: "
                f"{', '.join(reproduced) if reproduced else 'none of these'}."
            )
        else:
            explanation = (
                "; ".join(problems) or "the interval lies within 0–100% around its estimate."
            )
        verdict, severity, reading = _interval_verdict(problems, reproduced, checkable)
        checks.append(
            Check(
                f"interval:{low_key}",
                entry["where"],
                f"{paper.text(low_key)}, {paper.text(high_key)}",
                ", ".join(reproduced),
                "interval",
                verdict,
                explanation,
                involves=tuple(
                    k for k in (low_key, high_key, estimate_key, count_key, total_key) if k
                ),
                suspects=(low_key, high_key),
                severity=severity,
                reading=reading,
            )
        )
    return checks


def _number_text(paper: Paper, key: str) -> str:
    """The printed number alone ('42.9' for '42.9%', '8' for 'eight')."""
    return format_decimal(paper.value(key), paper.decimals(key))


def _repeat_reading(paper: Paper, odd: list[str], usual: str) -> str:
    """A rounding convention under which the odd values print the same quantity."""
    low, high = rounding.printed_interval(_number_text(paper, usual))
    for key in odd:
        decimals = paper.decimals(key)
        shift = 10**decimals
        truncated = {math.floor(v * shift) / shift for v in (low + 1e-9, high - 1e-9)}
        if paper.value(key) not in truncated:
            return ""
    return (
        "truncated rather than rounded: a value that prints as "
        f"{paper.text(usual)} when rounded prints as {paper.text(odd[0])} when truncated"
    )


def check_repeats(paper: Paper) -> list[Check]:
    """The same quantity printed in more than one place: the printed values must be able
    to stand for one number (their rounding intervals overlap in more than a tie)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key, entry in paper.entries.items():
        if entry["stat"] in ("count", "percent", "mean", "sd", "p_value") and entry.get("of"):
            groups[entry["stat"] + json.dumps(entry["of"], sort_keys=True)].append(key)
    checks = []
    for keys in groups.values():
        if len(keys) < 2:
            continue
        if paper.entries[keys[0]]["stat"] == "count":
            intervals = [(paper.value(k), paper.value(k)) for k in keys]
        elif paper.entries[keys[0]]["stat"] == "p_value":  # '<0.001' is [0, 0.001)
            intervals = [rounding.printed_interval(paper.text(k)) for k in keys]
        else:
            intervals = [rounding.printed_interval(_number_text(paper, k)) for k in keys]
        # Rounded values that only touch (0.013 and 0.014 at 0.0135) would need one exact
        # tie rounded two ways in one paper; they count as different.
        low, high = max(lo for lo, _ in intervals), min(hi for _, hi in intervals)
        exact = all(lo == hi for lo, hi in intervals)
        same = low <= high if exact else low < high - 1e-12
        texts = [paper.text(k) for k in keys]
        usual_text = max(set(texts), key=texts.count)
        odd = (
            [k for k in keys if paper.text(k) != usual_text] if texts.count(usual_text) > 1 else []
        )
        usual = next(k for k in keys if paper.text(k) == usual_text)
        reading = "" if same or not odd else _repeat_reading(paper, odd, usual)
        shown = "; ".join(f"{paper.text(k)} ({paper.where(k)})" for k in keys)
        checks.append(
            Check(
                f"repeat:{keys[0]}",
                " / ".join(paper.where(k) for k in keys),
                " | ".join(texts),
                "",
                "repeat",
                "consistent" if same else "inconsistent",
                f"the same quantity is printed {len(keys)} times: {shown}"
                + ("" if same else "; no single value prints as all of these")
                + (f" unless {reading}" if reading else "")
                + ".",
                involves=tuple(keys),
                suspects=tuple(odd or keys),
                severity="" if same else "convention" if reading else "likely error",
                reading=reading,
            )
        )
    return checks
