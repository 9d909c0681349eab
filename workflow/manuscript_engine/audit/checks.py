"""Audit: the published paper against the cohort data and against itself.

Every published number (``data/published.yaml``) gets every check that applies:

* **data**: the value the pipeline computes from the cohort, compared at the printed
  precision ("5.62" against 5.6238 matches);
* **sum**: parts against the total printed elsewhere (``data/published_checks.yaml``);
* **percent**: a percentage against its count and the group size printed elsewhere;
* **interval**: a confidence interval inside 0–100% and around its estimate, and which
  method (Wald, Wilson, Clopper–Pearson) reproduces it;
* **repeat**: the same quantity printed in two places with the same value;
* **grim** / **grimmer**: whether a mean or SD is possible for its n on the scale's step;
* **test**: P recomputed from the published counts (χ², χ² with Yates' correction,
  Fisher) or means (Student, Welch); which test reproduces it and whether the methods
  name that test; Table 3's significance marks against the recomputed P;
* **claim**: statements about significance or direction against the tables.

References: Brown NJL, Heathers JAJ (GRIM), Soc Psychol Personal Sci 2017;8:363-9;
Anaya J (GRIMMER), PeerJ Preprints 2016;4:e2400v1; Nuijten MB et al. (statcheck),
Behav Res Methods 2016;48:1205-26.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from manuscript_engine.audit.model import (  # noqa: F401
    SEVERITIES,
    VERDICTS,
    AuditFailed,
    Check,
    Paper,
)
from manuscript_engine.audit.published import (
    COHORT_STATS,
    evaluate,
    n_behind,
    printed_number,
    with_arm_keys,
)
from manuscript_engine.audit.step_search import decimals_of, reachable_squares, reachable_sums
from manuscript_engine.core.atomic_files import atomic_output, write_text_atomically
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.formatting import format_decimal
from manuscript_engine.data.cohort import column_steps
from manuscript_engine.data.vocabulary import lower_is_better, study_arms


def _fmt(value: float, decimals: int) -> str:
    return format_decimal(value, decimals)


# --------------------------------------------------------------------------- against data
def check_data(
    paper: Paper,
    frame: pd.DataFrame,
    enrollment: pd.DataFrame,
    registry: dict[str, Any],
    synthetic: bool,
    selections: dict | None = None,
) -> list[Check]:
    checks = []
    for key, entry in paper.entries.items():
        if entry["stat"] in COHORT_STATS:
            value, decimals = printed_number(entry)
            mine = evaluate(entry, frame, enrollment, selections)
            same = _fmt(mine, decimals) == _fmt(value, decimals)
            checks.append(
                Check(
                    f"data:{key}",
                    entry["where"],
                    entry["printed"],
                    _fmt(mine, max(decimals, 2)),
                    "data",
                    "consistent" if same else "inconsistent",
                    f"{entry['measures']}: the cohort gives {_fmt(mine, max(decimals, 2))}, which "
                    f"prints as {_fmt(mine, decimals)} at the paper's precision"
                    + ("" if same else f", not {entry['printed']}")
                    + ".",
                )
            )
        elif entry["stat"] == "p_value":
            base = paper.registry_keys.get(entry["of"]["compares"])
            if base is None or f"{base}.p" not in registry:
                continue
            mine = registry[f"{base}.p"]
            if synthetic:
                checks.append(
                    Check(
                        f"data:{key}",
                        entry["where"],
                        entry["printed"],
                        mine["text"],
                        "data",
                        "not checkable",
                        "the synthetic cohort reproduces means, SDs and counts, not the full "
                        "distributions a rank test depends on; with the real data this P is "
                        "compared.",
                    )
                )
                continue
            checks.append(_p_against(key, entry, mine))
    return checks


def _p_against(key: str, entry: dict[str, Any], mine: dict[str, Any]) -> Check:
    same = p_matches(str(entry["printed"]), float(mine["value"]))
    return Check(
        f"data:{key}",
        entry["where"],
        entry["printed"],
        mine["text"],
        "data",
        "consistent" if same else "inconsistent",
        f"the pipeline's P ({mine['source']}) is {mine['text']}.",
    )


# --------------------------------------------------------------------------- arithmetic
def check_sums(paper: Paper, sums: list[dict[str, Any]]) -> list[Check]:
    checks = []
    for rule in sums:
        parts = [paper.value(p) for p in rule["parts"]]
        total = paper.value(rule["total"])
        shown = " + ".join(f"{int(v)}" for v in parts)
        same = math.isclose(sum(parts), total)
        note = f" ({rule['note']})" if rule.get("note") else ""
        checks.append(
            Check(
                f"sum:{rule['id']}",
                paper.where(rule["total"]),
                paper.text(rule["total"]),
                f"{int(sum(parts))}",
                "sum",
                "consistent" if same else "inconsistent",
                f"{shown} = {int(sum(parts))}"
                + ("" if same else f", but the paper prints {int(total)} ({rule['total']})")
                + note
                + ".",
            )
        )
    return checks


def denominator_id(paper: Paper, entry: dict[str, Any]) -> str | None:
    """The published group size a percentage or interval is taken of.

    The study's mapping (``denominators`` in data/published_checks.yaml) says, for a
    population and any ``among`` condition, which published count is the group size;
    ``{arm}`` in its id stands for the arm's key.
    """
    of = entry.get("of", {})
    arm = of.get("arm")
    if arm in (None, "both"):
        return None
    among = of.get("among") or {}
    for rule in paper.denominators:
        if rule.get("among", {}) == among and rule.get("pop", of.get("pop")) == of.get("pop"):
            return str(rule["id"]).format(arm=arm)
    return None


def count_id(paper: Paper, entry: dict[str, Any]) -> str | None:
    """A count printed for the same quantity as a percentage."""
    for key, other in paper.entries.items():
        if other["stat"] == "count" and other.get("of") == entry.get("of"):
            return key
    return None


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
        same = _fmt(pct, decimals) == _fmt(printed, decimals)
        implied = [
            d
            for d in range(max(int(count), 1), int(3 * total) + 2)
            if _fmt(100 * count / d, decimals) == _fmt(printed, decimals)
        ]
        explanation = (
            f"{int(count)}/{int(total)} = {pct:.2f}%, printed to {decimals} decimals "
            f"is {_fmt(pct, decimals)}"
        )
        if not same:
            explanation += f", not {entry['printed']}; " + (
                f"a denominator of {', '.join(map(str, implied[:3]))} would give it"
                if implied
                else f"no whole-number denominator gives {entry['printed']} "
                f"with {int(count)} patients"
            )
        checks.append(
            Check(
                f"percent:{key}",
                entry["where"],
                entry["printed"],
                _fmt(pct, decimals),
                "percent",
                "consistent" if same else "inconsistent",
                explanation + ".",
            )
        )
    return checks


def wald(count: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    p = count / n
    half = z * math.sqrt(p * (1 - p) / n)
    return 100 * (p - half), 100 * (p + half)


def interval_methods(count: float, n: float) -> dict[str, tuple[float, float]]:
    from statsmodels.stats.proportion import proportion_confint

    wilson = proportion_confint(count, n, method="wilson")
    exact = proportion_confint(count, n, method="beta")
    return {
        "Wald": wald(count, n),
        "Wilson": (100 * wilson[0], 100 * wilson[1]),
        "Clopper–Pearson": (100 * exact[0], 100 * exact[1]),
    }


def check_intervals(paper: Paper) -> list[Check]:
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
            problems.append(f"the interval {int(low)}%–{int(high)}% reaches outside 0–100%")
        if estimate is not None and not low <= estimate <= high:
            problems.append(f"the estimate {estimate}% lies outside the interval")
        reproduced = []
        if count_key is None and estimate is not None and total_key:
            count = round(estimate * paper.value(total_key) / 100)
        else:
            count = paper.value(count_key) if count_key else None
        if count is not None and total_key:
            n = paper.value(total_key)
            decimals = paper.decimals(low_key)
            methods = interval_methods(count, n)
            for name, (lo, hi) in methods.items():
                if _fmt(lo, decimals) == _fmt(low, decimals) and _fmt(hi, decimals) == _fmt(
                    high, decimals
                ):
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
        unexplained = count is not None and total_key is not None and not reproduced
        checks.append(
            Check(
                f"interval:{low_key}",
                entry["where"],
                f"{paper.text(low_key)}, {paper.text(high_key)}",
                ", ".join(reproduced),
                "interval",
                "inconsistent" if problems or unexplained else "consistent",
                explanation,
            )
        )
    return checks


def check_repeats(paper: Paper) -> list[Check]:
    groups: dict[str, list[str]] = defaultdict(list)
    for key, entry in paper.entries.items():
        if entry["stat"] in ("count", "percent", "mean", "sd") and entry.get("of"):
            groups[entry["stat"] + json.dumps(entry["of"], sort_keys=True)].append(key)
    checks = []
    for keys in groups.values():
        if len(keys) < 2:
            continue
        decimals = min(paper.decimals(k) for k in keys)
        values = {k: _fmt(paper.value(k), decimals) for k in keys}
        same = len(set(values.values())) == 1
        shown = "; ".join(f"{paper.text(k)} ({paper.where(k)})" for k in keys)
        checks.append(
            Check(
                f"repeat:{keys[0]}",
                " / ".join(paper.where(k) for k in keys),
                " | ".join(paper.text(k) for k in keys),
                "",
                "repeat",
                "consistent" if same else "inconsistent",
                f"the same quantity is printed {len(keys)} times: {shown}"
                + (
                    ""
                    if same
                    else f"; at {decimals} decimals these are "
                    + ", ".join(sorted(set(values.values())))
                )
                + ".",
            )
        )
    return checks


# --------------------------------------------------------------------------- granularity
def check_granularity(
    paper: Paper,
    frame: pd.DataFrame,
    enrollment: pd.DataFrame,
    codebook_steps: dict[str, float],
    selections: dict | None = None,
) -> list[Check]:
    checks = []
    for key, entry in paper.entries.items():
        if entry["stat"] not in ("mean", "sd"):
            continue
        var = entry["of"]["var"]
        step = codebook_steps.get(var)
        if not step:
            continue
        n = n_behind(entry, frame, enrollment, selections)
        printed = paper.text(key)
        if entry["stat"] == "mean":
            sums = reachable_sums(n, step, printed, 0, 10**9)
            ok = bool(sums)
            below = int(float(printed) * n / step)
            explanation = (
                f"{n} values in steps of {step:g}: a mean of {printed} needs a sum "
                f"of {float(printed) * n:.2f}; "
                + (
                    f"{sums[0] * step:g} gives {_fmt(sums[0] * step / n, 2)}."
                    if ok
                    else f"the nearest possible sums {below * step:g} and "
                    f"{(below + 1) * step:g} give {_fmt(below * step / n, 4)} and "
                    f"{_fmt((below + 1) * step / n, 4)}."
                )
            )
            checks.append(
                Check(
                    f"grim:{key}",
                    entry["where"],
                    printed,
                    "",
                    "grim",
                    "consistent" if ok else "inconsistent",
                    explanation + " (n from the cohort data)",
                )
            )
        else:
            mean_key = key.replace(".sd.", ".mean.")
            if mean_key not in paper.entries:
                continue
            sums = reachable_sums(n, step, paper.text(mean_key), 0, 10**9) or [
                round(paper.value(mean_key) * n / step)
            ]
            # Feasibility barely depends on which sum: test up to 50 spread over the run.
            spread = sums[:: max(1, len(sums) // 50)]
            ok = any(reachable_squares(n, step, total, printed) for total in spread)
            checks.append(
                Check(
                    f"grimmer:{key}",
                    entry["where"],
                    printed,
                    "",
                    "grimmer",
                    "consistent" if ok else "inconsistent",
                    f"{n} values in steps of {step:g} with mean {paper.text(mean_key)}: "
                    + (
                        "an SD of " + printed + " is possible."
                        if ok
                        else f"no sum of squares gives an SD that prints as {printed} (the sum "
                        "of squares of step-valued numbers has the parity of their sum)."
                    )
                    + " (n from the cohort data)",
                )
            )
    return checks


# --------------------------------------------------------------------------- tests
def p_matches(printed: str, p: float) -> bool:
    text = printed.replace("P", "").replace("=", "").strip()
    if text.startswith("<"):
        return p < float(text.lstrip("<").strip())
    return _fmt(p, decimals_of(text)) == text


def tests_from_counts(table: list[list[float]]) -> dict[str, float]:
    from scipy import stats

    (a, n1), (b, n2) = table
    grid = [[a, b], [n1 - a, n2 - b]]
    out = {"Fisher's exact test": float(stats.fisher_exact(grid).pvalue)}
    if min(sum(r) for r in grid) > 0 and min(a + b, n1 + n2 - a - b) > 0:
        out["χ² test"] = float(stats.chi2_contingency(grid, correction=False).pvalue)
        out["χ² test with Yates' correction"] = float(
            stats.chi2_contingency(grid, correction=True).pvalue
        )
    return out


def tests_from_means(groups: list[list[float]]) -> dict[str, float]:
    from scipy import stats

    (m1, s1, n1), (m2, s2, n2) = groups
    student = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=True).pvalue
    welch = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False).pvalue
    return {"Student's t-test": float(student), "Welch's t-test": float(welch)}


METHOD_NAMES = {
    "mann_whitney": "the Mann–Whitney test",
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


def check_tests(paper: Paper, tests: list[dict[str, Any]], methods: dict[str, list]) -> list:
    checks = []
    for rule in tests:
        key = rule["p"]
        if "counts" in rule:
            values = [[paper.value(k) for k in pair] for pair in rule["counts"]]
            results = tests_from_counts(values)
            named = set(methods["categorical"])
            shown = " vs ".join(f"{int(a)}/{int(n)}" for a, n in values)
        else:
            values = [[paper.value(k) for k in triple] for triple in rule["means"]]
            results = tests_from_means(values)
            named = set(methods["continuous"])
            shown = " vs ".join(f"{m:g} ± {s:g} (n = {int(n)})" for m, s, n in values)
        printed = paper.text(key)
        reproduced = [name for name, p in results.items() if p_matches(printed, p)]
        detail = "; ".join(f"{name} P = {p:.4f}" for name, p in results.items())
        if any(NAMED[name] in named for name in reproduced):
            verdict, tail = (
                "consistent",
                f"reproduced by {', '.join(reproduced)}, a test the methods name",
            )
        elif reproduced:
            verdict = "inconsistent"
            tail = (
                f"reproduced only by {', '.join(reproduced)}, which the methods do not "
                "name (they name "
                + " and ".join(METHOD_NAMES.get(m, m) for m in sorted(named))
                + ")"
            )
        elif "means" in rule:
            verdict, tail = (
                "not checkable",
                (
                    "no t-test reproduces it; the Mann–Whitney test "
                    "the methods name needs the raw data"
                ),
            )
        else:
            verdict, tail = "inconsistent", "no test the methods name reproduces it"
        checks.append(
            Check(
                f"test:{key}",
                paper.where(key),
                printed,
                ", ".join(reproduced),
                "test",
                verdict,
                f"From {shown}: {detail}; {tail}.",
            )
        )
    return checks


@dataclass(frozen=True)
class ScoreCell:
    """One score at one time point, recomputed from its printed means and SDs."""

    student: float
    welch: float
    marked: bool
    favours_first: bool
    shown: str


def score_cell(
    paper: Paper, mark_key: str, frame, enrollment, selections: dict | None = None
) -> ScoreCell:
    """Welch and Student P for a score's cell (first two arms) from its printed means and SDs.

    The cell is the one the mark entry ``compares`` (``score.visit``); which direction is
    better comes from the codebook (``better: lower`` for pain, ``higher`` for function).
    """
    score, visit = paper.entries[mark_key]["of"]["compares"].split(".")
    stats_ = []
    for arm in list(paper.arms)[:2]:
        mean_key = paper.cell("mean", arm.key, score, visit)
        n = n_behind(paper.entries[mean_key], frame, enrollment, selections)
        sd = paper.value(paper.cell("sd", arm.key, score, visit))
        stats_.append([paper.value(mean_key), sd, n])
    results = tests_from_means(stats_)
    favours_first = (stats_[0][0] < stats_[1][0]) == lower_is_better(paper.codebook, score)
    shown = f"{stats_[0][0]:g} ± {stats_[0][1]:g} vs {stats_[1][0]:g} ± {stats_[1][1]:g}"
    second = list(paper.arms)[1].label
    return ScoreCell(
        student=results["Student's t-test"],
        welch=results["Welch's t-test"],
        marked=paper.text(mark_key) == "*",
        favours_first=favours_first,
        shown=f"{score.upper()} {visit}: {shown}"
        + ("" if favours_first else f" ({second} better)"),
    )


def check_marks(paper: Paper, frame, enrollment, selections: dict | None = None) -> list[Check]:
    checks = []
    alpha = _alpha(paper)
    for key, entry in paper.entries.items():
        if entry["stat"] != "significance_mark":
            continue
        cell = score_cell(paper, key, frame, enrollment, selections)
        agree = [(p < paper.alpha) == cell.marked for p in (cell.student, cell.welch)]
        verdict = (
            "consistent" if all(agree) else "inconsistent" if not any(agree) else "not checkable"
        )
        checks.append(
            Check(
                f"mark:{key}",
                entry["where"],
                entry["printed"],
                f"{cell.welch:.4f}",
                "test",
                verdict,
                f"{cell.shown}; recomputed P: Student {cell.student:.4f}, Welch "
                f"{cell.welch:.4f} (n from the cohort data); the table "
                f"{'marks' if cell.marked else 'does not mark'} P < {alpha}.",
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


def check_claims(
    paper: Paper,
    claims: list[dict[str, Any]],
    frame,
    enrollment,
    selections: dict | None = None,
) -> list[Check]:
    checks = []
    for rule in claims:
        key = rule["id"]
        expects = rule["expects"]
        failures = []
        _alpha(paper)
        alpha = paper.alpha
        if expects == "p_below":
            failures = [
                f"{k} = {paper.text(k)}"
                for k in rule["p"]
                if not paper.value(k) < alpha and not paper.text(k).lstrip("P ").startswith("<")
            ]
        else:
            second = list(paper.arms)[1].label
            for cell_id in rule["cells"]:
                cell = score_cell(paper, f"{cell_id}.mark", frame, enrollment, selections)
                significant = max(cell.student, cell.welch) < alpha
                shown = cell.shown
                if expects == "none_significant" and min(cell.student, cell.welch) < alpha:
                    failures.append(
                        f"{shown} gives P = {max(cell.student, cell.welch):.2g} at most"
                    )
                if expects.startswith("all_significant") and not cell.marked:
                    failures.append(f"{shown} carries no significance mark")
                elif expects.startswith("all_significant") and not significant:
                    failures.append(f"{shown} recomputes to P = {cell.welch:.3f}")
                if expects == "all_significant_favouring_a" and not cell.favours_first:
                    failures.append(f"{shown} favours {second}")
        checks.append(
            Check(
                f"claim:{key}",
                paper.where(key),
                paper.text(key),
                "",
                "claim",
                "inconsistent" if failures else "consistent",
                f"The text says: {paper.entries[key]['measures']}. "
                + ("; ".join(failures) if failures else "The tables agree")
                + ".",
            )
        )
    return checks


# --------------------------------------------------------------------------- the audit
def run_checks(entries, relations, frame, enrollment, registry, codebook, synthetic):
    """Every check of the audit. The checks of one run share the rows chosen per
    population (``selections``), so hundreds of numbers about the same groups filter once.
    """
    arms = study_arms(codebook)
    paper = Paper(entries, arms=arms, codebook=codebook, relations=relations)
    # published.yaml names arms by key; the data store codes.
    frame, enrollment = with_arm_keys(frame, arms), with_arm_keys(enrollment, arms)
    selections: dict = {}
    steps = column_steps(codebook)
    checks = (
        check_data(paper, frame, enrollment, registry, synthetic, selections)
        + check_sums(paper, relations["sums"])
        + check_percentages(paper)
        + check_intervals(paper)
        + check_repeats(paper)
        + check_granularity(paper, frame, enrollment, steps, selections)
        + check_tests(paper, relations["tests"], relations["methods"])
        + check_marks(paper, frame, enrollment, selections)
        + check_claims(paper, relations["claims"], frame, enrollment, selections)
    )
    return checks


def apply_policy(checks: list[Check], acknowledged: dict[str, str], strict: bool) -> dict:
    """Split inconsistencies into acknowledged and new; find acknowledgements now resolved."""
    inconsistent = {c.id for c in checks if c.verdict == "inconsistent"}
    new = sorted(inconsistent - set(acknowledged))
    resolved = sorted(set(acknowledged) - inconsistent)
    return {
        "new": new,
        "resolved": resolved,
        "strict": strict,
        "acknowledged": sorted(inconsistent & set(acknowledged)),
    }


def checks_frame(checks: list[Check]) -> pd.DataFrame:
    return pd.DataFrame([asdict(c) for c in checks])


def audit_markdown(
    checks: list[Check], policy: dict, acknowledged: dict[str, str], synthetic: bool
) -> str:
    counts = {v: sum(c.verdict == v for c in checks) for v in VERDICTS}
    kinds = sorted({c.check for c in checks})
    lines = [
        "---",
        "title: Audit of the published paper against the cohort data and against itself",
        "---",
        "",
        (
            "> The cohort is **synthetic** (reconstructed from the published summaries), so checks "
            "against the data show what the reconstruction could and could not reproduce."
            if synthetic
            else "> Checks against the data use the cohort in `data_dir`."
        ),
        "",
        "## Summary",
        "",
        "| verdict | checks |",
        "| --- | ---: |",
        *[f"| {v} | {counts[v]} |" for v in VERDICTS],
        f"| **all** | {len(checks)} |",
        "",
        "| check | inconsistent | consistent | not checkable |",
        "| --- | ---: | ---: | ---: |",
        *[
            f"| {k} | "
            + " | ".join(
                str(sum(c.check == k and c.verdict == v for c in checks)) for v in VERDICTS
            )
            + " |"
            for k in kinds
        ],
        "",
        f"New, unacknowledged inconsistencies: {len(policy['new'])}. "
        f"Acknowledged in config/audit.yaml: {len(policy['acknowledged'])}. "
        f"Acknowledged but no longer found (resolved): {len(policy['resolved'])}.",
        "",
        "## Inconsistencies",
        "",
    ]
    for c in checks:
        if c.verdict != "inconsistent":
            continue
        note = acknowledged.get(c.id)
        lines += [
            f"### `{c.id}`",
            "",
            f"- **Where:** {c.location}",
            f"- **Published:** {c.published}",
            f"- **Check:** {c.check}" + (f"; recomputed {c.recomputed}" if c.recomputed else ""),
            f"- **Arithmetic:** {c.explanation}",
            f"- **Acknowledged:** {note}" if note else "- **NEW**: not acknowledged",
            "",
        ]
    if policy["resolved"]:
        lines += [
            "## Resolved",
            "",
            *[f"- `{k}`: {acknowledged[k]}" for k in policy["resolved"]],
            "",
        ]
    lines += [
        "## Every check",
        "",
        "| id | verdict | published | recomputed |",
        "| --- | --- | --- | --- |",
        *[f"| `{c.id}` | {c.verdict} | {c.published} | {c.recomputed} |" for c in checks],
        "",
    ]
    return "\n".join(lines)


def write_audit(
    *,
    published,
    relations,
    patients,
    enrollment,
    number_files,
    codebook,
    acknowledgements,
    strict: bool,
    synthetic: bool,
    csv,
    markdown,
    numbers,
) -> None:
    """Run every check, write the report (CSV, Markdown) and the audit's numbers.

    Raises
    ------
    AuditFailed
        When ``strict`` and an inconsistency is not acknowledged in config/audit.yaml.
    """
    import logging
    from pathlib import Path

    from manuscript_engine.audit.published import load_published
    from manuscript_engine.core.registry import Number, NumbersRegistry
    from manuscript_engine.core.yaml_schemas import load_checked_yaml
    from manuscript_engine.data.analysis_dataset import read_patients
    from manuscript_engine.data.cohort import load_codebook, read_typed_table

    log = logging.getLogger("manuscript.audit")
    book = load_codebook(Path(codebook))
    entries = load_published(Path(published))
    relations = load_checked_yaml(Path(relations), "published_checks", published=entries)
    acknowledged = load_checked_yaml(Path(acknowledgements), "audit")["acknowledged"] or {}
    frame = read_patients(Path(patients))
    enrolled = read_typed_table(Path(enrollment), book["tables"]["enrollment"]["columns"])
    registry: dict[str, Any] = {}
    for path in number_files:
        registry.update(json.loads(Path(path).read_text(encoding="utf-8")))
    checks = run_checks(entries, relations, frame, enrolled, registry, book, synthetic)
    policy = apply_policy(checks, acknowledged, strict)
    with atomic_output(csv) as partial:
        checks_frame(checks).to_csv(partial, index=False, lineterminator="\n")
    text = audit_markdown(checks, policy, acknowledged, synthetic)
    write_text_atomically(markdown, text)
    counts = {v: sum(c.verdict == v for c in checks) for v in VERDICTS}
    source = "audit (results/audit/audit.csv)"
    NumbersRegistry(
        [
            Number("audit.checks.n", len(checks), str(len(checks)), "checks", None, source),
            *[
                Number(f"audit.{v.replace(' ', '_')}.n", n, str(n), "checks", None, source)
                for v, n in counts.items()
            ],
            Number(
                "audit.new.n", len(policy["new"]), str(len(policy["new"])), "checks", None, source
            ),
        ]
    ).to_json(numbers)
    log.info("audit: %d checks; %s", len(checks), ", ".join(f"{n} {v}" for v, n in counts.items()))
    for key in policy["resolved"]:
        log.info("resolved (acknowledged, no longer found): %s", key)
    if policy["new"]:
        by_id = {c.id: c for c in checks}
        listing = "\n".join(
            f"  - {k} ({by_id[k].location}): {by_id[k].explanation}" for k in policy["new"]
        )
        message = (
            f"The audit found {len(policy['new'])} inconsistency(ies) that "
            f"config/audit.yaml does not acknowledge:\n{listing}\nIf each is expected, "
            "add it to config/audit.yaml with a one-line reason; to build anyway, run "
            "snakemake --cores 4 --config audit_strict=false"
        )
        if strict:
            raise AuditFailed(message)
        log.warning("WARNING: %s", message)


def write_audit_html(markdown, html) -> None:
    """The audit report as a standalone web page (its own step, run beside the manuscript).

    The report quotes data/published.yaml, which arrives in pull requests like any data:
    raw HTML in it is read as text, the document is checked as the manuscript's is
    (no links to scripts, no pictures, no active attributes), and pandoc runs in its
    sandbox, so nothing in it can read a file, fetch a URL or run in a reader's browser.
    """
    import tempfile
    from pathlib import Path

    from manuscript_engine.output.conversion import run_pandoc
    from manuscript_engine.text.document_safety import ImagePolicy, findings

    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "audit.json"
        run_pandoc(Path(markdown), "json", tree, "markdown-raw_html-raw_attribute-raw_tex")
        problems = findings(json.loads(tree.read_text(encoding="utf-8")), ImagePolicy(".", []))
        if problems:
            raise ManuscriptError(
                "The audit report would carry what no page may (it quotes "
                "data/published.yaml):\n"
                + "\n".join(f"  - {problem.what}." for problem in problems)
                + "\nWrite the published values and labels in data/published.yaml as text."
            )
        run_pandoc(
            tree,
            "html5",
            Path(html),
            "json",
            ["--standalone", "--embed-resources", "--metadata=lang:en-GB"],
        )
