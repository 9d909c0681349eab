"""`make watch`: rebuild the manuscript whenever a template, the config or the data change.

Polls the files once a second (no extra dependency), runs the build, and prints either
the fresh output's path or the build's error message.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from manuscript_engine.cli.build import main as build

WATCHED = ("templates", "config", "data")


def snapshot(folders=WATCHED) -> dict[str, float]:
    return {
        str(p): p.stat().st_mtime
        for folder in folders
        for p in Path(folder).rglob("*")
        if p.is_file()
    }


def main(interval: float = 1.0, rounds: int | None = None) -> int:
    print("Watching templates/, config/ and data/ (Ctrl-C to stop).", flush=True)
    seen: dict[str, float] = {}
    count = 0
    try:
        while rounds is None or count < rounds:
            current = snapshot()
            if current != seen:
                seen = current
                started = time.monotonic()
                status = build([])
                took = time.monotonic() - started
                print(
                    f"[{time.strftime('%H:%M:%S')}] "
                    + ("rebuilt" if status == 0 else "build stopped")
                    + f" in {took:.1f} s",
                    flush=True,
                )
                count += 1
            time.sleep(interval)
    except KeyboardInterrupt:
        print("Stopped watching.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
