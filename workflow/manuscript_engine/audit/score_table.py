"""A table of scores over time read from the published numbers alone: which scores and
visits it has, each arm's mean and SD per cell, which direction of a score is better, its
range and step, and how many patients stand behind a cell.

What the paper does not print comes from the codebook when there is one, else from the
relations file (data/published_checks.yaml), so the audit runs without cohort data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from manuscript_engine.audit.model import Paper
from manuscript_engine.core.errors import ManuscriptError

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


def lower_better(paper: Paper, score: str) -> bool:
    """Whether a lower value of ``score`` is better (the codebook, else the relations'
    ``scales``)."""
    lower = paper.lower_is_better(score)
    if lower is None:
        raise ManuscriptError(
            f"{RELATIONS}: the score '{score}' has no `better` in the codebook or under "
            f"`scales`; add `scales: {{{score}: {{better: lower}}}}` (or higher)."
        )
    return lower


def scale(paper: Paper, score: str) -> tuple[float, float] | None:
    """The range a score can take (the codebook's min and max, else ``scales``)."""
    spec = paper.scales.get(score)
    if spec is None or spec.low is None or spec.high is None:
        return None
    return spec.low, spec.high


def step(paper: Paper, score: str) -> float | None:
    """The step a score is recorded in (the codebook's, else ``scales``)."""
    spec = paper.scales.get(score)
    return spec.step if spec is not None else None


@dataclass(frozen=True)
class GroupSizes:
    """The patients behind a visit's cells, per arm: printed, or at most the printed n."""

    sizes: tuple[int, ...]
    printed: bool
    smallest: int


def group_sizes(paper: Paper, visit: str, arms: list[str]) -> GroupSizes:
    """How many patients stand behind a visit's cells, from the study's ``denominators``
    rules (:meth:`Paper.group_size`): the printed n, or at a visit where the paper never
    prints it, at most that."""
    found = []
    for arm in arms:
        entry = next(
            (
                e
                for e in paper.entries.values()
                if e["stat"] == "mean"
                and (e.get("of") or {}).get("visit") == visit
                and e["of"].get("arm") == arm
            ),
            None,
        )
        size = paper.group_size(entry) if entry is not None else None
        if size is None:
            raise ManuscriptError(
                f"{RELATIONS}: no `denominators` rule gives the n behind the {arm} means at "
                f"{visit}; add one with `visits: [{visit}]` and the id of the printed n "
                "(`id`), or of the count it cannot exceed (`at_most`)."
            )
        found.append(size)
    return GroupSizes(
        tuple(size.ns[-1] for size in found),
        all(size.exact for size in found),
        max(size.ns[0] for size in found),
    )


def scaled(sizes: tuple[int, ...], first: int) -> tuple[int, ...]:
    """Group sizes in the printed proportion, with ``first`` patients in the first arm."""
    return tuple(max(2, math.ceil(first * n / sizes[0])) for n in sizes)
