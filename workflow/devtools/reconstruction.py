"""Reconstruct a synthetic cohort that reproduces the paper's published aggregates.

Run as ``python -m devtools.reconstruction`` (``make cohort``). It reads the
published numbers (``data/published.yaml``) and writes ``data/raw/*.csv`` plus the
reconciliation report. Everything is seeded, so two runs give the same bytes.

How the patients are made
-------------------------
* Counts (sex, tumours, vertebrae, leakage sites, ASIA grades, pain categories,
  exclusions, new fractures) are laid out exactly, then shuffled.
* Each patient has a latent frailty; ASIA transitions, pain outcomes and every score
  follow it, so a patient's scores correlate across visits and with each other.
* Means and SDs are met with an exact step-valued search
  (:mod:`manuscript_engine.audit.step_search`), starting from the latent values.
* Each score (VAS, ODI, KPS) has a latent of its own per visit: shared frailty, a
  patient's trait for that score, a visit-level state shared by the three scores, and
  noise (:data:`SCORE_LATENT`), so the scores correlate moderately, not almost perfectly.
* Survival and censoring follow a stated model (:data:`SURVIVAL`): follow-up is the
  earlier of death and the end of the study, and a patient died when death came first.
  Follow-up lengths decide which visits are due (a visit at month k needs k months);
  a few patients alive and due miss a visit after month 3 (:func:`choose_visit_counts`)
  when the Table 3 means need another n. Among candidate draws, the one whose visit
  counts make the most Table 3 means and SDs possible on each scale's step is kept.
* The one technical failure (no cement) is not improved: its scores stay near their
  baseline at every visit (:func:`failure_value`).
* Where the paper contradicts itself, :data:`CHOICES` says which value was used and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from devtools.reachable import closest_reachable
from manuscript_engine.audit.published import printed_number
from manuscript_engine.audit.step_search import reachable_squares, reachable_sums, search_values
from manuscript_engine.data.cohort import write_table
from manuscript_engine.data.vocabulary import study_arms

SEED = 20091001
FRACTURE_SEED = SEED + 16  # a stream of its own: the times leave every other draw as it was
FOLLOWUP_BOUNDS = (3.0, 60.0)  # inclusion needs >= 3 months; the study ran about six years
HOSPITAL_BOUNDS = (3, 12)
FOLLOWUP_DRAWS = 300
VISIT_SEED = SEED + 32  # which due visits were missed: a stream of its own
FAILURE_SEED = SEED + 48  # the failed procedure's scores: a stream of their own


@dataclass(frozen=True)
class SurvivalModel:
    """Survival after the procedure and censoring, the model deaths and follow-up come from.

    Time to death is Weibull with ``shape``; a patient of average frailty with a
    moderately growing primary tumour has median survival ``median_months``. Frailty
    multiplies the hazard by ``exp(frailty_log_hr * frailty)`` and the primary tumour by
    its growth group's hazard ratio (slow, moderate, rapid: the grouping of Tomita K et
    al., Spine 2001;26:298-306; the ratios are this reconstruction's choice). Patients
    were included only with at least ``min_months`` of follow-up, so death times are
    drawn given survival past it. Censoring is the end of the study: procedures spread
    evenly over the study, so the potential follow-up is uniform on ``censor_months``.
    Follow-up = min(death, censoring); died = death came first. The lengths are then
    rescaled linearly (order kept) to the printed mean and SD of each arm.
    """

    shape: float = 1.4
    median_months: float = 26.0
    frailty_log_hr: float = 0.5
    growth_hr: tuple[tuple[str, float], ...] = (("slow", 0.5), ("moderate", 1.0), ("rapid", 1.5))
    tumour_growth: tuple[tuple[str, str], ...] = (
        ("breast", "slow"),
        ("prostate", "slow"),
        ("thyroid", "slow"),
        ("myeloma", "slow"),
        ("renal", "moderate"),
        ("lung", "rapid"),
        ("liver", "rapid"),
        ("colon", "rapid"),
        ("gastric", "rapid"),
        ("pancreatic", "rapid"),
        ("thymic", "moderate"),
    )
    min_months: float = 3.0
    censor_months: tuple[float, float] = (8.0, 40.0)

    def hazard_ratio(self, frailty: np.ndarray, tumour: np.ndarray) -> np.ndarray:
        growth = dict(self.tumour_growth)
        ratio = dict(self.growth_hr)
        by_tumour = np.array([ratio[growth[t]] for t in tumour], float)
        return by_tumour * np.exp(self.frailty_log_hr * np.asarray(frailty, float))

    def draw(self, frailty, tumour, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(follow-up months before rescaling, died) for each patient."""
        n = len(frailty)
        scale = self.median_months / np.log(2) ** (1 / self.shape)
        cumulative = (self.min_months / scale) ** self.shape + rng.exponential(1.0, n) / (
            self.hazard_ratio(frailty, tumour)
        )
        death = scale * cumulative ** (1 / self.shape)
        censor = rng.uniform(*self.censor_months, n)
        return np.minimum(death, censor), death <= censor


