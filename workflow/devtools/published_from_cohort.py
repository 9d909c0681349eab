"""The paper as the synthetic cohort would print it: every number recomputed, same layout.

Writes a ``published.yaml`` with the ids, ``where``, ``measures`` and ``of`` of
``data/published.yaml`` but each cohort number recomputed at the entry's printed
precision, each P value from the test the paper's methods name for its kind of variable,
each confidence interval by Wilson's score method, each significance mark from the
recomputed P at the paper's alpha. Protocol and literature entries are kept as they are.

The manuscript the pipeline renders says only what its data and its Methods bear out, so
this paper leaves out what the cohort or the Methods do not support (each a test shows
the audit would otherwise flag):

* a claim the cohort's numbers contradict (the manuscript words claims from statistics);
* a statement the ``facts.must_appear_in`` rules require in another section (the
  Methods) that is not there;
* a protocol range of a measured variable that the cohort's own minimum or maximum leaves;
* a ``facts.excludes`` rule whose two counts the cohort's patients do not keep apart;
* the label ``unit: vertebrae`` of a number the cohort computes over patients (the
  cohort has one row per patient);

and it prints every mean and SD of a table row at the largest precision that row's
variable has anywhere in the paper. It adds what the manuscript prints and the paper does
not: a table note naming the population of the rows its header does not cover ("Other
rows: patients with a technically successful procedure (70 and 53)", ``headers[].note``)
and the note on a course that rises and falls back by more than ``statistics
.reversal_sds`` pooled SDs (``trajectories.comments``). The audit of this file must find
nothing: every finding on it is a false alarm.

    python -m devtools.published_from_cohort --out PATH [--relations-out PATH]
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from manuscript_engine.audit.published import (
    COHORT_STATS,
    evaluate,
    load_published,
    matches,
    printed_number,
    select,
    with_arm_keys,
)
from manuscript_engine.audit.sections import numbers_in, section_of
from manuscript_engine.core.formatting import format_decimal
from manuscript_engine.data.cohort import load_codebook, read_cohort
from manuscript_engine.data.vocabulary import column_spec, lower_is_better, study_arms
from manuscript_engine.stats.comparisons import (
    compare_categorical,
    compare_continuous,
    proportion_interval,
)
from manuscript_engine.stats.courses import Point, describe, reversals
from vertebroplasty.analysis_dataset import build_patients

REPO = Path(__file__).resolve().parents[2]

# The paper's methods (data/published_checks.yaml `methods`) as the engine's test settings:
# Mann–Whitney without continuity correction (SPSS's asymptotic P), Pearson's χ² when every
# expected count reaches 5 and Fisher's exact test otherwise; 95% Wilson intervals.
PAPER_METHODS = {
    "continuous_test": "mann_whitney",
    "mann_whitney_continuity": False,
    "min_expected_count": 5,
    "chi2_continuity_correction": False,
    "fisher_rxc": "exact",
    "fisher_rxc_resamples": 20000,
    "seed": 20091001,
    "ci_method": "wilson",
    "ci_level": 0.95,
}


def cohort_frames(raw_dir: Path, codebook: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The patient frame and enrollment table of the cohort in ``raw_dir``, as the audit
    reads them (arms still coded; :func:`with_arm_keys` turns them into keys)."""
    frame = build_patients(raw_dir, codebook)
    enrollment = read_cohort(raw_dir, codebook)["enrollment"]
    return frame, enrollment


