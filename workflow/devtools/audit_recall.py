"""The data-free audit's recall on planted errors, as a Markdown table.

Plants one error in each copy of the paper as the synthetic cohort prints it
(devtools.planted_errors), asks an oracle apart from the audit whether the error is
detectable in principle (devtools.detectability), runs the data-free audit
(devtools.audit_harness) and counts an error caught when an inconsistency involves the
changed id (its ``involves`` or ``suspects``, or the check's id names it).

    python -m devtools.audit_recall
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from devtools.audit_harness import audit_without_data
from devtools.detectability import Oracle
from devtools.planted_errors import KINDS, Variant, planted_errors
from manuscript_engine.audit.model import Check


@dataclass
class Outcome:
    """What became of one planted error."""

    variant: Variant
    broken: list[str]
    caught_by: list[str]
    error: str = ""

    @property
    def detectable(self) -> bool:
        return bool(self.broken)

    @property
    def caught(self) -> bool:
        return bool(self.caught_by)


@dataclass
class Run:
    outcomes: list[Outcome]
    seconds: dict[str, float] = field(default_factory=dict)


def catches(check: Check, ids: tuple[str, ...]) -> bool:
    """Whether an inconsistent check points at one of the changed ids."""
    if check.verdict != "inconsistent":
        return False
    named = set(check.involves) | set(check.suspects)
    return any(i in named or i in check.id for i in ids)


def measure(
    entries: list[dict[str, Any]], relations: dict[str, Any], codebook: dict[str, Any]
) -> Run:
    """Plant every error, judge it with the oracle and run the audit on it."""
    started = time.perf_counter()
    variants = planted_errors(entries, relations, codebook)
    generated = time.perf_counter()
    oracle = Oracle(entries, relations, codebook)
    base = {e["id"]: e for e in entries}
    judged = [(v, oracle.broken(v.changed(base))) for v in variants]
    oracled = time.perf_counter()
    outcomes = []
    for variant, broken in judged:
        try:
            with warnings.catch_warnings():  # a count above its group warns, then raises
                warnings.simplefilter("ignore", RuntimeWarning)
                found = audit_without_data(variant.apply(entries), relations, codebook)
        except Exception as error:  # noqa: BLE001 - a crash is reported, not caught
            outcomes.append(Outcome(variant, broken, [], f"{type(error).__name__}: {error}"))
            continue
        caught = [c.id for c in found if catches(c, variant.ids)]
        outcomes.append(Outcome(variant, broken, caught))
    audited = time.perf_counter()
    return Run(
        outcomes,
        {
            "generate": generated - started,
            "oracle": oracled - generated,
            "audit": audited - oracled,
        },
    )


def recall_by_kind(outcomes: list[Outcome]) -> dict[str, dict[str, int]]:
    rows: dict[str, dict[str, int]] = {}
    for kind in (*KINDS, "total"):
        mine = [o for o in outcomes if kind in (o.variant.kind, "total")]
        rows[kind] = {
            "variants": len(mine),
            "detectable": sum(o.detectable for o in mine),
            "caught": sum(o.detectable and o.caught for o in mine),
            "undetectable": sum(not o.detectable for o in mine),
            "flagged undetectable": sum(not o.detectable and o.caught for o in mine),
        }
    return rows


def _pct(caught: int, detectable: int) -> str:
    return f"{100 * caught / detectable:.1f}" if detectable else "–"


def markdown(run: Run) -> str:
    rows = recall_by_kind(run.outcomes)
    lines = [
        "| kind | variants | detectable | caught | recall on detectable (%) | undetectable "
        "| undetectable but flagged |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, r in rows.items():
        name = f"**{kind}**" if kind == "total" else kind
        lines.append(
            f"| {name} | {r['variants']} | {r['detectable']} | {r['caught']} | "
            f"{_pct(r['caught'], r['detectable'])} | {r['undetectable']} | "
            f"{r['flagged undetectable']} |"
        )
    seconds = run.seconds
    lines += [
        "",
        f"Generated in {seconds['generate']:.2f} s; oracle {seconds['oracle']:.2f} s; "
        f"audit of all variants {seconds['audit']:.2f} s.",
        "",
        "## Missed detectable variants",
        "",
    ]
    for kind in KINDS:
        missed = [
            o for o in run.outcomes if o.variant.kind == kind and o.detectable and not o.caught
        ]
        if not missed:
            continue
        lines += [f"### {kind} ({len(missed)})", ""]
        lines += [
            f"- {o.variant.mutation}: {o.variant.describe()} — breaks {', '.join(o.broken)}"
            + (f" (audit crashed: {o.error})" if o.error else "")
            for o in missed
        ]
        lines.append("")
    flagged = [o for o in run.outcomes if not o.detectable and o.caught]
    if flagged:
        lines += ["## Flagged although the oracle finds them undetectable", ""]
        lines += [
            f"- {o.variant.kind}, {o.variant.mutation}: {o.variant.describe()} — "
            f"{', '.join(o.caught_by)}"
            for o in flagged
        ]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    from devtools.published_from_cohort import build

    print(markdown(measure(*build())))


if __name__ == "__main__":
    main()