SURVIVAL = SurvivalModel()
"""The one place the survival model's parameters live (data/raw/README.md quotes them)."""

SCORE_LATENT = {"frailty": 0.6, "trait": 0.45, "visit": 0.45, "noise": 0.5}
"""Weights of a score's latent at a visit: shared frailty, the patient's trait for that
score, a state of the visit shared by the three scores, and noise of its own. With these
weights two scores at one visit correlate about (0.55^2 + 0.35^2) / 1.0 = 0.43 on the
latent scale and one score across visits about 0.55, the moderate range published for
pain and disability scores (VAS-ODI r = 0.47-0.64 in spine patients: Klemenc-Ketis,
Zdrav Var 2011;50:90-8; Kato et al., Health Qual Life Outcomes 2020;18:192)."""

EXACT_MAX_STEPS = 20
"""Scales with at most this many steps get the exact closest mean and SD (KPS)."""

MAX_MISSED_SHARE = 0.12
"""At most this share of the patients due for a visit after month 3 may miss it."""

KPS_OVERLAP = {"pvp_itr": 80}
"""Baseline KPS given to the arm's least frail patient so that the arms' baseline
distributions overlap: Table 3's mean 60.4 and SD 4.5 leave room for one patient at 80
(with five at 50 and six at 70 the SD is as far from 4.47 as without). The other arm's
mean 76 and SD 3.89 leave none: a 60 there would raise its SD further above 3.89."""

CHOICES: dict[str, tuple[float, str]] = {
    "pain.final.good.pvp_itr": (
        26,
        "Group A's excellent (36) and good (13) add up to 49, yet the same sentence, "
        "Table 2 and the 88.6% rate all give 62 patients with relief (62/70 = 88.6%), and "
        "fair 4 + poor 4 + 62 = 70. The total is printed three times, so it was kept with "
        "excellent = 36 as printed; good is then 62 - 36 = 26.",
    ),
    "asia_last.bd.pvp": (
        28,
        "Group B's grades at last follow-up (E 22 + A 3 + B-D 27) add up to 52, not 53. "
        "The paper's own transitions give 28 with A-D: 5 of the 25 baseline-E patients "
        "plus the 28 paraplegic patients less the 2 who fully recovered (5 + 26 = 31 = "
        "3 + 28). E 22 and A 3 are kept as printed.",
    ),
}
"""Published values that no dataset can match: the value used instead, and why."""

# ASIA grade before -> at last follow-up, per arm (outcome population). The paper gives
# only the A / B-D / E groups and the recovery counts; this split of B-D into B, C and D
# is this reconstruction's choice, and it reproduces every printed count.
ASIA_TRANSITIONS: dict[str, list[tuple[str, str, int]]] = {  # by the arm's key
    "pvp_itr": [
        ("E", "E", 40),
        ("A", "A", 1),
        ("A", "C", 1),
        ("A", "D", 1),
        ("D", "E", 8),
        ("D", "D", 1),
        ("D", "C", 1),
        ("D", "B", 1),
        ("C", "E", 2),
        ("C", "D", 5),
        ("C", "B", 2),
        ("B", "C", 4),
        ("B", "D", 3),
    ],
    "pvp": [
        ("E", "E", 20),
        ("E", "D", 3),
        ("E", "C", 2),
        ("A", "A", 1),
        ("D", "E", 2),
        ("D", "D", 3),
        ("D", "C", 3),
        ("D", "B", 1),
        ("D", "A", 1),
        ("C", "D", 4),
        ("C", "C", 2),
        ("C", "B", 2),
        ("C", "A", 1),
        ("B", "C", 3),
        ("B", "D", 3),
        ("B", "B", 2),
    ],
}
# The one technical failure (group A) had incomplete paraplegia; it stays grade C.
FAILURE_ASIA = ("C", "C")
PAIN_MIDPOINTS = {"excellent": 1.0, "good": 3.5, "fair": 5.5, "poor": 8.0}
SCORE_STEPS = {"vas": 0.5, "odi": 1.0, "kps": 10.0}
SCORE_BOUNDS = {"vas": (0.0, 10.0), "odi": (0.0, 100.0), "kps": (0.0, 100.0)}
COLUMNS = ("preop", "m01", "m03", "m06", "m12", "gt12")


