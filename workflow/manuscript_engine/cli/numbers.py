"""`make numbers`: every key in the numbers registry, its text and where it comes from.

``make numbers Q=word`` keeps the keys (or sources) that contain the word.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REGISTRY = Path("results/numbers.json")


def rows(registry: dict, query: str = "") -> list[str]:
    """One line per entry: key, printed text, and source; filtered by ``query``."""
    query = query.lower()
    width = max((len(k) for k in registry), default=10)
    lines = []
    for key in sorted(registry):
        entry = registry[key]
        if query and query not in key.lower() and query not in entry["source"].lower():
            continue
        text = entry["text"] if len(entry["text"]) <= 40 else entry["text"][:37] + "..."
        lines.append(f"{key:<{width}}  {text:<40}  {entry['source']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    query = " ".join(argv)
    if not REGISTRY.exists():
        print("No registry yet: run `make paper` first.", file=sys.stderr)
        return 1
    found = rows(json.loads(REGISTRY.read_text(encoding="utf-8")), query)
    print("\n".join(found))
    print(
        f"\n{len(found)} number(s)"
        + (f" matching '{query}'" if query else "")
        + ". Quote one in a template as {{ num('key') }}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
