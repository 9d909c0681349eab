"""The audit's report (Markdown, CSV, HTML), its numbers for the manuscript, and its
policy: which findings config/audit.yaml acknowledges, which are new, which resolved.

The report opens with the distinct findings, one line each, worst first, and their count
by severity; each finding's evidence (every check that shows it) follows, then the
checks whose verdict holds only for some n, then every check.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict

import pandas as pd

from manuscript_engine.audit.findings import Audit, Finding, counts_sentence, severity_counts
from manuscript_engine.audit.model import VERDICTS, Check
from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.core.registry import Number, NumbersRegistry


def apply_policy(findings: list[Finding], acknowledged: dict[str, str], strict: bool) -> dict:
    """Split findings into acknowledged and new; find acknowledgements now resolved."""
    found = {f.id for f in findings}
    return {
        "new": [f.id for f in findings if f.id not in acknowledged],
        "resolved": sorted(set(acknowledged) - found),
        "strict": strict,
        "acknowledged": [f.id for f in findings if f.id in acknowledged],
    }


def checks_frame(checks: list[Check]) -> pd.DataFrame:
    rows = [
        {**asdict(c), "involves": " ".join(c.involves), "suspects": " ".join(c.suspects)}
        for c in checks
    ]
    return pd.DataFrame(rows)


def audit_numbers(audit: Audit, policy: dict) -> NumbersRegistry:
    """The audit's counts, for the manuscript's supplement sentence."""
    source = "audit (results/audit/audit.csv)"

    def number(key: str, n: int, unit: str) -> Number:
        return Number(key, n, str(n), unit, None, source)

    verdicts = {v: sum(c.verdict == v for c in audit.checks) for v in VERDICTS}
    severities = severity_counts(audit.findings)
    return NumbersRegistry(
        [
            number("audit.checks.n", len(audit.checks), "checks"),
            *[number(f"audit.{v.replace(' ', '_')}.n", n, "checks") for v, n in verdicts.items()],
            number("audit.findings.n", len(audit.findings), "findings"),
            *[
                number(f"audit.findings.{s.replace(' ', '_')}.n", n, "findings")
                for s, n in severities.items()
            ],
            number("audit.new.n", len(policy["new"]), "findings"),
        ]
    )


MARKDOWN_MARKS = re.compile(r"([\\`*_\[\]<>|$@^~#{}])")
"""Characters that would make Markdown of a published value's text (emphasis, a link, a
citation, raw HTML): escaped, so that a table cell shows them as typed."""


def findings_table(findings: list[Finding]) -> str:
    """The findings, one row each and worst first, as a table the manuscript can place
    (``table('audit_findings')``); the numbers are the report's.

    Where, what and the reading that would explain it share one cell: a PDF reader reads
    a row line by line, so a second wrapping cell would interleave its numbers.
    """
    rows = []
    for number, finding in enumerate(findings, 1):
        reading = f" Reading: {finding.reading}." if finding.reading else ""
        text = MARKDOWN_MARKS.sub(r"\\\1", f"{finding.summary}.{reading}")
        rows.append(f"| {number} | {finding.severity} | {text} |")
    return "\n".join(
        [
            "| No. | Severity | Where, and what the audit found |",
            "| ---: | :------------- | :" + "-" * 72 + " |",
            *rows,
            "",
            "Table: Findings of the audit of the published paper, the most severe first. "
            "{#tbl:audit_findings}",
            "",
            "::: {.table-note}",
            "Severity: contradiction, impossible under every reading; likely error, no "
            "reading the audit knows makes the numbers consistent; ambiguous, a reading "
            "exists that makes them consistent (given); convention, a rounding or display "
            "convention explains them. Places (sections, tables) are those of the published "
            "paper. Each finding's evidence, every check that shows it, is in the audit "
            "report under the same number.",
            ":::",
            "",
        ]
    )


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _findings_list(findings: list[Finding], acknowledged: dict[str, str]) -> list[str]:
    lines = []
    for i, finding in enumerate(findings, 1):
        reading = f" *Reading:* {finding.reading}." if finding.reading else ""
        status = "" if finding.id in acknowledged else " **NEW**"
        lines.append(
            f"{i}. **{finding.severity}** `{finding.id}`: {finding.summary}.{reading}{status}"
        )
    return lines


def _evidence(finding: Finding, acknowledged: dict[str, str]) -> list[str]:
    note = acknowledged.get(finding.id)
    lines = [
        f"### `{finding.id}` ({finding.severity})",
        "",
        f"- **Where:** {'; '.join(finding.locations)}",
    ]
    if finding.reading:
        lines.append(f"- **Reading that makes it consistent:** {finding.reading}")
    lines.append(f"- **Acknowledged:** {note}" if note else "- **NEW**: not acknowledged")
    lines += ["", "| check | severity | published | arithmetic |", "| --- | --- | --- | --- |"]
    lines += [
        f"| `{c.id}` | {c.severity} | {_cell(c.published)} | {_cell(c.explanation)} |"
        for c in finding.checks
    ]
    return [*lines, ""]


def audit_markdown(audit: Audit, policy: dict, acknowledged: dict[str, str], synthetic) -> str:
    checks, findings = audit.checks, audit.findings
    kinds = sorted({c.check for c in checks})
    conditional = [c for c in checks if c.verdict == "conditional"]
    lines = [
        "---",
        "title: Audit of the published paper against the cohort data and against itself",
        "---",
        "",
        (
            "> The cohort is **synthetic** (reconstructed from the published summaries), so checks "
            "against the data show what the reconstruction could and could not reproduce; "
            "they join findings but make none of their own."
            if synthetic
            else "> Checks against the data use the cohort that `data_source` in "
            "config/config.yaml names."
            if synthetic is not None
            else "> Audited from the published numbers alone, without data."
        ),
        "",
        "## Findings",
        "",
        counts_sentence(findings)
        + " Severity: *contradiction*, impossible under every reading; *likely error*, no "
        "reading the audit knows makes it consistent; *ambiguous*, a reading exists (named); "
        "*convention*, a rounding or display convention explains it.",
        "",
        *_findings_list(findings, acknowledged),
        "",
        f"New, unacknowledged findings: {len(policy['new'])}. "
        f"Acknowledged in config/audit.yaml: {len(policy['acknowledged'])}. "
        f"Acknowledged but no longer found (resolved): {len(policy['resolved'])}.",
        "",
        "## Evidence for each finding",
        "",
    ]
    for finding in findings:
        lines += _evidence(finding, acknowledged)
    if conditional:
        lines += [
            "## Verdicts that depend on an n the paper does not print",
            "",
            *[f"- `{c.id}` ({c.location}): {c.condition}." for c in conditional],
            "",
        ]
    if policy["resolved"]:
        lines += [
            "## Resolved",
            "",
            *[f"- `{k}`: {acknowledged[k]}" for k in policy["resolved"]],
            "",
        ]
    lines += [
        "## Checks by family",
        "",
        "| check | " + " | ".join(VERDICTS) + " |",
        "| --- | " + " | ".join("---:" for _ in VERDICTS) + " |",
        *[
            f"| {k} | "
            + " | ".join(
                str(sum(c.check == k and c.verdict == v for c in checks)) for v in VERDICTS
            )
            + " |"
            for k in kinds
        ],
        "| **all** | "
        + " | ".join(str(sum(c.verdict == v for c in checks)) for v in VERDICTS)
        + " |",
        "",
        "## Every check",
        "",
        "| id | verdict | severity | published | recomputed |",
        "| --- | --- | --- | --- | --- |",
        *[
            f"| `{c.id}` | {c.verdict} | {c.severity} | {_cell(c.published)} | "
            f"{_cell(c.recomputed)} |"
            for c in checks
        ],
        "",
    ]
    return "\n".join(lines)


def write_audit_html(markdown, html) -> None:
    """The audit report as a standalone web page (its own step, run beside the manuscript).

    The report quotes data/published.yaml, which arrives in pull requests like any data:
    raw HTML in it is read as text, the document is checked as the manuscript's is
    (no links to scripts, no pictures, no active attributes), and pandoc runs in its
    sandbox, so nothing in it can read a file, fetch a URL or run in a reader's browser.
    """
    import tempfile
    from pathlib import Path

    from manuscript_engine.output.conversion import run_pandoc
    from manuscript_engine.text.document_safety import ImagePolicy, findings

    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "audit.json"
        run_pandoc(Path(markdown), "json", tree, "markdown-raw_html-raw_attribute-raw_tex")
        problems = findings(json.loads(tree.read_text(encoding="utf-8")), ImagePolicy(".", []))
        if problems:
            raise ManuscriptError(
                "The audit report would carry what no page may (it quotes "
                "data/published.yaml):\n"
                + "\n".join(f"  - {problem.what}." for problem in problems)
                + "\nWrite the published values and labels in data/published.yaml as text."
            )
        run_pandoc(
            tree,
            "html5",
            Path(html),
            "json",
            ["--standalone", "--embed-resources", "--metadata=lang:en-GB"],
        )
