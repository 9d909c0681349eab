"""`make refs`: look up the DOI and PMID citations of the templates, once, while online.

Writes templates/references.json (CSL JSON, committed), which the build reads beside
references.bib; the build itself never goes online.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from manuscript_engine.text.references import ReferenceLookupFailed, update_references

TEMPLATE_SUFFIXES = {".j2", ".md"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", default="templates", type=Path)
    parser.add_argument(
        "--out", default=None, type=Path, help="default: <templates>/references.json"
    )
    args = parser.parse_args(argv)
    out = args.out or args.templates / "references.json"
    templates = [
        p
        for p in args.templates.rglob("*")
        if p.is_file() and p.suffix in TEMPLATE_SUFFIXES and p.name != "README.md"
    ]
    try:
        update = update_references(templates, Path.cwd(), out)
    except ReferenceLookupFailed as failure:
        print(failure, file=sys.stderr)
        return 1
    print(
        f"{out}: {len(update.looked_up)} looked up, {len(update.kept)} kept, "
        f"{len(update.dropped)} no longer cited and dropped."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
