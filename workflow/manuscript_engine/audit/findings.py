"""Findings, not checks: the inconsistent checks that share a root cause, as one problem.

Many checks can restate one problem: a percentage slip fails its percentage check, the
check that it repeats another place's value and, on the synthetic cohort, the check
against the data. Checks belong to one finding when they suspect the same printed
number or share a declared cause (every impossible mean of one scale). A number that
some other check confirms (a group size that adds up elsewhere) is not a suspect, so one
widely used n does not chain unrelated problems together.

A finding is as severe as its worst check, except that checks against a synthetic cohort
only ever join a finding: the cohort was built from the paper, so its disagreements are
consequences of the paper's own problems, not evidence of new ones.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from manuscript_engine.audit.model import SEVERITIES, Check

CONFIRMING = ("sum", "percent", "interval", "repeat", "test", "grim", "grimmer", "denominator")
"""Families whose consistent verdict confirms the numbers they read."""
SUMMARY_LENGTH = 200


@dataclass(frozen=True)
class Finding:
    """One problem of the paper with all the checks that show it."""

    id: str
    severity: str
    reading: str
    checks: tuple[Check, ...]

    @property
    def lead(self) -> Check:
        """The check that states the problem best: the paper's own, most severe, first
        (checks against the data come last)."""
        return self.checks[0]

    @property
    def summary(self) -> str:
        """One line: where, and what the lead check found."""
        text = self.lead.explanation.rstrip(".")
        if len(text) > SUMMARY_LENGTH:
            text = text[: SUMMARY_LENGTH - 1].rsplit(" ", 1)[0] + "…"
        return f"{self.lead.location}: {text}"

    @property
    def locations(self) -> list[str]:
        return list(dict.fromkeys(c.location for c in self.checks))


@dataclass(frozen=True)
class Audit:
    """Every check of a paper and the findings they make."""

    checks: list[Check]
    findings: list[Finding]


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


class _Groups:
    """Union–find over check indices."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def root(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        self.parent[self.root(i)] = self.root(j)


def confirmed_numbers(checks: list[Check]) -> set[str]:
    """Published ids some consistent arithmetic check reads: not suspects elsewhere."""
    return {
        key
        for c in checks
        if c.verdict == "consistent" and c.check in CONFIRMING
        for key in c.involves
    }


def suspects_of(check: Check, confirmed: set[str]) -> set[str]:
    """The numbers a check suspects, less those another check confirms (unless that
    would leave none)."""
    named = set(check.suspects or check.involves)
    return (named - confirmed) or named


def _group_keys(check: Check, confirmed: set[str]) -> set[str]:
    """What joins a check to others: its suspect numbers and its cause. A check with a
    cause and no suspects (a wrong word, such as a unit, rather than a wrong number) is
    joined by its cause alone."""
    if check.cause and not check.suspects:
        return {f"cause:{check.cause}"}
    return suspects_of(check, confirmed) | ({f"cause:{check.cause}"} if check.cause else set())


def group_findings(
    checks: list[Check], *, order: list[str], derivative: tuple[str, ...] = ()
) -> list[Finding]:
    """The findings among ``checks``, worst first, then in the paper's ``order`` of ids.

    Checks of a ``derivative`` family (``data`` on a synthetic cohort) join findings but
    never make one alone.
    """
    inconsistent = [c for c in checks if c.verdict == "inconsistent"]
    confirmed = confirmed_numbers(checks)
    groups = _Groups(len(inconsistent))
    first_with: dict[str, int] = {}
    for i, check in enumerate(inconsistent):
        keys = _group_keys(check, confirmed)
        for key in keys:
            if key in first_with:
                groups.join(i, first_with[key])
            else:
                first_with[key] = i
    members: dict[int, list[Check]] = defaultdict(list)
    for i, check in enumerate(inconsistent):
        members[groups.root(i)].append(check)
    position = {key: i for i, key in enumerate(order)}
    findings = []
    for group in members.values():
        own = [c for c in group if c.check not in derivative]
        if not own:
            continue
        findings.append(_finding(group, own, confirmed, position))
    findings.sort(key=lambda f: (_rank(f.severity), _first_position(f, confirmed, position)))
    return findings


def _first_position(finding: Finding, confirmed: set[str], position: dict[str, int]) -> int:
    keys = set().union(*(_group_keys(c, confirmed) for c in finding.checks))
    return min((position.get(k, len(position)) for k in keys), default=len(position))


def _finding(
    group: list[Check], own: list[Check], confirmed: set[str], position: dict[str, int]
) -> Finding:
    worst = min(own, key=lambda c: _rank(c.severity))
    severity = worst.severity if worst.severity in SEVERITIES else "likely error"
    causes = sorted({c.cause for c in own if c.cause})
    if causes:
        name = causes[0]
    else:
        keys = set().union(*(suspects_of(c, confirmed) for c in own))
        name = min(keys, key=lambda k: (position.get(k, len(position)), k))
    reading = worst.reading if severity in ("ambiguous", "convention") else ""
    ordered = sorted(group, key=lambda c: (c.check in ("data",), _rank(c.severity), c.id))
    return Finding(f"finding:{name}", severity, reading, tuple(ordered))


def severity_counts(findings: list[Finding]) -> dict[str, int]:
    """How many findings of each severity, in the order of SEVERITIES."""
    return {s: sum(f.severity == s for f in findings) for s in SEVERITIES}


NOUNS = {
    "contradiction": ("contradiction", "contradictions"),
    "likely error": ("likely error", "likely errors"),
    "ambiguous": ("ambiguous", "ambiguous"),
    "convention": ("convention", "conventions"),
}


def counts_sentence(findings: list[Finding]) -> str:
    """'15 distinct findings: 6 contradictions, 4 likely errors, 3 ambiguous, 2 conventions.'"""
    parts = [f"{n} {NOUNS[severity][n != 1]}" for severity, n in severity_counts(findings).items()]
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} distinct {noun}: " + ", ".join(parts) + "."
