"""The per-step profile cuts time and memory at Snakemake's job lines."""

import sys
import textwrap

from devtools.profile_steps import StepFigures, profile_command, table

FAKE_BUILD = textwrap.dedent(
    """
    import sys, time
    def job(rule, seconds, megabytes, jobid):
        print(f"localrule {rule}:", flush=True)
        held = bytearray(megabytes * 2**20)  # touched: resident
        held[:: 4096] = b"x" * len(held[:: 4096])
        time.sleep(seconds)
        print(f"Finished jobid: {jobid} (Rule: {rule})", flush=True)
        return held
    kept = job("validate_cohort", 0.6, 300, 1)
    del kept
    job("make_table", 0.2, 0, 2)
    job("make_table", 0.2, 0, 3)
    """
)


def test_each_rule_gets_its_jobs_time_and_the_memory_its_step_added(tmp_path):
    steps, elapsed, peak = profile_command([sys.executable, "-c", FAKE_BUILD], tmp_path)
    assert set(steps) == {"validate_cohort", "make_table"}
    assert steps["make_table"].jobs == 2
    assert steps["validate_cohort"].seconds >= 0.6
    # Both 0.2 s jobs count (one alone would be 0.2 s); the lines are read a little late
    # while the sampler reads the processes' memory, so not quite 0.4 s.
    assert 0.3 <= steps["make_table"].seconds < steps["validate_cohort"].seconds
    assert steps["validate_cohort"].growth >= 250 * 2**20
    assert steps["make_table"].growth < 100 * 2**20
    assert peak >= steps["validate_cohort"].peak >= 300 * 2**20
    assert elapsed >= 1.0


def test_the_table_lists_the_slowest_rule_first_in_megabytes():
    lines = table(
        {
            "figure": StepFigures(seconds=1.5, peak=200 * 2**20, growth=0, jobs=6),
            "audit": StepFigures(seconds=20.0, peak=3 * 2**30, growth=2**30, jobs=1),
        },
        elapsed=23.0,
        peak=3 * 2**30,
    ).splitlines()
    assert lines[2] == "| audit | 1 | 20.00 | 3072 | 1024 |"
    assert lines[3] == "| figure | 6 | 1.50 | 200 | 0 |"
    assert lines[4] == "| whole build | 7 | 23.00 (jobs 21.50) | 3072 | |"


def test_the_memory_of_a_process_tree_counts_its_children():
    """A child holding 200 MB shows in the tree's memory (each process's PSS, summed)."""
    import subprocess
    import sys
    import time

    import psutil

    from devtools.process_memory import tree_memory

    me = psutil.Process()
    before = tree_memory(me)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; b = bytearray(200 * 2**20); print(1, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        child.stdout.readline()  # the child holds its 200 MB
        time.sleep(0.1)
        assert tree_memory(me) - before > 180 * 2**20
    finally:
        child.kill()
        child.wait()


def test_pages_a_fork_shares_with_its_parent_count_once():
    """Forked workers share their fork server's pages: summed PSS counts them once,
    where summed resident sizes would count them in every process."""
    import subprocess
    import sys
    import time

    import psutil

    from devtools.process_memory import tree_memory

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, time; b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096]);"
            " os.fork(); print(1, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        holder.stdout.readline()  # parent and child both hold the same 200 MB
        time.sleep(0.2)
        process = psutil.Process(holder.pid)
        shared = tree_memory(process)
        resident = sum(p.memory_info().rss for p in [process, *process.children()])
        assert len(process.children()) == 1
        assert 190 * 2**20 < shared < 300 * 2**20 < 400 * 2**20 < resident
    finally:
        for child in psutil.Process(holder.pid).children():
            child.kill()
        holder.kill()
        holder.wait()
