"""`make paper`: run Snakemake and show an author what matters.

On success: which steps were rebuilt (or that nothing had to be), and where the
manuscript is. On failure: only the build's own error messages
(they say what to change and where), and the log of the step that failed. ``--verbose``
(or ``make paper VERBOSE=1``) shows Snakemake's complete output, stack traces included.

Stopping a build is safe. Ctrl-C, or a signal sent to this wrapper, reaches Snakemake,
which is given the time to clean up (it releases its lock and marks unfinished files);
the wrapper exits after it with one line, never before it. A lock left behind by a build
that was killed outright is removed by the next build, once it has made sure that no
build is still running in the folder.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

OUTPUTS = "results/manuscript/manuscript.{md,html,docx,pdf,xml}"
SUPPLEMENT = Path("results/manuscript/supplement.md")
SUPPLEMENT_OUTPUTS = "results/manuscript/supplement.{md,html,docx,pdf}"
"""Named after a build when the study has a supplement (templates/supplement/)."""
ERROR_START = re.compile(r"^(ERROR: |\w+(Invalid|Problem|Error) in file .*(Snakefile|\.smk).*:$)")
NOISE = re.compile(
    r"^(  File |RuleException|CalledProcessError|\[\w{3} \w{3}|Error in rule|"
    r"Removing output|Shutting down|Exiting because|Complete log|WorkflowError|"
    r"At least one job|    \w+: )"
)
FAILED_JOB = re.compile(r"^(\s*)Error in rule \S+:$")
LOG_LINE = re.compile(r"^\s+log: (.+?)(?: \(check log file\(s\) for error details\))?$")
LOCK_REFUSED = re.compile(r"^(LockException:|Error: Directory cannot be locked\. Please)", re.M)
JOB_START = re.compile(r"^(?:local)?rule (\w+):$")
JOB_FIELD = re.compile(r"^\s+(\w+): (.*)$")
JOB_FINISHED = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)$")

PID_FILE = Path(".snakemake/build.pid")
"""The running build's Snakemake process, so that a later build can tell whether a lock
it meets belongs to a live build (wait for it) or to a killed one (stale, removed)."""

RELAYED_SIGNALS = (signal.SIGINT, signal.SIGTERM)

INTERRUPTED = "Build interrupted; run make paper again to finish it."
ANOTHER_BUILD = (
    "Another build is running in this folder (process {pid}). Wait for it to finish, "
    "or stop it, then run make paper again."
)
STALE_LOCK_REMOVED = "Removed the lock left by a build that was stopped; building again."
LOCK_STUCK = (
    "Snakemake's lock on this folder could not be removed. Delete the folder "
    ".snakemake/locks (or run make clean), then run make paper again."
)
KILLED = (
    "The build was stopped by the system (signal {name}) before it could finish, most "
    "often because the computer ran out of memory. Close other programs, then run make "
    "paper again."
)


# --------------------------------------------------------------------------- reading the output
def author_errors(output: str) -> list[str]:
    """The build's own messages from Snakemake's output, without Snakemake's noise."""
    blocks, current = [], None
    for line in output.splitlines():
        if ERROR_START.match(line):
            current = [line.removeprefix("ERROR: ")]
            blocks.append(current)
        elif current is not None:
            if NOISE.match(line):
                current = None
            else:
                current.append(line)
    return ["\n".join(block).strip() for block in blocks if "".join(block).strip()]


def warnings(output: str) -> list[str]:
    """Warning blocks the steps printed (a 'WARNING:' line and its indented items)."""
    blocks: list[list[str]] = []
    for line in output.splitlines():
        if line.startswith("WARNING"):
            blocks.append([line])
        elif blocks and line.startswith(("  - ", "If each")):
            blocks[-1].append(line)
    return ["\n".join(block) for block in blocks]


def failed_logs(output: str) -> list[str]:
    """Logs of the jobs that failed, in order: the ``log:`` lines of "Error in rule" blocks.

    Every job also names its log when it starts; those belong to steps that worked.
    """
    logs: list[str] = []
    block_indent = None
    for line in output.splitlines():
        if header := FAILED_JOB.match(line):
            block_indent = len(header.group(1))
            continue
        if block_indent is not None and len(line) - len(line.lstrip()) <= block_indent:
            block_indent = None  # the block ends where its indented lines end
        if block_indent is not None and (log_line := LOG_LINE.match(line)):
            logs += [log for log in log_line.group(1).split(", ") if log not in logs]
    return logs


