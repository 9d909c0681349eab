"""The architecture holds: engine apart from the study, no import cycle, code inputs
computed from imports.

The contracts themselves live in pyproject.toml ([tool.importlinter]); `make lint`
runs them too.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import grimp
import pytest
from conftest import REPO

from manuscript_engine.core.code_dependencies import StepCode

PACKAGES = ("manuscript_engine", "vertebroplasty", "devtools")
WORKFLOW = REPO / "workflow"


def project_modules() -> list[str]:
    """Every module of the three packages, by dotted name."""
    names = []
    for package in PACKAGES:
        for path in sorted((WORKFLOW / package).rglob("*.py")):
            parts = path.relative_to(WORKFLOW).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def build_graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, include_external_packages=False, cache_dir=None)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return build_graph()


def test_the_import_contracts_are_kept():
    """import-linter's own command, as `make lint` runs it: prints every broken contract."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command;"
            " sys.exit(lint_imports_command())",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(WORKFLOW)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_contract_is_reported(tmp_path):
    """The contract can fail: an engine module importing the study breaks it."""
    graph = build_graph()
    graph.add_import(importer="manuscript_engine.core.errors", imported="vertebroplasty.derived")
    assert graph.chain_exists("manuscript_engine.core.errors", "vertebroplasty.derived")
    chains = graph.find_shortest_chains(importer="manuscript_engine", imported="vertebroplasty")
    assert chains


def strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Import cycles: groups of modules that import each other, directly or not."""
    modules = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.find_modules_directly_imported_by(node):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    sys.setrecursionlimit(10_000)
    for module in modules:
        if module not in index:
            visit(module)
    return groups


def test_no_module_imports_itself_through_others(graph):
    assert strongly_connected(graph) == []


def test_a_cycle_would_be_found():
    mutated = build_graph()  # not the shared fixture: the other tests read it
    mutated.add_import(
        importer="manuscript_engine.core.errors", imported="manuscript_engine.core.step_runner"
    )
    pair = {"manuscript_engine.core.errors", "manuscript_engine.core.step_runner"}
    assert any(pair <= group for group in strongly_connected(mutated))


# ----------------------------------------------------------------- computed code inputs
def step_specs() -> list[str]:
    """Every step the rules run: the engine's and the study's layout."""
    from vertebroplasty import layout

    rules = (REPO / "workflow/rules/common.smk").read_text(encoding="utf-8")
    table = rules.split("ENGINE_STEPS = ")[1].split("\n}\n")[0] + "\n}"
    engine = list(ast.literal_eval(table).values())
    figures = [figure["draw"] for figure in layout.FIGURES.values()]
    return sorted({*engine, *layout.STEPS.values(), *layout.TABLES.values(), *figures})


def oracle(spec: str, graph: grimp.ImportGraph) -> set[str]:
    """What a step runs, found by another road: the names its function and its module's
    top level import (read from the source), then grimp's transitive closure."""
    module, _, function = spec.partition(":")
    tree = ast.parse((WORKFLOW / (module.replace(".", "/") + ".py")).read_text())
    nodes = [n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)]
    nodes += [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function]
    named = set()
    for node in nodes:
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module:
                named.add(inner.module)
                named.update(f"{inner.module}.{a.name}" for a in inner.names)
            elif isinstance(inner, ast.Import):
                named.update(a.name for a in inner.names)
    found = {name for name in named if name in graph.modules}
    for name in list(found):
        found |= graph.find_upstream_modules(name)
    found.add(module)  # the step's own module (not all it imports for other steps)
    # Python runs each package's __init__ on the way to a module.
    for name in list(found):
        parts = name.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return found


def as_module(path: str) -> str:
    parts = (REPO / path).resolve().relative_to(WORKFLOW).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("spec", step_specs())
def test_each_step_depends_on_exactly_the_modules_it_imports(spec, graph):
    computed = {as_module(p) for p in StepCode([WORKFLOW], REPO).inputs(spec)}
    assert computed == oracle(spec, graph)


def test_every_module_is_the_code_input_of_the_steps_that_import_it(graph):
    """For every module, the steps whose inputs list it are exactly those that import it:
    editing the module reruns those jobs (and what is built from them), no others."""
    code = StepCode([WORKFLOW], REPO)
    specs = step_specs()
    inputs = {spec: {as_module(p) for p in code.inputs(spec)} for spec in specs}
    expected = {spec: oracle(spec, graph) for spec in specs}
    for module in project_modules():
        listed = {spec for spec in specs if module in inputs[spec]}
        importing = {spec for spec in specs if module in expected[spec]}
        assert listed == importing, module
    # Some modules really are step-specific (no step that does not use them reruns).
    only_scores = {s for s in specs if "vertebroplasty.table_scores" in inputs[s]}
    assert only_scores == {"vertebroplasty.table_scores:table_scores"}


