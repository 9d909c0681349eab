"""Reconciliation: every published aggregate against the synthetic cohort.

Writes ``data/RECONCILIATION.md`` (for people) and ``data/reconciliation.csv`` (for the
tests): the printed value, the reconstructed value at the printed precision, and
either ``match`` or ``impossible`` with the reason no dataset can match it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from devtools.reachable import closest_reachable
from devtools.reconstruction import CHOICES, EXACT_MAX_STEPS, MAX_MISSED_SHARE
from manuscript_engine.audit.published import (
    COHORT_STATS,
    evaluate,
    matches,
    n_behind,
    printed_number,
    select,
    with_arm_keys,
)
from manuscript_engine.audit.step_search import decimals_of, reachable_squares, reachable_sums
from manuscript_engine.core.formatting import format_decimal
from manuscript_engine.data.cohort import column_steps, read_cohort
from manuscript_engine.data.vocabulary import study_arms
from vertebroplasty.derived import patient_frame

INCONSISTENT_WITH_OTHER_NUMBERS: dict[str, str] = {
    "pain.deteriorated.total": (
        "The paper says pain deteriorated in eight patients at last follow-up without naming "
        "a group. Its own pain-course counts give 2 + 2 = 4 in group A and 2 + 6 = 8 in "
        "group B, so 12 in all: eight fits group B alone."
    ),
}
"""Printed counts that the paper's other counts contradict (no value had to be chosen)."""

N_PRINTED_AT = ("preop", "m01", "m03")
"""Visits whose n the paper prints (70 and 53 in Table 3's header); after them it prints
none, so a patient alive but not assessed can change the n behind a later mean."""

IMPOSSIBLE = "impossible"
"""Verdict: no dataset can match (the paper contradicts itself, or no n can print it)."""
UNREACHED = "unreached"
"""Verdict: not reachable with the n this cohort uses; another n would reach it."""
UNMATCHED = (IMPOSSIBLE, UNREACHED)
OTHER_N_REACHES = "Another n would reach it"


def step_of(entry: dict[str, Any], codebook: dict[str, Any]) -> float:
    """The recording step of the entry's variable (0.01 for a column without one)."""
    var = entry["of"]["var"]
    if not any(var in table["columns"] for table in codebook["tables"].values()):
        raise KeyError(var)
    return column_steps(codebook).get(var, 0.01)


def reconcile(entries, data_dir: Path, codebook: dict[str, Any]) -> list[dict[str, str]]:
    """One row per published entry: printed, reconstructed, verdict and reason."""
    tables = read_cohort(data_dir, codebook)
    arms = study_arms(codebook)
    frame = with_arm_keys(patient_frame(tables, codebook), arms)
    enrollment = with_arm_keys(tables["enrollment"], arms)
    rows, verdicts = [], {}
    by_id = {e["id"]: e for e in entries}
    for entry in entries:
        row = {
            "id": entry["id"],
            "where": entry["where"],
            "printed": str(entry["printed"]),
            "stat": entry["stat"],
            "reconstructed": "",
            "verdict": "",
            "reason": "",
        }
        rows.append(row)
        if entry["stat"] not in COHORT_STATS:
            row["verdict"] = "not a cohort aggregate"
            row["reason"] = (
                "checked by the audit (P values, intervals, claims)"
                if entry["stat"] not in ("protocol", "literature")
                else f"{entry['stat']} fact, not computed from patients"
            )
            continue
        printed, decimals = printed_number(entry)
        value = evaluate(entry, frame, enrollment)
        row["reconstructed"] = format_decimal(value, decimals)
        if row["reconstructed"] == format_decimal(printed, decimals):
            row["verdict"] = verdicts[entry["id"]] = "match"
            continue
        row["reason"] = explain(entry, value, frame, enrollment, codebook, verdicts, by_id)
        row["verdict"] = verdicts[entry["id"]] = (
            UNREACHED if OTHER_N_REACHES in row["reason"] else IMPOSSIBLE
        )
    return rows


def explain(entry, value, frame, enrollment, codebook, verdicts, by_id) -> str:
    """Why a published value cannot be matched; 'UNEXPECTED' when no reason is known."""
    key = entry["id"]
    if key in CHOICES:
        return CHOICES[key][1]
    if key in INCONSISTENT_WITH_OTHER_NUMBERS:
        return INCONSISTENT_WITH_OTHER_NUMBERS[key]
    stat, printed = entry["stat"], str(entry["printed"]).rstrip("%")
    if stat == "percent":
        hits, denominator = _count(entry, frame, enrollment)
        return (
            f"{hits}/{denominator} = {100 * hits / denominator:.2f}%, which prints as "
            f"{format_decimal(value, decimals_of(printed))}, not {printed}; the count and "
            "its denominator are both fixed by other printed numbers."
        )
    if stat in ("mean", "sd"):
        n = n_behind(entry, frame, enrollment)
        step = step_of(entry, codebook)
        mean_id = key.replace(".sd.", ".mean.")
        mean_text = str(by_id[mean_id]["printed"])
        sd_text = str(by_id[key.replace(".mean.", ".sd.")]["printed"])
        if stat == "mean" and not reachable_sums(n, step, printed, 0, 10**9):
            below, above = _neighbours(n, step, float(printed), decimals_of(printed))
            return (
                f"GRIM: no {n} values in steps of {step:g} have a mean that prints as "
                f"{printed}; the nearest possible means are {below} and {above}."
                + _other_n(entry, step, mean_text, None, n, frame, enrollment)
            )
        closest = _closest(entry, n, step, mean_text, sd_text, codebook)
        if stat == "sd" and verdicts.get(mean_id) in UNMATCHED:
            return (
                "follows from the unreachable mean beside it: with the nearest possible mean, "
                f"no {n} values in steps of {step:g} have an SD that prints as {printed}"
                f"{closest}." + _other_n(entry, step, mean_text, printed, n, frame, enrollment)
            )
        if stat == "sd":
            total = round(float(mean_text) * n / step)
            if not reachable_squares(n, step, total, printed):
                return (
                    f"GRIMMER: {n} values in steps of {step:g} with the printed mean cannot "
                    f"have an SD that prints as {printed}{closest}."
                    + _other_n(entry, step, mean_text, printed, n, frame, enrollment)
                )
    return "UNEXPECTED: no known reason"


