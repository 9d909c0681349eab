"""make paper under interruption: signals, Snakemake's lock, unfinished files, the failed log.

Each test runs the real wrapper (``python -m manuscript_engine.cli.build``) and a real Snakemake
on a tiny workflow in a temporary folder, with the repository's own workflow profile. Its
one step writes its output, says it has started (with the Snakemake process's id: steps
run as threads of Snakemake), then waits until the test lets it finish.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import signal
import subprocess
import sys
import termios
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, run_make_paper, run_snakemake
from snakemake_runs import CASES, capture, stored

from manuscript_engine.cli.build import (
    INTERRUPTED,
    STALE_LOCK_REMOVED,
    SnakemakeRun,
    author_errors,
    failed_logs,
    lock_refused,
    rebuilt_summary,
    report,
    steps_run,
)

SLOW_WORKFLOW = """
import os, sys, time
from pathlib import Path

rule all:
    input: "results/slow.txt"

rule slow:
    output: "results/slow.txt"
    log: "results/logs/slow.log"
    run:
        Path(output[0]).write_text("half")
        with open("runs.txt", "a") as runs:
            print("run", file=runs)
        if Path("broken").exists():
            print("ERROR: The cohort data break 1 rule(s).", file=sys.stderr, flush=True)
            raise RuntimeError("stopped")
        Path("started").write_text(str(os.getpid()))
        while not Path("release").exists():
            time.sleep(0.02)
        Path(log[0]).write_text("done")
        Path(output[0]).write_text("whole")
"""

FAILING_WORKFLOW = """
import sys
from pathlib import Path

rule all:
    input: "results/good.txt", "results/bad.txt"

rule good:
    output: "results/good.txt"
    log: "results/logs/good.log"
    run:
        Path(log[0]).write_text("fine")
        Path(output[0]).write_text("fine")

rule bad:
    output: "results/bad.txt"
    log: "results/logs/bad.log"
    run:
        Path(log[0]).write_text("broken")
        print("ERROR: Table 2 cannot be built.", file=sys.stderr, flush=True)
        raise RuntimeError("stopped")
"""

WAIT = 120  # seconds: only a guard against a hung test, never a measurement


def workflow(folder: Path, snakefile: str) -> Path:
    """A folder with ``snakefile`` and the repository's workflow profile."""
    (folder / "profiles/default").mkdir(parents=True)
    shutil.copy(REPO / "profiles/default/config.yaml", folder / "profiles/default")
    (folder / "Snakefile").write_text(snakefile)
    return folder


def make_paper(folder: Path, cores: int = 1, **options) -> subprocess.Popen:
    """The wrapper in its own session (so no terminal's Ctrl-C reaches it by accident)."""
    return subprocess.Popen(
        [sys.executable, "-m", "manuscript_engine.cli.build", "--cores", str(cores)],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **options,
    )


def finish(process: subprocess.Popen) -> tuple[str, str]:
    try:
        return process.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise


def snakemake_started(folder: Path, process: subprocess.Popen) -> int:
    """Wait until the step runs; the id of the Snakemake process running it."""
    marker = folder / "started"
    deadline = time.monotonic() + WAIT
    # The marker may exist a moment before its text is written.
    while not (marker.exists() and marker.read_text().strip()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.02)
    return int(marker.read_text())


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def locks(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / ".snakemake/locks").glob("*"))


@pytest.fixture
def slow(tmp_path):
    folder = workflow(tmp_path / "wf", SLOW_WORKFLOW)
    started: list[subprocess.Popen] = []
    yield folder, started
    (folder / "release").touch()
    for process in started:  # only what this test started, by its own process group
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --------------------------------------------------------------------------- signals
@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
def test_a_signal_to_the_wrapper_alone_reaches_snakemake_which_cleans_up(slow, signum, status):
    folder, started = slow
    build = make_paper(folder)
    started.append(build)
    snakemake = snakemake_started(folder, build)
    assert int((folder / ".snakemake/build.pid").read_text()) == snakemake
    build.send_signal(signum)
    (folder / "release").touch()
    out, err = finish(build)
    assert build.returncode == status
    assert err.strip() == INTERRUPTED, err
    assert not is_running(snakemake)
    assert locks(folder) == []
    assert not (folder / ".snakemake/build.pid").exists()


