"""`make audit PUBLISHED=path`: audit a paper from its published numbers alone.

For an editor or reviewer with the article but not its data: the published-numbers file
(the format of data/published.yaml, checked against its schema) and its relations file
beside it (``published_checks.yaml``) are enough for every check but those against the
data. The findings go to the terminal, worst first; ``--out FILE`` also writes the full
report (every finding with its evidence, then every check) as Markdown.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from manuscript_engine.core.errors import ManuscriptError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("published", type=Path, help="the published-numbers file")
    parser.add_argument("--relations", type=Path, help="default: published_checks.yaml beside it")
    parser.add_argument("--codebook", type=Path, help="default: codebook.yaml beside it, if any")
    parser.add_argument("--out", type=Path, help="also write the full report here (Markdown)")
    args = parser.parse_args(argv)
    from manuscript_engine.audit.checks import audit_published
    from manuscript_engine.audit.findings import counts_sentence
    from manuscript_engine.audit.report import apply_policy, audit_markdown

    for path in (args.published, args.relations, args.codebook):
        if path is not None and not path.is_file():
            print(f"ERROR: {path}: no such file.", file=sys.stderr)
            return 1
    relations = args.relations or args.published.with_name("published_checks.yaml")
    if not relations.is_file():
        print(
            f"ERROR: {relations}: no relations file beside {args.published}. Write one in the "
            "format of data/published_checks.yaml (README, 'Auditing a paper without its "
            "data'), or name it with RELATIONS=path (--relations).",
            file=sys.stderr,
        )
        return 1
    try:
        audit = audit_published(args.published, args.relations, args.codebook)
    except ManuscriptError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    print(f"{args.published}: {len(audit.checks)} checks. {counts_sentence(audit.findings)}")
    for i, finding in enumerate(audit.findings, 1):
        reading = f" Reading: {finding.reading}." if finding.reading else ""
        print(f"{i:3}. [{finding.severity}] {finding.summary}.{reading}")
    if args.out:
        policy = apply_policy(audit.findings, {}, strict=False)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(audit_markdown(audit, policy, {}, None), encoding="utf-8")
        print(f"Full report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
