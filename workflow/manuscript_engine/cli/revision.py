"""`make diff` and `make response`: the revision of a submitted manuscript.

``python -m manuscript_engine.cli.revision diff [REVISION]`` builds REVISION (default:
the latest tag) aside and writes results/revision/; ``... response`` renders the
response to reviewers again from the current build and the last diff.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from manuscript_engine.core.errors import ManuscriptError
from manuscript_engine.revision.compare import OUTPUT, make_revision
from manuscript_engine.revision.old_build import default_revision
from manuscript_engine.revision.response import write_response


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="revision")
    parser.add_argument("command", choices=("diff", "response"))
    parser.add_argument("revision", nargs="?", default="", help="tag, branch or commit")
    parser.add_argument("--cores", type=int, default=4)
    args = parser.parse_args(argv)
    repo = Path.cwd()
    try:
        if args.command == "response":
            write_response(repo, repo / OUTPUT / "response.docx")
            print(f"The response to the reviewers: {OUTPUT}/response.docx")
            return 0
        revision = args.revision or default_revision(repo)
        summary = make_revision(repo, revision, args.cores)
    except ManuscriptError as exc:
        print(f"make {args.command} stopped: {exc}", file=sys.stderr)
        return 1
    changes = summary.changes
    print(
        f"Compared with {revision} ({summary.commit[:12]}; {summary.environment}).\n"
        f"Tracked changes: {summary.insertions} insertion(s), {summary.deletions} deletion(s); "
        f"{len(changes.numbers)} registry number(s), {len(changes.cells)} table cell(s) and "
        f"{len(changes.figures)} figure(s) changed.\n"
        f"Earlier revision built in {summary.seconds_old_build:.1f} s; "
        f"{summary.seconds_total:.1f} s in all.\n"
        f"Written: {OUTPUT}/tracked-changes.docx, diff.html, changed_numbers.md, "
        "changed_numbers.csv"
        + (", response.docx" if (repo / OUTPUT / "response.docx").exists() else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