def steps_run(output: str) -> list[str]:
    """The rule of every job that finished and wrote files, in the order they finished.

    Snakemake announces each job (``localrule NAME:``, then indented fields: ``output:``,
    ``jobid:`` ...) and reports ``Finished jobid: N (Rule: NAME)``. A job that writes
    nothing (the target rule ``all``, which only gathers the files) is not a step.
    """
    writes: dict[str, bool] = {}
    announced: dict[str, str] | None = None
    finished: list[str] = []
    for line in output.splitlines():
        if start := JOB_START.match(line):
            announced = {"rule": start.group(1)}
            continue
        if announced is not None and (field := JOB_FIELD.match(line)):
            announced[field.group(1)] = field.group(2)
            if "jobid" in announced:
                writes[announced["jobid"]] = "output" in announced
            continue
        announced = None
        if (done := JOB_FINISHED.match(line)) and writes.get(done.group(1), True):
            finished.append(done.group(2))
    return finished


def rebuilt_summary(steps: Sequence[str], seconds: float) -> str:
    """What a successful build did, in one line: the steps it ran, counted by rule."""
    if not steps:
        return f"Nothing to do: the manuscript is up to date (checked in {seconds:.1f} s)."
    counts = Counter(steps)  # in the order the rules first finished
    rules = ", ".join(rule if n == 1 else f"{rule} x{n}" for rule, n in counts.items())
    noun = "step" if len(steps) == 1 else "steps"
    return f"Rebuilt {len(steps)} {noun} ({rules}) in {seconds:.1f} s."


def lock_refused(output: str) -> bool:
    """Whether Snakemake stopped because another build (live or killed) holds its lock."""
    return LOCK_REFUSED.search(output) is not None


# --------------------------------------------------------------------------- running Snakemake
@dataclass
class SnakemakeRun:
    returncode: int
    output: str
    """stdout then stderr; empty when not captured."""
    stopped_by: int | None = None
    """The signal that interrupted the build, if one did."""