def _closest(entry, n, step, mean_text, sd_text, codebook) -> str:
    """'; the closest reachable is …' from the exact enumeration, on coarse scales."""
    top = _top_steps(entry, step, codebook)
    if top > EXACT_MAX_STEPS:
        return ""
    closest = closest_reachable(n, step, mean_text, sd_text, 0, top)
    mean = format_decimal(closest.mean, decimals_of(mean_text))
    sd = format_decimal(closest.sd, decimals_of(sd_text))
    return f"; the closest reachable SD is {sd} (with a mean of {mean})"


def _top_steps(entry, step, codebook) -> int:
    """The largest value of the entry's variable, in steps."""
    for table in codebook["tables"].values():
        spec = table["columns"].get(entry["of"]["var"])
        if spec is not None:
            return int(round(float(spec["max"]) / step))
    raise KeyError(entry["of"]["var"])


def _other_n(entry, step, mean_text, sd_text, n, frame, enrollment) -> str:
    """For a visit whose n the paper does not print: the other n that reach the value."""
    of = entry["of"]
    if of.get("visit") in N_PRINTED_AT:
        return ""
    most = len(select(frame, enrollment, of))
    reaching = [
        m
        for m in range(2, most + 1)
        if (sums := reachable_sums(m, step, mean_text, 0, 10**9))
        and (sd_text is None or any(reachable_squares(m, step, t, sd_text) for t in sums))
    ]
    if not reaching:
        return f" No n from 2 to {most} (the arm's patients) reaches it."
    nearest = sorted(sorted(reaching, key=lambda m: (abs(m - n), -m))[:3])
    return (
        f" {OTHER_N_REACHES} (the paper prints none after month 3): n = "
        + " or ".join(str(m) for m in nearest)
        + f", where this cohort has {n}."
    )


def _count(entry, frame, enrollment) -> tuple[int, int]:
    """Patients counted by a percentage, and its denominator."""
    of = entry["of"]
    rows = select(frame, enrollment, of)
    return int(matches(rows[of["var"]], of["is"]).sum()), len(rows)


def _neighbours(n: int, step: float, mean: float, decimals: int) -> tuple[str, str]:
    below = int(mean * n / step)
    return (
        format_decimal(below * step / n, decimals),
        format_decimal((below + 1) * step / n, decimals),
    )


def write_reconciliation(entries, raw_dir: Path, codebook, out_dir: Path) -> list[dict[str, str]]:
    rows = reconcile(entries, raw_dir, codebook)
    with open(out_dir / "reconciliation.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    (out_dir / "RECONCILIATION.md").write_text(markdown_report(rows), encoding="utf-8")
    return rows


def markdown_report(rows: list[dict[str, str]]) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    lines = [
        "# Reconciliation of the synthetic cohort with the published paper",
        "",
        "Generated by `make cohort` (`python -m devtools.make_cohort`); do not edit.",
        "Every number the paper prints (`data/published.yaml`) is compared with the same",
        "quantity computed from the synthetic cohort in `data/raw/`, at the printed precision.",
        "The paper prints no deaths: they and the follow-up lengths come from the survival",
        "model `SURVIVAL` (`workflow/devtools/reconstruction.py`, described in",
        "`data/raw/README.md`), rescaled to each arm's printed follow-up mean and SD.",
        "",
        "| verdict | numbers |",
        "| --- | ---: |",
        *[f"| {verdict} | {n} |" for verdict, n in sorted(counts.items())],
        "",
        "## Published values no dataset can match (`impossible`)",
        "",
        "The paper contradicts itself, or no values on the scale's step can print the",
        "number with the n the paper prints (or with any n the arm allows).",
        "",
        *_reason_table(rows, IMPOSSIBLE),
        "",
        "## Published values this cohort does not reach with its n (`unreached`)",
        "",
        "The paper prints no n after month 3. With the n this cohort has at the visit the",
        "number cannot be printed, but another n (patients alive yet not assessed) would",
        f"print it. The cohort leaves at most {MAX_MISSED_SHARE:.0%} of the patients due for a",
        "visit unassessed, and picks the n that print the most of the visit's means and SDs",
        "(see `data/raw/README.md`).",
        "",
        *_reason_table(rows, UNREACHED),
        "",
        "## Every cohort aggregate",
        "",
        "| id | printed | reconstructed | verdict |",
        "| --- | ---: | ---: | --- |",
        *[
            f"| `{r['id']}` | {r['printed']} | {r['reconstructed']} | {r['verdict']} |"
            for r in rows
            if r["verdict"] in ("match", *UNMATCHED)
        ],
        "",
    ]
    return "\n".join(lines)


def _reason_table(rows: list[dict[str, str]], verdict: str) -> list[str]:
    chosen = [r for r in rows if r["verdict"] == verdict]
    if not chosen:
        return ["None."]
    return [
        "| id | where | printed | reconstructed | why |",
        "| --- | --- | ---: | ---: | --- |",
        *[
            "| `{id}` | {where} | {printed} | {reconstructed} | {reason} |".format(**r)
            for r in chosen
        ],
    ]