class Published:
    """Published numbers by id, as values, with :data:`CHOICES` applied."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = {e["id"]: e for e in entries}

    def text(self, key: str) -> str:
        return str(self.entries[key]["printed"])

    def count(self, key: str) -> int:
        if key in CHOICES:
            return int(CHOICES[key][0])
        return int(printed_number(self.entries[key])[0])

    def get(self, key: str, default: int = 0) -> int:
        return self.count(key) if key in self.entries else default


@dataclass
class Arm:
    """The included patients of one arm while they are being built."""

    label: str
    key: str
    frame: pd.DataFrame
    rng: np.random.Generator
    visits: dict[Any, list[str]] = field(default_factory=dict)
    unrecorded: set[tuple[Any, str, str]] = field(default_factory=set)


def standardised(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() or 1.0)


def layout(counts: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    """Exact counts of categories, in random order."""
    values = np.concatenate([[value] * n for value, n in counts.items()])
    return rng.permutation(values)


def fit_with_range(ideal, step, mean, sd, low, high, rng, pin=True):
    """Search values within [low, high]; with ``pin`` one value sits on each bound."""
    n = len(ideal)
    lo = np.full(n, float(low))
    hi = np.full(n, float(high))
    if pin:
        order = np.argsort(ideal, kind="stable")
        hi[order[0]] = low
        lo[order[-1]] = high
    return search_values(
        np.asarray(ideal, float), low=lo, high=hi, step=step, mean_text=mean, sd_text=sd, rng=rng
    ).values


# --------------------------------------------------------------------------- enrolment
def build_enrollment(
    pub: Published, rng: np.random.Generator, arms: dict[str, str]
) -> pd.DataFrame:
    rows = []
    for label, key in arms.items():
        n = pub.count(f"flow.enrolled.{key}")
        no_mri = pub.count(f"flow.no_mri.{key}")
        lost = pub.count(f"flow.lost.{key}")
        rows += [(label, "no", "no_followup_mri")] * no_mri
        rows += [(label, "no", "lost_to_followup")] * lost
        rows += [(label, "yes", "")] * (n - no_mri - lost)
    order = rng.permutation(len(rows))
    table = pd.DataFrame([rows[i] for i in order], columns=["arm", "included", "exclusion_reason"])
    table.insert(0, "patient_id", [f"P{i:04d}" for i in range(1, len(table) + 1)])
    return table


# --------------------------------------------------------------------------- baseline
def build_baseline(arm: Arm, pub: Published) -> None:
    f, rng, k, n = arm.frame, arm.rng, arm.key, len(arm.frame)
    transitions = list(ASIA_TRANSITIONS[arm.key])
    if n > sum(t[2] for t in transitions):
        transitions.append((*FAILURE_ASIA, 1))
    pairs = [(b, last) for b, last, c in transitions for _ in range(c)]
    # Worse baseline grade and worse course go to frailer patients.
    badness = np.array(
        [
            "ABCDE".index(b) * -2 + ("ABCDE".index(last) - "ABCDE".index(b)) * -1
            for b, last in pairs
        ],
        float,
    )
    pair_order = np.argsort(-badness + rng.normal(0, 1.5, len(pairs)), kind="stable")
    patient_order = np.argsort(-(f["frailty"].to_numpy() + rng.normal(0, 0.5, n)), kind="stable")
    baseline, last = np.empty(n, object), np.empty(n, object)
    for p, q in zip(patient_order, pair_order, strict=True):
        baseline[p], last[p] = pairs[q]
    f["asia_baseline"], f["asia_last"] = baseline, last

    f["sex"] = layout(
        {"M": pub.count(f"t1.sex.male.{k}"), "F": pub.count(f"t1.sex.female.{k}")}, rng
    )
    tumours = [
        e["of"]["is"]
        for e in pub.entries.values()
        if e["id"].startswith("t1.tumor.") and e["id"].endswith(f".{k}")
    ]
    f["primary_tumor"] = layout({t: pub.count(f"t1.tumor.{t}.{k}") for t in tumours}, rng)
    f["vertebrae_treated"] = layout(
        {v: pub.count(f"t1.vertebrae.{v}.{k}") for v in (1, 2, 3, 4)}, rng
    ).astype(int)

    z_age = 0.3 * f["frailty"].to_numpy() + rng.normal(0, 0.95, n)
    f["age_years"] = fit_with_range(
        float(pub.text(f"t1.age_years.mean.{k}"))
        + float(pub.text(f"t1.age_years.sd.{k}")) * standardised(z_age),
        1,
        pub.text(f"t1.age_years.mean.{k}"),
        pub.text(f"t1.age_years.sd.{k}"),
        pub.count(f"t1.age_years.min.{k}"),
        pub.count(f"t1.age_years.max.{k}"),
        rng,
    )
    skewed = standardised(rng.gamma(1.6, 1.0, n))
    f["symptom_weeks"] = fit_with_range(
        float(pub.text(f"t1.symptom_weeks.mean.{k}"))
        + float(pub.text(f"t1.symptom_weeks.sd.{k}")) * skewed,
        1,
        pub.text(f"t1.symptom_weeks.mean.{k}"),
        pub.text(f"t1.symptom_weeks.sd.{k}"),
        pub.count(f"t1.symptom_weeks.min.{k}"),
        pub.count(f"t1.symptom_weeks.max.{k}"),
        rng,
    )


# --------------------------------------------------------------------------- procedure
def build_procedure(arm: Arm, pub: Published) -> None:
    f, rng, k = arm.frame, arm.rng, arm.key
    failures = pub.get(f"safety.technical_failure.{k}")
    f["technical_success"] = True
    if failures:
        candidates = f.index[
            (f["asia_baseline"] == FAILURE_ASIA[0]) & (f["asia_last"] == FAILURE_ASIA[1])
        ]
        f.loc[candidates[:failures], "technical_success"] = False
    ok = f["technical_success"].to_numpy()
    treated = f.index[ok]

    sites = [
        e["of"]["is"]
        for e in pub.entries.values()
        if e["id"].startswith("safety.leakage_site.") and e["id"].endswith(f".{k}")
    ]
    counts = {
        s: pub.count(f"safety.leakage_site.{s}.{k}")
        if pub.text(f"safety.leakage_site.{s}.{k}") != "none"
        else 0
        for s in sites
    }
    counts["none"] = len(treated) - sum(counts.values())
    site = layout(counts, rng)
    # A leak into the canal caused complete paraplegia: give it to a patient who became A.
    if counts.get("spinal_canal"):
        became_a = [
            i
            for i, p in enumerate(treated)
            if f.at[p, "asia_last"] == "A" and f.at[p, "asia_baseline"] != "A"
        ]
        canal = int(np.flatnonzero(site == "spinal_canal")[0])
        site[[canal, became_a[0]]] = site[[became_a[0], canal]]
    f["leakage_site"] = None
    f.loc[treated, "leakage_site"] = site

    vertebrae = standardised(f.loc[treated, "vertebrae_treated"].to_numpy(float))
    z = 0.5 * vertebrae + 0.85 * rng.normal(0, 1, len(treated))
    mean, sd = pub.text(f"cement.mean.{k}"), pub.text(f"cement.sd.{k}")
    f["cement_ml"] = np.nan
    f.loc[treated, "cement_ml"] = fit_with_range(
        float(mean) + float(sd) * standardised(z),
        0.5,
        mean,
        sd,
        pub.count(f"cement.min.{k}"),
        pub.count(f"cement.max.{k}"),
        rng,
    )

    mean, sd = pub.text(f"t2.hospital_days.mean.{k}"), pub.text(f"t2.hospital_days.sd.{k}")
    z = 0.4 * f["frailty"].to_numpy() + rng.normal(0, 0.9, len(f))
    f["hospital_days"] = fit_with_range(
        float(mean) + float(sd) * standardised(z), 1, mean, sd, *HOSPITAL_BOUNDS, rng, pin=False
    )


# --------------------------------------------------------------------------- follow-up
LATE_DUE = {"m06": 6, "m12": 12, "gt12": 18}
"""Table 3's columns after month 3 and the month from which a patient is due for each."""


