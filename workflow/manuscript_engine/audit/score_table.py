"""A table of scores over time read from the published numbers alone: which scores and
visits it has, each arm's mean and SD per cell, which direction of a score is better, its
range and step, and how many patients stand behind a cell.

What the paper does not print comes from the codebook when there is one, else from the
relations file (data/published_checks.yaml), so the audit runs without cohort data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from manuscript_engine.audit.model import Paper
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.data.vocabulary import column_spec, lower_is_better

RELATIONS = "data/published_checks.yaml"


@dataclass(frozen=True)
class Cell:
    """One score at one visit in one arm: the ids of its printed mean and SD."""

    score: str
    visit: str
    arm: str
    mean: str
    sd: str


class ScoreTable:
    """The published means and SDs that carry a ``visit``, in the paper's order."""

    def __init__(self, paper: Paper) -> None:
        self.paper = paper
        self.cells: dict[tuple[str, str, str], Cell] = {}
        self.scores: list[str] = []
        self.visits: list[str] = []
        arms: list[str] = []
        for key, entry in paper.entries.items():
            of = entry.get("of") or {}
            if entry["stat"] != "mean" or "visit" not in of:
                continue
            score, visit, arm = of["var"], of["visit"], of["arm"]
            sd = paper.cell("sd", arm, score, visit)
            self.cells[score, visit, arm] = Cell(score, visit, arm, key, sd)
            for seen, item in ((self.scores, score), (self.visits, visit), (arms, arm)):
                if item not in seen:
                    seen.append(item)
        known = [arm.key for arm in paper.arms] if paper.arms else []
        self.arms = [a for a in known if a in arms] + [a for a in arms if a not in known]
        self.marks = {
            entry["of"]["compares"]: key
            for key, entry in paper.entries.items()
            if entry["stat"] == "significance_mark"
        }

    def label(self, arm: str) -> str:
        for known in self.paper.arms or ():
            if known.key == arm:
                return known.label
        return arm

    def cell(self, score: str, visit: str, arm: str) -> Cell | None:
        return self.cells.get((score, visit, arm))

    def mean_sd(self, cell: Cell) -> tuple[float, float]:
        return self.paper.value(cell.mean), self.paper.value(cell.sd)

    def mark(self, score: str, visit: str) -> str | None:
        """The id of the significance mark of a cell, if the table has one."""
        return self.marks.get(f"{score}.{visit}")

    def marked(self, score: str, visit: str) -> bool:
        key = self.mark(score, visit)
        return key is not None and self.paper.text(key).strip() not in ("", "none")

    def series(self, score: str, arm: str) -> list[Cell]:
        """One arm's course of one score, visits in the table's order."""
        return [c for v in self.visits if (c := self.cell(score, v, arm))]


def codebook_column(paper: Paper, score: str) -> dict[str, Any]:
    try:
        return column_spec(paper.codebook, score) if paper.codebook else {}
    except KeyError:
        return {}


def lower_better(paper: Paper, section: dict[str, Any], score: str) -> bool:
    """Whether a lower value of ``score`` is better: the codebook, else the relations."""
    if codebook_column(paper, score).get("better"):
        return lower_is_better(paper.codebook, score)
    better = (section.get("better") or {}).get(score)
    if better not in ("lower", "higher"):
        raise ManuscriptError(
            f"{RELATIONS}: direction has no `better` for the score '{score}' and the codebook "
            f"gives none; add `better: {{{score}: lower}}` (or higher) under direction."
        )
    return better == "lower"


def scale(paper: Paper, section: dict[str, Any], score: str) -> tuple[float, float] | None:
    """The range a score can take: the codebook's min and max, else the relations'."""
    spec = codebook_column(paper, score)
    if "min" in spec and "max" in spec:
        return float(spec["min"]), float(spec["max"])
    pair = (section.get("ranges") or {}).get(score)
    return (float(pair[0]), float(pair[1])) if pair else None


def step(paper: Paper, section: dict[str, Any], score: str) -> float | None:
    """The step a score is recorded in: the codebook's, else the relations'."""
    spec = codebook_column(paper, score)
    value = spec.get("step", (section.get("steps") or {}).get(score))
    return float(value) if value else None


@dataclass(frozen=True)
class GroupSizes:
    """The patients behind a visit's cells, per arm: printed, or at most the printed n."""

    sizes: tuple[int, ...]
    printed: bool
    smallest: int


def group_sizes(paper: Paper, section: dict[str, Any], visit: str, arms: list[str]) -> GroupSizes:
    """How many patients stand behind a visit's cells.

    ``n.ids`` names the printed group size of each arm; at the visits listed in
    ``n.visits`` (those every patient reached, by the minimum follow-up) that is the n; at
    later visits it is only an upper bound, and ``n.smallest`` the smallest n per arm the
    audit still calls plausible.
    """
    spec = section.get("n") or {}
    ids = spec.get("ids") or {}
    missing = [arm for arm in arms if arm not in ids]
    if missing:
        raise ManuscriptError(
            f"{RELATIONS}: n.ids names no printed group size for the arm(s) "
            f"{', '.join(missing)}; add the id of each arm's printed n under n.ids."
        )
    sizes = tuple(int(paper.value(ids[arm])) for arm in arms)
    printed = visit in (spec.get("visits") or [])
    return GroupSizes(sizes, printed, int(spec.get("smallest", 2)))


def scaled(sizes: tuple[int, ...], first: int) -> tuple[int, ...]:
    """Group sizes in the printed proportion, with ``first`` patients in the first arm."""
    return tuple(max(2, math.ceil(first * n / sizes[0])) for n in sizes)