class Cohort:
    """The cohort's patients, with arms named by key as published.yaml names them."""

    def __init__(self, frame: pd.DataFrame, enrollment: pd.DataFrame, codebook: dict[str, Any]):
        self.arms = study_arms(codebook)
        self.codebook = codebook
        self.frame = with_arm_keys(frame, self.arms)
        self.enrollment = with_arm_keys(enrollment, self.arms)
        self.cache: dict = {}
        # For a claim's direction: the variable each P compares, and the population a
        # count of that variable is taken over (filled by :func:`from_cohort`).
        self.p_vars: dict[str, str] = {}
        self.witness: dict[str, dict[str, Any]] = {}

    def value(self, entry: dict[str, Any]) -> float:
        return evaluate(entry, self.frame, self.enrollment, self.cache)

    def rows(self, of: dict[str, Any]) -> pd.DataFrame:
        return select(self.frame, self.enrollment, of, self.cache)

    def hits_and_n(self, of: dict[str, Any]) -> tuple[int, int]:
        rows = select(self.frame, self.enrollment, of, self.cache)
        return int(matches(rows[of["var"]], of["is"]).sum()), len(rows)

    def values(self, of: dict[str, Any]) -> pd.Series:
        rows = select(self.frame, self.enrollment, of, self.cache)
        column = of["var"] if "visit" not in of else f"{of['var']}_{of['visit']}"
        return rows[column].dropna().astype(float)

    def p_value(self, compares: str, entries: list[dict[str, Any]]) -> float:
        """P of the paper's test for the variable ``compares``, between the first two arms.

        A variable some entry prints a mean of is continuous (Mann–Whitney); one some entry
        counts is categorical (χ² or Fisher, by expected counts), over the population and
        condition of that count.
        """
        witness = next(
            (
                e
                for stat in ("mean", "count")
                for e in entries
                if e["stat"] == stat and (e.get("of") or {}).get("var") == compares
            ),
            None,
        )
        if witness is None:
            raise KeyError(f"no mean or count of {compares!r} to recompute its P value from")
        keys = [arm.key for arm in list(self.arms)[:2]]
        if witness["stat"] == "mean":
            a, b = (self.values({**witness["of"], "arm": k}) for k in keys)
            return compare_continuous(a, b, PAPER_METHODS, compares).p
        counts = [self.hits_and_n({**witness["of"], "arm": k}) for k in keys]
        table = [[hits for hits, _ in counts], [n - hits for hits, n in counts]]
        return compare_categorical(table, PAPER_METHODS).p

    def cell_p(self, score: str, visit: str) -> tuple[float, bool]:
        """Mann–Whitney P of a score at a visit, and whether the first arm fares better."""
        keys = [arm.key for arm in list(self.arms)[:2]]
        a, b = (
            self.values({"arm": k, "pop": "outcome", "var": score, "visit": visit}) for k in keys
        )
        first_lower = a.mean() < b.mean()
        return (
            compare_continuous(a, b, PAPER_METHODS, f"{score} {visit}").p,
            first_lower == lower_is_better(self.codebook, score),
        )


def print_p(p: float, like: str) -> str:
    """P as the paper prints it: three decimals, '<0.001' below that, in the entry's style
    ('0.474', '<0.001', 'P = 0.004', 'P < 0.001')."""
    with_p = like.strip().upper().startswith("P")
    if p < 0.001:
        return "P < 0.001" if with_p else "<0.001"
    return ("P = " if with_p else "") + format_decimal(p, 3)


def print_number(value: float, entry: dict[str, Any], decimals: int | None = None) -> str:
    """A cohort value at the entry's printed precision (or ``decimals``): counts as
    digits, a '%' kept."""
    if decimals is None:
        _, decimals = printed_number(entry)
    text = str(entry["printed"]).strip()
    if entry["stat"] == "count":
        return str(round(value))
    return format_decimal(value, decimals) + ("%" if text.endswith("%") else "")


def row_precision(entries: list[dict[str, Any]]) -> dict[tuple[str, str, str], int]:
    """The largest number of decimals each (place, stat, variable) of means and SDs is
    printed with: a cell the paper typed with fewer (KPS '76' among '60.43') is printed
    like its neighbours, as a rendered table would."""
    best: dict[tuple[str, str, str], int] = {}
    for entry in entries:
        key = _precision_key(entry)
        if key:
            best[key] = max(best.get(key, 0), printed_number(entry)[1])
    return best