def test_one_steps_code_is_not_every_steps_code():
    code = StepCode([WORKFLOW], REPO)
    manifest = set(code.inputs("manuscript_engine.output.steps:manifest"))
    convert = set(code.inputs("manuscript_engine.output.steps:convert_document"))
    assert "workflow/manuscript_engine/output/manifest.py" in manifest
    assert "workflow/manuscript_engine/output/manifest.py" not in convert
    assert "workflow/manuscript_engine/output/conversion.py" in convert
    assert "workflow/manuscript_engine/output/conversion.py" not in manifest


def test_computing_code_inputs_imports_no_pandas():
    """Parsing the Snakefile computes them; a no-op build must not pay for pandas."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from manuscript_engine.core.code_dependencies import StepCode;"
            "StepCode(['workflow'], '.').inputs('manuscript_engine.stats.steps:make_table',"
            " 'manuscript_engine.output.steps:convert_document');"
            "print('pandas' in sys.modules)",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(WORKFLOW)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "False", result.stderr


# ------------------------------------------------------------ what Snakemake plans
def planned(workdir, module: str) -> tuple[dict[str, int], set[str], set[str]]:
    """A dry run's jobs (rule -> count), the rules planned because ``module`` changed
    ("Updated input files: <module>"), and those planned only because an upstream job
    reruns ("Input files updated by another job")."""
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "4"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    counts: dict[str, int] = {}
    direct, downstream = set(), set()
    pattern = r"^(?:local)?rule (\w+):\n(?:.*\n)*?\s+reason: (.*)$"
    for rule, reason in re.findall(pattern, out, re.M):
        counts[rule] = counts.get(rule, 0) + 1
        updated = re.search(r"Updated input files: ([^;]*)", reason)
        if updated and module in updated.group(1).split(", "):
            direct.add(rule)
        elif reason.startswith("Input files updated by another job"):
            downstream.add(rule)
    return counts, direct, downstream


def rules_running(module_path: str, workdir) -> set[str]:
    """Rules whose steps import the module, from each rule's computed code inputs."""
    from vertebroplasty import layout

    engine = (REPO / "workflow/rules/common.smk").read_text(encoding="utf-8")
    steps = {
        name: spec
        for name, spec in re.findall(r'"(\w+)": "(manuscript_engine\.[\w.]+:\w+)"', engine)
    } | layout.STEPS
    extra = {"make_table": list(layout.TABLES.values()), "make_figure": []}
    extra["make_figure"] = [figure["draw"] for figure in layout.FIGURES.values()]
    extra["validate_cohort"] = [layout.CROSS_TABLE_RULES]
    code = StepCode([workdir / "workflow"], workdir)
    runner = "manuscript_engine.core.step_runner"
    rule_steps = {}
    for path in sorted((REPO / "workflow/rules").glob("*.smk")):
        for rule, body in re.findall(r"rule (\w+):(.*?)(?=\n\s*rule |\Z)", path.read_text(), re.S):
            step = re.search(r'run_step\("(\w+)"', body)
            if step and step.group(1) in steps:
                rule_steps[rule] = step.group(1)
    return {
        rule
        for rule, step in rule_steps.items()
        if any(
            module_path in code.inputs(runner, steps[step], extra_spec)
            for extra_spec in extra.get(step, [steps[step]])
        )
    }


