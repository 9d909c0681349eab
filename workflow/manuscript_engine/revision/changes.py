"""What changed between two builds: registry numbers, table cells and figures.

Numbers are compared by the text the paper prints (a value whose printed text is the
same did not change for a reader). Where a number is quoted comes from the templates
of the current revision: the first line that names the key (or, for helpers that take
a stem such as ``n_pct('x')``, the longest stem of the key that a line names).
Table cells are compared as printed (the tables' Markdown). Figures are compared by the
SHA-256 of their SVG: the build is deterministic, so the same data draw the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class NumberChange:
    key: str
    old: str
    new: str
    where: str


@dataclass(frozen=True)
class CellChange:
    table: str
    row: str
    column: str
    old: str
    new: str


@dataclass(frozen=True)
class Changes:
    numbers: list[NumberChange]
    cells: list[CellChange]
    figures: list[str]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Changes:
        data = json.loads(text)
        return cls(
            [NumberChange(**n) for n in data["numbers"]],
            [CellChange(**c) for c in data["cells"]],
            list(data["figures"]),
        )


ABSENT = "(absent)"


def changed_numbers(old: dict, new: dict, template_dir: Path) -> list[NumberChange]:
    """Every key whose printed text differs, or that exists in one build only."""
    lines = manuscript_template_lines(template_dir)
    changes = []
    for key in sorted(set(old) | set(new)):
        before = old[key]["text"] if key in old else ABSENT
        after = new[key]["text"] if key in new else ABSENT
        if before != after:
            changes.append(NumberChange(key, before, after, quoted_at(key, lines)))
    return changes


def manuscript_template_lines(template_dir: Path) -> list[tuple[str, int, str]]:
    """Every line of the manuscript's templates (the response letter's are not the paper)."""
    base = Path(template_dir)
    return [
        (f"{base.name}/{path.relative_to(base).as_posix()}", number, line)
        for path in sorted(base.rglob("*.j2"))
        if path.relative_to(base).parts[0] != "response"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
    ]


def quoted_at(key: str, lines: list[tuple[str, int, str]]) -> str:
    """``templates/x.md.j2 line N`` for each line that quotes ``key`` (or its stem)."""
    parts = key.split(".")
    for size in range(len(parts), 0, -1):
        stem = re.escape(".".join(parts[:size]))
        pattern = re.compile(rf"""["']{stem}["']""")
        found = [f"{name} line {number}" for name, number, line in lines if pattern.search(line)]
        if found:
            return "; ".join(found)
    return "not quoted in the text"


PIPE = re.compile(r"(?<!\\)\|")
RULE = re.compile(r"^[\s|:\-]+$")


def read_table(path: Path) -> list[list[str]]:
    """The cells of a printed table (its pipe-table Markdown, as the paper shows them).

    Rows of the first table in the file, header first; the rule under the header and
    any note after the table are left out.
    """
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        if RULE.match(line):
            continue
        rows.append([cell.strip() for cell in PIPE.split(line.strip())[1:-1]])
    return rows


def changed_cells(table: str, old: list[list[str]], new: list[list[str]]) -> list[CellChange]:
    """Cells that differ, named by their row's first cell and their column's header.

    Rows are matched by their first cell (with its occurrence, for repeated labels);
    a row in one table only is listed cell by cell against ``(absent)``.
    """
    header = new[0] if new else old[0]
    old_rows, new_rows = _rows_by_label(old[1:]), _rows_by_label(new[1:])
    changes = []
    for label in [*new_rows, *[k for k in old_rows if k not in new_rows]]:
        before, after = old_rows.get(label), new_rows.get(label)
        width = max(len(before or []), len(after or []))
        for column in range(1, width):
            old_cell = before[column] if before and column < len(before) else ABSENT
            new_cell = after[column] if after and column < len(after) else ABSENT
            if old_cell != new_cell:
                name = header[column] if column < len(header) else f"column {column + 1}"
                changes.append(CellChange(table, label[0], name, old_cell, new_cell))
    return changes


def _rows_by_label(rows: list[list[str]]) -> dict[tuple[str, int], list[str]]:
    seen: dict[str, int] = {}
    keyed = {}
    for row in rows:
        label = row[0] if row else ""
        seen[label] = seen.get(label, 0) + 1
        keyed[(label if seen[label] == 1 else f"{label} ({seen[label]})", seen[label])] = row
    return keyed


def figure_hashes(figure_dir: Path) -> dict[str, str]:
    return {
        path.stem: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(figure_dir).glob("*.svg"))
    }


def compare_builds(old_results: Path, new_results: Path, template_dir: Path) -> Changes:
    """Numbers, table cells and figures that differ between two ``results/`` folders."""
    numbers = changed_numbers(
        json.loads((old_results / "numbers.json").read_text(encoding="utf-8")),
        json.loads((new_results / "numbers.json").read_text(encoding="utf-8")),
        template_dir,
    )
    cells = []
    old_tables = {p.stem: p for p in sorted((old_results / "tables").glob("*.md"))}
    for path in sorted((new_results / "tables").glob("*.md")):
        if path.stem in old_tables:
            cells += changed_cells(path.stem, read_table(old_tables[path.stem]), read_table(path))
    old_figures = figure_hashes(old_results / "figures")
    figures = [
        name
        for name, digest in figure_hashes(new_results / "figures").items()
        if old_figures.get(name, digest) != digest
    ]
    return Changes(numbers, cells, figures)


CSV_COLUMNS = ("kind", "item", "row", "column", "old", "new", "where")


def changes_csv(changes: Changes) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for n in changes.numbers:
        writer.writerow(("number", n.key, "", "", n.old, n.new, n.where))
    for c in changes.cells:
        writer.writerow(("table cell", c.table, c.row, c.column, c.old, c.new, ""))
    for name in changes.figures:
        writer.writerow(("figure", name, "", "", "", "", f"figures/{name}.svg"))
    return out.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def changes_markdown(changes: Changes, old_label: str, new_label: str) -> str:
    """The report for authors: numbers, then table cells, then figures."""
    lines = [
        f"# What changed: {old_label} -> {new_label}",
        "",
        f"{len(changes.numbers)} registry number(s), {len(changes.cells)} table cell(s) and "
        f"{len(changes.figures)} figure(s) changed.",
        "",
        "## Numbers",
        "",
        "| key | old | new | quoted at |",
        "| --- | --- | --- | --- |",
        *[
            f"| `{n.key}` | {_cell(n.old)} | {_cell(n.new)} | {_cell(n.where)} |"
            for n in changes.numbers
        ],
        "",
        "## Table cells",
        "",
        "| table | row | column | old | new |",
        "| --- | --- | --- | --- | --- |",
        *[
            f"| {c.table} | {_cell(c.row)} | {_cell(c.column)} | {_cell(c.old)} | {_cell(c.new)} |"
            for c in changes.cells
        ],
        "",
        "## Figures (redrawn: their SVG differs)",
        "",
        *([f"- {name}" for name in changes.figures] or ["None."]),
        "",
    ]
    return "\n".join(lines)