def _precision_key(entry: dict[str, Any]) -> tuple[str, str, str] | None:
    if entry["stat"] not in ("mean", "sd") or "var" not in (entry.get("of") or {}):
        return None
    return (entry["where"].split(",")[0], entry["stat"], entry["of"]["var"])


def claim_holds(
    rule: dict[str, Any],
    section: dict[str, Any],
    entries: dict[str, dict[str, Any]],
    p_values: dict[str, float],
    cohort: Cohort,
    alpha: float,
) -> bool:
    """Whether the cohort bears out a direction claim (published_checks.yaml ``direction``):
    which arm fares better, on which scores, rates or means, and whether significantly,
    judged by the cohort's own values and the paper's tests (not by the audit)."""
    first = list(cohort.arms)[0].key
    significant = rule.get("significant")
    for key in rule.get("p", []):
        if significant is True and not p_values[key] < alpha:
            return False
    groups = section.get("groups") or {}
    scores = [s for name in rule.get("scores", []) for s in groups.get(name, [name])]
    for score in scores:
        table_visits = dict.fromkeys(
            e["of"]["visit"]
            for e in entries.values()
            if e["stat"] == "mean"
            and (e.get("of") or {}).get("var") == score
            and "visit" in e["of"]
        )
        for visit in rule.get("visits") or table_visits:
            p, first_better = cohort.cell_p(score, visit)
            if significant is True and not p < alpha:
                return False
            if significant is False and p < alpha:
                return False
            if "arm" in rule and first_better != (rule["arm"] == first):
                return False
    for field in ("rates", "means"):
        if field not in rule:
            continue
        arms = list(rule[field])
        if field == "rates":
            values = [
                cohort.value(entries[rule[field][arm][0]])
                / cohort.value(entries[rule[field][arm][1]])
                for arm in arms
            ]
        else:
            values = [cohort.value(entries[rule[field][arm][0]]) for arm in arms]
        if "arm" in rule and "direction" in rule:
            mine, other = (values[0], values[1]) if arms[0] == rule["arm"] else values[::-1]
            if (mine > other) != (rule["direction"] == "higher"):
                return False
    return True


def from_cohort(
    entries: list[dict[str, Any]],
    relations: dict[str, Any],
    cohort: Cohort,
) -> list[dict[str, Any]]:
    """The entries as the cohort would print them (claims it contradicts left out)."""
    alpha = float(relations["methods"]["alpha"])
    out, p_values = [], {}
    for entry in entries:
        of = entry.get("of") or {}
        if entry["stat"] == "count" and "var" in of and of["var"] not in cohort.witness:
            cohort.witness[of["var"]] = {k: v for k, v in of.items() if k != "arm"}
    for entry in entries:
        if entry["stat"] == "p_value":
            cohort.p_vars[entry["id"]] = entry["of"]["compares"]
            p_values[entry["id"]] = cohort.p_value(entry["of"]["compares"], entries)
    section = relations.get("direction") or {}
    by_id = {entry["id"]: entry for entry in entries}
    contradicted = {
        rule["claim"]
        for rule in section.get("claims") or []
        if not claim_holds(rule, section, by_id, p_values, cohort, alpha)
    }
    unsupported = contradicted | unstated_facts(entries, relations) | ranges_left(entries, cohort)
    precision = row_precision(entries)
    for entry in entries:
        new = copy.deepcopy(entry)
        stat, of = entry["stat"], entry.get("of") or {}
        if stat in COHORT_STATS or stat in ("p_value", "ci_lower", "ci_upper"):
            new.pop("printed_value", None)
        if stat in COHORT_STATS:
            new.pop("unit", None)  # the cohort's rows are patients
            decimals = precision.get(_precision_key(entry))  # type: ignore[arg-type]
            new["printed"] = print_number(cohort.value(entry), entry, decimals)
        elif stat == "p_value":
            new["printed"] = print_p(p_values[entry["id"]], str(entry["printed"]))
        elif stat in ("ci_lower", "ci_upper"):
            hits, n = cohort.hits_and_n(of)
            low, high = proportion_interval(hits, n, PAPER_METHODS)
            new["printed"] = print_number(low if stat == "ci_lower" else high, entry)
        elif stat == "significance_mark":
            p, _ = cohort.cell_p(*of["compares"].split("."))
            new["printed"] = "*" if p < alpha else "none"
        elif entry["id"] in unsupported:
            continue
        out.append(new)
    return out


