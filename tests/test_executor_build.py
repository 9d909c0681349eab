"""End to end: one job per process, under the cluster-generic executor plugin.

`snakemake --workflow-profile profiles/cluster-local` sends every job through
profiles/cluster-local/submit.sh, which starts it as a process of its own (a fresh
Python running `snakemake --mode remote`), as a cluster's scheduler would. The
manuscript must come out byte for byte as the threaded build's (``built_repo``), every
step must have run in a job of its own, the jobs' ledger records must satisfy the
main process, settings must reach the jobs as files written by `setting` jobs, and a
job must never rebuild, force or rewrite anything but its own outputs.
"""

from __future__ import annotations

import hashlib
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_built, copy_repository

from manuscript_engine.core.settings import settings_file
from manuscript_engine.core.yaml_files import load_yaml

pytestmark = pytest.mark.e2e

PROFILE = "profiles/cluster-local"
QUEUE = ".snakemake/cluster-local"
OUTPUTS = ("manuscript.md", "manuscript.html", "manuscript.docx", "manuscript.pdf")


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=900,
    )


def build_with_executor(workdir: Path, *args: str) -> str:
    """The documented command; returns the main process's output."""
    result = snakemake(workdir, "--workflow-profile", PROFILE, *args)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    return output


def remote_job(
    workdir: Path, rule: str, wildcards: str = "", *args: str
) -> subprocess.CompletedProcess:
    """One job as the executor's job script runs it (see any log in .snakemake/cluster-local)."""
    return snakemake(
        workdir,
        *("--snakefile", "Snakefile", "--target-jobs", f"{rule}:{wildcards}"),
        *("--allowed-rules", rule, "--cores", "1", "--force-use-threads", "--force"),
        *("--nocolor", "--no-hooks", "--nolock", "--ignore-incomplete", "--mode", "remote"),
        *args,
    )


def submitted(workdir: Path) -> list[tuple[str, str]]:
    """(job id, rule) of every job submit.sh started, in order."""
    lines = (workdir / QUEUE / "jobs.tsv").read_text().splitlines()
    return [tuple(line.split("\t")) for line in lines]


def job_file(workdir: Path, job_id: str, suffix: str) -> Path:
    """A file submit.sh keeps for the job: its output (.log) or its exit code (.exit)."""
    key = job_id.split("-", 1)[1]
    return workdir / QUEUE / f"{key}{suffix}"


def job_log(workdir: Path, job_id: str) -> str:
    return job_file(workdir, job_id, ".log").read_text()


def rules_run_in(log: str) -> list[str]:
    return re.findall(r"^(?:local)?rule (\w+):", log, flags=re.MULTILINE)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def executor_run(tmp_path_factory) -> tuple[Path, str]:
    """A fresh copy built from scratch under the executor, and the main process's output."""
    workdir = copy_repository(tmp_path_factory.mktemp("executor") / "repo")
    return workdir, build_with_executor(workdir)


@pytest.fixture
def executor_copy(executor_run, tmp_path) -> Path:
    return copy_built(executor_run[0], tmp_path / "repo")


@pytest.mark.parametrize("name", OUTPUTS)
def test_the_executor_build_is_byte_identical_to_the_threaded_build(executor_run, built_repo, name):
    workdir, _ = executor_run
    ours = workdir / "results/manuscript" / name
    threaded = built_repo / "results/manuscript" / name
    assert digest(ours) == digest(threaded), f"{name} differs from the threaded build's"


def test_every_step_ran_as_a_process_of_its_own(executor_run):
    workdir, output = executor_run
    jobs = submitted(workdir)
    # Every step a full build plans, but `all`, which runs no code.
    plan = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--forceall", "--quiet", "rules"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    total = int(re.search(r"^total\s+(\d+)$", plan.stdout + plan.stderr, re.M).group(1))
    assert len(jobs) == total - 1
    pids = {job_id.split("-")[0] for job_id, _ in jobs}
    assert len(pids) == len(jobs), "two jobs shared a process"
    assert len(re.findall(r"^Submitted job \d+ with external jobid", output, re.M)) == len(jobs)
    # The main process ran no step itself: `all` is its only local rule.
    assert re.findall(r"^localrule (\w+):", output, re.M) == ["all"]
    for job_id, rule in jobs:
        log = job_log(workdir, job_id)
        assert "--mode remote" in log, job_id
        assert rules_run_in(log) == [rule], f"job {job_id} ran {rules_run_in(log)}, not {rule}"
        assert job_file(workdir, job_id, ".exit").read_text().strip() == "0"


