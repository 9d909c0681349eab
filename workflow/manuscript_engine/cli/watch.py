"""`make watch`: rebuild the manuscript whenever a template, the config or the data change.

Polls the files once a second (no extra dependency), runs the build, and prints either
the fresh output's path or the build's error message. ``make preview`` watches the same
files through :func:`changes`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

from manuscript_engine.cli.build import main as build

WATCHED = ("templates", "config", "data")
WATCHED_SHOWN = "templates/, config/ and data/"


def snapshot(folders=WATCHED) -> dict[str, float]:
    return {
        str(p): p.stat().st_mtime
        for folder in folders
        for p in Path(folder).rglob("*")
        if p.is_file()
    }


def changes(interval: float = 1.0, rounds: int | None = None) -> Iterator[None]:
    """Yield once at the start and then after every change to the watched files.

    The files are looked at again only when the caller asks for the next change, so a
    change made during a build is seen once that build has finished.
    """
    seen: dict[str, float] | None = None
    count = 0
    while rounds is None or count < rounds:
        current = snapshot()
        if current != seen:
            seen = current
            yield
            count += 1
        time.sleep(interval)


def main(interval: float = 1.0, rounds: int | None = None) -> int:
    print(f"Watching {WATCHED_SHOWN} (Ctrl-C to stop).", flush=True)
    try:
        for _ in changes(interval, rounds):
            started = time.monotonic()
            status = build([])
            took = time.monotonic() - started
            print(
                f"[{time.strftime('%H:%M:%S')}] "
                + ("rebuilt" if status == 0 else "build stopped")
                + f" in {took:.1f} s",
                flush=True,
            )
    except KeyboardInterrupt:
        print("Stopped watching.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
