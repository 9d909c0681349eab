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
"""

from __future__ import annotations

import ast
import importlib.util
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


def imported_names(nodes: Iterable[ast.AST], module: str, is_package: bool) -> list[str]:
    """Dotted names the import statements among ``nodes`` (not nested further) bring in.

    ``from a import b`` yields both ``a`` and ``a.b``: ``b`` may be a submodule.
    """
    package = module if is_package else module.rpartition(".")[0]
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
    return [name for name in names if name]


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _all_imports(tree: ast.AST) -> list[ast.AST]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


def _top_level_imports(tree: ast.Module) -> list[ast.AST]:
    """Imports run when the module is imported (including under ``if``/``try``)."""
    found: list[ast.AST] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        found += _all_imports(node)
    return found


class StepCode:
    """The source files behind each step, for rules' ``input:``."""

    def __init__(self, roots: Iterable[str | Path], relative_to: str | Path = ".") -> None:
        self.index = ModuleIndex(roots)
        self.base = Path(relative_to).resolve()
        # The rules ask for the same modules dozens of times while the Snakefile is read:
        # each file is parsed once, each module's closure computed once.
        self._trees: dict[Path, ast.Module] = {}
        self._imports: dict[Path, list[str]] = {}
        self._closures: dict[str, frozenset[Path]] = {}

    def _tree(self, path: Path) -> ast.Module:
        if path not in self._trees:
            self._trees[path] = _parse(path)
        return self._trees[path]

    def _imports_of(self, path: Path, dotted: str) -> list[str]:
        """What module ``dotted`` (file ``path``) imports anywhere."""
        if path not in self._imports:
            is_package = path.name == "__init__.py"
            self._imports[path] = imported_names(_all_imports(self._tree(path)), dotted, is_package)
        return self._imports[path]

    def module_closure(self, dotted: str) -> set[Path]:
        """``dotted`` and every project module it imports anywhere, transitively."""
        if dotted in self._closures:
            return set(self._closures[dotted])
        seen: set[Path] = set()
        waiting = [dotted]
        while waiting:
            name = waiting.pop()
            path = self.index.source(name)
            if path is None or path in seen:
                continue
            seen.add(path)
            seen.update(self.index.packages_on_the_way(name))
            waiting += self._imports_of(path, name)
        self._closures[dotted] = frozenset(seen)
        return seen

    def step_files(self, spec: str) -> set[Path]:
        """Files step ``"module:function"`` runs: its module's top level, the function's
        own imports, and everything those reach."""
        module, _, function = spec.partition(":")
        path = self.index.source(module)
        if path is None:
            raise LookupError(f"no project module {module!r} for step {spec!r}")
        tree = self._tree(path)
        body = [
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function
        ]
        if not body:
            raise LookupError(f"module {module} has no step function {function!r}")
        is_package = path.name == "__init__.py"
        names = imported_names(_top_level_imports(tree), module, is_package)
        names += imported_names(_all_imports(body[0]), module, is_package)
        files = {path, *self.index.packages_on_the_way(module)}
        for name in names:
            files |= self.module_closure(name)
        return files

    def inputs(self, *specs: str) -> list[str]:
        """Sorted paths, relative to the working folder, of every file the specs run."""
        files: set[Path] = set()
        for spec in specs:
            files |= self.step_files(spec) if ":" in spec else self.module_closure(spec)
        return sorted(os.path.relpath(path, self.base) for path in files)
