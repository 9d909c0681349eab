"""Steps run in worker processes forked from one that has imported their libraries.

Why: when the steps ran as threads of the Snakemake process they took turns on one
interpreter lock, so on a 2-core machine the build's Python ran on one core (a cold
build took 15.8 s of wall time for 17 s of CPU time). Worker processes run on every core.
Starting one the usual way would import pandas, SciPy and matplotlib again for each;
instead a fork server (:mod:`multiprocessing`'s ``forkserver``) imports the libraries
the build's jobs use once, while Snakemake is still building its DAG, and each
worker is a fork of it, ready in milliseconds.

On a registry-size cohort the steps that work on every patient (those asking for the
``heavy`` resource, see :mod:`~manuscript_engine.core.heavy_jobs`) all run in one worker
of their own: they take turns, as before, and the analysis dataset one of them has
read (:func:`~manuscript_engine.data.analysis_dataset.read_patients`) is there for
the next instead of in each worker's memory.

A build whose job processes are started by an executor plugin (``--mode remote``)
never starts workers: each of its processes runs one job, in process.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import threading
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


def start_fork_server(libraries: Iterable[str]) -> None:
    """Start the fork server now, importing ``libraries``, so that it is ready for the
    first job (it would otherwise start, and import, when the first job needs it)."""
    modules = ["manuscript_engine.core.step_runner", "snakemake.iocontainers", *libraries]
    _CONTEXT.set_forkserver_preload(sorted(set(modules)))
    forkserver.ensure_running()


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
        initializer=_ignore_interrupts,
        max_tasks_per_child=1 if kind == "single" else None,
    )


def _start_first_worker(pool: ProcessPoolExecutor) -> None:
    # A broken pool is left to the next job's run_in_worker, which says so in words.
    with contextlib.suppress(Exception):
        pool.submit(os.getpid).result()
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
        pool.shutdown(wait=True, cancel_futures=True)
    _pools.clear()
    _worker_up.clear()
    # The fork server would end by itself once this process has, but it holds the
    # terminal's (or a caller's pipe's) output open until then: `make paper` would
    # wait for it. Python's own tests stop it this way.
    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        with contextlib.suppress(OSError, ChildProcessError):
            stop()


def _ignore_interrupts() -> None:
    """Ctrl-C reaches the whole process group: Snakemake handles it and ends the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
    pool = _pools[kind]
    try:
        pool.submit(_run_job, spec, *job, sorted(study_packages)).result()
    except BrokenProcessPool:
        # The pool cannot be used again (every job it held fails): a new one takes the
        # next jobs.
        with _replacing:
            if _pools.get(kind) is pool:
                pool.shutdown(wait=False, cancel_futures=True)
                _pools[kind] = _new_pool(kind)
        name = spec.partition(":")[2]
        stop_with_message(
            name,
            f"the process running {name} ended before the step did: it was stopped from "
            "outside, or ran out of memory. Run the build again; if it stops here again, "
            "close other programs or build with fewer cores (--cores 1).",
        )


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

    step_runner._STUDY_PACKAGES.update(study_packages)
    # One job at a time in this process: its imports need no lock and no preloading.
    step_runner.run_in_process(spec, input, output, params, wildcards, log_files)
    sys.stdout.flush()
    sys.stderr.flush()
