"""Steps run in worker processes forked from one that has imported their libraries.

Why: when the steps ran as threads of the Snakemake process they took turns on one
interpreter lock, so on a 2-core machine the build's Python ran on one core (a cold
build took 15.8 s of wall time for 17 s of CPU time). Worker processes run on every core.
Starting one the usual way would import pandas, SciPy and matplotlib again for each;
instead a fork server (:mod:`multiprocessing`'s ``forkserver``), started when Snakemake
starts running jobs, imports the libraries the build's jobs share once, and each
worker is a fork of it, ready in milliseconds. Until the first worker is up (about
2 s), light jobs run in the Snakemake process, as threads (:func:`takes`).

On a registry-size cohort the steps that work on every patient (those asking for the
``heavy`` resource, see :mod:`~manuscript_engine.core.heavy_jobs`) all run in one worker
of their own: they take turns, as before, and the analysis dataset one of them has
read (:func:`~manuscript_engine.data.analysis_dataset.read_patients`) is there for
the next instead of in each worker's memory. Those that read nothing another has read
(validation, the analysis dataset) each run in a process that ends with them.

A build whose job processes are started by an executor plugin (``--mode remote``)
never starts workers: each of its processes runs one job, in process.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import context, forkserver, popen_forkserver, reduction, spawn, util

_pools: dict[str, ProcessPoolExecutor] = {}
_sizes: dict[str, int] = {}
_replacing = threading.Lock()
_worker_up = threading.Event()
"""Set once a worker has answered, so once the fork server has imported."""


class _WorkerPopen(popen_forkserver.Popen):
    """multiprocessing's fork-server start, without running the program's main module.

    A child normally runs the script that started Snakemake again (as ``__mp_main__``)
    so that functions defined there can be found; a script that calls Snakemake
    without an ``if __name__ == "__main__"`` guard would then start a second build
    inside the worker. The steps live in packages, so the workers skip it.
    """

    def _launch(self, process_obj):
        prep_data = spawn.get_preparation_data(process_obj._name)
        for key in ("init_main_from_path", "init_main_from_name"):
            prep_data.pop(key, None)
        buf = io.BytesIO()
        context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _WorkerProcess(context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _WorkerPopen(process_obj)


class _WorkerContext(context.ForkServerContext):
    Process = _WorkerProcess


_CONTEXT = _WorkerContext()


def shared_libraries(per_job: Iterable[Iterable[str]]) -> list[str]:
    """The libraries the code of two or more jobs imports: the fork server's to import.

    A library only one job uses is imported by that job's worker, when the step
    imports it (validation's pandera, say, only when a cell may be invalid), rather than
    delaying every job while the fork server imports it.
    """
    counts = Counter(name for names in per_job for name in set(names))
    return sorted(name for name, count in counts.items() if count >= 2)


FORK_SERVER_EXIT = "manuscript_engine.core.fork_server_exit"


def start_fork_server(libraries: Iterable[str]) -> None:
    """Start the fork server now, importing ``libraries``, so that it is ready for the
    first job (it would otherwise start, and import, when the first job needs it)."""
    modules = ["manuscript_engine.core.step_runner", "snakemake.iocontainers", *libraries]
    # The exit module first: its handler, registered before any library's, runs last.
    _CONTEXT.set_forkserver_preload([FORK_SERVER_EXIT, *sorted(set(modules))])
    # Python 3.11's fork server ignores the sys.path it is given (CPython gh-117378, fixed
    # in 3.12.8): it would import the engine from wherever the installed copy points, not
    # from the checkout being built. Its environment carries this process's path instead.
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(path for path in sys.path if path)
    try:
        forkserver.ensure_running()
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before


def open_pools(workers: int, heavy: bool) -> None:
    """Open the pool of ``workers`` processes and, on a registry-size cohort (``heavy``),
    a one-process pool for the heavy steps and one whose process serves a single job."""
    _sizes.update(light=max(1, workers), heavy=int(heavy), single=int(heavy))
    for kind, size in _sizes.items():
        if size:
            _pools[kind] = _new_pool(kind)
    _worker_up.clear()
    # Starting a worker waits for the fork server's imports: done aside, not in onstart.
    threading.Thread(target=_start_first_worker, args=(_pools["light"],), daemon=True).start()
    # Before concurrent.futures' own exit handler, which would wait for running steps.
    threading._register_atexit(close_pools)


def _new_pool(kind: str) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=_sizes[kind],
        mp_context=_CONTEXT,
        initializer=_start_worker,
        max_tasks_per_child=1 if kind == "single" else None,
    )


def _start_first_worker(pool: ProcessPoolExecutor) -> None:
    """Wait for a first worker; if none can start, jobs go on in this process."""
    try:
        pool.submit(os.getpid).result()
    except Exception as exc:  # the fork server could not start or import
        print(
            f"WARNING: the build's worker processes could not start ({exc}); "
            "its steps run in Snakemake's own process instead.",
            file=sys.stderr,
        )
        close_pools()
        return
    _worker_up.set()


def takes(heavy: bool) -> bool:
    """Whether a job goes to a worker: yes once one is up; until then (while the fork
    server imports, about 2 s) a light job runs in this process, as a thread, so the
    build's first steps (a template edit's rendering, say) do not wait for imports they
    may not need. A heavy step always waits for its worker, which keeps its memory."""
    if not _pools:
        return False
    return (heavy and "heavy" in _pools) or _worker_up.is_set()


def close_pools() -> None:
    """End the workers: at the end of a build, when it stops on an error, or at exit."""
    for pool in list(_pools.values()):
        # Workers are stopped, not waited for (after Ctrl-C one may be mid-step); then
        # the pool's own thread is joined, which must not find its processes gone.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        # A pool broken by a killed worker may find its wake-up pipe closed (EBADF, seen
        # once in 25 failed builds): the build's own result must stand, and the fork
        # server must still be stopped.
        with contextlib.suppress(OSError):
            pool.shutdown(wait=True, cancel_futures=True)
    _pools.clear()
    _worker_up.clear()
    # The fork server would end by itself once this process has, but it holds the
    # terminal's (or a caller's pipe's) output open until then: `make paper` would
    # wait for it. Python's own tests stop it this way (its teardown is skipped:
    # FORK_SERVER_EXIT).
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        with contextlib.suppress(OSError, ChildProcessError):
            stop()


def _start_worker() -> None:
    """In a new worker: ignore Ctrl-C, and end when Snakemake's process has ended.

    Ctrl-C reaches the whole process group; Snakemake lets running steps finish, then
    ends the workers. A Snakemake that is killed outright (the out-of-memory killer, say)
    cannot: without the watch, its idle workers and the fork server would live on,
    holding the terminal's output open, and `make paper` would wait for them forever.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), daemon=True).start()


