"""Two families of audit check that need no cohort data, only the printed numbers.

* **direction**: every claim the text makes about which arm is better (or higher), on
  which scores and at which visits, and whether the difference is significant, against
  every cell of the table those words cover, including scores a sentence names only as a
  group ("function"). A claim is declared once in data/published_checks.yaml
  (``direction.claims``) and expanded here to each (score, visit) cell.
* **trajectory**: each arm's course of each score over the visits. A mean and SD must
  be possible on the scale (Bhatia R, Davis C, Am Math Monthly 2000;107:353-7: a
  variable in [lo, hi] with mean m has variance at most (m - lo)(hi - m); on a scale
  recorded in steps the SD also has a floor); a mean that jumps by more than k SDs and
  back, or arms that differ by more than k SDs at baseline while the text says they do
  not, is a course the paper reports without comment; a row printed at a different
  precision from the rest of its table suggests cells typed differently.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from manuscript_engine.audit.model import SEVERITIES, Check, Paper
from manuscript_engine.audit.score_table import (
    RELATIONS,
    Cell,
    GroupSizes,
    ScoreTable,
    group_sizes,
    lower_better,
    scale,
    scaled,
    step,
)
from manuscript_engine.core.errors import ManuscriptError

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
    from scipy import stats

    (a, n1), (b, n2) = pairs
    grid = [[a, n1 - a], [b, n2 - b]]
    out = {"Fisher": float(stats.fisher_exact(grid).pvalue)}
    if min(a + b, n1 + n2 - a - b) > 0:
        out["χ²"] = float(stats.chi2_contingency(grid, correction=False).pvalue)
        out["χ² (Yates)"] = float(stats.chi2_contingency(grid, correction=True).pvalue)
    return out


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
    for claim in section.get("claims") or []:
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
    n = group_sizes(paper, section, visit, table.arms[:2])
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
        lower = lower_better(paper, section, score)
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
    for cause, cells in irregular.items():
        if set(cells) & set(check.suspects):
            from dataclasses import replace

            return replace(check, cause=cause)
    return check


def _rate_check(paper: Paper, claim: dict[str, Any]) -> Check:
    """A claim about rates (events of a total per arm) against the printed counts and P."""
    alpha = _alpha(paper)
    arms = list(claim["rates"])
    pairs = [(paper.value(claim["rates"][a][0]), paper.value(claim["rates"][a][1])) for a in arms]
    rates = [e / t for e, t in pairs]
    shown = " vs ".join(
        f"{_label(paper, a)} {int(e)}/{int(t)} ({100 * e / t:.1f}%)"
        for a, (e, t) in zip(arms, pairs, strict=False)
    )
    tests = count_tests(pairs)
    recomputed = ", ".join(f"{k} P = {p:.2g}" for k, p in tests.items())
    involves = (
        claim["claim"],
        *[k for a in arms for k in claim["rates"][a]],
        *claim.get("p", []),
    )
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


# --------------------------------------------------------------------------- trajectories
def odd_precision(paper: Paper, table: ScoreTable) -> dict[str, tuple[str, ...]]:
    """Means printed at another number of decimals than most means of their table, by
    (score, arm) row: a cause key per row with such cells."""
    decimals = Counter(paper.decimals(c.mean) for c in table.cells.values())
    if not decimals:
        return {}
    usual = decimals.most_common(1)[0][0]
    out: dict[str, tuple[str, ...]] = {}
    for score in table.scores:
        for arm in table.arms:
            odd = tuple(c.mean for c in table.series(score, arm) if paper.decimals(c.mean) != usual)
            if odd:
                out[f"typed differently:{score}.{arm}"] = odd
    return out


def check_trajectories(paper: Paper, relations: dict[str, Any]) -> list[Check]:
    """Each arm's course of each score: possible on its scale, without unexplained
    reversals or baseline gaps, printed at the table's precision."""
    section = relations.get("trajectories") or {}
    table = ScoreTable(paper)
    irregular = odd_precision(paper, table)
    usual = Counter(paper.decimals(c.mean) for c in table.cells.values()).most_common(1)
    checks = [*_bounds(paper, section, relations, table)]
    k = float(section.get("k", 2))
    for score in table.scores:
        for arm in table.arms:
            series = table.series(score, arm)
            for before, middle, after in zip(series, series[1:], series[2:], strict=False):
                found = _spike(paper, table, k, before, middle, after, irregular)
                if found:
                    checks.append(found)
    checks += _baseline(paper, section, table, k, irregular)
    checks += [_categories(paper, table, rule) for rule in section.get("categories") or []]
    for cause, cells in irregular.items():
        checks.append(_precision(paper, table, cause, cells, usual[0][0], checks))
    return checks