def test_ctrl_c_in_a_terminal_gives_one_line_after_snakemake_has_cleaned_up(slow):
    """Ctrl-C reaches the wrapper and Snakemake together; it is not passed on a second time."""
    folder, started = slow
    terminal, its_other_end = pty.openpty()

    def take_the_terminal():  # a new session whose controlling terminal is the pty
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    build = make_paper(folder, stdin=its_other_end, preexec_fn=take_the_terminal)
    os.close(its_other_end)
    started.append(build)
    snakemake = snakemake_started(folder, build)
    os.write(terminal, b"\x03")  # what pressing Ctrl-C types
    (folder / "release").touch()
    out, err = finish(build)
    os.close(terminal)
    assert build.returncode == 130
    assert err.strip() == INTERRUPTED, err
    assert "Traceback" not in out + err
    assert not is_running(snakemake)
    assert locks(folder) == []
    (log,) = (folder / ".snakemake/log").glob("*.snakemake.log")
    assert "Terminating processes on user request" in log.read_text()


def test_a_snakemake_killed_by_the_system_is_reported_in_words(slow):
    """The system's out-of-memory killer stops Snakemake itself, without a word."""
    folder, started = slow
    build = make_paper(folder)
    started.append(build)
    snakemake = snakemake_started(folder, build)
    os.kill(snakemake, signal.SIGKILL)
    out, err = finish(build)
    assert build.returncode == 128 + signal.SIGKILL
    assert "The build was stopped by the system (signal KILL)" in err
    assert "ran out of memory" in err


# --------------------------------------------------------------------------- unfinished files
def interrupt_a_build(folder: Path, started: list) -> None:
    """Start make paper, interrupt it while its step runs, and let it clean up."""
    build = make_paper(folder)
    started.append(build)
    snakemake_started(folder, build)
    build.send_signal(signal.SIGINT)
    (folder / "release").touch()
    finish(build)


def test_after_an_interrupted_build_the_next_one_redoes_the_unfinished_step(slow):
    folder, started = slow
    interrupt_a_build(folder, started)
    again = make_paper(folder)
    started.append(again)
    out, err = finish(again)
    assert again.returncode == 0, err
    assert (folder / "runs.txt").read_text() == "run\nrun\n"
    assert (folder / "results/slow.txt").read_text() == "whole"


def test_after_an_interrupted_build_a_real_error_is_still_shown(slow):
    folder, started = slow
    interrupt_a_build(folder, started)
    (folder / "broken").touch()
    again = make_paper(folder)
    started.append(again)
    out, err = finish(again)
    assert again.returncode == 1
    assert "The cohort data break 1 rule(s)." in err
    assert "Details: results/logs/slow.log" in err
    assert "Incomplete" not in err and "--rerun-incomplete" not in err


# --------------------------------------------------------------------------- the lock
def test_a_second_build_names_the_running_one_and_leaves_its_lock(slow):
    folder, started = slow
    first = make_paper(folder)
    started.append(first)
    snakemake = snakemake_started(folder, first)
    held = locks(folder)
    second = make_paper(folder)
    started.append(second)
    out, err = finish(second)
    assert second.returncode != 0
    assert err.strip() == (
        f"Another build is running in this folder (process {snakemake}). Wait for it to "
        "finish, or stop it, then run make paper again."
    )
    assert locks(folder) == held and held
    (folder / "release").touch()
    out, err = finish(first)
    assert first.returncode == 0, err


