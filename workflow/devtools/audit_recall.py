"""The data-free audit's recall on planted errors, as a Markdown table.

Plants one error in each copy of the paper as the synthetic cohort prints it
(devtools.planted_errors), asks an oracle apart from the audit whether the error is
detectable in principle (devtools.detectability), runs the data-free audit
(devtools.audit_harness) and counts an error caught when an inconsistency involves the
changed id (its ``involves`` or ``suspects``, or the check's id names it) and is not one
the unchanged paper already shows (a paper may have findings before any is planted).

The full run audits every variant (about 1,200, a minute and a half on one core, split
over the machine's cores); ``--per-kind N`` audits a deterministic sample of at most N
detectable and N/4 undetectable variants of each kind, as the test suite does.

    python -m devtools.audit_recall [--per-kind N] [--table-only]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
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


def catches(check: Check, ids: tuple[str, ...], before: set[tuple[str, str, str]]) -> bool:
    """Whether an inconsistent check, new since the unchanged paper (``before``), points
    at one of the changed ids."""
    if check.verdict != "inconsistent" or _key(check) in before:
        return False
    named = set(check.involves) | set(check.suspects)
    return any(i in named or i in check.id for i in ids)


def _key(check: Check) -> tuple[str, str, str]:
    return (check.id, check.published, check.recomputed)


def sample(
    judged: list[tuple[Variant, list[str]]], per_kind: int
) -> list[tuple[Variant, list[str]]]:
    """At most ``per_kind`` detectable and ``per_kind // 4`` undetectable variants of each
    kind, evenly spaced through the generated order (the same on every run)."""
    kept = []
    for kind in KINDS:
        for detectable, most in ((True, per_kind), (False, per_kind // 4)):
            mine = [x for x in judged if x[0].kind == kind and bool(x[1]) == detectable]
            taken = min(most, len(mine))
            kept += [mine[i * len(mine) // taken] for i in range(taken)]
    return kept


_PAPER: tuple = ()


def _share(paper: tuple) -> None:
    global _PAPER
    _PAPER = paper


def _audit(item: tuple[Variant, list[str]]) -> Outcome:
    """One variant's outcome (in a worker: the paper comes from :func:`_share`)."""
    variant, broken = item
    entries, relations, codebook, before = _PAPER
    try:
        with warnings.catch_warnings():  # a count above its group warns, then raises
            warnings.simplefilter("ignore", RuntimeWarning)
            found = audit_without_data(variant.apply(entries), relations, codebook)
    except Exception as error:  # noqa: BLE001 - a crash is reported, not caught
        return Outcome(variant, broken, [], f"{type(error).__name__}: {error}")
    return Outcome(variant, broken, [c.id for c in found if catches(c, variant.ids, before)])


def measure(
    entries: list[dict[str, Any]],
    relations: dict[str, Any],
    codebook: dict[str, Any],
    per_kind: int | None = None,
    workers: int | None = None,
) -> Run:
    """Plant every error, judge it with the oracle and run the audit on it (on a sample
    when ``per_kind`` is given), over ``workers`` processes (default: every core)."""
    started = time.perf_counter()
    variants = planted_errors(entries, relations, codebook)
    generated = time.perf_counter()
    oracle = Oracle(entries, relations, codebook)
    base = {e["id"]: e for e in entries}
    judged = [(v, oracle.broken(v.changed(base))) for v in variants]
    if per_kind is not None:
        judged = sample(judged, per_kind)
    oracled = time.perf_counter()
    before = {
        _key(c)
        for c in audit_without_data(entries, relations, codebook)
        if c.verdict == "inconsistent"
    }
    paper = (entries, relations, codebook, before)
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        _share(paper)
        outcomes = [_audit(item) for item in judged]
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, context, initializer=_share, initargs=(paper,)) as pool:
            outcomes = list(pool.map(_audit, judged, chunksize=16))
    audited = time.perf_counter()
    return Run(
        outcomes,
        {
            "generate": generated - started,
            "oracle": oracled - generated,
            "audit": audited - oracled,
            "workers": workers,
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


def markdown(run: Run, table_only: bool = False) -> str:
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
        f"{len(run.outcomes)} variants: generated in {seconds['generate']:.2f} s; oracle "
        f"{seconds['oracle']:.2f} s; audited in {seconds['audit']:.1f} s on "
        f"{seconds['workers']:g} processes.",
    ]
    if table_only:
        return "\n".join(lines)
    lines += [
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


def main(argv: list[str] | None = None) -> None:
    from devtools.published_from_cohort import build

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-kind", type=int, help="audit a sample: N detectable per kind")
    parser.add_argument("--workers", type=int, help="processes (default: every core)")
    parser.add_argument("--table-only", action="store_true", help="no list of misses")
    args = parser.parse_args(argv)
    run = measure(*build(), per_kind=args.per_kind, workers=args.workers)
    print(markdown(run, table_only=args.table_only))


if __name__ == "__main__":
    main()
