"""Which source files a step runs: computed from its imports, not kept by hand.

A rule's code inputs are the project modules its step imports, directly or through
other project modules, so editing one of them reruns exactly the jobs that run it (and,
through their outputs, what is built from them). Lists kept by hand drift: they missed
modules a step imported, and the build stayed right only because another rule listed
them.

The imports are read with :mod:`ast`, never executed, so computing them when the
Snakefile is parsed costs a few milliseconds and imports no pandas. A step
``"package.module:function"`` depends on its module's top-level imports and on those
inside the function itself (steps import lazily, so one module can hold several steps
without one step's code rerunning the others); a module it reaches is taken whole.
Third-party and standard-library modules are not inputs: their versions are pinned.
They are listed apart (:meth:`StepCode.libraries`) so that a step imports them before
it runs, one step at a time (see :mod:`manuscript_engine.core.step_runner`).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path


class ModuleIndex:
    """Finds the source file of a project module without importing anything heavy.

    A top-level package counts as the project's when its folder lies under one of
    ``roots``; only top-level names are looked up with :mod:`importlib` (which
    locates a package without running it), the rest is path arithmetic.
    """

    def __init__(self, roots: Iterable[str | Path]) -> None:
        self.roots = [Path(root).resolve() for root in roots]

    @cache  # noqa: B019 - one index per parse; the cache lives as long as the index
    def package_folder(self, top: str) -> Path | None:
        for root in self.roots:
            if (root / top / "__init__.py").is_file():
                return root / top
        spec = importlib.util.find_spec(top) if top.isidentifier() else None
        if spec is None or not spec.submodule_search_locations:
            return None
        folder = Path(next(iter(spec.submodule_search_locations))).resolve()
        return folder if any(folder.is_relative_to(root) for root in self.roots) else None

    @cache  # noqa: B019 - as above
    def source(self, dotted: str) -> Path | None:
        """The file of project module ``dotted`` (a package's ``__init__.py``), or None."""
        top, *rest = dotted.split(".")
        folder = self.package_folder(top)
        if folder is None:
            return None
        path = folder.joinpath(*rest)
        if (path / "__init__.py").is_file():
            return path / "__init__.py"
        if path.with_suffix(".py").is_file():
            return path.with_suffix(".py")
        return None

    def packages_on_the_way(self, dotted: str) -> list[Path]:
        """The ``__init__.py`` files Python runs before it reaches ``dotted``."""
        parts = dotted.split(".")
        found = (self.source(".".join(parts[:i])) for i in range(1, len(parts)))
        return [path for path in found if path is not None and path.name == "__init__.py"]


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _all_imports(tree: ast.AST) -> list[ast.AST]:
    """Every import statement in ``tree``, however deeply nested in other statements.

    Imports are statements, so only statement lists are visited, never expressions:
    a tenth of the nodes ``ast.walk`` would visit, which a build with nothing to do
    notices.
    """
    found: list[ast.AST] = []
    waiting = [tree]
    while waiting:
        node = waiting.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                waiting.extend(children)
    return found


def _top_level_imports(tree: ast.Module) -> list[ast.AST]:
    """Imports run when the module is imported (including under ``if``/``try``)."""
    found: list[ast.AST] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        found += _all_imports(node)
    return found


Record = tuple[int, str, list[str]]
"""An import statement as data: (level, module, names); ``import a.b`` is (-1, "", ["a.b"])."""


def _records(nodes: Iterable[ast.AST]) -> list[Record]:
    out: list[Record] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out.append((-1, "", [alias.name for alias in node.names]))
        elif isinstance(node, ast.ImportFrom):
            out.append((node.level, node.module or "", [alias.name for alias in node.names]))
    return out


def _names(records: Iterable[Record], module: str, is_package: bool) -> list[str]:
    """The dotted names the import records of ``module`` bring in, relative ones resolved.

    ``from a import b`` yields both ``a`` and ``a.b``: ``b`` may be a submodule.
    """
    package = module if is_package else module.rpartition(".")[0]
    names: list[str] = []
    for level, base, aliases in records:
        if level < 0:
            names += aliases
            continue
        if level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - (level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        names.append(base)
        names += [f"{base}.{alias}" for alias in aliases if alias != "*"]
    return [name for name in names if name]


class _Sources:
    """What each file imports, read once per parse of the workflow and kept between
    builds in a cache keyed by the file's size and modification time, so a build with
    nothing to do parses no Python at all (about forty rules ask for their code)."""

    def __init__(self, cache: Path | None = None) -> None:
        self.cache = cache
        self.summaries: dict[str, dict] = {}
        self.changed = False
        if cache is not None and cache.is_file():
            try:
                self.summaries = json.loads(cache.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.summaries = {}

    def summary(self, path: Path) -> dict:
        """``all``, ``top`` and per-function import records of one file."""
        info = path.stat()
        stamp = [info.st_size, info.st_mtime_ns]
        known = self.summaries.get(str(path))
        if known and known.get("stamp") == stamp:
            return known
        tree = _parse(path)
        functions = {
            node.name: _records(_all_imports(node))
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        known = {
            "stamp": stamp,
            "all": _records(_all_imports(tree)),
            "top": _records(_top_level_imports(tree)),
            "functions": functions,
        }
        self.summaries[str(path)] = known
        self.changed = True
        return known

    def save(self) -> None:
        """Write the cache when something was parsed (a best effort: it is only a cache)."""
        if self.cache is None or not self.changed:
            return
        try:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            partial = self.cache.with_name(self.cache.name + ".partial")
            partial.write_text(json.dumps(self.summaries), encoding="utf-8")
            partial.replace(self.cache)
            self.changed = False
        except OSError:
            pass


class StepCode:
    """The source files behind each step, for rules' ``input:``."""

    def __init__(
        self,
        roots: Iterable[str | Path],
        relative_to: str | Path = ".",
        cache: str | Path | None = None,
    ) -> None:
        self.index = ModuleIndex(roots)
        self.base = Path(relative_to).resolve()
        self.sources = _Sources(Path(cache) if cache else None)
        self.closures: dict[str, frozenset[Path]] = {}

    def module_closure(self, dotted: str) -> set[Path]:
        """``dotted`` and every project module it imports anywhere, transitively."""
        if dotted not in self.closures:
            self.closures[dotted] = frozenset(self._closure(dotted))
        return set(self.closures[dotted])

    def _closure(self, dotted: str) -> set[Path]:
        seen: set[Path] = set()
        waiting = [dotted]
        while waiting:
            name = waiting.pop()
            path = self.index.source(name)
            if path is None or path in seen:
                continue
            seen.add(path)
            seen.update(self.index.packages_on_the_way(name))
            is_package = path.name == "__init__.py"
            waiting += _names(self.sources.summary(path)["all"], name, is_package)
        return seen

    def step_files(self, spec: str) -> set[Path]:
        """Files step ``"module:function"`` runs: its module's top level, the function's
        own imports, and everything those reach."""
        module, _, function = spec.partition(":")
        path = self.index.source(module)
        if path is None:
            raise LookupError(f"no project module {module!r} for step {spec!r}")
        summary = self.sources.summary(path)
        if function not in summary["functions"]:
            raise LookupError(f"module {module} has no step function {function!r}")
        is_package = path.name == "__init__.py"
        names = _names(summary["top"], module, is_package)
        names += _names(summary["functions"][function], module, is_package)
        files = {path, *self.index.packages_on_the_way(module)}
        for name in names:
            files |= self.module_closure(name)
        return files

    def inputs(self, *specs: str) -> list[str]:
        """Sorted paths, relative to the working folder, of every file the specs run."""
        files: set[Path] = set()
        for spec in specs:
            files |= self.step_files(spec) if ":" in spec else self.module_closure(spec)
        self.sources.save()
        return sorted(os.path.relpath(path, self.base) for path in files)

    def libraries(self, files: Iterable[str | Path]) -> list[str]:
        """The modules outside the project that the source ``files`` (as :meth:`inputs`
        gives them) import anywhere, inside functions too, sorted: what a step running
        that code may import.

        ``from a import b`` gives ``a`` and ``a.b`` (``b`` may be a submodule); relative
        imports and the project's own packages are left out.
        """
        names: set[str] = set()
        for file in files:
            path = Path(file)
            if path.suffix != ".py":
                continue
            try:
                records = self.sources.summary((self.base / path).resolve())["all"]
            except (OSError, SyntaxError, ValueError):
                continue  # edited or removed during the build: the step's import tells
            for level, base, aliases in records:
                if level > 0:
                    continue
                found = aliases if level < 0 else [base, *(f"{base}.{a}" for a in aliases)]
                names.update(n for n in found if n != "*" and not n.endswith(".*"))
        return sorted(n for n in names if self.index.package_folder(n.split(".")[0]) is None)