def test_a_snakemake_started_by_hand_is_a_running_build_too(slow):
    folder, started = slow
    by_hand = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    started.append(by_hand)
    snakemake = snakemake_started(folder, by_hand)
    build = make_paper(folder)
    started.append(build)
    out, err = finish(build)
    assert build.returncode != 0
    assert f"Another build is running in this folder (process {snakemake})" in err
    assert locks(folder)


def test_a_lock_left_by_a_killed_build_is_removed_and_the_build_goes_on(slow):
    folder, started = slow
    killed = make_paper(folder)
    started.append(killed)
    snakemake_started(folder, killed)
    os.killpg(killed.pid, signal.SIGKILL)  # as a power loss would: no clean-up at all
    killed.wait()
    assert locks(folder), "Snakemake's lock should be left behind"
    (folder / "release").touch()
    build = make_paper(folder)
    started.append(build)
    out, err = finish(build)
    assert build.returncode == 0, err
    assert out.splitlines()[0] == STALE_LOCK_REMOVED
    assert (folder / "results/slow.txt").read_text() == "whole"
    assert locks(folder) == []


def test_a_stale_lock_made_by_hand_is_removed(slow):
    folder, started = slow
    lock_folder = folder / ".snakemake/locks"
    lock_folder.mkdir(parents=True)
    (lock_folder / "0.output.lock").write_text("results/slow.txt\n")  # as Snakemake writes it
    (folder / "release").touch()
    build = make_paper(folder)
    started.append(build)
    out, err = finish(build)
    assert build.returncode == 0, err
    assert STALE_LOCK_REMOVED in out


# --------------------------------------------------------------------------- reading the output
# Snakemake's real output, stored by tests/snakemake_runs.py (see tests/data/snakemake_output/).
FAILED_MESSAGE = (
    "The cohort data break 1 rule(s) of data/codebook.yaml. Nothing was built. Correct these "
    "cells and run the build again:\n\n"
    "  - data/raw/visits.csv line 5, column vas: 11 is above the maximum 10."
)


def test_the_steps_a_build_ran_are_counted_by_rule():
    output = stored("rebuilt")
    assert "localrule all:" in output and "Finished jobid: 0 (Rule: all)" in output
    assert steps_run(output) == ["validate", "figure", "figure", "render"]  # not `all`
    assert rebuilt_summary(steps_run(output), 2.04) == (
        "Rebuilt 4 steps (validate, figure x2, render) in 2.0 s."
    )


def test_a_build_with_nothing_to_do_says_so():
    output = stored("nothing_to_do")
    assert "Nothing to be done" in output
    assert steps_run(output) == []
    assert rebuilt_summary([], 1.23) == (
        "Nothing to do: the manuscript is up to date (checked in 1.2 s)."
    )


def test_a_step_that_stopped_shows_its_message_alone_and_its_log():
    output = stored("failed_step")
    assert "log: results/logs/settings.log" in output  # announced when the good step ran
    assert author_errors(output) == [FAILED_MESSAGE]
    assert failed_logs(output) == ["results/logs/validate.log"]
    assert steps_run(output) == ["settings"]
    assert not lock_refused(output)


def test_a_config_error_raised_in_the_snakefile_is_kept_without_its_trace():
    (error,) = author_errors(stored("config_error"))
    assert error.splitlines()[1:] == [
        "The build settings are not valid:",
        "  - config/config.yaml, key 'dat_dir': not a known setting. Did you mean 'data_dir'? "
        "Known settings here: data_dir, synthetic_cohort.",
        "  - config/config.yaml, key 'synthetic_cohort': must be true or false, found 'maybe'.",
    ]
    assert failed_logs(stored("config_error")) == []


def test_a_lock_is_recognised_only_in_the_output_of_a_locked_folder():
    assert lock_refused(stored("locked"))
    assert not [case for case in CASES if case != "locked" and lock_refused(stored(case))]


