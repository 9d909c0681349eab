"""Jobs import their libraries one at a time, before their step runs.

Snakemake runs the steps in threads of one process, and Python's imports are not safe
across threads when packages import each other (CPython gh-83065): two jobs importing
parts of statsmodels at once failed a build with "cannot import name 'infer_freq' from
partially initialized module 'statsmodels.compat.pandas'".
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import REPO

from manuscript_engine.core import step_runner
from manuscript_engine.core.code_dependencies import StepCode

WORKFLOW = REPO / "workflow"
RUNNER = "manuscript_engine.core.step_runner"


def test_a_steps_libraries_include_those_imported_inside_its_functions():
    code = StepCode([WORKFLOW], REPO)
    files = code.inputs(
        RUNNER,
        "manuscript_engine.stats.steps:make_table",
        "vertebroplasty.secondary_analyses:table_longitudinal",
    )
    libraries = code.libraries(files)
    # stats/longitudinal.py imports these inside random_intercept, not at its top
    assert "statsmodels.formula.api" in libraries
    assert "statsmodels.tools.sm_exceptions.ConvergenceWarning" in libraries
    assert "scipy.stats" in libraries
    assert not [n for n in libraries if n.split(".")[0] in ("manuscript_engine", "vertebroplasty")]


@pytest.mark.parametrize("step", ["text.steps:render_markdown", "output.steps:convert_document"])
def test_steps_a_template_edit_reruns_import_no_statistics_library(step):
    """A template edit reruns these; importing SciPy and statsmodels for them would add
    about half a second to it (measured: 4.3 s against 3.9 s)."""
    code = StepCode([WORKFLOW], REPO)
    libraries = code.libraries(code.inputs(RUNNER, f"manuscript_engine.{step}"))
    assert "jsonschema" in libraries
    assert not [n for n in libraries if n.split(".")[0] in ("scipy", "statsmodels", "matplotlib")]


PROBE = """import threading
importing = 0
most = 0
lock = threading.Lock()

def enter():
    global importing, most
    with lock:
        importing += 1
        most = max(most, importing)

def leave():
    global importing
    with lock:
        importing -= 1
"""

SLOW_LIBRARY = """import time
import import_probe
import_probe.enter()
time.sleep(0.3)
import_probe.leave()
"""

STEPS = """from pathlib import Path

def step_a(input, output, params, wildcards):
    import slow_library_a
    Path(output[0]).write_text("a")

def step_b(input, output, params, wildcards):
    import slow_library_b
    Path(output[0]).write_text("b")
"""


@pytest.fixture
def two_slow_steps(tmp_path, monkeypatch):
    """A project module with two steps, each importing a slow library inside its body,
    and a probe counting how many of those imports run at once."""
    site, project = tmp_path / "site", tmp_path / "project"
    site.mkdir()
    project.mkdir()
    (site / "import_probe.py").write_text(PROBE)
    for name in ("slow_library_a", "slow_library_b"):
        (site / f"{name}.py").write_text(SLOW_LIBRARY)
    (project / "racing_steps.py").write_text(STEPS)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(project))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(step_runner, "_STUDY_PACKAGES", set())
    yield StepCode([project], tmp_path).libraries(["project/racing_steps.py"])
    import sys

    for name in ("import_probe", "slow_library_a", "slow_library_b", "racing_steps"):
        sys.modules.pop(name, None)


def run_at_once(libraries: list[str]) -> None:
    errors = []

    def job(name: str) -> None:
        try:
            step_runner.run_in_process(
                f"racing_steps:{name}",
                [],
                [f"results/{name}.txt"],
                {},
                {},
                [f"results/logs/{name}.log"],
                libraries,
            )
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(name,)) for name in ("step_a", "step_b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_two_jobs_never_import_at_the_same_time(two_slow_steps):
    import import_probe

    assert two_slow_steps == ["pathlib", "pathlib.Path", "slow_library_a", "slow_library_b"]
    run_at_once(two_slow_steps)
    assert import_probe.most == 1
    assert Path("results/step_a.txt").read_text() == "a"
    assert Path("results/step_b.txt").read_text() == "b"


def test_without_their_libraries_named_the_jobs_import_at_once(two_slow_steps):
    """The probe sees the race the lock prevents (so the test above can fail)."""
    import import_probe

    run_at_once([])
    assert import_probe.most == 2


FLAKY_LIBRARY = """import import_probe
import_probe.attempts = getattr(import_probe, "attempts", 0) + 1
if import_probe.attempts == 1:
    raise RuntimeError("needs libflaky.so.2")
raise RuntimeError("flaky: already initialised")
"""

STEP_IMPORTING = """def step(input, output, params, wildcards):
    import {library}
"""


@pytest.mark.parametrize(
    ("library", "source", "error", "shown"),
    [
        # The real cause, not what a second attempt by the step would say.
        ("flaky_library", FLAKY_LIBRARY, RuntimeError, "needs libflaky.so.2"),
        # Not installed: left to the step, which names it where it imports it.
        ("not_installed_library", None, ModuleNotFoundError, "not_installed_library"),
    ],
)
def test_a_library_that_fails_to_import_fails_the_job_with_its_first_error(
    library, source, error, shown, tmp_path, monkeypatch
):
    site = tmp_path / "site"
    site.mkdir()
    (site / "import_probe.py").write_text(PROBE)
    if source:
        (site / f"{library}.py").write_text(source)
    (site / "failing_steps.py").write_text(STEP_IMPORTING.format(library=library))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(step_runner, "_STUDY_PACKAGES", set())
    libraries = StepCode([site], tmp_path).libraries(["site/failing_steps.py"])
    assert libraries == [library]
    try:
        with pytest.raises(error, match=shown):
            step_runner.run_in_process(
                "failing_steps:step",
                [],
                ["results/x.txt"],
                {},
                {},
                ["results/logs/x.log"],
                libraries,
            )
    finally:
        import sys

        for name in ("import_probe", library, "failing_steps"):
            sys.modules.pop(name, None)