def _bounds(paper, section, relations, table: ScoreTable) -> list[Check]:
    """Bhatia–Davis ceiling and, on a stepped scale, the floor of every cell's SD."""
    checks = []
    sizes_rule = relations.get("direction") or {}
    for (score, visit, arm), cell in table.cells.items():
        bounds = scale(paper, section, score)
        if bounds is None:
            continue
        lo, hi = bounds
        mean, sd = table.mean_sd(cell)
        n, printed = _n_of(paper, sizes_rule, visit, arm)
        unit = step(paper, section, score)
        half = 0.5 * 10 ** -paper.decimals(cell.mean)
        # the printed mean stands for any mean within half a last digit of it
        ceiling = max(
            bhatia_davis(min(max(m, lo), hi), lo, hi, n) for m in (mean - half, mean, mean + half)
        )
        floor = step_floor(mean, half, lo, unit, n) if unit else 0.0
        sd_half = 0.5 * 10 ** -paper.decimals(cell.sd)
        problems, severity, reading, cause, condition = [], "", "", "", ""
        if not lo <= mean <= hi:
            problems.append(f"the mean lies outside the scale {lo:g}–{hi:g}")
            severity = "contradiction"
        elif (
            sd - sd_half > ceiling
            and not printed
            and sd - sd_half <= ceiling * math.sqrt(2 * (n - 1) / n)
        ):
            condition = (
                f"possible only if fewer patients than {n} were assessed at {visit} "
                "(the Bhatia–Davis ceiling rises as n falls)"
            )
        elif sd - sd_half > ceiling:
            problems.append(
                f"an SD above {ceiling:.3g} is impossible for a mean of {mean:g} on "
                f"{lo:g}–{hi:g} with n = {n} (Bhatia–Davis)"
            )
            severity = "contradiction"
        elif sd + sd_half < floor:
            problems.append(
                f"on a scale recorded in steps of {unit:g}, a mean of {paper.text(cell.mean)} "
                f"needs an SD of at least {floor:.3g} (n = {n})"
            )
            severity, cause = "ambiguous", f"scale step:{score}"
            reading = f"{score} was recorded in steps finer than {unit:g}"
        checks.append(
            Check(
                f"trajectory:range:{cell.mean}",
                paper.where(cell.mean),
                f"{paper.text(cell.mean)} ± {paper.text(cell.sd)}",
                f"SD within {floor:.3g}–{ceiling:.3g}",
                "trajectory",
                "inconsistent" if problems else "conditional" if condition else "consistent",
                (
                    "; ".join(problems)
                    if problems
                    else f"the SD {sd:g} exceeds the Bhatia–Davis ceiling {ceiling:.3g} for n = {n}"
                    if condition
                    else f"the SD lies between the floor {floor:.3g} and the Bhatia–Davis "
                    f"ceiling {ceiling:.3g} for n = {n}"
                )
                + ".",
                involves=(cell.mean, cell.sd),
                severity=severity,
                reading=reading,
                cause=cause,
                condition=condition,
            )
        )
    return checks


def _n_of(paper: Paper, rule: dict[str, Any], visit: str, arm: str) -> tuple[int, bool]:
    """The printed n of an arm (direction.n.ids; else 2) and whether it is the n at this
    visit. At later visits it is an upper bound: the SD floor is then the most lenient,
    the Bhatia–Davis ceiling the tightest (at n = 2 it is sqrt(2) times higher)."""
    spec = rule.get("n") or {}
    ids = spec.get("ids") or {}
    if arm not in ids:
        return 2, True
    return int(paper.value(ids[arm])), visit in (spec.get("visits") or [])


def bhatia_davis(mean: float, lo: float, hi: float, n: int) -> float:
    """The largest sample SD of n values in [lo, hi] with this mean (Bhatia & Davis 2000)."""
    return math.sqrt(max(0.0, (mean - lo) * (hi - mean)) * n / max(n - 1, 1))


