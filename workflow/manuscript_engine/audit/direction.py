"""Two families of audit check that need no cohort data, only the printed numbers:
``check_direction`` here and ``check_trajectories`` (audit/trajectory.py, exported here).

**direction**: every claim the text makes about which arm is better (or higher), on which
scores and at which visits, and whether the difference is significant, against every cell
of the table those words cover, including scores a sentence names only as a group
("function"). A claim is declared once in data/published_checks.yaml
(``direction.claims``) and expanded here to each (score, visit) cell.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from manuscript_engine.audit import proportions
from manuscript_engine.audit.model import SEVERITIES, Check, Paper
from manuscript_engine.audit.score_table import (
    RELATIONS,
    GroupSizes,
    ScoreTable,
    group_sizes,
    lower_better,
    scaled,
)
from manuscript_engine.audit.trajectory import check_trajectories, odd_precision
from manuscript_engine.core.errors import ManuscriptError

__all__ = ["check_direction", "check_trajectories"]

# A recomputed P this far below alpha is beyond what the gap between the rank test a
# paper names and a t-test on its summaries could explain.
FAR_BELOW = 1e-3


def _alpha(paper: Paper) -> float:
    if paper.alpha is None:
        raise ManuscriptError(
            f"{RELATIONS}: methods has no alpha, the paper's significance threshold; the "
            "direction checks need it to read 'significant'."
        )
    return paper.alpha


def t_tests(groups: list[tuple[float, float, int]]) -> tuple[float, float]:
    """Student's and Welch's P from two arms' printed mean, SD and n."""
    from scipy import stats

    (m1, s1, n1), (m2, s2, n2) = groups
    student = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=True).pvalue
    welch = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False).pvalue
    return float(student), float(welch)


def count_tests(pairs: list[tuple[float, float]]) -> dict[str, float]:
    """Fisher's exact and the χ² test (with and without Yates) from [events, total] per arm."""
    (a, n1), (b, n2) = pairs
    found = proportions.two_by_two_p(int(a), int(n1), int(b), int(n2))
    return {SHORT_NAMES[name]: p for name, p in found.items()}


SHORT_NAMES = {
    "Fisher's exact test": "Fisher",
    "χ² test": "χ²",
    "χ² test with Yates' correction": "χ² (Yates)",
}


def printed_below(paper: Paper, key: str, alpha: float) -> bool:
    """Whether a printed P (such as 'P = 0.004' or '<0.001') says P < alpha."""
    text = paper.text(key).replace("P", "").replace("=", "").strip()
    return text.startswith("<") and paper.value(key) <= alpha or paper.value(key) < alpha


def worst(severities: list[str]) -> str:
    return min(severities, key=SEVERITIES.index) if severities else ""


# --------------------------------------------------------------------------- direction
def check_direction(paper: Paper, relations: dict[str, Any]) -> list[Check]:
    """Each claim of direction or significance against every cell it covers."""
    section = relations.get("direction") or {}
    table = ScoreTable(paper)
    irregular = odd_precision(paper, table)
    checks: list[Check] = []
    for rule in section.get("claims") or []:
        if rule["claim"] not in paper.entries:
            continue
        claim = as_printed(paper, rule)
        if claim.get("scores"):
            for score, named in expand_scores(section, claim):
                for visit in claim.get("visits") or table.visits:
                    cell = _score_cell(paper, section, table, claim, score, visit, named)
                    if cell:
                        checks.append(_with_cause(cell, irregular))
        if claim.get("rates"):
            checks.append(_rate_check(paper, claim))
        if claim.get("means"):
            checks.append(_means_check(paper, claim))
    return checks


def says_significant(text: str) -> bool | None:
    """What a sentence's words say of significance: 'no significant', 'not significant'
    or 'P >' say no; 'P <' or 'significant' say yes; None when they say neither."""
    squeezed = text.lower().replace(" ", "")
    if any(word in squeezed for word in ("nosignificant", "notsignificant", "p>", "p≥")):
        return False
    if "p<" in squeezed or "significant" in squeezed:
        return True
    return None


def as_printed(paper: Paper, claim: dict[str, Any]) -> dict[str, Any]:
    """The claim as its sentence words it. Where the printed words say 'significant' or
    not, or 'higher' or 'lower', they decide over the relations file, which was written
    for one wording and cannot vouch for another: a sentence retyped 'P > 0.05' is
    checked as saying no difference."""
    entry = paper.entries[claim["claim"]]
    said = says_significant(str(entry["printed"]))
    out = dict(claim)
    if said is not None:
        out["significant"] = said
    if claim.get("direction") in ("higher", "lower"):
        words = f" {str(entry.get('measures', '')).lower()} "
        found = [w for w in ("higher", "lower") if f" {w} " in words]
        if len(found) == 1:
            out["direction"] = found[0]
    return out


