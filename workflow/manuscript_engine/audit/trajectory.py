"""Each arm's course of each score over the visits, from the printed numbers alone
(audit family ``trajectory``).

* A mean and SD must be possible on the scale: a variable in [lo, hi] with mean m has a
  variance of at most (m - lo)(hi - m) (Bhatia R, Davis C. A better bound on the variance.
  Am Math Monthly 2000;107:353-7), times n/(n - 1) for a sample SD; on a scale recorded in
  steps the SD also has a floor, and printed counts of patients in ranges of the score
  give another.
* A mean that jumps by more than k pooled SDs between adjacent visits and back, or arms
  more than k SDs apart at baseline while the text says they are not, is a course the
  paper reports without comment.
* A row printed at another precision than the rest of its table suggests cells typed
  differently; it shares its cause with a course those cells make implausible.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from manuscript_engine.audit.model import Check, Paper
from manuscript_engine.audit.score_table import RELATIONS, Cell, ScoreTable, scale, step
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.stats.courses import pooled_sd


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
                out[f"typed-differently:{score}.{arm}"] = odd
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
    comments = {
        (c["cell"]["score"], c["cell"]["arm"], c["cell"]["visit"]): c["claim"]
        for c in section.get("comments") or []
        if c["claim"] in paper.entries
    }
    for score in table.scores:
        for arm in table.arms:
            series = table.series(score, arm)
            for before, middle, after in zip(series, series[1:], series[2:], strict=False):
                found = _spike(paper, table, k, before, middle, after, irregular)
                comment = comments.get((middle.score, middle.arm, middle.visit))
                if found and comment:
                    found = _commented(paper, found, comment)
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
    for (score, visit, _arm), cell in table.cells.items():
        bounds = scale(paper, score)
        if bounds is None:
            continue
        lo, hi = bounds
        mean, sd = table.mean_sd(cell)
        n, printed = _n_of(paper, cell.mean)
        unit = step(paper, score)
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
            severity, cause = "ambiguous", f"step:{score}"
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
                suspects=(cell.sd,) if cause else (),
                severity=severity,
                reading=reading,
                cause=cause,
                condition=condition,
            )
        )
    return checks


def _n_of(paper: Paper, cell_mean: str) -> tuple[int, bool]:
    """The n behind a cell (the study's ``denominators``; else 2) and whether it is printed.
    Where it is not, it is an upper bound: the SD floor is then the most lenient, the
    Bhatia–Davis ceiling the tightest (at n = 2 it is sqrt(2) times higher)."""
    size = paper.group_size(paper.entries[cell_mean])
    if size is None:
        return 2, True
    return size.ns[-1], size.exact


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
    up = pooled_sd(s0, s1) or 1.0
    down = pooled_sd(s1, s2) or 1.0
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


def _commented(paper: Paper, spike: Check, comment: str) -> Check:
    """A rise and fall the text comments on is reported, not left unexplained."""
    return Check(
        spike.id,
        spike.location,
        spike.published,
        spike.recomputed,
        spike.check,
        "consistent",
        spike.explanation.split(" With SDs")[0].rstrip(".")
        + f"; the text comments on this course ({paper.where(comment)}: "
        f"'{paper.text(comment)}').",
        involves=(*spike.involves, comment),
    )


def _baseline(paper, section, table: ScoreTable, k: float, irregular) -> list[Check]:
    """Arms apart by more than k SDs at the baseline visit, where the text says they are not."""
    rule = section.get("baseline") or {}
    visit = rule.get("visit")
    if not visit:
        return []
    # Only a sentence the paper prints makes a gap contradict the text.
    claims = [key for key in rule.get("claims") or [] if key in paper.entries]
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
        if not claims:
            continue
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