def unstated_facts(entries: list[dict[str, Any]], relations: dict[str, Any]) -> set[str]:
    """Facts a section states that the sections ``facts.must_appear_in`` requires never do
    (the Abstract's radiofrequency ablation, absent from the Methods)."""
    required = (relations.get("facts") or {}).get("must_appear_in") or {}
    sections: dict[str, set[str]] = {}
    for entry in entries:
        if entry.get("fact"):
            sections.setdefault(entry["fact"], set()).add(section_of(entry))
    left_out = set()
    for entry in entries:
        targets = required.get(section_of(entry)) if entry.get("fact") else None
        if targets is None:
            continue
        targets = [targets] if isinstance(targets, str) else targets
        if not set(targets) <= sections[entry["fact"]]:
            left_out.add(entry["id"])
    return left_out


def ranges_left(entries: list[dict[str, Any]], cohort: Cohort) -> set[str]:
    """Protocol ranges of a measured variable that the cohort's own values leave."""
    left_out = set()
    for entry in entries:
        of = entry.get("of") or {}
        if entry["stat"] != "protocol" or "var" not in of:
            continue
        bounds = sorted(numbers_in(str(entry["printed"])))
        if len(bounds) != 2:
            continue
        arms = [of["arm"]] if "arm" in of else [arm.key for arm in cohort.arms]
        values = pd.concat([cohort.values({**of, "arm": arm, "pop": "outcome"}) for arm in arms])
        if values.min() < bounds[0] or values.max() > bounds[1]:
            left_out.add(entry["id"])
    return left_out


def relations_for(
    entries: list[dict[str, Any]], relations: dict[str, Any], cohort: Cohort | None = None
) -> dict[str, Any]:
    """The study's relations without the claims whose sentence the cohort's paper leaves
    out (direction claims, and the baseline claims of the trajectories), and without the
    ``facts.excludes`` rules the cohort's counts break."""
    present = {e["id"] for e in entries}
    kept = copy.deepcopy(relations)
    facts = kept.get("facts") or {}
    if cohort is not None and "excludes" in facts:
        by_id = {e["id"]: e for e in entries}
        facts["excludes"] = [
            rule
            for rule in facts["excludes"]
            if cohort.value(by_id[rule["count"]]) + cohort.value(by_id[rule["cannot_overlap"]])
            <= cohort.value(by_id[rule["within"]])
        ]
    direction = kept.get("direction") or {}
    if "claims" in direction:
        direction["claims"] = [r for r in direction["claims"] if r["claim"] in present]
    baseline = (kept.get("trajectories") or {}).get("baseline") or {}
    if "claims" in baseline:
        baseline["claims"] = [key for key in baseline["claims"] if key in present]
    return kept


def build(repo: Path = REPO) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """The cohort's published entries, their relations and the codebook."""
    codebook = load_codebook(repo / "data/codebook.yaml")
    entries = load_published(repo / "data/published.yaml")
    relations = yaml.safe_load((repo / "data/published_checks.yaml").read_text(encoding="utf-8"))
    cohort = Cohort(*cohort_frames(repo / "data/raw", codebook), codebook)
    mine = from_cohort(entries, relations, cohort)
    kept = relations_for(mine, relations, cohort)
    statistics = yaml.safe_load((repo / "config/config.yaml").read_text(encoding="utf-8"))[
        "statistics"
    ]
    mine += header_notes(mine, kept, cohort)
    mine += course_notes(mine, kept, cohort, statistics.get("reversal_sds"))
    return mine, kept, codebook