def expand_scores(section: dict[str, Any], claim: dict[str, Any]) -> list[tuple[str, bool]]:
    """The scores a claim covers, each with whether the claim names it (not only its group)."""
    groups = section.get("groups") or {}
    out: list[tuple[str, bool]] = []
    for name in claim["scores"]:
        members = [(s, False) for s in groups[name]] if name in groups else [(name, True)]
        out += [m for m in members if m[0] not in [o[0] for o in out]]
    return out


def _score_cell(
    paper: Paper,
    section: dict[str, Any],
    table: ScoreTable,
    claim: dict[str, Any],
    score: str,
    visit: str,
    named: bool,
) -> Check | None:
    cells = [table.cell(score, visit, arm) for arm in table.arms[:2]]
    if None in cells or len(cells) < 2:
        return None
    first, second = cells
    alpha = _alpha(paper)
    (m1, s1), (m2, s2) = table.mean_sd(first), table.mean_sd(second)
    n = group_sizes(paper, visit, table.arms[:2])
    student, welch = t_tests([(m1, s1, n.sizes[0]), (m2, s2, n.sizes[1])])
    pooled = math.sqrt((s1**2 + s2**2) / 2) or 1.0
    labels = [table.label(a) for a in table.arms[:2]]
    mark = table.mark(score, visit)
    means = [first.mean, first.sd, second.mean, second.sd]
    involves = (claim["claim"], *means, *([mark] if mark else []))
    sizes = _sizes_text(n, labels)
    shown = (
        f"{score} {visit}: {labels[0]} {paper.text(first.mean)} ± {paper.text(first.sd)} vs "
        f"{labels[1]} {paper.text(second.mean)} ± {paper.text(second.sd)}"
    )
    recomputed = f"Student P = {student:.2g}, Welch P = {welch:.2g} ({sizes})"
    problems: list[tuple[str, str, tuple[str, ...]]] = []  # (severity, why, suspects)
    notes: list[str] = []
    reading = ""
    condition = ""
    if claim.get("arm"):
        lower = lower_better(paper, score)
        if claim.get("direction", "better") == "higher":
            lower = False
        elif claim.get("direction") == "lower":
            lower = True
        favoured = None if m1 == m2 else (0 if (m1 < m2) == lower else 1)
        claimed = table.arms.index(claim["arm"])
        if favoured != claimed:
            who = "neither arm" if favoured is None else labels[favoured]
            gap = abs(m1 - m2) / pooled
            marked = (
                " and the table marks the difference significant"
                if table.marked(score, visit)
                else ""
            )
            why = (
                f"the claim favours {labels[claimed]}, but the printed means favour {who} "
                f"by {abs(m1 - m2):.4g} ({gap:.1f} pooled SDs{marked})"
            )
            if named:
                problems.append(("contradiction", why, (claim["claim"], first.mean, second.mean)))
            else:
                why += (
                    f"; the claim names {score} only through the group "
                    f"'{_group_of(section, claim, score)}'"
                )
                problems.append(("likely error", why, (claim["claim"], first.mean, second.mean)))
        else:
            notes.append(f"the means favour {labels[claimed]} as claimed")
    if claim.get("significant") is True:
        top = max(student, welch)
        if not table.marked(score, visit):
            suspects = (mark,) if mark and top < alpha else (claim["claim"],)
            problems.append(
                (
                    "contradiction",
                    "the text says the difference is significant at this visit, but the "
                    f"table carries no significance mark (recomputed P {top:.2g})",
                    suspects,
                )
            )
        elif top >= alpha:
            severity = "likely error" if top > 0.2 else "ambiguous"
            if severity == "ambiguous":
                reading = (
                    "the rank test the methods name, on the raw data, can differ from a "
                    "t-test on the printed summaries near the threshold"
                )
            problems.append(
                (
                    severity,
                    f"the text and the mark say P < {alpha:g}, but the printed means and SDs "
                    f"give P = {top:.2g} even with the printed n",
                    (claim["claim"], *([mark] if mark else [])),
                )
            )
        elif not n.printed:
            least = _least_n(
                lambda k: max(t_tests(_at(m1, s1, m2, s2, scaled(n.sizes, k)))) < alpha,
                n.sizes[0],
            )
            low = scaled(n.sizes, least)
            if least > n.smallest:
                condition = (
                    f"significant only if at least {low[0]} ({labels[0]}) and {low[1]} "
                    f"({labels[1]}) patients were assessed at {visit}; the paper does not "
                    "print how many were"
                )
            else:
                notes.append(f"significant for any n from {low[0]} and {low[1]} upwards")
        else:
            notes.append(f"significant as marked (P < {alpha:g})")
    if claim.get("significant") is False:
        low_p, top = min(student, welch), max(student, welch)
        if table.marked(score, visit):
            problems.append(
                (
                    "contradiction",
                    "the text says no significant difference, but the table marks this cell",
                    (claim["claim"], mark) if mark else (claim["claim"],),
                )
            )
        if low_p < alpha and n.printed:
            if top < alpha * FAR_BELOW:
                severity = "contradiction"
            elif top < alpha:
                severity = "likely error"
            else:
                severity = "ambiguous"
                reading = "one of Student's and Welch's tests finds no significant difference"
            problems.append(
                (
                    severity,
                    f"the text says no significant difference, but the printed means differ by "
                    f"{abs(m1 - m2) / pooled:.1f} pooled SDs, P = {top:.2g} at most",
                    (claim["claim"], first.mean, second.mean),
                )
            )
        elif low_p < alpha:
            most = _least_n(
                lambda k: min(t_tests(_at(m1, s1, m2, s2, scaled(n.sizes, k)))) < alpha,
                n.sizes[0],
            )
            high = scaled(n.sizes, most - 1)
            condition = (
                f"not significant only if at most {high[0]} ({labels[0]}) and {high[1]} "
                f"({labels[1]}) patients were assessed at {visit}"
            )
        else:
            notes.append("not significant, as the text says")
    severity = worst([p[0] for p in problems])
    verdict = "inconsistent" if problems else "conditional" if condition else "consistent"
    suspects = tuple(dict.fromkeys(s for p in problems for s in p[2]))
    where = paper.where(claim["claim"])
    return Check(
        f"direction:{claim['id']}:{score}.{visit}",
        f"{where} / {paper.where(first.mean).split(',')[0]}",
        paper.text(claim["claim"]),
        recomputed,
        "direction",
        verdict,
        f"{_says(paper, claim)}. {shown}; {recomputed}: "
        + ("; ".join(p[1] for p in problems) if problems else "; ".join(notes) or "agrees")
        + (f" (reading of the claim: {claim['reading']})" if claim.get("reading") else "")
        + ".",
        involves=involves,
        suspects=suspects,
        severity=severity,
        reading=reading if severity in ("ambiguous", "convention") else "",
        condition=condition,
    )