def visit_names(months: float) -> list[str]:
    """Every visit a patient with this follow-up is due for."""
    names = ["preop", "discharge", "m01", "m03"]
    names += [f"m{m:02d}" for m in range(6, int(months) + 1, 6) if m <= months]
    return names


def month_of(visit: str) -> int:
    return int(visit[1:]) if visit.startswith("m") else 0


def column_of_visit(visit: str) -> str:
    """The Table 3 column a visit counts in (a late visit counts only if it is the last)."""
    return "gt12" if month_of(visit) > 12 else visit


def missable(months: np.ndarray, column: str) -> np.ndarray:
    """Who may miss a column's visit while a later visit keeps their last column.

    Month 6 and 12 may be missed by patients due for a visit after them; the late
    column only by patients whose one late visit is month 18 (they then end at month 12).
    """
    if column == "gt12":
        return (months >= 18) & (months < 24)
    return months >= LATE_DUE[column] + 6


@cache
def score_possible(pub: Published, key: str, column: str, score: str, n: int) -> int:
    """Whether some n values on the score's step print its mean (1) and also its SD (2)."""
    step = SCORE_STEPS[score]
    top = int(SCORE_BOUNDS[score][1] / step * n)
    sums = reachable_sums(n, step, pub.text(f"t3.{score}.{column}.mean.{key}"), 0, top)
    sd_text = pub.text(f"t3.{score}.{column}.sd.{key}")
    return bool(sums) + any(reachable_squares(n, step, t, sd_text) for t in sums)


