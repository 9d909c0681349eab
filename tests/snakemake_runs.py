"""Real Snakemake output, for the tests of how `make paper` reads it.

Each case is a tiny workflow, run by the pinned Snakemake with the repository's own
workflow profile, its steps run as the pipeline's are (``run_in_process``). What it
prints (stdout, then stderr, as make paper captures it) is kept in
``tests/data/snakemake_output/<case>.txt``, with what differs from run to run (dates,
folders, ids, durations, the machine) replaced by placeholders such as ``<workdir>``.

To write the files again, after a Snakemake upgrade::

    PYTHONPATH=workflow python tests/snakemake_runs.py

``test_make_paper.py::test_the_stored_output_is_what_snakemake_prints_today`` runs every
case again and compares, so a change in Snakemake's output cannot go unnoticed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STORED = REPO / "tests/data/snakemake_output"

STEPS = """
import logging
from pathlib import Path

from manuscript_engine.core.errors import ManuscriptError

log = logging.getLogger("manuscript")


def write(input, output, params, wildcards):
    for path in output:
        Path(path).write_text("made\\n")
    log.info("wrote %s", ", ".join(output))


def refuse(input, output, params, wildcards):
    raise ManuscriptError(
        "The cohort data break 1 rule(s) of data/codebook.yaml. Nothing was built. "
        "Correct these cells and run the build again:\\n\\n"
        "  - data/raw/visits.csv line 5, column vas: 11 is above the maximum 10."
    )
"""

BUILD = """from manuscript_engine.core.step_runner import run_in_process


rule all:
    input: "results/manuscript.md", "results/figure_a.svg", "results/figure_b.svg"

rule validate:
    output: "results/validated.csv"
    log: "results/logs/validate.log"
    run:
        run_in_process("steps:write", input, output, params, wildcards, log)

rule figure:
    input: "results/validated.csv"
    output: "results/figure_{name}.svg"
    log: "results/logs/figure_{name}.log"
    run:
        run_in_process("steps:write", input, output, params, wildcards, log)

rule render:
    input: "results/validated.csv"
    output: "results/manuscript.md"
    log: "results/logs/render.log"
    run:
        run_in_process("steps:write", input, output, params, wildcards, log)
"""

FAILING = """from manuscript_engine.core.step_runner import run_in_process


rule all:
    input: "results/validated.csv"

rule settings:
    output: "results/settings.json"
    log: "results/logs/settings.log"
    run:
        run_in_process("steps:write", input, output, params, wildcards, log)

rule validate:
    input: "results/settings.json"
    output: "results/validated.csv"
    log: "results/logs/validate.log"
    run:
        run_in_process("steps:refuse", input, output, params, wildcards, log)
"""

CONFIG_ERROR = """from manuscript_engine.core.settings import check_config


configfile: "config/config.yaml"


check_config(config, "config/schema.yaml")


rule all:
    output: "results/never.txt"
    shell: "touch {output}"
"""

SCHEMA = """type: object
additionalProperties: false
properties:
  data_dir: {type: string}
  synthetic_cohort: {type: boolean}
"""


def _workflow(folder: Path, snakefile: str) -> Path:
    (folder / "profiles/default").mkdir(parents=True)
    shutil.copy(REPO / "profiles/default/config.yaml", folder / "profiles/default")
    (folder / "Snakefile").write_text(snakefile, encoding="utf-8")
    (folder / "steps.py").write_text(STEPS, encoding="utf-8")
    return folder


def _run(folder: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(folder), str(REPO / "workflow")]),
            "PYTHONHASHSEED": "0",  # Snakemake lists some sets: the same order every run
        },
    )
    return result.stdout + result.stderr


def capture(case: str, scratch: Path) -> str:
    """Run ``case`` in a new folder under ``scratch``; its output with placeholders."""
    folder = scratch / case
    folder.mkdir()
    if case in ("rebuilt", "nothing_to_do"):
        _workflow(folder, BUILD)
        output = _run(folder)
        if case == "nothing_to_do":
            output = _run(folder)
    elif case == "failed_step":
        output = _run(_workflow(folder, FAILING))
    elif case == "config_error":
        _workflow(folder, CONFIG_ERROR)
        (folder / "config").mkdir()
        (folder / "config/config.yaml").write_text("dat_dir: data/raw\nsynthetic_cohort: maybe\n")
        (folder / "config/schema.yaml").write_text(SCHEMA)
        output = _run(folder)
    elif case == "locked":
        _workflow(folder, BUILD)
        locks = folder / ".snakemake/locks"
        locks.mkdir(parents=True)
        (locks / "0.output.lock").write_text("results/validated.csv\n")  # as Snakemake writes it
        output = _run(folder)
    else:
        raise ValueError(case)
    return normalise(output, folder)


CASES = ("rebuilt", "nothing_to_do", "failed_step", "config_error", "locked")

VARYING = [
    (
        re.compile(r"^(  (?:Date|Workflow ID|Platform|Host|User|Python version)): .*$", re.M),
        r"\1: <>",
    ),
    (re.compile(r"^(  Command: ).*?(__main__\.py|snakemake)( .*)?$", re.M), r"\1<snakemake>\3"),
    (re.compile(r"^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\]$", re.M), "[<time>]"),
    (
        re.compile(r"\.snakemake/log/[\dT.:-]+\.snakemake\.log"),
        ".snakemake/log/<time>.snakemake.log",
    ),
    (re.compile(r"^Elapsed time: .*$", re.M), "Elapsed time: <elapsed>"),
    (re.compile(r"tmpdir=\S+"), "tmpdir=<tmp>"),
    # Lines of the engine's own code move as it is edited; the workflows' stay.
    (re.compile(r'(File "<repo>/[^"]+", line )\d+'), r"\1<n>"),
]


def normalise(output: str, folder: Path) -> str:
    text = output.replace(str(folder), "<workdir>").replace(str(REPO), "<repo>")
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    return text


def stored(case: str) -> str:
    return (STORED / f"{case}.txt").read_text(encoding="utf-8")


def main() -> None:
    STORED.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for case in CASES:
            (STORED / f"{case}.txt").write_text(capture(case, Path(scratch)), encoding="utf-8")
            print(f"wrote {STORED / case}.txt")


if __name__ == "__main__":
    main()