def _at(m1: float, s1: float, m2: float, s2: float, sizes: tuple[int, ...]):
    return [(m1, s1, sizes[0]), (m2, s2, sizes[1])]


def _least_n(holds, upper: int) -> int:
    """The smallest n of the first arm (2..upper) from which ``holds`` is true."""
    for k in range(2, upper + 1):
        if holds(k):
            return k
    return upper + 1


def _sizes_text(n: GroupSizes, labels: list[str]) -> str:
    pairs = " and ".join(f"{s} ({label})" for s, label in zip(n.sizes, labels, strict=False))
    return f"n = {pairs}" if n.printed else f"n at most {pairs}: not printed for this visit"


def _group_of(section: dict[str, Any], claim: dict[str, Any], score: str) -> str:
    groups = section.get("groups") or {}
    return next((g for g in claim["scores"] if score in groups.get(g, [])), score)


def _label(paper: Paper, key: str) -> str:
    return next((arm.label for arm in paper.arms or () if arm.key == key), key)


def _says(paper: Paper, claim: dict[str, Any]) -> str:
    parts = []
    if claim.get("arm"):
        parts.append(f"{_label(paper, claim['arm'])} {claim.get('direction', 'better')}")
    if "significant" in claim:
        parts.append("significant" if claim["significant"] else "not significant")
    return f"The text ({claim['claim']}) says: " + ", ".join(parts or ["a difference"])


def _with_cause(check: Check, irregular: dict[str, tuple[str, ...]]) -> Check:
    """A check on cells printed unlike the rest of their table shares their cause, and
    suspects those cells (and its claim), not the other arm's regular ones."""
    for cause, cells in irregular.items():
        odd = set(cells) & set(check.suspects)
        if odd:
            keep = tuple(k for k in check.suspects if k in odd or k not in check_cells(check))
            return replace(check, cause=cause, suspects=keep)
    return check


def check_cells(check: Check) -> set[str]:
    """The table cells (means and SDs) a check reads."""
    return {k for k in check.involves if ".mean." in k or ".sd." in k}


