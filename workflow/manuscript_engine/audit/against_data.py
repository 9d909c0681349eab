"""The published numbers against the cohort: each recomputed from the data and compared
at the printed precision.

On the synthetic cohort these checks show what the reconstruction could and could not
reproduce; they join the finding of a problem the paper's own numbers show, and are not
findings of their own. On real data a mismatch is a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from manuscript_engine.audit.model import Check, Paper
from manuscript_engine.audit.published import COHORT_STATS, evaluate, printed_number
from manuscript_engine.audit.summary_tests import p_matches
from manuscript_engine.core.formatting import format_decimal


@dataclass
class Cohort:
    """The data a paper is audited against: patients (arms by key), enrollment, the
    pipeline's registry of numbers, and whether the cohort is the synthetic one."""

    frame: pd.DataFrame
    enrollment: pd.DataFrame
    registry: dict[str, Any]
    synthetic: bool
    selections: dict = field(default_factory=dict)


def check_data(paper: Paper, cohort: Cohort) -> list[Check]:
    """Every published count, percentage, mean, SD and range (and, on real data, P)
    recomputed from the cohort."""
    checks = []
    for key, entry in paper.entries.items():
        if entry["stat"] in COHORT_STATS:
            value, decimals = printed_number(entry)
            mine = evaluate(entry, cohort.frame, cohort.enrollment, cohort.selections)
            same = format_decimal(mine, decimals) == format_decimal(value, decimals)
            shown = format_decimal(mine, max(decimals, 2))
            checks.append(
                Check(
                    f"data:{key}",
                    entry["where"],
                    entry["printed"],
                    shown,
                    "data",
                    "consistent" if same else "inconsistent",
                    f"{entry['measures']}: the cohort gives {shown}, which prints as "
                    f"{format_decimal(mine, decimals)} at the paper's precision"
                    + ("" if same else f", not {entry['printed']}")
                    + ".",
                    involves=(key,),
                    severity="" if same else "likely error",
                )
            )
        elif entry["stat"] == "p_value":
            base = paper.registry_keys.get(entry["of"]["compares"])
            if base is None or f"{base}.p" not in cohort.registry:
                continue
            mine = cohort.registry[f"{base}.p"]
            if cohort.synthetic:
                checks.append(
                    Check(
                        f"data:{key}",
                        entry["where"],
                        entry["printed"],
                        mine["text"],
                        "data",
                        "not checkable",
                        "the synthetic cohort reproduces means, SDs and counts, not the full "
                        "distributions a rank test depends on; with the real data this P is "
                        "compared.",
                        involves=(key,),
                    )
                )
                continue
            checks.append(_p_against(key, entry, mine))
    return checks


def _p_against(key: str, entry: dict[str, Any], mine: dict[str, Any]) -> Check:
    same = p_matches(str(entry["printed"]), float(mine["value"]))
    return Check(
        f"data:{key}",
        entry["where"],
        entry["printed"],
        mine["text"],
        "data",
        "consistent" if same else "inconsistent",
        f"the pipeline's P ({mine['source']}) is {mine['text']}.",
        involves=(key,),
        severity="" if same else "likely error",
    )