def test_each_setting_is_written_once_by_a_setting_job_and_read_as_a_file(executor_run):
    workdir, _ = executor_run
    config = load_yaml(workdir / "config/config.yaml")
    expected = {settings_file("results/settings", key, value) for key, value in config.items()}
    written = {p.relative_to(workdir).as_posix() for p in (workdir / "results/settings").iterdir()}
    assert written == expected
    setting_jobs = [job_id for job_id, rule in submitted(workdir) if rule == "setting"]
    assert len(setting_jobs) == len(config)
    written_by = sorted(
        re.search(r"^\s+output: (\S+)$", job_log(workdir, job_id), re.M).group(1)
        for job_id in setting_jobs
    )
    assert written_by == sorted(expected)


def test_the_main_process_trusts_what_the_jobs_recorded(executor_run):
    workdir, _ = executor_run
    for profile in (PROFILE, "profiles/default"):
        result = snakemake(workdir, "--workflow-profile", profile, "--cores", "1", "--dry-run")
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Nothing to be done" in output
        assert "WARNING" not in output


def test_a_job_leaves_other_untrusted_files_to_the_main_process(executor_copy):
    """A job that judged results/ itself would force files it has no rule for, and fail.

    The main process, which rebuilds the edited file, is the only one that judges.
    """
    edited = executor_copy / "results/audit/audit.html"
    edited.write_text(edited.read_text() + "<!-- edited -->\n")
    job = remote_job(executor_copy, "reference_docx")
    output = job.stdout + job.stderr
    assert job.returncode == 0, output
    assert "no longer match" not in output
    assert rules_run_in(output) == ["reference_docx"]
    assert edited.read_text().endswith("<!-- edited -->\n")
    # ... and the next build does rebuild it, with jobs that all succeed.
    build_with_executor(executor_copy)
    assert not edited.read_text().endswith("<!-- edited -->\n")


def test_a_job_never_writes_a_settings_file_it_lacks(executor_copy):
    (statistics,) = (executor_copy / "results/settings").glob("statistics-*.json")
    statistics.unlink()
    job = remote_job(executor_copy, "make_table", "table=table_scores", "--latency-wait", "1")
    output = job.stdout + job.stderr
    assert job.returncode != 0
    assert re.search(rf"Missing files .*\n{statistics.relative_to(executor_copy)}", output)
    assert rules_run_in(output) == ["make_table"]
    assert not statistics.exists()


def test_a_setting_given_on_the_command_line_reaches_the_jobs(executor_copy):
    # Only the audit (and its new setting) is asked for: the rest of the manuscript
    # would rebuild too, and adds nothing to what this test shows.
    output = build_with_executor(
        executor_copy, "results/audit/audit.csv", "--config", "audit_strict=false"
    )
    new = executor_copy / settings_file("results/settings", "audit_strict", False)
    assert new.read_text() == "false\n"
    assert re.findall(r"^rule (\w+):", output, re.M)[:2] == ["setting", "audit"]
    audit_jobs = [job_id for job_id, rule in submitted(executor_copy) if rule == "audit"]
    log = job_log(executor_copy, audit_jobs[-1])
    assert "--config audit_strict=false" in log
    assert new.relative_to(executor_copy).as_posix() in log


def test_an_interrupted_build_stops_every_job_process(tmp_path):
    """Ctrl-C: Snakemake calls cancel.sh, which stops each job's whole process group."""
    workdir = copy_repository(tmp_path / "repo")
    build = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--workflow-profile", PROFILE],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        jobs = workdir / QUEUE / "jobs.tsv"
        deadline = time.monotonic() + 120
        while not (jobs.exists() and jobs.read_text().count("\n") >= 2):
            assert time.monotonic() < deadline, "no job was submitted"
            time.sleep(0.2)
        build.send_signal(signal.SIGINT)
        assert build.wait(timeout=120) != 0
    finally:
        if build.poll() is None:
            build.kill()
    deadline = time.monotonic() + 30
    while left := processes_in(workdir):
        assert time.monotonic() < deadline, f"jobs still running: {left}"
        time.sleep(0.5)
    # A job stopped by cancel.sh ends with its wrapper: no exit code is ever written.
    stopped = [job for job, _ in submitted(workdir) if not job_file(workdir, job, ".exit").exists()]
    assert stopped, "every job ran to its end: none was cancelled"


def processes_in(workdir: Path) -> list[str]:
    listing = subprocess.run(
        ["ps", "-ww", "-e", "-o", "args="], capture_output=True, text=True
    ).stdout
    return [line for line in listing.splitlines() if f"{workdir}/" in line]


def test_an_author_error_in_a_job_reaches_the_terminal(executor_copy):
    section = executor_copy / "templates/sections/02-introduction.md.j2"
    text = section.read_text()
    section.write_text(text.replace("Its main hazard", "In 42 cases its main hazard", 1))
    result = snakemake(executor_copy, "--workflow-profile", PROFILE)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r"02-introduction\.md\.j2 line \d+: the number '42' is typed", output)