@pytest.mark.e2e
@pytest.mark.parametrize(
    "module",
    [
        "workflow/vertebroplasty/table_scores.py",
        "workflow/manuscript_engine/output/manifest.py",
        "workflow/manuscript_engine/output/conversion.py",
        "workflow/manuscript_engine/stats/survival.py",
    ],
)
def test_an_edited_module_reruns_exactly_the_jobs_that_import_it(module, built_repo, tmp_path):
    from conftest import copy_built

    workdir = copy_built(built_repo, tmp_path / "repo")
    expected = rules_running(module, workdir)
    source = workdir / module
    source.write_text(source.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    counts, direct, downstream = planned(workdir, module)
    # Every job of a rule that imports the module is planned (for its own change or as
    # the downstream of another), the manifest too (it lists every source's checksum),
    # and every other planned job is downstream of one of them: no job runs for nothing.
    assert expected <= set(counts) and "manifest" in counts
    assert direct <= expected | {"manifest"}
    assert set(counts) - expected - {"manifest", "all"} <= downstream
    if module.endswith("table_scores.py"):
        assert counts["make_table"] == 1 and counts["figure"] == 1  # one table, its figure
    if not expected:  # survival.py: no step of this study imports it
        # the manifest, and the submission bundle that carries the manifest
        assert set(counts) == {"manifest", "all", "submission_bundle"}


def test_each_source_file_is_parsed_once_however_many_rules_ask(monkeypatch):
    """The rules ask for the code of some thirty steps while the Snakefile is read; parsing
    every module again for each one cost a build with nothing to do about 2.5 s."""
    from manuscript_engine.core import code_dependencies

    parsed: list = []
    real = code_dependencies._parse
    monkeypatch.setattr(code_dependencies, "_parse", lambda path: parsed.append(path) or real(path))
    code = StepCode([WORKFLOW], REPO)
    first = {spec: code.inputs("manuscript_engine.core.step_runner", spec) for spec in step_specs()}
    assert parsed and len(parsed) == len(set(parsed))
    again = {spec: code.inputs("manuscript_engine.core.step_runner", spec) for spec in step_specs()}
    assert again == first
    assert len(parsed) == len(set(parsed))


# ------------------------------------------------------------ the study's layout, checked
def layout_package(tmp_path, monkeypatch, body: str) -> str:
    package = tmp_path / "somestudy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "layout.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("somestudy", "somestudy.layout"):  # each case imports its own
        monkeypatch.delitem(sys.modules, name, raising=False)
    return "somestudy"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("STEPS = {}\nTABLES = {}\n", "FIGURES must be defined"),
        (
            "STEPS = {}\nTABLES = {'t': 'somestudy.tables.t'}\nFIGURES = {}\n",
            "'somestudy.tables.t' is not a step; write 'package.module:function'",
        ),
        (
            "STEPS = {}\nTABLES = {'t': 'os:system'}\nFIGURES = {}\n",
            "'os:system' is outside the study's package somestudy",
        ),
    ],
)
def test_a_layout_the_engine_cannot_run_is_refused_in_words(tmp_path, monkeypatch, body, message):
    from manuscript_engine.core.step_runner import LayoutInvalid, study_layout

    package = layout_package(tmp_path, monkeypatch, body)
    with pytest.raises(LayoutInvalid, match=re.escape(message)):
        study_layout(package)


def test_a_missing_study_package_names_the_setting():
    from manuscript_engine.core.step_runner import LayoutInvalid, study_layout

    with pytest.raises(LayoutInvalid, match="names study_package 'no_such_study'"):
        study_layout("no_such_study")


def test_only_the_engine_and_the_study_run_as_steps():
    from manuscript_engine.core.step_runner import LayoutInvalid, load_step, study_layout

    study_layout("vertebroplasty")
    assert load_step("vertebroplasty.derived:patient_frame").__name__ == "patient_frame"
    with pytest.raises(LayoutInvalid, match="not in the engine or the study's package"):
        load_step("shutil:rmtree")


def test_a_build_with_nothing_to_do_parses_no_python(monkeypatch, tmp_path):
    """The imports found are kept between builds, keyed by each file's size and time."""
    from manuscript_engine.core import code_dependencies

    parsed: list = []
    real = code_dependencies._parse
    monkeypatch.setattr(code_dependencies, "_parse", lambda path: parsed.append(path) or real(path))
    cache = tmp_path / "code-imports.json"
    first = StepCode([WORKFLOW], REPO, cache=cache).inputs(*step_specs())
    assert parsed and cache.is_file()
    parsed.clear()
    assert StepCode([WORKFLOW], REPO, cache=cache).inputs(*step_specs()) == first
    assert parsed == []
    # A file whose size or time changed is read again (copy the tree to change one).
    copy = tmp_path / "workflow"
    import shutil

    shutil.copytree(WORKFLOW, copy, ignore=shutil.ignore_patterns("__pycache__"))
    StepCode([copy], tmp_path, cache=cache).inputs(*step_specs())
    assert parsed  # other paths: not in the cache yet
    parsed.clear()
    edited = copy / "manuscript_engine/output/manifest.py"
    edited.write_text(edited.read_text() + "\n# edited\n")
    StepCode([copy], tmp_path, cache=cache).inputs(*step_specs())
    assert parsed == [edited]