def step_floor(mean: float, half: float, lo: float, unit: float, n: int) -> float:
    """The smallest sample SD of n values on lo + k·unit whose mean prints as ``mean``.

    The spread is smallest when every value sits on one of the two steps around the mean
    (a fraction f on the upper one: variance unit²·f(1 − f)); the printed mean stands for
    any mean within ``half`` of it, so the floor is taken over that interval.
    """

    def spread(m: float) -> float:
        f = ((m - lo) / unit) % 1.0
        return f * (1 - f)

    nearest = lo + round((mean - lo) / unit) * unit
    if abs(nearest - mean) <= half + 1e-12:
        return 0.0  # the mean may sit on a step: every value on it, SD 0
    least = min(spread(m) for m in (mean - half, mean + half))
    return unit * math.sqrt(least * n / max(n - 1, 1))


def _spike(paper, table, k, before: Cell, middle: Cell, after: Cell, irregular) -> Check | None:
    (m0, s0), (m1, s1), (m2, s2) = (table.mean_sd(c) for c in (before, middle, after))
    up = math.sqrt((s0**2 + s1**2) / 2) or 1.0
    down = math.sqrt((s1**2 + s2**2) / 2) or 1.0
    d1, d2 = m1 - m0, m2 - m1
    if not (abs(d1) > k * up and abs(d2) > k * down and d1 * d2 < 0):
        return None
    cells = (before, middle, after)
    involves = tuple(x for c in cells for x in (c.mean, c.sd))
    odd = {x for group in irregular.values() for x in group}
    suspects = tuple(c.mean for c in cells if c.mean in odd) or (middle.mean,)
    cause = next((c for c, group in irregular.items() if set(group) & set(suspects)), "")
    label = table.label(middle.arm)
    return Check(
        f"trajectory:spike:{middle.score}.{middle.arm}.{middle.visit}",
        paper.where(middle.mean),
        " → ".join(paper.text(c.mean) for c in cells),
        f"{d1:+.4g} ({abs(d1) / up:.1f} SDs), {d2:+.4g} ({abs(d2) / down:.1f} SDs)",
        "trajectory",
        "inconsistent",
        f"{label}'s mean {middle.score} moves from {paper.text(before.mean)} "
        f"({before.visit}) to {paper.text(middle.mean)} ({middle.visit}), {abs(d1) / up:.1f} "
        f"pooled SDs, and back to {paper.text(after.mean)} ({after.visit}), "
        f"{abs(d2) / down:.1f} pooled SDs (k = {k:g}). With SDs of {s0:g}–{s2:g} nearly every "
        "patient of the arm would have to follow this course, which the paper reports "
        "without comment; a cell typed wrongly explains it more simply.",
        involves=involves,
        suspects=suspects,
        severity="likely error",
        cause=cause,
    )


def _baseline(paper, section, table: ScoreTable, k: float, irregular) -> list[Check]:
    """Arms apart by more than k SDs at the baseline visit, where the text says they are not."""
    rule = section.get("baseline") or {}
    visit = rule.get("visit")
    if not visit:
        return []
    checks = []
    odd = {x for group in irregular.values() for x in group}
    for score in table.scores:
        cells = [table.cell(score, visit, arm) for arm in table.arms[:2]]
        if None in cells or len(cells) < 2:
            continue
        (m1, s1), (m2, s2) = (table.mean_sd(c) for c in cells)
        pooled = math.sqrt((s1**2 + s2**2) / 2) or 1.0
        gap = abs(m1 - m2) / pooled
        if gap <= k:
            continue
        suspects = tuple(c.mean for c in cells if c.mean in odd) or tuple(c.mean for c in cells)
        cause = next((c for c, group in irregular.items() if set(group) & set(suspects)), "")
        claims = rule.get("claims") or []
        checks.append(
            Check(
                f"trajectory:baseline:{score}.{visit}",
                paper.where(cells[0].mean),
                " vs ".join(paper.text(c.mean) for c in cells),
                f"{gap:.1f} pooled SDs",
                "trajectory",
                "inconsistent",
                f"At {visit} the arms' mean {score} differ by {abs(m1 - m2):.4g}, {gap:.1f} "
                f"pooled SDs (k = {k:g}), yet the text ({', '.join(claims)}) says the arms did "
                "not differ at baseline and does not comment on the gap.",
                involves=(*[x for c in cells for x in (c.mean, c.sd)], *claims),
                suspects=suspects,
                severity="likely error",
                cause=cause,
            )
        )
    return checks