class SignalRelay:
    """Pass SIGINT and SIGTERM on to Snakemake, and remember that one came.

    Ctrl-C reaches every process of the terminal's foreground job, Snakemake included,
    so it is not sent again: a second SIGINT would cut Snakemake's clean-up short and
    could leave its lock behind. A signal sent to this wrapper alone (``kill``, or make
    being stopped) is passed on, so that no Snakemake outlives the wrapper.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._child: subprocess.Popen | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> SignalRelay:
        for signum in RELAYED_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # e.g. nohup: stays ignored
                self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, *exc_info) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def attach(self, child: subprocess.Popen) -> None:
        """Relay to ``child`` from now on (and a signal that came while it was starting)."""
        self._child = child
        if self.received is not None:
            child.send_signal(self.received)

    def _on_signal(self, signum: int, frame) -> None:
        if self.received is None:
            self.received = signum
        if self._child is None:
            return
        if signum == signal.SIGINT and _in_terminal_foreground():
            return
        self._child.send_signal(signum)


def _in_terminal_foreground() -> bool:
    """Whether this process group is the terminal's foreground job (Ctrl-C reaches it all)."""
    try:
        terminal = os.open("/dev/tty", os.O_RDONLY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(terminal) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(terminal)


def run_snakemake(command: Sequence[str], capture: bool) -> SnakemakeRun:
    """Run Snakemake to its end, relaying interrupts to it; it always gets to clean up."""
    pipe = subprocess.PIPE if capture else None
    with SignalRelay() as relay:
        child = subprocess.Popen(command, stdout=pipe, stderr=pipe, text=True)
        relay.attach(child)
        with recorded_as_the_build(child.pid):
            stdout, stderr = child.communicate()
    return SnakemakeRun(child.returncode, (stdout or "") + (stderr or ""), relay.received)


# --------------------------------------------------------------------------- the lock
@contextmanager
def recorded_as_the_build(pid: int) -> Iterator[None]:
    """Record ``pid`` in :data:`PID_FILE` while it runs, unless another live build is there.

    The record only helps a later build explain a lock: a folder where it cannot be
    written (Snakemake will say why) does not stop this build.
    """
    previous = _recorded_pid()
    if previous is not None and _exists(previous):
        yield
        return
    try:
        PID_FILE.parent.mkdir(exist_ok=True)
        PID_FILE.write_text(f"{pid}\n", encoding="utf-8")
    except OSError:
        yield
        return
    try:
        yield
    finally:
        if _recorded_pid() == pid:
            PID_FILE.unlink(missing_ok=True)


def running_build() -> int | None:
    """The process of a Snakemake still working in this folder, if there is one.

    The build that make paper recorded is checked first; any other Snakemake running
    here (started by hand, or by make report) counts too, so that the lock of a live
    build is never removed.
    """
    import psutil

    here = os.path.realpath(os.getcwd())
    recorded = _recorded_pid()
    if recorded is not None:
        with suppress(psutil.Error):
            if _is_snakemake_in(psutil.Process(recorded), here):
                return recorded
    for process in psutil.process_iter():
        with suppress(psutil.Error):
            if process.pid != os.getpid() and _is_snakemake_in(process, here):
                return process.pid
    return None


def _is_snakemake_in(process, folder: str) -> bool:
    running = any(Path(part).name == "snakemake" for part in process.cmdline())
    return running and os.path.realpath(process.cwd()) == folder


def _recorded_pid() -> int | None:
    try:
        return int(PID_FILE.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


# --------------------------------------------------------------------------- make paper
def report(run: SnakemakeRun, targets: Sequence[str], seconds: float = 0.0) -> int:
    """Print what an author needs from a finished run; the exit status of make paper.

    ``seconds`` is how long the build took (Snakemake's start-up included).
    """
    if run.returncode == 0:
        for warning in warnings(run.output):
            print(warning + "\n")
        if not targets:
            print(rebuilt_summary(steps_run(run.output), seconds))
            print(f"The manuscript: {OUTPUTS}")
            if SUPPLEMENT.exists():
                print(f"The supplement: {SUPPLEMENT_OUTPUTS}")
        return 0
    if lock_refused(run.output):
        print(LOCK_STUCK, file=sys.stderr)
        return 1
    print("The build stopped.\n", file=sys.stderr)
    if run.returncode < 0:
        errors = [KILLED.format(name=signal_name(-run.returncode))]
    else:
        last_line = run.output.strip().splitlines()[-1] if run.output.strip() else "unknown"
        errors = author_errors(run.output) or [last_line]
    for error in errors:
        print(error + "\n", file=sys.stderr)
    logs = failed_logs(run.output)
    if logs:
        print("Details: " + ", ".join(logs), file=sys.stderr)
    print("Run `make paper VERBOSE=1` to see Snakemake's full output.", file=sys.stderr)
    return exit_status(run.returncode)


def exit_status(returncode: int) -> int:
    """A shell's exit status for Snakemake's return code (-N when killed by signal N)."""
    return 128 - returncode if returncode < 0 else returncode


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name.removeprefix("SIG")
    except ValueError:
        return str(signum)


def main(argv: list[str] | None = None) -> int:
    """Build; an interrupted build ends the calling program too, with status 128 + signal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="show Snakemake's full output")
    parser.add_argument("--cores", default="4")
    parser.add_argument("targets", nargs="*", help="files or rules to build (default: all)")
    args, extra = parser.parse_known_args(argv)
    snakemake = [sys.executable, "-m", "snakemake"]
    command = [*snakemake, "--cores", args.cores, *extra, *args.targets]
    capture = not args.verbose
    started = time.monotonic()
    try:
        run = run_snakemake(command, capture)
        if capture and run.stopped_by is None and lock_refused(run.output):
            holder = running_build()
            if holder is not None:
                print(ANOTHER_BUILD.format(pid=holder), file=sys.stderr)
                return 1
            unlock = run_snakemake([*snakemake, "--unlock", *extra], capture=True)
            run = unlock
            if unlock.stopped_by is None and unlock.returncode == 0:
                print(STALE_LOCK_REMOVED, flush=True)
                run = run_snakemake(command, capture)
    except KeyboardInterrupt:  # Ctrl-C before or between runs of Snakemake
        run = SnakemakeRun(1, "", signal.SIGINT)
    if run.stopped_by is not None:
        print(INTERRUPTED, file=sys.stderr)
        raise SystemExit(128 + run.stopped_by)
    if args.verbose:
        return exit_status(run.returncode)
    return report(run, args.targets, time.monotonic() - started)


if __name__ == "__main__":
    sys.exit(main())
