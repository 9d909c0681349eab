"""An independent reading of the cohort CSVs, shared by tests that recompute results.

It uses only the csv module and the codebook's definitions restated in plain Python,
so a bug in the package's derivations cannot hide a mismatch.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from conftest import REPO

RAW = REPO / "data" / "raw"
WORDS = {
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
STEPS = {
    "vas": 0.5,
    "odi": 1,
    "kps": 10,
    "cement_ml": 0.5,
    "age_years": 1,
    "symptom_weeks": 1,
    "hospital_days": 1,
    "followup_months": 0.01,
}


def rows(name, folder: Path = RAW):
    with open(folder / f"{name}.csv", newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def category(vas: float) -> str:
    return "excellent" if vas <= 2 else "good" if vas <= 4.5 else "fair" if vas <= 6.5 else "poor"


def month(visit: str) -> int:
    return 0 if visit in ("preop", "discharge") else int(visit[1:])


def build_patients(folder: Path = RAW):
    """One dict per included patient with every variable published.yaml refers to."""
    enrolled = rows("enrollment", folder)
    people = {r["patient_id"]: dict(r) for r in enrolled if r["included"] == "yes"}
    for table in ("baseline", "procedure", "followup"):
        for r in rows(table, folder):
            people[r["patient_id"]].update(r)
    visits: dict[str, list[dict]] = {}
    for r in rows("visits", folder):
        visits.setdefault(r["patient_id"], []).append(r)
    group = {"A": "A", "E": "E"}
    for pid, p in people.items():
        p["outcome"] = p["technical_success"] == "yes"
        p["leakage"] = "no" if p["leakage_site"] == "none" else "yes"
        p["cement_given"] = "yes" if p["cement_ml"] else "no"
        p["stable"] = "no" if p["new_fracture"] == "yes" else "yes"
        p["asia_baseline_group"] = group.get(p["asia_baseline"], "B-D")
        p["asia_last_group"] = group.get(p["asia_last"], "B-D")
        p["paraplegic_baseline"] = "yes" if p["asia_baseline"] != "E" else "no"
        before, after = "ABCDE".index(p["asia_baseline"]), "ABCDE".index(p["asia_last"])
        p["paraplegia_outcome"] = (
            "not_paraplegic"
            if p["asia_baseline"] == "E"
            else "full_recovery"
            if p["asia_last"] == "E"
            else "improved"
            if after > before
            else "unchanged"
            if after == before
            else "deteriorated"
        )
        p["paraplegia_recovered"] = (
            "yes" if p["paraplegia_outcome"] in ("full_recovery", "improved") else "no"
        )
        own = sorted(visits[pid], key=lambda v: (month(v["visit"]), v["visit"] != "discharge"))
        by_visit = {v["visit"]: v for v in own}
        discharge = float(by_visit["discharge"]["vas"])
        last = float([v for v in own if v["visit"] != "preop"][-1]["vas"])
        p["pain_discharge"], p["pain_final"] = category(discharge), category(last)
        p["relief_discharge"] = "yes" if p["pain_discharge"] in ("excellent", "good") else "no"
        p["relief_final"] = "yes" if p["pain_final"] in ("excellent", "good") else "no"
        p["pain_course"] = {
            "excellent": "relief",
            "good": "relief",
            "fair": "unchanged",
            "poor": "deteriorated",
        }[p["pain_final"]]
        late = [v for v in own if month(v["visit"]) > 12]
        for score in ("vas", "odi", "kps"):
            for column in ("preop", "m01", "m03", "m06", "m12"):
                if column in by_visit:
                    p[f"{score}_{column}"] = by_visit[column][score]
            if late:
                p[f"{score}_gt12"] = late[-1][score]
    return people


def values(patients, arm, column, outcome_only=True):
    """Non-missing values of a column in one arm, as floats."""
    return [
        float(p[column])
        for p in patients.values()
        if p["arm"] == arm and (p["outcome"] or not outcome_only) and p.get(column)
    ]


def mean_sd(numbers):
    return statistics.fmean(numbers), statistics.stdev(numbers)
