"""Audit: the published paper against the cohort data and against itself.

Every published number (``data/published.yaml``) gets every check that applies:

* **data**: the value the pipeline computes from the cohort, compared at the printed
  precision ("5.62" against 5.6238 matches);
* **sum**: parts against the total printed elsewhere (``data/published_checks.yaml``);
* **percent**: a percentage against its count and the group size printed elsewhere;
* **interval**: a confidence interval inside 0–100% and around its estimate, and which
  method (Wald, Wilson, Clopper–Pearson) reproduces it;
* **repeat**: the same quantity printed in two places with the same value;
* **grim** / **grimmer**: whether a mean or SD is possible for its n on the scale's step;
* **test**: P recomputed from the published counts (χ², χ² with Yates' correction,
  Fisher) or means (Student, Welch); which test reproduces it and whether the methods
  name that test; Table 3's significance marks against the recomputed P;
* **claim**: statements about significance or direction against the tables.

Every check but **data** needs only the printed numbers, so a paper whose data are not
public can be audited from its ``published.yaml`` alone (:func:`audit_published`).
The inconsistent checks are then grouped into findings (:mod:`.findings`).

References: Brown NJL, Heathers JAJ (GRIM), Soc Psychol Personal Sci 2017;8:363-9;
Anaya J (GRIMMER), PeerJ Preprints 2016;4:e2400v1; Nuijten MB et al. (statcheck),
Behav Res Methods 2016;48:1205-26.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from manuscript_engine.audit.against_data import Cohort, check_data
from manuscript_engine.audit.arithmetic import (
    check_intervals,
    check_percentages,
    check_repeats,
    check_sums,
)
from manuscript_engine.audit.direction import check_direction
from manuscript_engine.audit.findings import Audit, counts_sentence, group_findings
from manuscript_engine.audit.granularity import check_granularity  # noqa: F401
from manuscript_engine.audit.model import SEVERITIES, AuditFailed, Check, Paper  # noqa: F401
from manuscript_engine.audit.published import load_published, with_arm_keys
from manuscript_engine.audit.ranges import check_ranges
from manuscript_engine.audit.report import (  # noqa: F401
    apply_policy,
    audit_markdown,
    audit_numbers,
    checks_frame,
    findings_table,
)
from manuscript_engine.audit.sections import check_sections
from manuscript_engine.audit.summary_tests import check_marks, check_tests
from manuscript_engine.audit.trajectory import check_trajectories
from manuscript_engine.core.atomic_files import atomic_output, write_text_atomically
from manuscript_engine.core.yaml_schemas import load_checked_yaml

log = logging.getLogger("manuscript.audit")


def data_free_checks(paper: Paper, relations: dict[str, Any]) -> list[Check]:
    """The checks that need only the printed numbers."""
    return (
        check_sums(paper, relations.get("sums", []))
        + check_percentages(paper)
        + check_intervals(paper)
        + check_repeats(paper)
        + check_granularity(paper)
        + check_ranges(paper)
        + check_tests(paper, relations.get("tests", []), relations["methods"])
        + check_marks(paper)
        + check_direction(paper, relations)
        + check_trajectories(paper, relations)
        + check_sections(paper, relations)
    )


def run_audit(
    entries: list[dict[str, Any]],
    relations: dict[str, Any],
    codebook: dict[str, Any] | None = None,
    cohort: Cohort | None = None,
) -> Audit:
    """Every check that applies, with the cohort's when there is one, and the findings."""
    paper = Paper(entries, codebook=codebook, relations=relations)
    checks = []
    if cohort is not None:
        # published.yaml names arms by key; the data store codes.
        cohort.frame = with_arm_keys(cohort.frame, paper.arms)
        cohort.enrollment = with_arm_keys(cohort.enrollment, paper.arms)
        checks += check_data(paper, cohort)
    checks += data_free_checks(paper, relations)
    derivative = ("data",) if cohort is not None and cohort.synthetic else ()
    order = [entry["id"] for entry in entries]
    return Audit(checks, group_findings(checks, order=order, derivative=derivative))


def audit_published(
    published: Path, relations: Path | None = None, codebook: Path | None = None
) -> Audit:
    """Audit a published-numbers file without data.

    The relations file defaults to ``published_checks.yaml`` beside it, and the codebook
    to ``codebook.yaml`` beside it where there is one (it has no patient data: it says
    what the arms and scales are); without a codebook the relations file's ``arms`` and
    ``scales`` say it.
    """
    from manuscript_engine.data.cohort import load_codebook

    published = Path(published)
    relations = Path(relations or published.with_name("published_checks.yaml"))
    codebook = Path(codebook) if codebook else published.with_name("codebook.yaml")
    entries = load_published(published)
    mapping = load_checked_yaml(relations, "published_checks", published=entries)
    book = load_codebook(codebook) if codebook.exists() else None
    return run_audit(entries, mapping, book)


def write_audit(
    *,
    published,
    relations,
    patients,
    enrollment,
    number_files,
    codebook,
    acknowledgements,
    strict: bool,
    synthetic: bool,
    csv,
    markdown,
    numbers,
    table=None,
) -> None:
    """Run every check, write the report (CSV, Markdown) and the audit's numbers, and,
    with ``table``, its findings as a table the manuscript can place.

    Raises
    ------
    AuditFailed
        When ``strict`` and a finding is not acknowledged in config/audit.yaml.
    """
    from manuscript_engine.data.analysis_dataset import read_patients
    from manuscript_engine.data.cohort import load_codebook, read_typed_table

    book = load_codebook(Path(codebook))
    entries = load_published(Path(published))
    mapping = load_checked_yaml(Path(relations), "published_checks", published=entries)
    acknowledged = load_checked_yaml(Path(acknowledgements), "audit")["acknowledged"] or {}
    registry: dict[str, Any] = {}
    for path in number_files:
        registry.update(json.loads(Path(path).read_text(encoding="utf-8")))
    cohort = Cohort(
        frame=read_patients(Path(patients), book),
        enrollment=read_typed_table(Path(enrollment), book["tables"]["enrollment"]["columns"]),
        registry=registry,
        synthetic=synthetic,
    )
    audit = run_audit(entries, mapping, book, cohort)
    policy = apply_policy(audit.findings, acknowledged, strict)
    with atomic_output(csv) as partial:
        checks_frame(audit.checks).to_csv(partial, index=False, lineterminator="\n")
    write_text_atomically(markdown, audit_markdown(audit, policy, acknowledged, synthetic))
    audit_numbers(audit, policy).to_json(numbers)
    if table:
        write_text_atomically(table, findings_table(audit.findings))
    log.info("audit: %d checks; %s", len(audit.checks), counts_sentence(audit.findings))
    for key in policy["resolved"]:
        log.info("resolved (acknowledged, no longer found): %s", key)
    if policy["new"]:
        by_id = {f.id: f for f in audit.findings}
        listing = "\n".join(
            f"  - {k} ({by_id[k].severity}) {by_id[k].summary}" for k in policy["new"]
        )
        message = (
            f"The audit found {len(policy['new'])} finding(s) that config/audit.yaml does "
            f"not acknowledge:\n{listing}\nRead each in results/audit/audit.html; if it is "
            "expected, add its id to config/audit.yaml with a one-line reason; to build "
            "anyway, run snakemake --cores 4 --config audit_strict=false"
        )
        if strict:
            raise AuditFailed(message)
        log.warning("WARNING: %s", message)
