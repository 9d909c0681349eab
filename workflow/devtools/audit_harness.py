"""The one place that says which audit precision and recall measure: the engine's audit
of the published numbers alone (``manuscript_engine.audit.checks.run_audit`` without a
cohort), the audit an editor without the data can run.
"""

from __future__ import annotations

from typing import Any

from manuscript_engine.audit.checks import run_audit
from manuscript_engine.audit.model import Check


def audit_without_data(
    entries: list[dict[str, Any]], relations: dict[str, Any], codebook: dict[str, Any]
) -> list[Check]:
    """Every check of the published numbers that needs no cohort."""
    return run_audit(entries, relations, codebook).checks