def choose_visit_counts(pub: Published, key: str, months: np.ndarray) -> dict[str, dict]:
    """Patients with each score at each late column: the n that print the most stats.

    The paper prints no n after month 3, so a patient alive and due may have missed a
    visit (all three scores missing; only patients for whom :func:`missable` holds), or
    had one of ODI and KPS not recorded at a visit that took place (VAS, which decides
    the final pain category, always is). At most :data:`MAX_MISSED_SHARE` of the
    patients due miss either way; among equally good counts the largest are kept.
    """
    counts = {}
    for column, due_month in LATE_DUE.items():
        due = int((months >= due_month).sum())
        most = int(MAX_MISSED_SHARE * due)
        best = None
        for n in range(due, due - min(most, int(missable(months, column).sum())) - 1, -1):
            chosen = {"vas": n}
            for score in ("odi", "kps"):
                options = range(n, max(due - most, 0) - 1, -1)
                chosen[score] = max(
                    options, key=lambda m, s=score: score_possible(pub, key, column, s, m)
                )
            hits = sum(score_possible(pub, key, column, s, m) for s, m in chosen.items())
            rank = (hits, -sum(due - m for m in chosen.values()))
            if best is None or rank > best[0]:
                best = (rank, chosen)
        counts[column] = best[1]
    return counts


def unprintable(pub: Published, key: str, counts: dict[str, dict]) -> int:
    """Late-column means and SDs that no data with these counts can print."""
    return sum(
        2 - score_possible(pub, key, column, score, n)
        for column, chosen in counts.items()
        for score, n in chosen.items()
    )


