"""Steps of the audit: the published paper against the data and itself.

The calling convention (``input, output, params, wildcards``; imports inside each
step) is :mod:`manuscript_engine.core.step_runner`'s.
"""

from __future__ import annotations

import logging

from manuscript_engine.core.settings import read_settings

log = logging.getLogger("manuscript")


def audit(input, output, params, wildcards) -> None:
    from manuscript_engine.audit.checks import write_audit

    settings = read_settings(input.settings)
    write_audit(
        published=input.published,
        relations=input.relations,
        patients=input.patients,
        enrollment=input.enrollment,
        number_files=list(input.numbers),
        codebook=input.codebook,
        acknowledgements=input.acknowledgements,
        strict=settings["audit_strict"],
        synthetic=settings["synthetic_cohort"],
        csv=output.csv,
        markdown=output.markdown,
        numbers=output.numbers,
        table=output.get("table"),
    )


def audit_report(input, output, params, wildcards) -> None:
    from manuscript_engine.audit.report import write_audit_html

    write_audit_html(input.markdown, output.html)
