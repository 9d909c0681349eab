"""Where a build's time and memory go, step by step.

Steps run in worker processes that live for the whole build, so no step has a process
of its own to measure. This runs the build with one core (one job at a time), samples
the memory of the whole process tree every few milliseconds (each process's
proportional share, so pages the workers share with their fork server count once),
and cuts the samples at Snakemake's job start and finish lines. For each rule: the wall
time of its jobs and the peak memory of the tree while one of them ran, with how much
that peak exceeds the memory held when the job started.
``python -m devtools.profile_steps DATA_DIR`` prints the table; the build runs on a
copy of the repository.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from devtools.process_memory import Sampler

STARTED = re.compile(r"^localrule (\w+):")
FINISHED = re.compile(r"^Finished jobid: \d+ \(Rule: (\w+)\)")


@dataclass
class StepFigures:
    """The jobs of one rule: their total wall time, peak memory and growth over the start."""

    seconds: float = 0.0
    peak: int = 0
    growth: int = 0
    jobs: int = 0


def profile(workdir: Path, *snakemake_args: str) -> tuple[dict[str, StepFigures], float, int]:
    """Per-rule figures, the whole build's wall time and its peak memory (bytes)."""
    command = [sys.executable, "-m", "snakemake", "--cores", "1", *snakemake_args]
    return profile_command(command, workdir)


def profile_command(command: list[str], workdir: Path) -> tuple[dict[str, StepFigures], float, int]:
    """:func:`profile` for any command that prints Snakemake's job lines."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    sampler = Sampler(psutil.Process(child.pid))
    steps: dict[str, StepFigures] = {}
    running: tuple[str, float, int] | None = None
    output: list[str] = []
    assert child.stdout is not None
    for line in child.stdout:
        output.append(line)
        now = time.perf_counter()
        if match := STARTED.match(line):
            sampler.peak = sampler.current  # a new window
            running = (match[1], now, sampler.current)
        elif (match := FINISHED.match(line)) and running:
            rule, began, at_start = running
            figures = steps.setdefault(rule, StepFigures())
            figures.seconds += now - began
            figures.peak = max(figures.peak, sampler.peak)
            figures.growth = max(figures.growth, sampler.peak - at_start)
            figures.jobs += 1
            running = None
    code = child.wait()
    elapsed = time.perf_counter() - started
    sampler.stop()
    if code:
        raise RuntimeError("".join(output[-60:]))
    overall = max([sampler.peak, *(s.peak for s in steps.values())])
    return steps, elapsed, overall


def table(steps: dict[str, StepFigures], elapsed: float, peak: int) -> str:
    """The figures as a Markdown table, slowest rule first."""
    lines = [
        "| rule | jobs | time (s) | peak (MB) | growth in step (MB) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for rule, figures in sorted(steps.items(), key=lambda item: -item[1].seconds):
        lines.append(
            f"| {rule} | {figures.jobs} | {figures.seconds:.2f} | {figures.peak / 2**20:.0f} "
            f"| {figures.growth / 2**20:.0f} |"
        )
    accounted = sum(s.seconds for s in steps.values())
    lines.append(
        f"| whole build | {sum(s.jobs for s in steps.values())} | {elapsed:.2f} "
        f"(jobs {accounted:.2f}) | {peak / 2**20:.0f} | |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from devtools.benchmark import clean, copy_repository

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m devtools.profile_steps DATA_DIR", file=sys.stderr)
        return 2
    data_dir = Path(argv[0]).resolve()
    with tempfile.TemporaryDirectory() as temp:
        workdir = copy_repository(Path(temp))
        clean(workdir)
        steps, elapsed, peak = profile(
            workdir,
            "--config",
            f"data_dir={data_dir}",
            "audit_strict=false",
            "synthetic_cohort=false",
            "statistics={fisher_rxc: monte_carlo}",
        )
    print(table(steps, elapsed, peak))
    return 0


if __name__ == "__main__":
    sys.exit(main())
