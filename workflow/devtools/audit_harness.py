"""The one place that knows which audit checks run without data.

Precision and recall (devtools.published_from_cohort, devtools.audit_recall) call
:func:`audit_without_data`; when the engine gains its own data-free audit, swap it in
here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from manuscript_engine.audit import checks
from manuscript_engine.audit.model import Check, Paper
from manuscript_engine.data.vocabulary import study_arms


def audit_without_data(
    entries: list[dict[str, Any]], relations: dict[str, Any], codebook: dict[str, Any]
) -> list[Check]:
    """Every check of the published numbers that needs no cohort.

    Today: sums, percentages, intervals, repeats, P values from printed counts or means,
    and the claims that rest on printed P values alone (``p_below``: they read no data).
    Checks that do not yet say what they read get ``involves`` from their rule.
    """
    paper = Paper(entries, arms=study_arms(codebook), codebook=codebook, relations=relations)
    p_claims = [rule for rule in relations.get("claims", []) if rule["expects"] == "p_below"]
    found = (
        checks.check_sums(paper, relations.get("sums", []))
        + checks.check_percentages(paper)
        + checks.check_intervals(paper)
        + checks.check_repeats(paper)
        + checks.check_tests(paper, relations.get("tests", []), relations["methods"])
        + checks.check_claims(paper, p_claims, None, None)
    )
    return [_with_involves(check, paper, relations) for check in found]


def _with_involves(check: Check, paper: Paper, relations: dict[str, Any]) -> Check:
    """The check with the published ids its rule reads, where it does not name them."""
    if check.involves:
        return check
    family, _, key = check.id.partition(":")
    ids: list[str] = [key]
    if family == "sum":
        rule = next(r for r in relations.get("sums", []) if r["id"] == key)
        ids = [*rule["parts"], rule["total"]]
    elif family in ("percent", "interval"):
        entry = paper.entries[key]
        ids += [checks.count_id(paper, entry), checks.denominator_id(paper, entry)]
        if family == "interval":
            ids += [
                k
                for k, e in paper.entries.items()
                if e["stat"] in ("ci_upper", "percent") and e.get("of") == entry.get("of")
            ]
    elif family == "repeat":
        entry = paper.entries[key]
        ids = [
            k
            for k, e in paper.entries.items()
            if e["stat"] == entry["stat"] and e.get("of") == entry.get("of")
        ]
    elif family == "test":
        rule = next(r for r in relations.get("tests", []) if r["p"] == key)
        ids += [k for group in rule.get("counts", rule.get("means", [])) for k in group]
    elif family == "claim":
        rule = next(r for r in relations.get("claims", []) if r["id"] == key)
        ids += list(rule.get("p", [])) + [f"{cell}.mark" for cell in rule.get("cells", [])]
    involves = tuple(dict.fromkeys(i for i in ids if i))
    return Check(**{**check.__dict__, "involves": involves})