def header_notes(
    entries: list[dict[str, Any]], relations: dict[str, Any], cohort: Cohort
) -> list[dict[str, Any]]:
    """The n a table's note prints for its rows of another population than the header's,
    as the manuscript prints it; the ``headers`` rule is told of it (``note``)."""
    added = []
    for rule in relations.get("headers") or []:
        ids = {rule["n"].replace("{arm}", arm.key) for arm in cohort.arms}
        headers = [e for e in entries if e["id"] in ids]
        header_pops = {e["of"]["pop"] for e in headers}
        row_pops = {
            e["of"]["pop"]
            for e in entries
            if e["stat"] == "percent" and e["where"].startswith(rule["covers"])
        }
        others = sorted(row_pops - header_pops)
        if len(others) != 1:
            continue
        rule["note"] = rule["n"].replace("{arm}", "note.{arm}")
        for header in headers:
            arm = header["of"]["arm"]
            of = {"arm": arm, "pop": others[0]}
            added.append(
                {
                    "id": rule["note"].replace("{arm}", arm),
                    "where": f"{rule['covers']}, note",
                    "printed": str(len(cohort.rows(of))),
                    "measures": f"patients the other rows are taken of ({others[0]}), {arm}",
                    "stat": "count",
                    "of": of,
                }
            )
    return added


def course_notes(
    entries: list[dict[str, Any]], relations: dict[str, Any], cohort: Cohort, k: float | None
) -> list[dict[str, Any]]:
    """The table note on each course that rises and falls back by more than ``k`` pooled
    SDs, as the manuscript prints it; ``trajectories.comments`` is told of it."""
    if k is None:
        return []
    cells: dict[tuple[str, str], list[str]] = {}
    where: dict[str, str] = {}
    printed: dict[tuple[str, str, str], str] = {}
    for e in entries:
        of = e.get("of") or {}
        if e["stat"] == "mean" and "visit" in of:
            cells.setdefault((of["var"], of["arm"]), []).append(of["visit"])
            where[of["var"]] = e["where"].split(",")[0]
            printed[(of["var"], of["arm"], of["visit"])] = str(e["printed"])
    added = []
    comments = relations.setdefault("trajectories", {}).setdefault("comments", [])
    for (score, arm), visits in cells.items():
        course = []
        for visit in visits:
            values = cohort.values({"arm": arm, "pop": "outcome", "var": score, "visit": visit})
            mean, sd = float(values.mean()), float(values.std())
            course.append(Point(visit, mean, sd, printed[(score, arm, visit)]))
        for found in reversals(course, float(k)):
            key = f"{where[score].lower().replace(' ', '')}.note.course.{score}.{arm}"
            added.append(
                {
                    "id": key,
                    "where": f"{where[score]}, note",
                    "printed": describe(
                        found,
                        cohort.arms.find(arm).label,
                        column_spec(cohort.codebook, score).get("label", score),
                        float(k),
                    ),
                    "measures": f"the course of {score}, {arm}",
                    "stat": "claim",
                    "of": {"compares": f"{score}.course"},
                }
            )
            comments.append(
                {"claim": key, "cell": {"score": score, "visit": found.middle.time, "arm": arm}}
            )
    return added


def write_published(entries: list[dict[str, Any]], source: str, path: Path) -> None:
    text = yaml.safe_dump(
        {"source": source, "numbers": entries},
        sort_keys=False,
        allow_unicode=True,
        width=120,
    )
    Path(path).write_text(
        "# Generated by devtools.published_from_cohort: the paper as the synthetic cohort\n"
        "# would print it. Do not edit.\n" + text,
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="the published.yaml to write")
    parser.add_argument(
        "--relations-out",
        type=Path,
        help="also write published_checks.yaml without the claims the cohort contradicts",
    )
    args = parser.parse_args(argv)
    entries, relations, _ = build()
    write_published(entries, "Synthetic cohort (data/raw), printed as the paper prints.", args.out)
    if args.relations_out:
        args.relations_out.write_text(
            yaml.safe_dump(relations, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
