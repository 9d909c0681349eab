"""Where each number of the HTML manuscript came from, shown to its reader.

Each number a template quotes reaches the HTML's document tree as a span naming its
registry key (``<span class="num" data-key="...">``, see
:func:`manuscript_engine.text.template_helpers.number_span`). This module, for the HTML
only, makes each such span focusable, and adds to the page:

- a JSON record per quoted key (value, unit, n, the test and its statistic, the table it
  belongs to, the rule and function that computed it, the SHA-256 of the inputs and the
  commit), read by the engine's script ``html/provenance.js``, which shows it in a panel
  when the number is focused or hovered;
- under each table and figure, links to its data (CSV) and to the code that made it;
- an appendix listing every quoted key with its value and origin.

The additions sit between :data:`ADDED_OPEN` and :data:`ADDED_CLOSE` comments, which the
format-agreement check leaves out: they are the HTML's reading aids, not the paper's
text, so the DOCX, PDF and JATS stay as they were. Everything from the registry, the
data or the templates is escaped (``html.escape``; the JSON with ``<``, ``>`` and ``&``
as ``\\u`` escapes), and the script writes it with ``textContent`` only.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manuscript_engine.core.registry import NumbersRegistry

ASSETS = Path(__file__).parent / "html"
SCRIPT = ASSETS / "provenance.js"
STYLE = ASSETS / "provenance.css"
ADDED_OPEN, ADDED_CLOSE = "<!--provenance-->", "<!--/provenance-->"
"""Around everything this module adds to the page (see format_agreement.text_of)."""
ADDED = re.compile(re.escape(ADDED_OPEN) + ".*?" + re.escape(ADDED_CLOSE), re.DOTALL)
NUMBER_CLASS = "num"
TABLE_ID = re.compile(r"\{#(tbl:[\w-]+)\}")
PLACED_TABLE = re.compile(r"^Table: Table (\w+)\.[^\n]*\{#(tbl:[\w-]+)\}", re.MULTILINE)
PLACED_FIGURE = re.compile(r"^!\[Figure (\w+)\.[^\n]*\{#(fig:[\w-]+)", re.MULTILINE)
NOT_RECORDED = "not recorded"
CODE_FOLDERS = ("workflow", ".")
"""Where a build's Python packages live, relative to its folder."""
ENGINE_ORIGINS = {"audit": {"rule": "audit", "function": "manuscript_engine.audit.steps:audit"}}
"""Registry sources that the engine's own steps make (the audit of the published paper)."""


@dataclass(frozen=True)
class Origin:
    """The Snakemake rule and the Python function that made a registry source."""

    rule: str
    function: str
    data: str = ""
    """For a figure: the table it is drawn from."""

    @property
    def module_path(self) -> str:
        """The function's source file in the repository being built ('' if not found).

        Found from the module's name (its place below its top package), in the build's
        ``workflow/`` folder, so it is the same in every copy of the repository,
        wherever Python imported the package from."""
        module = self.function.split(":")[0]
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            return ""
        if spec is None or not spec.origin:
            return ""
        origin = Path(spec.origin)
        depth = len(module.split(".")) - (0 if origin.name == "__init__.py" else 1)
        inside = origin.relative_to(origin.parents[depth])
        for folder in CODE_FOLDERS:
            if (Path(folder) / inside).is_file():
                return (Path(folder) / inside).as_posix()
        return ""


