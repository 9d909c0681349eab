"""Steps run in worker processes forked from a fork server (manuscript_engine.core.step_workers).

A small study package written into the test's folder provides the steps: each writes
the process it ran in, fails with an author's message, or kills its own process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from snakemake.iocontainers import Namedlist

from manuscript_engine.core import step_workers
from manuscript_engine.core.step_runner import StepFailed

STEPS = """
import os
import signal

from manuscript_engine.core.errors import ManuscriptError


def write_pid(input, output, params, wildcards):
    with open(output.out, "w") as f:
        f.write(str(os.getpid()))


def refuse(input, output, params, wildcards):
    raise ManuscriptError("data/raw/visits.csv, row 3, column vas: 11 is above 10.")


def die(input, output, params, wildcards):
    os.kill(os.getpid(), signal.SIGKILL)


def crash(input, output, params, wildcards):
    raise ValueError("a bug, not an author's error")


def engine_file(input, output, params, wildcards):
    import manuscript_engine

    with open(output.out, "w") as f:
        f.write(f"{os.getpid()} {manuscript_engine.__file__}")
"""


@pytest.fixture
def study(tmp_path, monkeypatch):
    """A study package ``workerstudy`` in the test's folder, importable by the workers."""
    (tmp_path / "workerstudy").mkdir()
    (tmp_path / "workerstudy" / "__init__.py").write_text("")
    (tmp_path / "workerstudy" / "steps.py").write_text(STEPS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    step_workers.close_pools()


def run(
    step: str, out: Path, heavy: bool = False, spec: str | None = None, alone: bool = False
) -> None:
    """Run a step of the test's study in a worker; its log is ``out`` with ``.log``."""
    step_workers.run_in_worker(
        spec or f"workerstudy.steps:{step}",
        Namedlist(),
        Namedlist(fromdict={"out": str(out)}),
        Namedlist(),
        Namedlist(),
        Namedlist([f"{out}.log"]),
        ["workerstudy"],
        heavy=heavy,
        alone=alone,
    )


def test_libraries_of_two_or_more_jobs_are_the_fork_servers_to_import():
    shared = step_workers.shared_libraries(
        [["pandas", "scipy.stats", "pandas"], ["pandas", "pandera"], ["scipy.stats"]]
    )
    # pandas twice in one job counts once; pandera, of one job, is that job's to import
    assert shared == ["pandas", "scipy.stats"]


def test_a_step_runs_in_a_worker_process_and_writes_its_output(study):
    step_workers.start_fork_server(["json"])
    step_workers.open_pools(2, heavy=False)
    run("write_pid", study / "a.txt")
    worker = int((study / "a.txt").read_text())
    assert worker != os.getpid()
    # Once a worker is up, light jobs go to workers (before, they run in this process).
    deadline = time.monotonic() + 60
    while not step_workers.takes(heavy=False) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert step_workers.takes(heavy=False)
    step_workers.close_pools()
    assert not step_workers.takes(heavy=False)  # no workers: jobs run in this process


def test_closing_the_pools_ends_the_fork_server_without_its_teardown(study):
    """Python's teardown of the libraries the fork server imported took 0.15 to 0.35 s
    at the end of every build: it is skipped, but the libraries' exit handlers still run
    (matplotlib's removes a temporary folder)."""
    (study / "teardown_marker.py").write_text(
        textwrap.dedent(
            """
            import atexit, pathlib

            pathlib.Path("imported.txt").write_text("yes")
            atexit.register(pathlib.Path("exit_handler.txt").write_text, "ran")


            class Teardown:
                def __del__(self, path=pathlib.Path("teardown.txt")):
                    path.write_text("ran")


            kept = Teardown()
            """
        )
    )
    step_workers.start_fork_server(["teardown_marker"])
    step_workers.open_pools(1, heavy=False)
    run("write_pid", study / "a.txt")
    server = step_workers.forkserver._forkserver._forkserver_pid
    step_workers.close_pools()
    assert not psutil.pid_exists(server)
    assert (study / "imported.txt").exists()  # the fork server did import it
    assert (study / "exit_handler.txt").exists()
    assert not (study / "teardown.txt").exists()


def test_closing_a_pool_whose_pipe_is_gone_still_stops_the_fork_server(study, monkeypatch):
    """An error while a pool shuts down must not fail a finished build, nor leave the
    fork server holding the terminal's output."""
    step_workers.start_fork_server(["json"])
    step_workers.open_pools(1, heavy=False)
    run("write_pid", study / "a.txt")
    server = step_workers.forkserver._forkserver._forkserver_pid

    def closed_pipe(*args, **kwargs):
        raise OSError(9, "Bad file descriptor")

    monkeypatch.setattr(step_workers._pools["light"], "shutdown", closed_pipe)
    step_workers.close_pools()
    assert not psutil.pid_exists(server)
    assert not step_workers.takes(heavy=False)


def test_the_fork_servers_exit_module_leaves_any_other_process_alone():
    """Imported elsewhere, the module must not turn a failing process's status into 0."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import manuscript_engine.core.fork_server_exit; raise SystemExit(3)",
        ],
        cwd=Path(step_workers.__file__).parents[2],
        capture_output=True,
    )
    assert result.returncode == 3


def test_an_author_error_in_a_worker_is_logged_and_fails_the_job(study):
    step_workers.start_fork_server([])
    step_workers.open_pools(1, heavy=False)
    with pytest.raises(StepFailed, match="refuse stopped"):
        run("refuse", study / "b.txt")
    log = (study / "b.txt.log").read_text()
    assert "ERROR: data/raw/visits.csv, row 3, column vas: 11 is above 10." in log


def test_a_killed_worker_fails_its_job_in_words_and_the_next_job_gets_a_new_worker(study, capfd):
    step_workers.start_fork_server([])
    step_workers.open_pools(1, heavy=False)
    with pytest.raises(StepFailed, match="die stopped"):
        run("die", study / "c.txt")
    assert "a worker process ended while die" in capfd.readouterr().err
    assert "a worker process ended while die" in (study / "c.txt.log").read_text()
    run("write_pid", study / "d.txt")
    assert int((study / "d.txt").read_text()) != os.getpid()


def test_heavy_steps_take_turns_in_one_worker_of_their_own(study):
    step_workers.start_fork_server([])
    step_workers.open_pools(2, heavy=True)
    assert step_workers.takes(heavy=True)  # waits for its worker, never runs in this process
    for name in ("h1", "h2", "h3"):
        run("write_pid", study / f"{name}.txt", heavy=True)
    heavy = {(study / f"{name}.txt").read_text() for name in ("h1", "h2", "h3")}
    assert len(heavy) == 1  # the analysis dataset one heavy step read stays for the next
    run("write_pid", study / "light.txt")
    assert (study / "light.txt").read_text() not in heavy
    # A heavy step that reads nothing another has read runs in a process of its own,
    # which ends with it and so gives back all its memory.
    run("write_pid", study / "alone1.txt", heavy=True, alone=True)
    run("write_pid", study / "alone2.txt", heavy=True, alone=True)
    alone = {(study / f"alone{n}.txt").read_text() for n in (1, 2)}
    assert len(alone) == 2 and not alone & heavy


def test_a_step_outside_the_engine_and_the_study_is_refused_in_the_worker(study):
    step_workers.start_fork_server([])
    step_workers.open_pools(1, heavy=False)
    with pytest.raises(StepFailed):
        run("join", study / "f.txt", spec="os.path:join")
    log = (study / "f.txt.log").read_text()
    assert "the step 'os.path:join' is not in the engine or the study's package" in log


def test_a_script_without_a_main_guard_is_not_run_again_by_the_workers(study):
    """A worker does not import the program's main module (multiprocessing would, as
    ``__mp_main__``): a script calling the build without ``if __name__ == "__main__"``
    would otherwise start again inside each worker."""
    script = study / "unguarded.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path[:0] = [{str(Path(step_workers.__file__).parents[2])!r}, {str(study)!r}]
            print("script ran", flush=True)
            from snakemake.iocontainers import Namedlist
            from manuscript_engine.core import step_workers
            step_workers.start_fork_server([])
            step_workers.open_pools(1, heavy=False)
            step_workers.run_in_worker(
                "workerstudy.steps:write_pid", Namedlist(),
                Namedlist(fromdict={{"out": "e.txt"}}), Namedlist(), Namedlist(), Namedlist(),
                ["workerstudy"],
            )
            step_workers.close_pools()
            """
        )
    )
    result = subprocess.run(
        [sys.executable, str(script)], cwd=study, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("script ran") == 1
    assert (study / "e.txt").read_text().isdigit()


def test_a_steps_unexpected_error_shows_the_workers_traceback(study):
    step_workers.start_fork_server([])
    step_workers.open_pools(1, heavy=False)
    with pytest.raises(step_workers.StepCrashed) as raised:
        run("crash", study / "g.txt")
    # the frames are the worker's: the step's file and line, the error and its words
    assert 'workerstudy/steps.py", line' in str(raised.value)
    assert "ValueError: a bug, not an author's error" in str(raised.value)


SCRIPT = """
import sys
sys.path[:0] = [{engine!r}, {study!r}]
from snakemake.iocontainers import Namedlist
from manuscript_engine.core import step_workers
step_workers.start_fork_server(["manuscript_engine.core.step_runner"])
step_workers.open_pools(1, heavy=False)
step_workers.run_in_worker(
    "workerstudy.steps:engine_file", Namedlist(), Namedlist(fromdict={{"out": "h.txt"}}),
    Namedlist(), Namedlist(), Namedlist(), ["workerstudy"],
)
import manuscript_engine
print(manuscript_engine.__file__, flush=True)
{end}
"""


def run_script(study: Path, engine: Path, end: str = "step_workers.close_pools()"):
    script = study / "script.py"
    script.write_text(SCRIPT.format(engine=str(engine), study=str(study), end=end))
    return subprocess.Popen(
        [sys.executable, str(script)], cwd=study, stdout=subprocess.PIPE, text=True
    )


def test_workers_run_the_engine_of_the_checkout_being_built(study):
    """Python 3.11's fork server ignores the path it is given (CPython gh-117378): the
    workers would import the installed engine, not the copy the build runs from."""
    copy = study / "copy"
    shutil.copytree(
        Path(step_workers.__file__).parents[2] / "manuscript_engine",
        copy / "manuscript_engine",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    script = run_script(study, copy)
    parent_engine = script.communicate(timeout=120)[0].strip()
    assert script.returncode == 0
    assert parent_engine.startswith(str(copy))
    assert (study / "h.txt").read_text().split(" ", 1)[1] == parent_engine


def test_workers_end_when_snakemakes_process_is_killed(study):
    """A killed build (the out-of-memory killer) cannot end its workers: they watch it."""
    engine = Path(step_workers.__file__).parents[2]
    script = run_script(study, engine, end="import time; time.sleep(120)")
    script.stdout.readline()  # the step has run: a worker is up, and the fork server
    worker = int((study / "h.txt").read_text().split(" ", 1)[0])
    script.kill()
    script.wait()
    deadline = time.monotonic() + 30
    while psutil.pid_exists(worker) and time.monotonic() < deadline:
        if psutil.Process(worker).status() == psutil.STATUS_ZOMBIE:
            break
        time.sleep(0.1)
    assert not psutil.pid_exists(worker) or psutil.Process(worker).status() == psutil.STATUS_ZOMBIE
