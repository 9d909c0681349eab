"""Courses over time a reader must be told about: a mean that rises and falls back (or
falls and rises back) by more than k pooled SDs over three adjacent time points.

With SDs that small, nearly every patient would have to follow the course, so a table
that shows one without a word reads as a typing error; the manuscript says it is not one.
The audit's ``trajectory`` family flags such a course when the text is silent on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    """One time point of an arm's course: its label, mean, SD and the mean as printed."""

    time: str
    mean: float
    sd: float
    printed: str


@dataclass(frozen=True)
class Reversal:
    before: Point
    middle: Point
    after: Point

    @property
    def rises_first(self) -> bool:
        return self.middle.mean > self.before.mean


def pooled_sd(first: float, second: float) -> float:
    return math.sqrt((first**2 + second**2) / 2)


def reversals(course: list[Point], k: float) -> list[Reversal]:
    """Every middle point whose mean moves more than ``k`` pooled SDs from the point
    before and more than ``k`` back by the point after."""
    found = []
    for before, middle, after in zip(course, course[1:], course[2:], strict=False):
        up, down = middle.mean - before.mean, after.mean - middle.mean
        if (
            up * down < 0
            and abs(up) > k * (pooled_sd(before.sd, middle.sd) or 1.0)
            and abs(down) > k * (pooled_sd(middle.sd, after.sd) or 1.0)
        ):
            found.append(Reversal(before, middle, after))
    return found


def describe(reversal: Reversal, who: str, measure: str, k: float) -> str:
    """'With <who>, mean <measure> rose from <before> (<time>) to <middle> (<time>) and
    fell to <after> (<time>), by more than k pooled SDs each way.'"""
    first, second = ("rose", "fell") if reversal.rises_first else ("fell", "rose")
    b, m, a = reversal.before, reversal.middle, reversal.after
    return (
        f"With {who}, mean {measure} {first} from {b.printed} ({b.time}) to {m.printed} "
        f"({m.time}) and {second} to {a.printed} ({a.time}), by more than {k:g} pooled SDs "
        "each way."
    )
