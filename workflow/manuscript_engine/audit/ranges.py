"""Means, SDs and ranges against the range the values can take.

Every printed mean must lie within its printed minimum and maximum (or, without them,
the scale's range from the codebook or the relations' ``scales``), a minimum cannot
exceed its maximum, and an SD cannot exceed the largest spread values in that range
allow: sqrt((mean - lo)(hi - mean) n / (n - 1)) (Bhatia R, Davis C, Am Math Monthly
2000;107:353-7). The score tables' cells (means at a visit) are the trajectory family's.
"""

from __future__ import annotations

from typing import Any

from manuscript_engine.audit.model import Check, Paper
from manuscript_engine.audit.rounding import printed_interval
from manuscript_engine.audit.trajectory import bhatia_davis


def _same(paper: Paper, stat: str, of: dict[str, Any]) -> str | None:
    return next(
        (k for k, e in paper.entries.items() if e["stat"] == stat and e.get("of") == of), None
    )


def _bounds(paper: Paper, of: dict[str, Any]) -> tuple[float, float, list[str]] | None:
    """The lowest and highest value: the printed minimum and maximum, else the scale's."""
    low_key, high_key = _same(paper, "min", of), _same(paper, "max", of)
    if low_key and high_key:
        return paper.value(low_key), paper.value(high_key), [low_key, high_key]
    scale = paper.scales.get(of.get("var", ""))
    if scale is None or scale.low is None or scale.high is None:
        return None
    return scale.low, scale.high, []


def _range_check(paper: Paper, key: str, problems: list[str], involves, suspects, detail):
    entry = paper.entries[key]
    return Check(
        f"range:{key}",
        entry["where"],
        paper.text(key),
        detail,
        "range",
        "inconsistent" if problems else "consistent",
        ("; ".join(problems) if problems else f"within {detail}") + ".",
        involves=tuple(dict.fromkeys(involves)),
        suspects=tuple(suspects),
        severity="contradiction" if problems else "",
    )


def check_ranges(paper: Paper) -> list[Check]:
    """Each mean (and its SD) outside the score tables against the range of its values."""
    checks = []
    for key, entry in paper.entries.items():
        of = entry.get("of") or {}
        if entry["stat"] != "mean" or "visit" in of:
            continue
        bounds = _bounds(paper, of)
        if bounds is None:
            continue
        lo, hi, printed = bounds
        where = "printed range" if printed else "scale"
        detail = f"{lo:g}–{hi:g} ({where})"
        low, high = printed_interval(paper.text(key))
        problems, suspects = [], [key]
        if lo > hi:
            problems.append(f"the minimum {lo:g} exceeds the maximum {hi:g}")
            suspects = printed
        elif high < lo or low > hi:
            problems.append(f"a mean of {paper.text(key)} lies outside {detail}")
        sd_key = _same(paper, "sd", of)
        size = paper.group_size(entry)
        if sd_key and size is not None and not problems:
            n = size.ns[0] if size.exact else 2
            ceiling = max(bhatia_davis(min(max(m, lo), hi), lo, hi, n) for m in (low, high))
            sd_low = printed_interval(paper.text(sd_key))[0]
            if sd_low > ceiling:
                problems.append(
                    f"an SD of {paper.text(sd_key)} is impossible for a mean of "
                    f"{paper.text(key)} with values in {detail} and n = {n}: at most "
                    f"{ceiling:.3g} (Bhatia–Davis)"
                )
                suspects = [sd_key]
        checks.append(
            _range_check(
                paper,
                key,
                problems,
                [key, *(k for k in [sd_key] if k), *printed],
                suspects,
                detail,
            )
        )
    return checks