def _end_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def run_in_worker(
    spec: str,
    input,
    output,
    params,
    wildcards,
    log_files,
    study_packages: Iterable[str],
    heavy: bool = False,
    alone: bool = False,
) -> None:
    """Run the step in a worker and wait for it; its failure is raised here, as it was there.

    A heavy step that is ``alone`` (one that reads no data another step has read, such
    as validation) runs in a process of its own, which gives all its memory back when
    it ends, instead of in the heavy steps' worker, which would keep what it could
    not give back (on a million patients, about 150 MB more at the next step's peak).
    """
    from manuscript_engine.core.step_runner import stop_with_message

    if heavy and alone and "single" in _pools:
        kind = "single"
    else:
        kind = "heavy" if heavy and "heavy" in _pools else "light"
    job = [_plain(input, True), _plain(output, True), _plain(params), _plain(wildcards)]
    job.append(_plain(log_files, True))
    for attempt in (1, 2):
        pool = _pools[kind]
        try:
            future = pool.submit(_run_job, spec, *job, sorted(study_packages))
        except BrokenProcessPool:
            _replace(kind, pool)  # broken before this job was handed over: try the new one
            if attempt == 1:
                continue
            raise
        try:
            future.result()
            return
        except BrokenProcessPool:
            _replace(kind, pool)
            name = spec.partition(":")[2]
            stop_with_message(
                name,
                f"a worker process ended while {name} (or a step running beside it) ran: "
                "it was stopped from outside, or the machine ran out of memory. Run the "
                "build again; if it stops here again, close other programs or build with "
                "fewer cores (--cores 1).",
                log_path=job[4][0] if job[4] else None,
            )


def _replace(kind: str, pool: ProcessPoolExecutor) -> None:
    """A broken pool cannot be used again (every job it held fails): a new one takes
    the next jobs."""
    with _replacing:
        if _pools.get(kind) is pool:
            pool.shutdown(wait=False, cancel_futures=True)
            _pools[kind] = _new_pool(kind)


def _plain(names, files: bool = False):
    """A job's names as values a worker can receive: Snakemake's file objects refer to
    their rule, and through it to the whole workflow, so a worker gets their paths,
    named as in the job. Anything else (the setting step's params are the config) as is."""
    from snakemake.iocontainers import Namedlist

    if not isinstance(names, Namedlist):
        return names
    return Namedlist(toclone=names, plainstr=files)


def _run_job(spec, input, output, params, wildcards, log_files, study_packages):
    """In the worker: the step, restricted to the engine and the study's packages."""
    from manuscript_engine.core import step_runner

    if not study_packages:  # an empty set would lift the restriction (load_step)
        raise ValueError("a worker needs the study's package to run a step")
    step_runner._STUDY_PACKAGES.update(study_packages)
    try:
        # One job at a time in this process: its imports need no lock and no preloading.
        step_runner.run_in_process(spec, input, output, params, wildcards, log_files)
    except step_runner.StepFailed:
        raise  # the author's message is printed and logged already
    except BaseException:
        # Snakemake prints only the frames of the process that raised it here; the
        # step's own frames travel as text (and so does an error that would not pickle).
        raise StepCrashed(traceback.format_exc()) from None
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


class StepCrashed(Exception):
    """A step failed with an error that is not an author's: its worker's traceback."""