@dataclass
class Provenance:
    """What the HTML's provenance is built from (see :func:`provenance_from_inputs`)."""

    registry: NumbersRegistry
    origins: Mapping[str, Origin]
    """Registry source (a table's name, ``figure <name>``, a step's name) -> its origin."""
    tables: Mapping[str, Path]
    """Table name -> its Markdown under results/tables/ (the CSV sits beside it)."""
    placed: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """``tbl:``/``fig:`` id -> (document, label) in every document ("S1")."""
    hashes: Mapping[str, str] = field(default_factory=dict)
    """Input file -> SHA-256 (the cohort, config and the study's code)."""
    data_inputs: list[str] = field(default_factory=list)
    """The inputs every result rests on (cohort, codebook, settings): listed once."""
    commit: str = "unknown"
    uncommitted: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ origins
    def origin_of(self, source: str) -> Origin | None:
        """The origin of a registry ``source`` ("table_scores (outcome population)",
        "results/tables/patient_flow.csv", "figure pain_relief", "audit (...)")."""
        head = source.split(" (")[0]
        first_word = (head.split() or [""])[0]
        for candidate in (source, head, Path(head).stem, first_word, head.split("_")[0]):
            if candidate in self.origins:
                return self.origins[candidate]
        return None

    def table_of_source(self, source: str) -> str | None:
        """The table (results/tables/<name>.md) a registry source's numbers belong to."""
        head = source.split(" (")[0]
        for candidate in (head, Path(head).stem):
            if candidate in self.tables:
                return candidate
        return None

    # ------------------------------------------------------------------ records
    def record(self, key: str) -> dict[str, Any]:
        """Everything the page says about one key; what is unknown is said to be."""
        number = self.registry[key]
        origin = self.origin_of(number.source)
        record: dict[str, Any] = {
            "key": key,
            "text": number.text,
            "value": _shown_value(number.value),
            "unit": number.unit or "none",
            "n": NOT_RECORDED if number.n is None else str(number.n),
            "source": number.source,
            "rule": origin.rule if origin else NOT_RECORDED,
            "function": origin.function if origin else NOT_RECORDED,
            "module": (origin.module_path if origin else "") or NOT_RECORDED,
            "method": self.method_of(key),
            "test": self.test_of(key),
            "tables": self.tables_with(key),
            "inputs": self.inputs_of(origin),
        }
        return record

    def method_of(self, key: str) -> str:
        """The method of an estimate: the nearest ``<prefix>.method`` entry's text."""
        for prefix in _prefixes(key):
            if f"{prefix}.method" in self.registry and f"{prefix}.method" != key:
                return self.registry[f"{prefix}.method"].text
        return ""

    def test_of(self, key: str) -> dict[str, str] | None:
        """The between-group test this key belongs to (nearest ``<prefix>.test`` entry),
        with its statistic, group sizes and how P was computed, where recorded."""
        for prefix in _prefixes(key):
            test_key = f"{prefix}.test"
            if test_key in self.registry:
                test = self.registry[test_key]
                detail = dict(test.detail or {})
                statistic = detail.get("statistic")
                sizes = detail.get("sizes") or []
                return {
                    "key": test_key,
                    "name": test.text,
                    "statistic": (
                        f"{statistic['name']} = {_shown_value(statistic['value'])}"
                        if statistic
                        else NOT_RECORDED
                    ),
                    "sizes": (
                        ", ".join(f"n{_subscript(i)} = {size}" for i, size in enumerate(sizes, 1))
                        or NOT_RECORDED
                    ),
                    "variant": detail.get("variant") or NOT_RECORDED,
                }
        return None

    def tables_with(self, key: str) -> list[dict[str, str]]:
        """The table whose step computed ``key``, its label in the documents, and
        whether the same text is printed in it."""
        number = self.registry[key]
        name = self.table_of_source(number.source)
        if name is None:
            return []
        markdown = self.tables[name].read_text(encoding="utf-8")
        found = TABLE_ID.search(markdown)
        document, label = self.placed.get(found.group(1), ("", "")) if found else ("", "")
        printed = re.search(rf"(?<![\w.]){re.escape(number.text)}(?![\w.])", markdown)
        return [
            {
                "name": name,
                "label": f"Table {label}" if label else "not placed in a document",
                "document": document,
                "anchor": found.group(1) if found else "",
                "printed": "yes" if printed else "no (computed with it, not printed)",
            }
        ]

    def inputs_of(self, origin: Origin | None) -> list[str]:
        """The input files of the key's own whose hashes the record gives (the source
        file of its function); the data every key rests on is listed once, in
        :attr:`data_inputs`."""
        module = origin.module_path if origin else ""
        return [module] if module in self.hashes else []

    def records(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {key: self.record(key) for key in keys}


def _prefixes(key: str) -> list[str]:
    parts = key.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _shown_value(value: Any) -> str:
    """The raw value as text, in full precision (the printed text is rounded)."""
    if isinstance(value, float):
        return repr(value)
    return "none" if value is None else str(value)


# ---------------------------------------------------------------------- the tree
def number_spans(tree: dict) -> list[dict]:
    """The spans of quoted registry numbers in a document tree, in reading order."""
    from manuscript_engine.text.document_safety import nodes

    return [
        node
        for node in nodes(tree.get("blocks", []))
        if node["t"] == "Span" and NUMBER_CLASS in node["c"][0][1]
    ]


def key_of(span: dict) -> str:
    return dict(span["c"][0][2]).get("data-key", "")


def quoted_keys(tree: dict) -> list[str]:
    """Every key quoted in the tree, once each, in order of first appearance."""
    return list(dict.fromkeys(key for key in map(key_of, number_spans(tree)) if key))


def without_number_marks(value: Any) -> Any:
    """The tree as the plain Markdown parses: each number's span replaced by its text.

    pandoc never writes two ``Str`` side by side, so the text around a span joins up
    again ("(", "62", "%)" becomes "(62%)"), and the result equals, node for node, the
    tree of the unmarked Markdown (a test compares them). One pandoc and citeproc pass
    then serves every format.
    """
    if isinstance(value, dict):
        return {name: without_number_marks(item) for name, item in value.items()}
    if not isinstance(value, list):
        return value
    joined: list = []
    for item in value:
        marked = isinstance(item, dict) and item.get("t") == "Span"
        pieces = item["c"][1] if marked and NUMBER_CLASS in item["c"][0][1] else [item]
        for piece in map(without_number_marks, pieces):
            if joined and _is_text(piece) and _is_text(joined[-1]):
                joined[-1] = {"t": "Str", "c": joined[-1]["c"] + piece["c"]}
            else:
                joined.append(piece)
    return joined


def _is_text(node: Any) -> bool:
    return isinstance(node, dict) and node.get("t") == "Str"


def make_numbers_focusable(tree: dict) -> None:
    """Let each number take the keyboard focus (the panel opens on focus)."""
    for span in number_spans(tree):
        attributes = span["c"][0][2]
        if not any(name == "tabindex" for name, _ in attributes):
            attributes.append(["tabindex", "0"])


def link_tables_and_figures(tree: dict, provenance: Provenance, page: Path) -> None:
    """After each table and figure, a line linking its data and its code."""
    blocks = tree["blocks"]
    for index in reversed(range(len(blocks))):
        block = blocks[index]
        target = _block_id(block)
        if not target:
            continue
        links = _links_for(target, provenance, page)
        if links:
            blocks.insert(index + 1, {"t": "RawBlock", "c": ["html", links]})


def _block_id(block: dict) -> str:
    if block["t"] == "Table":
        return block["c"][0][0]
    if block["t"] == "Figure":
        return block["c"][0][0]
    return ""


def _links_for(target: str, provenance: Provenance, page: Path) -> str:
    kind, _, name = target.partition(":")
    if kind == "tbl":
        table = next(
            (
                t
                for t, path in provenance.tables.items()
                if f"{{#{target}}}" in path.read_text(encoding="utf-8")
            ),
            None,
        )
        if table is None:
            return ""
        data = provenance.tables[table].with_suffix(".csv")
        origin = provenance.origin_of(table)
        what = "table"
    elif kind == "fig":
        origin = provenance.origins.get(f"figure {name}")
        data_table = origin.data if origin else ""
        table_file = provenance.tables.get(data_table)
        data = table_file.with_suffix(".csv") if table_file else None
        what = "figure"
    else:
        return ""
    items = []
    if data is not None and data.exists():
        items.append(("Data", data.as_posix()))
    if origin and origin.module_path:
        items.append((f"Code ({origin.function}, rule {origin.rule})", origin.module_path))
    if not items:
        return ""
    parts = [
        f'{html.escape(label)}: <a href="{html.escape(_relative(path, page))}">'
        f"{html.escape(path)}</a>"
        for label, path in items
    ]
    return (
        f'{ADDED_OPEN}<p class="provenance-links">Source of this {what}: '
        + " · ".join(parts)
        + f"</p>{ADDED_CLOSE}"
    )


def _relative(path: str, page: Path) -> str:
    """``path`` (relative to the repository) as seen from the page's folder."""
    return Path(os.path.relpath(path, Path(page).parent)).as_posix()


# ---------------------------------------------------------------------- the page
def escaped_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` as \\u escapes."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_data(provenance: Provenance, keys: list[str]) -> dict[str, Any]:
    return {
        "commit": provenance.commit,
        "uncommitted": provenance.uncommitted,
        "inputs": dict(sorted(provenance.hashes.items())),
        "data_inputs": provenance.data_inputs,
        "keys": provenance.records(keys),
    }


def header() -> str:
    """The panel's stylesheet (engine code), for the page's head."""
    return f'<style type="text/css">{STYLE.read_text(encoding="utf-8")}</style>\n'


def after_body(provenance: Provenance, tree: dict, page: Path) -> str:
    """The appendix, the records as JSON and the panel's script, after the body."""
    keys = quoted_keys(tree)
    data = page_data(provenance, keys)
    script = SCRIPT.read_text(encoding="utf-8")
    if "</script" in script.lower():
        raise ValueError(f"{SCRIPT} may not contain '</script'")
    return (
        f"{ADDED_OPEN}\n"
        + appendix(data, heading_level(tree))
        + '<script type="application/json" id="provenance-data">'
        + escaped_json(data)
        + "</script>\n<script>"
        + script
        + f"</script>\n{ADDED_CLOSE}\n"
    )


def heading_level(tree: dict) -> int:
    levels = [block["c"][0] for block in tree.get("blocks", []) if block["t"] == "Header"]
    return min(levels) if levels else 1


def commit_text(data: Mapping[str, Any]) -> str:
    changed = data["uncommitted"]
    if not changed:
        return data["commit"]
    return f"{data['commit']}, with uncommitted changes to {len(changed)} file(s)"


def appendix(data: Mapping[str, Any], level: int = 1) -> str:
    """Every quoted key with its value, unit, n and origin, as an HTML table."""
    e = html.escape
    rows = []
    for key, record in data["keys"].items():
        test = record["test"]["name"] if record["test"] else ""
        rows.append(
            "<tr>"
            f'<th scope="row"><code>{e(key)}</code></th>'
            f"<td>{e(record['text'])}</td><td>{e(record['unit'])}</td><td>{e(record['n'])}</td>"
            f"<td>{e(record['method'] or test or NOT_RECORDED)}</td>"
            f"<td>{e(record['rule'])}; <code>{e(record['function'])}</code></td>"
            "</tr>"
        )
    return (
        f'<section id="provenance-appendix" class="provenance-appendix" '
        f'aria-labelledby="provenance-heading">\n'
        f'<h{level} id="provenance-heading">Provenance of the quoted numbers</h{level}>\n'
        f"<p>Each number quoted in the text above comes from the build's registry of "
        f"results; focus or hover a number to see its record. Built from commit "
        f"<code>{e(commit_text(data))}</code>. The SHA-256 of each input file is in the "
        f"record of every number and in <code>results/manuscript/manifest.json</code>.</p>\n"
        # Scrolls sideways in its own box on a phone, as the page's tables do.
        '<div class="table-scroll" tabindex="0" role="region" '
        'aria-label="Registry keys quoted in this document">\n'
        '<table class="provenance-table">\n'
        f"<caption>The {len(rows)} registry keys quoted in this document</caption>\n"
        '<thead><tr><th scope="col">Key</th><th scope="col">Printed</th>'
        '<th scope="col">Unit</th><th scope="col">n</th><th scope="col">Method or test</th>'
        '<th scope="col">Computed by (rule; function)</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table>\n</div>\n</section>\n"
    )


# ---------------------------------------------------------------------- inputs
def study_origins(layout) -> dict[str, dict[str, str]]:
    """Each registry source of a study -> its rule and function, from the study's layout
    (its tables, figures and steps) and the engine's own steps."""
    origins = {name: {"rule": "make_table", "function": f} for name, f in layout.TABLES.items()}
    for name, spec in layout.FIGURES.items():
        origins[f"figure {name}"] = {
            "rule": "figure",
            "function": spec["draw"],
            "data": spec["table"],
        }
    for name, function in layout.STEPS.items():
        origins[name] = {"rule": name, "function": function}
    return {**ENGINE_ORIGINS, **origins}


def provenance_from_inputs(
    *,
    registry: Path,
    tables: Iterable[Path],
    origins: Mapping[str, Mapping[str, str]],
    markdowns: Iterable[Path],
    data: Iterable[Path],
    code: Iterable[Path],
) -> Provenance:
    """Read what the provenance needs from a rule's inputs.

    ``origins`` maps each registry source to ``{"rule", "function"[, "data"]}`` (see
    :func:`study_origins`); ``markdowns`` are every document's annotated Markdown (for the
    labels of tables and figures across documents); ``data`` (the cohort, codebook and
    settings) and ``code`` (the study's modules) are the files whose SHA-256 the
    records give.
    """
    from manuscript_engine.core.checkout import git_commit, uncommitted_changes
    from manuscript_engine.core.trust import sha256

    placed: dict[str, tuple[str, str]] = {}
    for markdown in markdowns:
        text = Path(markdown).read_text(encoding="utf-8")
        document = Path(markdown).name.removesuffix("-annotated.md")
        for pattern in (PLACED_TABLE, PLACED_FIGURE):
            for label, target in pattern.findall(text):
                placed.setdefault(target, (document, label))
    return Provenance(
        registry=NumbersRegistry.from_json(Path(registry)),
        origins={name: Origin(**spec) for name, spec in origins.items()},
        tables={Path(t).stem: Path(t) for t in tables},
        placed=placed,
        hashes={Path(p).as_posix(): sha256(p) for p in sorted({*map(str, data), *map(str, code)})},
        data_inputs=sorted({Path(p).as_posix() for p in data}),
        commit=git_commit(),
        uncommitted=uncommitted_changes(),
    )