def _precision(paper, table, cause: str, cells: tuple[str, ...], usual: int, found) -> Check:
    """Means printed at another precision than the rest of their table."""
    shared = any(c.cause == cause for c in found if c.id.startswith("trajectory:"))
    shown = ", ".join(f"{paper.text(c)} ({paper.where(c)})" for c in cells)
    return Check(
        f"trajectory:precision:{cause.split(':', 1)[1]}",
        paper.where(cells[0]),
        ", ".join(paper.text(c) for c in cells),
        f"{usual} decimals elsewhere",
        "trajectory",
        "inconsistent",
        f"{shown} print their means with "
        f"{', '.join(str(paper.decimals(c)) for c in cells)} decimals while the table's other "
        f"means have {usual}: a display irregularity that suggests these cells were typed "
        "differently"
        + ("; the same cells make the course above implausible" if shared else "")
        + ".",
        involves=cells,
        suspects=cells,
        severity="ambiguous" if shared else "convention",
        reading="the means were rounded to whole numbers and printed without trailing zeros",
        cause=cause,
    )


def category_floor(mean: float, groups: list[tuple[float, float, float]]) -> float | None:
    """The smallest sample SD of values with this mean when n_i of them lie in [a_i, b_i]
    (``groups``: (n_i, a_i, b_i)); None when no such values have this mean.

    Spread within a group only adds to the SD, so each group sits at one value g_i; the
    least Σ n_i (g_i − mean)² under Σ n_i g_i = N·mean puts every g_i at a common level c
    clipped to its range (the Lagrange condition), found by bisection.
    """
    total = sum(n for n, _, _ in groups)
    lowest = sum(n * a for n, a, _ in groups) / total
    highest = sum(n * b for n, _, b in groups) / total
    if not lowest - 1e-12 <= mean <= highest + 1e-12:
        return None
    lo, hi = min(a for _, a, _ in groups), max(b for _, _, b in groups)
    for _ in range(200):
        c = (lo + hi) / 2
        level = sum(n * min(max(c, a), b) for n, a, b in groups) / total
        lo, hi = (c, hi) if level < mean else (lo, c)
    c = (lo + hi) / 2
    spread = sum(n * (min(max(c, a), b) - mean) ** 2 for n, a, b in groups)
    return math.sqrt(spread / max(total - 1, 1))


def _categories(paper: Paper, table: ScoreTable, rule: dict[str, Any]) -> Check:
    """A cell's mean and SD against the printed counts of patients in ranges of the score."""
    where = rule["cell"]
    cell = table.cell(where["score"], where["visit"], where["arm"])
    if cell is None:
        raise ManuscriptError(
            f"{RELATIONS}: trajectories.categories '{rule['id']}' names the cell "
            f"{where['score']} at {where['visit']} in {where['arm']}, which the published "
            "table does not have; name a score, visit and arm of a published mean."
        )
    mean, sd = table.mean_sd(cell)
    half = 0.5 * 10 ** -paper.decimals(cell.mean)
    sd_half = 0.5 * 10 ** -paper.decimals(cell.sd)
    groups = [
        (sum(paper.value(k) for k in group["counts"]), *map(float, group["range"]))
        for group in rule["groups"]
    ]
    floors = [category_floor(m, groups) for m in (mean - half, mean, mean + half)]
    possible = [f for f in floors if f is not None]
    floor = min(possible) if possible else None
    shown = "; ".join(f"{int(n)} in {a:g}–{b:g}" for n, a, b in groups)
    involves = (cell.mean, cell.sd, *[k for g in rule["groups"] for k in g["counts"]])
    if floor is None:
        verdict, why = "inconsistent", "no values in these ranges have this mean"
    elif sd + sd_half < floor:
        verdict, why = "inconsistent", f"these counts need an SD of at least {floor:.3g}"
    else:
        verdict = "consistent"
        why = f"these counts need an SD of at least {floor:.3g}; the margin is {sd - floor:.2g}"
    severity = (
        ("ambiguous" if rule.get("reading") else "likely error") if verdict != "consistent" else ""
    )
    return Check(
        f"trajectory:categories:{rule['id']}",
        paper.where(cell.mean),
        f"{paper.text(cell.mean)} ± {paper.text(cell.sd)}",
        "" if floor is None else f"SD ≥ {floor:.3g}",
        "trajectory",
        verdict,
        f"{table.label(cell.arm)}'s {cell.score} at {cell.visit}, {paper.text(cell.mean)} ± "
        f"{paper.text(cell.sd)}, against {shown} ({int(sum(n for n, _, _ in groups))} "
        f"patients): {why}"
        + (f" (reading: {rule['reading']})" if rule.get("reading") else "")
        + ".",
        involves=involves,
        severity=severity,
        reading=rule.get("reading", "") if severity == "ambiguous" else "",
    )