def test_make_paper_prints_only_the_authors_message_and_the_log(capsys):
    status = report(SnakemakeRun(1, stored("failed_step")), [], 3.0)
    out, err = capsys.readouterr()
    assert status == 1 and out == ""
    assert err == (
        f"The build stopped.\n\n{FAILED_MESSAGE}\n\n"
        "Details: results/logs/validate.log\n"
        "Run `make paper VERBOSE=1` to see Snakemake's full output.\n"
    )


def test_make_paper_says_what_it_rebuilt(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a study without a supplement
    assert report(SnakemakeRun(0, stored("rebuilt")), [], 2.0) == 0
    assert capsys.readouterr().out == (
        "Rebuilt 4 steps (validate, figure x2, render) in 2.0 s.\n"
        "The manuscript: results/manuscript/manuscript.{md,html,docx,pdf,xml}\n"
    )


def test_make_paper_names_the_supplement_when_the_study_has_one(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("results/manuscript").mkdir(parents=True)
    Path("results/manuscript/supplement.md").write_text("# Secondary analyses\n")
    assert report(SnakemakeRun(0, stored("rebuilt")), [], 2.0) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "The manuscript: results/manuscript/manuscript.{md,html,docx,pdf,xml}",
        "The supplement: results/manuscript/supplement.{md,html,docx,pdf}",
    ]


@pytest.mark.parametrize("case", CASES)
def test_the_stored_output_is_what_snakemake_prints_today(case, tmp_path):
    """Run the workflow again: today's Snakemake must print what the tests above read.

    Line for line, in any order: two jobs ready at once may start in either order."""
    assert sorted(capture(case, tmp_path).splitlines()) == sorted(stored(case).splitlines())


def test_make_paper_points_at_the_failed_log(tmp_path):
    folder = workflow(tmp_path / "wf", FAILING_WORKFLOW)
    build = make_paper(folder, cores=2)  # both steps run, as in a real build
    out, err = finish(build)
    assert build.returncode == 1
    assert "Table 2 cannot be built." in err
    assert "Details: results/logs/bad.log\n" in err


# --------------------------------------------------------------------------- the manuscript
def planned_jobs(workdir: Path) -> Counter:
    """The jobs Snakemake would run now (a dry run), counted by rule."""
    result = run_snakemake(workdir, "--dry-run")
    assert result.returncode == 0, result.stderr
    rules = re.findall(r"^(?:local)?rule (\w+):$", result.stdout + result.stderr, re.MULTILINE)
    return Counter(rule for rule in rules if rule != "all")


@pytest.mark.e2e
def test_make_paper_says_what_it_rebuilt_or_that_nothing_had_to_be(fresh_copy):
    where = [
        "The manuscript: results/manuscript/manuscript.{md,html,docx,pdf,xml}",
        "The supplement: results/manuscript/supplement.{md,html,docx,pdf}",
    ]
    nothing = run_make_paper(fresh_copy)
    assert nothing.returncode == 0, nothing.stderr
    first, *rest = nothing.stdout.splitlines()
    assert re.fullmatch(
        r"Nothing to do: the manuscript is up to date \(checked in \d+\.\d s\)\.", first
    )
    assert rest == where

    conclusion = fresh_copy / "templates/sections/06-conclusion.md.j2"
    conclusion.write_text(conclusion.read_text() + "\nThe authors thank the patients.\n")
    planned = planned_jobs(fresh_copy)
    rebuilt = run_make_paper(fresh_copy)
    assert rebuilt.returncode == 0, rebuilt.stderr
    first, *rest = rebuilt.stdout.splitlines()
    said = re.fullmatch(r"Rebuilt (\d+) steps \((.+)\) in \d+\.\d s\.", first)
    assert said, first
    listed: Counter = Counter()
    for item in said.group(2).split(", "):
        rule, _, times = item.partition(" x")
        listed[rule] += int(times or 1)
    assert listed == planned and int(said.group(1)) == sum(planned.values())
    assert {"render_markdown", "to_html", "to_docx", "compile_pdf", "manifest"} <= set(listed)
    assert not {"validate_cohort", "make_table", "figure", "audit"} & set(listed)
    assert rest == where
