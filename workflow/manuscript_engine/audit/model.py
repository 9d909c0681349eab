"""What the audit works on: the published numbers (:class:`Paper`) and one check of them
(:class:`Check`), with the verdicts and severities a check can carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from manuscript_engine.audit.published import printed_number
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.data.vocabulary import Arms

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


class Paper:
    """The published numbers by id, with their values and printed precision, and what the
    study's audit mapping (data/published_checks.yaml) and codebook say about them.

    ``alpha`` is the paper's own significance threshold (what its marks and "significant"
    mean), not this build's: the audit judges the paper by its own rule.
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
        self.arms = arms
        self.codebook = codebook or {}
        relations = relations or {}
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

    def cell(self, stat: str, arm: str, var: str, visit: str) -> str:
        """The id of the published mean or SD of ``var`` at ``visit`` in ``arm``."""
        return self._by_cell[stat, arm, var, visit]

    def value(self, key: str) -> float:
        return printed_number(self.entries[key])[0]

    def decimals(self, key: str) -> int:
        return printed_number(self.entries[key])[1]

    def text(self, key: str) -> str:
        return str(self.entries[key]["printed"])

    def where(self, key: str) -> str:
        return self.entries[key]["where"]
