"""The memory a build takes from the machine: its processes' sum, sampled in a thread.

The build runs in several processes (Snakemake, the fork server, the step workers),
which share the pages of the libraries they imported once; used by ``make bench`` and
``devtools.profile_steps``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field

import psutil

SAMPLE_SECONDS = 0.02


@dataclass
class Sampler:
    """The memory of a process and its descendants (:func:`tree_memory`), sampled in a thread."""

    process: psutil.Process
    current: int = 0
    peak: int = 0
    running: bool = True
    thread: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            self.current = tree_memory(self.process)
            self.peak = max(self.peak, self.current)
            time.sleep(SAMPLE_SECONDS)

    def stop(self) -> None:
        self.running = False
        self.thread.join()


def tree_memory(process: psutil.Process) -> int:
    """Bytes of memory the process and every descendant hold (0 for one that has exited).

    Each process counts its proportional set size (PSS): a page shared by several
    processes, such as the libraries step workers inherit from their fork server, is
    divided among them, so the sum is the memory the tree takes from the machine.
    Where the system does not report PSS, the resident size (which counts a shared
    page once per process) stands in.
    """
    total = 0
    with contextlib.suppress(psutil.Error):
        for member in [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += _pss(member.pid) or member.memory_info().rss
    return total


def _pss(pid: int) -> int | None:
    """The PSS Linux sums in /proc/<pid>/smaps_rollup (read directly: psutil parses the
    whole smaps, milliseconds a process, which at 20 ms would take much of a core)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None