def _rate_check(paper: Paper, claim: dict[str, Any]) -> Check:
    """A claim about rates (events of a total per arm) against the printed counts and P."""
    alpha = _alpha(paper)
    arms = list(claim["rates"])
    pairs = [(paper.value(claim["rates"][a][0]), paper.value(claim["rates"][a][1])) for a in arms]
    involves = (
        claim["claim"],
        *[k for a in arms for k in claim["rates"][a]],
        *claim.get("p", []),
    )
    bad = [a for a, (e, t) in zip(arms, pairs, strict=True) if not 0 <= e <= t or t <= 0]
    if bad:
        count, total = claim["rates"][bad[0]]
        return Check(
            f"direction:{claim['id']}",
            paper.where(claim["claim"]),
            paper.text(claim["claim"]),
            "",
            "direction",
            "inconsistent",
            f"{paper.text(count)} of {paper.text(total)} ({_label(paper, bad[0])}): a count "
            "cannot exceed its group, so the rates the claim compares do not exist.",
            involves=involves,
            suspects=(count, total),
            severity="contradiction",
        )
    rates = [e / t for e, t in pairs]
    shown = " vs ".join(
        f"{_label(paper, a)} {int(e)}/{int(t)} ({100 * e / t:.1f}%)"
        for a, (e, t) in zip(arms, pairs, strict=False)
    )
    tests = count_tests(pairs)
    recomputed = ", ".join(f"{k} P = {p:.2g}" for k, p in tests.items())
    return _quantity_check(paper, claim, rates, arms, tests, shown, recomputed, involves, alpha)


def _means_check(paper: Paper, claim: dict[str, Any]) -> Check:
    """A claim about means (mean, SD, n per arm) against the printed summaries and P."""
    alpha = _alpha(paper)
    arms = list(claim["means"])
    triples = [tuple(paper.value(k) for k in claim["means"][a]) for a in arms]
    student, welch = t_tests([(m, s, int(n)) for m, s, n in triples])
    tests = {"Student": student, "Welch": welch}
    shown = " vs ".join(
        f"{_label(paper, a)} "
        + " ± ".join(paper.text(k) for k in claim["means"][a][:2])
        + f" (n = {paper.text(claim['means'][a][2])})"
        for a in arms
    )
    recomputed = f"Student P = {student:.2g}, Welch P = {welch:.2g}"
    involves = (claim["claim"], *[k for a in arms for k in claim["means"][a]], *claim.get("p", []))
    values = [t[0] for t in triples]
    return _quantity_check(paper, claim, values, arms, tests, shown, recomputed, involves, alpha)


def _quantity_check(paper, claim, values, arms, tests, shown, recomputed, involves, alpha):
    problems: list[tuple[str, str]] = []
    reading = ""
    if claim.get("arm"):
        higher = claim.get("direction", "higher") != "lower"
        best = max(range(2), key=lambda i: values[i] if higher else -values[i])
        if values[0] == values[1] or arms[best] != claim["arm"]:
            word = "higher" if higher else "lower"
            problems.append(("contradiction", f"the claim says {claim['arm']} is {word}"))
    printed = claim.get("p", [])
    if claim.get("significant") is True:
        not_below = [k for k in printed if not printed_below(paper, k, alpha)]
        if not_below:
            problems.append(
                (
                    "contradiction",
                    "the printed P "
                    + ", ".join(f"{paper.text(k)} ({k})" for k in not_below)
                    + f" is not below {alpha:g}",
                )
            )
        if min(tests.values()) >= alpha:
            problems.append(
                ("likely error", f"no recomputed test gives P < {alpha:g} ({recomputed})")
            )
    if claim.get("significant") is False:
        below = [k for k in printed if printed_below(paper, k, alpha)]
        if below:
            problems.append(("contradiction", f"the printed P {', '.join(below)} is below alpha"))
        if max(tests.values()) < alpha:
            problems.append(("likely error", f"every recomputed test gives P < {alpha:g}"))
        elif min(tests.values()) < alpha:
            problems.append(("ambiguous", "one recomputed test gives P below alpha"))
            reading = "another test the paper may have used finds no significant difference"
    severity = worst([p[0] for p in problems])
    return Check(
        f"direction:{claim['id']}",
        paper.where(claim["claim"]),
        paper.text(claim["claim"]),
        recomputed,
        "direction",
        "inconsistent" if problems else "consistent",
        f"{_says(paper, claim)}. {shown}; {recomputed}"
        + (
            ("; P as printed: " + ", ".join(f"{paper.text(k)} ({k})" for k in printed))
            if printed
            else ""
        )
        + (": " + "; ".join(p[1] for p in problems) if problems else ": the numbers agree")
        + (f" (reading of the claim: {claim['reading']})" if claim.get("reading") else "")
        + ".",
        involves=tuple(dict.fromkeys(involves)),
        suspects=(claim["claim"],) if problems else (),
        severity=severity,
        reading=reading if severity == "ambiguous" else "",
    )
