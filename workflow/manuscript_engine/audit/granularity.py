"""GRIM and GRIMMER: whether a printed mean or SD is possible for its n on the scale's
step (Brown NJL, Heathers JAJ, Soc Psychol Personal Sci 2017;8:363-9; Anaya J, PeerJ
Preprints 2016;4:e2400v1).

The n comes from the printed numbers (the study's ``denominators`` rules). Where the
paper never prints it (a later visit, after some patients left), the check is run for
every plausible n: impossible for all of them is a contradiction; possible for some is
a conditional verdict that says for which.

All impossible means (or SDs) of one variable share a cause, so they are one finding: one
problem with the way that variable was summarised, not one per cell.
"""

from __future__ import annotations

from manuscript_engine.audit.model import Check, GroupSize, Paper
from manuscript_engine.audit.possible_ns import describe_ns, grim_possible_ns, grimmer_possible_ns


def _verdict(size: GroupSize, possible: list[int]) -> tuple[str, str, str]:
    """Verdict, severity and condition for the n that make a statistic possible."""
    if len(possible) == len(size.ns):
        return "consistent", "", ""
    if not possible:
        return "inconsistent", "contradiction", ""
    return "conditional", "", f"possible {describe_ns(possible, size.ns)}"


def _grim(paper: Paper, key: str, step: float, size: GroupSize, bounds) -> Check:
    entry, printed = paper.entries[key], paper.text(key)
    possible = grim_possible_ns(printed, step, size.ns, bounds)
    verdict, severity, condition = _verdict(size, possible)
    if size.exact:
        n = size.ns[0]
        below = int(float(printed) * n / step)
        explanation = (
            f"{n} values in steps of {step:g}: a mean of {printed} needs a sum of "
            f"{float(printed) * n:.2f}; the nearest possible sums {below * step:g} and "
            f"{(below + 1) * step:g} give {below * step / n:.4f} and "
            f"{(below + 1) * step / n:.4f}"
            if not possible
            else f"{n} values in steps of {step:g} can have a mean of {printed}"
        )
    else:
        explanation = f"values in steps of {step:g}; {size.describe()}: a mean of {printed} is " + (
            "possible for every such n"
            if verdict == "consistent"
            else "impossible for every such n"
            if not possible
            else condition
        )
    return Check(
        f"grim:{key}",
        entry["where"],
        printed,
        "",
        "grim",
        verdict,
        explanation + ".",
        involves=(key, size.source),
        suspects=(key,),
        severity=severity,
        cause=f"step:{entry['of']['var']}" if severity else "",
        condition=condition,
    )


def _grimmer(paper: Paper, key: str, mean_key: str, step: float, size: GroupSize, bounds) -> Check:
    entry, printed, mean_text = paper.entries[key], paper.text(key), paper.text(mean_key)
    possible = grimmer_possible_ns(mean_text, printed, step, size.ns, bounds)
    verdict, severity, condition = _verdict(size, possible)
    where_n = f"n = {size.ns[0]}" if size.exact else size.describe()
    explanation = f"values in steps of {step:g} with mean {mean_text}, {where_n}: " + (
        f"an SD of {printed} is possible"
        if verdict == "consistent"
        else condition
        if verdict == "conditional"
        else f"no sum of squares gives an SD that prints as {printed} (the sum of squares "
        "of step-valued numbers has the parity of their sum)"
    )
    return Check(
        f"grimmer:{key}",
        entry["where"],
        printed,
        "",
        "grimmer",
        verdict,
        explanation + ".",
        involves=(key, mean_key, size.source),
        suspects=(key,),
        severity=severity,
        cause=f"step:{entry['of']['var']}" if severity else "",
        condition=condition,
    )


def check_granularity(paper: Paper) -> list[Check]:
    """GRIM for every printed mean and GRIMMER for every printed SD on a stepped scale."""
    checks = []
    for key, entry in paper.entries.items():
        if entry["stat"] not in ("mean", "sd"):
            continue
        of = entry["of"]
        scale = paper.scales.get(of["var"])
        size = paper.group_size(entry)
        if scale is None or not scale.step or size is None:
            continue
        bounds = None if scale.low is None or scale.high is None else (scale.low, scale.high)
        if entry["stat"] == "mean":
            checks.append(_grim(paper, key, scale.step, size, bounds))
            continue
        mean_key = paper.cell("mean", of["arm"], of["var"], of.get("visit"))
        if mean_key is not None and paper.entries[mean_key]["of"] == of:
            checks.append(_grimmer(paper, key, mean_key, scale.step, size, bounds))
    return checks