def followup_draw(arm: Arm, pub: Published, attempt: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Follow-up lengths (on the printed mean and SD), deaths from :data:`SURVIVAL`, and
    whether the lengths print the published mean and SD."""
    k, n = arm.key, len(arm.frame)
    rng = np.random.default_rng([SEED, len(arm.label), attempt])
    raw, died = SURVIVAL.draw(arm.frame["frailty"], arm.frame["primary_tumor"], rng)
    mean, sd = pub.text(f"t2.followup_months.mean.{k}"), pub.text(f"t2.followup_months.sd.{k}")
    found = search_values(
        float(mean) + float(sd) * standardised(raw),
        low=np.full(n, FOLLOWUP_BOUNDS[0]),
        high=np.full(n, FOLLOWUP_BOUNDS[1]),
        step=0.01,
        mean_text=mean,
        sd_text=sd,
        rng=rng,
    )
    return found.values, died, found.mean_reachable and found.sd_reachable


def build_followup(arm: Arm, pub: Published) -> None:
    f, rng, k = arm.frame, arm.rng, arm.key
    outcome = f["technical_success"].to_numpy()
    best = None
    for attempt in range(FOLLOWUP_DRAWS):
        months, died, printed = followup_draw(arm, pub, attempt)
        counts = choose_visit_counts(pub, k, months[outcome])
        missed = sum(
            int((months[outcome] >= LATE_DUE[c]).sum()) - n
            for c, chosen in counts.items()
            for n in chosen.values()
        )
        rank = (not printed, unprintable(pub, k, counts), missed)
        if best is None or rank < best[0]:
            best = (rank, months, died, counts)
    _, months, died, counts = best
    f["followup_months"], f["died"] = months, died
    arm.visits = assign_visits(arm, counts)
    f["new_fracture"] = False
    treated = f.index[f["technical_success"]]
    fractures = pub.count(f"stability.new_fracture.{k}")
    frail = f.loc[treated, "frailty"].to_numpy() + rng.normal(0, 1.0, len(treated))
    f.loc[treated[np.argsort(-frail, kind="stable")[:fractures]], "new_fracture"] = True
    f["new_fracture_months"] = fracture_months(arm)


def assign_visits(arm: Arm, counts: dict[str, dict]) -> dict[Any, list[str]]:
    """Each patient's visits (those due, less the missed ones) and unrecorded scores.

    Who missed what is drawn at random from a stream of its own; the unrecorded scores
    go into ``arm.unrecorded`` as (patient, visit, score).
    """
    f = arm.frame
    rng = np.random.default_rng([VISIT_SEED, len(arm.label)])
    visits = {p: visit_names(f.at[p, "followup_months"]) for p in f.index}
    treated = f.index[f["technical_success"]]
    months = f.loc[treated, "followup_months"].to_numpy()
    for column, chosen in counts.items():
        due = int((months >= LATE_DUE[column]).sum())
        skipped = rng.permutation(treated[missable(months, column)].to_numpy())
        for p in sorted(skipped[: due - chosen["vas"]]):
            visits[p] = [v for v in visits[p] if column_of_visit(v) != column]
        seen = [
            (p, [v for v in visits[p] if column_of_visit(v) == column][-1])
            for p in treated
            if any(column_of_visit(v) == column for v in visits[p])
        ]
        for score in ("odi", "kps"):
            for i in sorted(rng.permutation(len(seen))[: chosen["vas"] - chosen[score]]):
                arm.unrecorded.add((*seen[i], score))
    return visits


def fracture_months(arm: Arm) -> pd.Series:
    """When each new fracture happened: months after the procedure, within follow-up.

    The paper gives no times, so they are this reconstruction's choice: a share of each
    patient's follow-up drawn from Beta(1.3, 2.5) (most fractures in the first months),
    on the 0.01-month step, never on a day when a patient of the same arm died (the
    Aalen–Johansen estimator then has no tie between a fracture and a death to break).
    Drawn from a stream of their own, so every other value of the cohort is unchanged.
    """
    f = arm.frame
    rng = np.random.default_rng([FRACTURE_SEED, len(arm.label)])
    fractured = f.index[f["new_fracture"]]
    share = rng.beta(1.3, 2.5, len(fractured))
    end = f.loc[fractured, "followup_months"].to_numpy()
    months = np.clip(np.round(share * end, 2), 0.01, end)
    deaths = set(np.round(f.loc[f["died"], "followup_months"].to_numpy(), 2))
    for i, value in enumerate(months):
        while value in deaths and value - 0.01 > 0:
            value = round(value - 0.01, 2)
        months[i] = value
    times = pd.Series(np.nan, index=f.index)
    times[fractured] = months
    return times


# --------------------------------------------------------------------------- pain
def pain_plan(arm: Arm, pub: Published) -> list[tuple[bool, str]]:
    """(relief at discharge, category at last visit) for every treated patient."""
    k = arm.key
    gained = pub.get(f"pain.course.no_relief_good.{k}")
    excellent = pub.count(f"pain.final.excellent.{k}")
    kept = pub.count(f"pain.course.relief_kept.{k}")
    plan = [(True, "excellent")] * excellent + [(True, "good")] * (kept - excellent)
    plan += [(True, "fair")] * pub.count(f"pain.course.relief_unchanged.{k}")
    plan += [(True, "poor")] * pub.count(f"pain.course.relief_deteriorated.{k}")
    plan += [(False, "good")] * gained
    plan += [(False, "fair")] * pub.count(f"pain.course.no_relief_unchanged.{k}")
    plan += [(False, "poor")] * pub.count(f"pain.course.no_relief_deteriorated.{k}")
    return plan


def last_column(visits: list[str]) -> str:
    """The Table 3 column of a patient's last visit."""
    return column_of_visit(visits[-1])


def column_penalty(categories: list[str], n_column: int, mean: float, sd: float) -> float:
    """How far a column's last-visit categories push its VAS away from the printed stats.

    Patients whose last visit falls in the column sit at their category's midpoint; the
    other patients with that visit are free and sit at the printed mean. Free values can
    add spread but not remove it, so only an SD above the target is penalised.
    """
    values = np.array(
        [PAIN_MIDPOINTS[c] for c in categories] + [mean] * (n_column - len(categories)), float
    )
    if len(values) < 2:
        return 0.0
    spread = values.std(ddof=1)
    return n_column * ((values.mean() - mean) ** 2 + max(0.0, spread - 0.9 * sd) ** 2)


def assign_pain(arm: Arm, pub: Published) -> None:
    """Give each planned pain outcome to a patient so every Table 3 VAS stays reachable.

    A patient's final category fixes the VAS at the last visit, which also enters the
    Table 3 mean of that visit's column. A local search swaps outcomes between columns
    until each column's midpoints fit its printed mean and SD; within a column, worse
    outcomes go to frailer patients.
    """
    f, rng, k = arm.frame, arm.rng, arm.key
    treated = f.index[f["technical_success"]]
    column_of = pd.Series({p: last_column(arm.visits[p]) for p in treated})
    size = {
        column: sum(any(column_of_visit(v) == column for v in arm.visits[p]) for p in treated)
        for column in ("m03", "m06", "m12", "gt12")
    }
    target = {
        c: (float(pub.text(f"t3.vas.{c}.mean.{k}")), float(pub.text(f"t3.vas.{c}.sd.{k}")))
        for c in size
    }
    slots = column_of.to_numpy()
    plan = pain_plan(arm, pub)
    outcome = [plan[i] for i in rng.permutation(len(plan))]

    def penalty(column: str) -> float:
        cats = [o[1] for o, c in zip(outcome, slots, strict=True) if c == column]
        return column_penalty(cats, size[column], *target[column])

    current = {c: penalty(c) for c in size}
    for _ in range(6000):
        i, j = rng.integers(len(slots), size=2)
        if slots[i] == slots[j] or outcome[i][1] == outcome[j][1]:
            continue
        outcome[i], outcome[j] = outcome[j], outcome[i]
        new = {c: penalty(c) for c in (slots[i], slots[j])}
        if sum(new.values()) <= current[slots[i]] + current[slots[j]]:
            current.update(new)
        else:
            outcome[i], outcome[j] = outcome[j], outcome[i]

    severity = f.loc[treated, "frailty"] + rng.normal(0, 0.7, len(treated))
    relief, final = {}, {}
    for column in size:
        members = severity[column_of == column].sort_values(ascending=False).index
        items = sorted(
            (o for o, c in zip(outcome, slots, strict=True) if c == column),
            key=lambda o: (-PAIN_MIDPOINTS[o[1]], o[0]),
        )
        for p, (r, c) in zip(members, items, strict=True):
            relief[p], final[p] = r, c
    f["relief_discharge"] = pd.Series(relief)
    f["final_category"] = pd.Series(final)


# --------------------------------------------------------------------------- visits
def build_visits(arm: Arm, pub: Published, categories: dict[str, Any]) -> pd.DataFrame:
    f, rng, k = arm.frame, arm.rng, arm.key
    ids = f.index.to_numpy()
    visits = arm.visits
    latent = score_latents(f["frailty"], visits, rng)
    values: dict[tuple[Any, str, str], float] = {}
    treated = set(f.index[f["technical_success"]])

    def column_members(column: str) -> list[tuple[Any, str]]:
        members = []
        for p in ids:
            if p not in treated:
                continue
            if column == "gt12":
                late = [v for v in visits[p] if v.startswith("m") and int(v[1:]) > 12]
                if late:
                    members.append((p, late[-1]))
            elif column in visits[p]:
                members.append((p, column))
        return members

    for score in SCORE_STEPS:
        sign = -1.0 if score == "kps" else 1.0
        for column in COLUMNS:
            members = [
                (p, v) for p, v in column_members(column) if (p, v, score) not in arm.unrecorded
            ]
            mean = pub.text(f"t3.{score}.{column}.mean.{k}")
            sd = pub.text(f"t3.{score}.{column}.sd.{k}")
            z = standardised(np.array([latent[p, v, score] for p, v in members]))
            lo = np.full(len(members), SCORE_BOUNDS[score][0])
            hi = np.full(len(members), SCORE_BOUNDS[score][1])
            if score == "kps" and column == "preop" and k in KPS_OVERLAP:
                fittest = int(np.argmin(z))
                lo[fittest] = hi[fittest] = KPS_OVERLAP[k]
            if score == "vas":
                for i, (p, v) in enumerate(members):
                    if v == visits[p][-1]:
                        bounds = categories[f.at[p, "final_category"]]
                        lo[i], hi[i] = bounds["min"], bounds["max"]
            ideal = float(mean) + sign * float(sd) * z
            found = fit_column(ideal, lo, hi, score, mean, sd, rng)
            for (p, v), value in zip(members, found, strict=True):
                values[p, v, score] = value

    failure_rng = np.random.default_rng([FAILURE_SEED, len(arm.label)])
    for p in ids:
        for v in visits[p]:
            for score, step in SCORE_STEPS.items():
                if (p, v, score) in values:
                    continue
                if (p, v, score) in arm.unrecorded:
                    values[p, v, score] = np.nan
                    continue
                if p not in treated and v != "preop":
                    values[p, v, score] = failure_value(
                        values[p, "preop", score], score, failure_rng
                    )
                    continue
                values[p, v, score] = _free_value(
                    p, v, score, step, f, values, visits, latent, categories, pub, k, p in treated
                )
    rows = [
        (p, v, values[p, v, "vas"], values[p, v, "odi"], values[p, v, "kps"])
        for p in ids
        for v in visits[p]
    ]
    return pd.DataFrame(rows, columns=["patient_id", "visit", "vas", "odi", "kps"])


def fit_column(ideal, lo, hi, score: str, mean: str, sd: str, rng) -> np.ndarray:
    """A Table 3 column's values: the printed mean and SD, else the closest reachable.

    Where no data on the scale's step can print the mean or the SD (GRIM, GRIMMER), the
    exact closest reachable pair (:func:`devtools.reachable.closest_reachable`) is the
    target, so the reconciliation's "closest reachable" is what the cohort holds. The
    exact enumeration is kept to coarse scales (KPS: 10 steps); it is where the gaps are.
    """
    step = SCORE_STEPS[score]
    found = search_values(ideal, low=lo, high=hi, step=step, mean_text=mean, sd_text=sd, rng=rng)
    n, top = len(ideal), int(SCORE_BOUNDS[score][1] / step)
    if (found.mean_reachable and found.sd_reachable) or top > EXACT_MAX_STEPS:
        return found.values
    closest = closest_reachable(n, step, mean, sd, 0, top)
    exact = search_values(
        ideal,
        low=lo,
        high=hi,
        step=step,
        mean_text=f"{closest.mean:.9f}",
        sd_text=f"{closest.sd:.9f}",
        rng=rng,
    )
    return exact.values if exact.sd_reachable else found.values


def score_latents(frailty: pd.Series, visits, rng: np.random.Generator) -> dict:
    """Latent of each (patient, visit, score), weighted as :data:`SCORE_LATENT` says."""
    w = SCORE_LATENT
    latent = {}
    for p, names in visits.items():
        trait = {score: rng.normal() for score in SCORE_STEPS}
        for v in names:
            state = rng.normal()
            for score in SCORE_STEPS:
                latent[p, v, score] = (
                    w["frailty"] * frailty[p]
                    + w["trait"] * trait[score]
                    + w["visit"] * state
                    + w["noise"] * rng.normal()
                )
    return latent


def failure_value(baseline: float, score: str, rng: np.random.Generator) -> float:
    """A score after a failed procedure (no cement): no improvement on its baseline.

    Pain stays as high or drifts half a point up or down (never below its baseline less
    half a point), disability drifts by a few points, and performance stays as it was.
    """
    low, high = SCORE_BOUNDS[score]
    if score == "vas":
        return float(np.clip(baseline + rng.choice([-0.5, 0.0, 0.5]), low, high))
    if score == "odi":
        return float(np.clip(baseline + round(rng.normal(1.0, 2.0)), low, high))
    return float(baseline)


def _free_value(p, v, score, step, f, values, visits, latent, categories, pub, k, treated):
    """A value no published mean constrains: discharge, intermediate late visits, failures."""
    low, high = SCORE_BOUNDS[score]
    sign = -1.0 if score == "kps" else 1.0
    if v == "discharge" and score == "vas" and treated:
        if f.at[p, "relief_discharge"]:
            bounds = {"min": 0.0, "max": 4.5}
        else:
            bounds = {"min": categories["fair"]["min"], "max": 10.0}
        target = values[p, "m01", "vas"] + 0.5 * latent[p, v, score]
        return float(np.clip(np.round(target / step) * step, bounds["min"], bounds["max"]))
    if v == "discharge" and (p, "m01", score) in values and (p, "preop", score) in values:
        target = 0.35 * values[p, "preop", score] + 0.65 * values[p, "m01", score]
        return float(np.clip(np.round(target / step) * step, low, high))
    column = "gt12" if v.startswith("m") and int(v[1:]) > 12 else v
    column = column if column in COLUMNS else "m03"
    mean = float(pub.text(f"t3.{score}.{column}.mean.{k}"))
    sd = float(pub.text(f"t3.{score}.{column}.sd.{k}"))
    target = mean + sign * sd * latent[p, v, score]
    return float(np.clip(np.round(target / step) * step, low, high))


# --------------------------------------------------------------------------- assembly
def reconstruct(entries: list[dict[str, Any]], codebook: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Build the five cohort tables from the published numbers."""
    pub = Published(entries)
    rng = np.random.default_rng(SEED)
    # stored code -> key, in the codebook's order
    arms = {arm.code: arm.key for arm in study_arms(codebook)}
    enrollment = build_enrollment(pub, rng, arms)
    categories = codebook["definitions"]["pain_category"]["categories"]
    tables: dict[str, list[pd.DataFrame]] = {
        t: [] for t in ("baseline", "procedure", "visits", "followup")
    }
    for label, key in arms.items():
        ids = enrollment.loc[
            (enrollment["arm"] == label) & (enrollment["included"] == "yes"), "patient_id"
        ]
        arm_rng = np.random.default_rng([SEED, len(label)])
        frame = pd.DataFrame(index=pd.Index(ids.to_numpy(), name="patient_id"))
        frame["frailty"] = arm_rng.normal(0, 1, len(frame))
        arm = Arm(label, key, frame, arm_rng)
        build_baseline(arm, pub)
        build_procedure(arm, pub)
        build_followup(arm, pub)
        assign_pain(arm, pub)
        tables["visits"].append(build_visits(arm, pub, categories))
        frame = frame.reset_index()
        tables["baseline"].append(
            frame[
                [
                    "patient_id",
                    "age_years",
                    "sex",
                    "symptom_weeks",
                    "primary_tumor",
                    "vertebrae_treated",
                    "asia_baseline",
                ]
            ]
        )
        tables["procedure"].append(
            frame[["patient_id", "technical_success", "cement_ml", "leakage_site", "hospital_days"]]
        )
        tables["followup"].append(
            frame[
                [
                    "patient_id",
                    "followup_months",
                    "asia_last",
                    "new_fracture",
                    "new_fracture_months",
                    "died",
                ]
            ]
        )
    result = {"enrollment": enrollment}
    order = {"preop": -2, "discharge": -1}
    for name, parts in tables.items():
        table = pd.concat(parts, ignore_index=True)
        if name == "visits":
            table["_order"] = table["visit"].map(lambda v: order.get(v, 0) or int(v[1:]))
            table = table.sort_values(["patient_id", "_order"]).drop(columns="_order")
        else:
            table = table.sort_values("patient_id")
        result[name] = table.reset_index(drop=True)
    return result


def write_cohort(tables: dict[str, pd.DataFrame], codebook: dict[str, Any], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, spec in codebook["tables"].items():
        write_table(tables[name], spec, folder / spec["file"])
