"""P values recomputed from the printed summaries (counts, or means and SDs), the
tables' significance marks and the text's claims of significance against them.

Printed inputs are rounded, so each is an interval: a recomputed P is consistent when
some inputs inside those intervals reproduce the printed P (the rule of statcheck,
Nuijten MB et al., Behav Res Methods 2016;48:1205-26, extended from a printed test
statistic to the printed summaries behind it). Where the n behind a mean is not printed,
every plausible n is tried and a verdict that needs a particular n says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from manuscript_engine.audit import proportions, rounding
from manuscript_engine.audit.model import Check, GroupSize, Paper
from manuscript_engine.core.errors import ManuscriptError

METHOD_NAMES = {
    "mann_whitney": "the Mann–Whitney test",
    "t": "the t-test",
    "chi2": "the χ² test",
    "fisher": "Fisher's exact test",
}
NAMED = {
    "Fisher's exact test": "fisher",
    "χ² test": "chi2",
    "χ² test with Yates' correction": "chi2",
    "Student's t-test": "t",
    "Welch's t-test": "t",
}


def p_matches(printed: str, p: float) -> bool:
    """Whether a P value prints as the printed text ('0.012', '<0.001', 'P = 0.004')."""
    return rounding.p_matches(printed, p)


def tests_from_counts(table: list[list[float]]) -> dict[str, float]:
    """χ², χ² with Yates' correction and Fisher's exact test on a 2 × 2 table of
    [events, total] per arm."""
    (a, n1), (b, n2) = table
    return proportions.two_by_two_p(int(a), int(n1), int(b), int(n2))


def _named(methods: list[str]) -> str:
    return " and ".join(METHOD_NAMES.get(m, m) for m in sorted(methods))


def _impossible_counts(paper: Paper, rule: dict[str, Any], field: str) -> Check | None:
    """A count larger than its group (or a group of none) leaves no test to recompute: the
    counts themselves contradict each other."""
    bad = [
        (count, total)
        for count, total in rule[field]
        if not 0 <= paper.value(count) <= paper.value(total) or paper.value(total) <= 0
    ]
    if not bad:
        return None
    count, total = bad[0]
    return Check(
        f"test:{rule['p']}",
        paper.where(rule["p"]),
        paper.text(rule["p"]),
        "",
        "test",
        "inconsistent",
        f"{paper.text(count)} ({count}) of {paper.text(total)} ({total}): a count cannot "
        "exceed its group, so no P can be recomputed.",
        involves=(rule["p"], count, total),
        suspects=(count, total),
        severity="contradiction",
    )


def _check_from_counts(paper: Paper, rule: dict[str, Any], methods: dict) -> Check:
    key = rule["p"]
    printed = paper.text(key)
    impossible = _impossible_counts(paper, rule, "counts")
    if impossible is not None:
        return impossible
    values = [[paper.value(k) for k in pair] for pair in rule["counts"]]
    results = tests_from_counts(values)
    named = set(methods["categorical"])
    shown = " vs ".join(f"{int(a)}/{int(n)}" for a, n in values)
    detail = "; ".join(f"{name} P = {p:.4f}" for name, p in results.items())
    reproduced = [name for name, p in results.items() if p_matches(printed, p)]
    involves = (key, *(k for pair in rule["counts"] for k in pair))
    severity = reading = ""
    if any(NAMED[name] in named for name in reproduced):
        verdict, tail = "consistent", f"reproduced by {', '.join(reproduced)}"
    elif reproduced:
        verdict, severity = "inconsistent", "likely error"
        tail = (
            f"reproduced only by {', '.join(reproduced)}, which the methods do not name "
            f"(they name {_named(named)})"
        )
    else:
        conventions = {
            name: rounding.p_display_convention(printed, p)
            for name, p in results.items()
            if NAMED[name] in named
        }
        convention = next((text for text in conventions.values() if text), None)
        if convention:
            verdict, severity, reading = "inconsistent", "convention", convention
            tail = f"no test prints it as such, but {convention}"
        else:
            verdict, severity = "inconsistent", "likely error"
            tail = "no test the methods name reproduces it"
    return Check(
        f"test:{key}",
        paper.where(key),
        printed,
        ", ".join(reproduced),
        "test",
        verdict,
        f"From {shown}: {detail}; {tail}.",
        involves=involves,
        suspects=(key,),
        severity=severity,
        reading=reading,
    )


def _check_from_means(paper: Paper, rule: dict[str, Any], methods: dict) -> Check:
    key = rule["p"]
    printed = paper.text(key)
    (m1, s1, n1), (m2, s2, n2) = rule["means"]
    inputs = [paper.text(k) for k in (m1, s1)] + [paper.text(k) for k in (m2, s2)]
    sizes = (int(paper.value(n1)), int(paper.value(n2)))
    ranges = {
        name: rounding.t_test_p_range(
            inputs[0], inputs[1], sizes[0], inputs[2], inputs[3], sizes[1], equal_var=equal
        )
        for name, equal in (("Student's t-test", True), ("Welch's t-test", False))
    }
    shown = (
        f"{inputs[0]} ± {inputs[1]} (n = {sizes[0]}) vs {inputs[2]} ± {inputs[3]} (n = {sizes[1]})"
    )
    detail = "; ".join(f"{name} P {low:.3f}–{high:.3f}" for name, (low, high) in ranges.items())
    reached = [
        name for name, (low, high) in ranges.items() if rounding.p_range_reached(printed, low, high)
    ]
    named = set(methods["continuous"])
    involves = (key, m1, s1, n1, m2, s2, n2)
    recomputed = ", ".join(reached)
    if "t" in named:
        verdict = "consistent" if reached else "inconsistent"
        tail = (
            f"reproduced by {recomputed} within the rounding of the printed inputs"
            if reached
            else "no t-test reaches it within the rounding of the printed inputs"
        )
        severity = "" if reached else "likely error"
    else:
        # A rank test needs the data; agreement or not with a t-test decides nothing.
        verdict, severity = "not checkable", ""
        tail = f"the methods name {_named(named)}, which needs the patients' values; " + (
            f"{recomputed} {'reproduce' if len(reached) > 1 else 'reproduces'} it within the "
            "rounding of the inputs"
            if reached
            else "no t-test reaches it within the rounding of the inputs"
        )
    return Check(
        f"test:{key}",
        paper.where(key),
        printed,
        recomputed,
        "test",
        verdict,
        f"From {shown}: {detail}; {tail}.",
        involves=involves,
        suspects=(key,),
        severity=severity,
    )


def check_tests(paper: Paper, tests: list[dict[str, Any]], methods: dict[str, list]) -> list:
    """Every P value the relations say how to recompute, from counts or from means."""
    return [
        _check_from_counts(paper, rule, methods)
        if "counts" in rule
        else _check_from_means(paper, rule, methods)
        for rule in tests
    ]


@dataclass(frozen=True)
class ScoreCell:
    """One score at one time point in the first two arms, from its printed means and SDs:
    the range of P over the rounding of the inputs and every plausible n."""

    mark: str
    p_low: float
    p_high: float
    significant_from: tuple[int, int] | None
    marked: bool
    favours_first: bool | None
    shown: str
    involves: tuple[str, ...]
    sizes: tuple[GroupSize, GroupSize]


def _scaled_sizes(sizes: tuple[GroupSize, GroupSize], fraction: float) -> tuple[int, int]:
    return tuple(max(2, round(fraction * s.ns[-1])) if not s.exact else s.ns[0] for s in sizes)


def score_cell(paper: Paper, mark_key: str) -> ScoreCell | None:
    """Student's and Welch's P for the cell a mark entry ``compares`` (``score.visit``).

    Unprinted n are taken as the same share of each arm's ceiling (all the patients, or
    fewer as the share falls); the smallest share at which the difference is significant
    is kept, so a conditional verdict can say how many patients it needs.
    """
    score, visit = paper.entries[mark_key]["of"]["compares"].split(".")
    arms = list(paper.arms)[:2]
    keys = [
        (paper.cell("mean", a.key, score, visit), paper.cell("sd", a.key, score, visit))
        for a in arms
    ]
    if any(k is None for pair in keys for k in pair):
        return None
    sizes = tuple(paper.group_size(paper.entries[mean]) for mean, _ in keys)
    if any(size is None for size in sizes):
        return None
    texts = [paper.text(k) for pair in keys for k in pair]

    def p_range(fraction: float) -> tuple[float, float]:
        n1, n2 = _scaled_sizes(sizes, fraction)
        ranges = [
            rounding.t_test_p_range(texts[0], texts[1], n1, texts[2], texts[3], n2, equal_var=e)
            for e in (True, False)
        ]
        return min(r[0] for r in ranges), max(r[1] for r in ranges)

    full_low, full_high = p_range(1.0)
    exact = all(s.exact for s in sizes)
    least_low, least_high = (full_low, full_high) if exact else p_range(0.0)
    significant_from = None
    if not exact and paper.alpha is not None and full_low < paper.alpha:
        # P falls as the share of patients grows: bisect for the smallest share (in
        # hundredths) at which the difference is significant.
        low, high = 1, 100
        while low < high:
            middle = (low + high) // 2
            if p_range(middle / 100)[0] < paper.alpha:
                high = middle
            else:
                low = middle + 1
        significant_from = _scaled_sizes(sizes, low / 100)
    better_lower = paper.lower_is_better(score)
    means = [paper.value(mean) for mean, _ in keys]
    favours_first = None if better_lower is None else (means[0] < means[1]) == better_lower
    shown = f"{texts[0]} ± {texts[1]} vs {texts[2]} ± {texts[3]}"
    second = arms[1].label
    return ScoreCell(
        mark=mark_key,
        p_low=full_low,
        p_high=least_high,
        significant_from=significant_from,
        marked=paper.text(mark_key) == "*",
        favours_first=favours_first,
        shown=f"{score.upper()} {visit}: {shown}"
        + ("" if favours_first in (True, None) else f" ({second} better)"),
        involves=(mark_key, *(k for pair in keys for k in pair)),
        sizes=sizes,
    )


def _sizes_text(cell: ScoreCell) -> str:
    return "; ".join(size.describe() for size in cell.sizes)


def check_marks(paper: Paper) -> list[Check]:
    """Each significance mark against the P its cell's printed means and SDs give."""
    checks = []
    alpha = _alpha(paper)
    for key, entry in paper.entries.items():
        if entry["stat"] != "significance_mark":
            continue
        cell = score_cell(paper, key)
        if cell is None:
            continue
        can_be_significant = cell.p_low < paper.alpha
        can_be_not = cell.p_high >= paper.alpha
        condition = ""
        if cell.marked:
            verdict = "consistent" if can_be_significant else "inconsistent"
        elif not can_be_not:
            verdict = "inconsistent"
        elif can_be_significant and cell.significant_from is not None:
            n1, n2 = cell.significant_from
            verdict = "conditional"
            condition = f"unmarked only if fewer than {n1} and {n2} patients were assessed"
        else:
            verdict = "consistent" if not can_be_significant else "inconsistent"
        checks.append(
            Check(
                f"mark:{key}",
                entry["where"],
                entry["printed"],
                f"{cell.p_low:.4f}–{cell.p_high:.4f}",
                "mark",
                verdict,
                f"{cell.shown} ({_sizes_text(cell)}); Student's and Welch's P within the "
                f"rounding of the inputs: {cell.p_low:.4f}–{cell.p_high:.4f}; the table "
                f"{'marks' if cell.marked else 'does not mark'} P < {alpha}"
                + (f"; {condition}" if condition else "")
                + ".",
                involves=cell.involves,
                suspects=(key,),
                severity="likely error" if verdict == "inconsistent" else "",
                condition=condition,
            )
        )
    return checks


def _alpha(paper: Paper) -> str:
    if paper.alpha is None:
        raise ManuscriptError(
            "data/published_checks.yaml: methods has no alpha, the paper's significance "
            "threshold (the P below which it calls a result significant); the audit needs it to "
            "read the paper's significance marks and claims."
        )
    return f"{paper.alpha:g}"
