"""What the audit works on: the published numbers (:class:`Paper`) and one check of them
(:class:`Check`), with the verdicts and severities a check can carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from manuscript_engine.audit.published import printed_number
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.data.vocabulary import Arm, Arms, study_arms

VERDICTS = ("inconsistent", "consistent", "conditional", "not checkable")
# How bad an inconsistency is, worst first:
#   contradiction: impossible under every reading of the printed numbers;
#   likely error: no reading the audit knows makes it consistent;
#   ambiguous: a reading exists that makes it consistent (``reading`` names it);
#   convention: a rounding or display convention explains it (``reading`` names it).
SEVERITIES = ("contradiction", "likely error", "ambiguous", "convention")


class AuditFailed(ManuscriptError):
    """The audit found inconsistencies that config/audit.yaml does not acknowledge."""


@dataclass(frozen=True)
class Check:
    """One check of one or more printed numbers.

    ``involves`` lists the published ids the check reads; ``suspects`` those of them that
    may be wrong (empty: all it involves). Checks whose suspects overlap, or that share a
    ``cause`` (a root cause that is not one printed number, such as a scale's step), are
    one finding. ``severity`` and ``reading`` only mean something when the verdict is
    inconsistent; a conditional verdict holds only for the ``condition`` it names.
    """

    id: str
    location: str
    published: str
    recomputed: str
    check: str
    verdict: str
    explanation: str
    involves: tuple[str, ...] = ()
    suspects: tuple[str, ...] = ()
    severity: str = ""
    reading: str = ""
    cause: str = ""
    condition: str = ""


@dataclass(frozen=True)
class Scale:
    """How a variable is recorded: its step (for GRIM), which direction is better and its
    range (for what a mean and SD can be)."""

    step: float | None = None
    better: str | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class GroupSize:
    """The n behind a printed number: printed (``exact``, one value) or, where the paper
    never prints it, every plausible n up to a printed ceiling."""

    ns: tuple[int, ...]
    exact: bool
    source: str

    def describe(self) -> str:
        if self.exact:
            return f"n = {self.ns[0]} ({self.source})"
        return f"n not printed: {self.ns[0]}–{self.ns[-1]} (at most {self.source})"


class Paper:
    """The published numbers by id, with their values and printed precision, and what the
    study's audit mapping (data/published_checks.yaml) and codebook say about them.

    ``alpha`` is the paper's own significance threshold (what its marks and "significant"
    mean), not this build's: the audit judges the paper by its own rule. Without a
    codebook (a paper audited without its data), the arms and scales come from the
    relations file's ``arms`` and ``scales``.
    """

    def __init__(
        self,
        entries: list[dict[str, Any]],
        *,
        arms: Arms | None = None,
        codebook: dict[str, Any] | None = None,
        relations: dict[str, Any] | None = None,
    ) -> None:
        self.entries = {e["id"]: e for e in entries}
        self.codebook = codebook or {}
        relations = relations or {}
        self.relations = relations
        self.arms = arms if arms is not None else arms_of(self.codebook, relations)
        self.scales = scales_of(self.codebook, relations)
        self.alpha = float(relations.get("methods", {}).get("alpha", 0)) or None
        self.registry_keys: dict[str, str] = relations.get("registry_keys", {}) or {}
        self.denominators: list[dict[str, Any]] = relations.get("denominators", []) or []
        self._by_cell = {
            (
                e["stat"],
                (e.get("of") or {}).get("arm"),
                (e.get("of") or {}).get("var"),
                (e.get("of") or {}).get("visit"),
            ): e["id"]
            for e in entries
            if e["stat"] in ("mean", "sd")
        }

    def cell(self, stat: str, arm: str, var: str, visit: str | None) -> str | None:
        """The id of the published mean or SD of ``var`` at ``visit`` in ``arm``."""
        return self._by_cell.get((stat, arm, var, visit))

    def value(self, key: str) -> float:
        return printed_number(self.entries[key])[0]

    def decimals(self, key: str) -> int:
        return printed_number(self.entries[key])[1]

    def text(self, key: str) -> str:
        return str(self.entries[key]["printed"])

    def where(self, key: str) -> str:
        return self.entries[key]["where"]

    def lower_is_better(self, var: str) -> bool | None:
        better = self.scales.get(var, Scale()).better
        return None if better is None else better == "lower"

    def group_size(self, entry: dict[str, Any]) -> GroupSize | None:
        """The n behind a count, percentage, mean or SD, from the printed numbers.

        The study's ``denominators`` rules say, by population, ``among`` condition and
        visit, which printed count is the group size (``id``), or, where the paper never
        prints it (later visits), which printed count it cannot exceed (``at_most``);
        ``{arm}`` stands for the arm's key. The first rule that matches is used.
        """
        of = entry.get("of", {}) or {}
        arm = of.get("arm")
        if arm in (None, "both"):
            return None
        among = of.get("among") or {}
        for rule in self.denominators:
            if rule.get("among", {}) != among or rule.get("pop", of.get("pop")) != of.get("pop"):
                continue
            if "visits" in rule and of.get("visit") not in rule["visits"]:
                continue
            if "id" in rule:
                key = str(rule["id"]).format(arm=arm)
                if key in self.entries:
                    return GroupSize((int(self.value(key)),), True, key)
                return None
            key = str(rule["at_most"]).format(arm=arm)
            if key in self.entries:
                return GroupSize(tuple(range(2, int(self.value(key)) + 1)), False, key)
            return None
        return None


def arms_of(codebook: dict[str, Any], relations: dict[str, Any]) -> Arms | None:
    """The arms from the codebook, or from the relations file when there is no codebook."""
    if codebook.get("arms"):
        return study_arms(codebook)
    listed = relations.get("arms")
    if not listed:
        return None
    return Arms([Arm(key=str(a["key"]), code=str(a["key"]), label=str(a["label"])) for a in listed])


def scales_of(codebook: dict[str, Any], relations: dict[str, Any]) -> dict[str, Scale]:
    """Each variable's scale: the codebook's columns (step, better, min, max), then the
    relations file's ``scales`` (for a paper audited without its codebook)."""
    scales = {}
    for table in (codebook.get("tables") or {}).values():
        for name, column in table["columns"].items():
            scales[name] = Scale(
                step=float(column["step"]) if "step" in column else None,
                better=column.get("better"),
                low=float(column["min"]) if "min" in column else None,
                high=float(column["max"]) if "max" in column else None,
            )
    for name, spec in (relations.get("scales") or {}).items():
        low, high = (spec.get("range") or [None, None])[:2]
        scales[name] = Scale(
            step=float(spec["step"]) if spec.get("step") else None,
            better=spec.get("better"),
            low=None if low is None else float(low),
            high=None if high is None else float(high),
        )
    return scales
