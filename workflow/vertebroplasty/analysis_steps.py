"""Running one analysis step: read the analysis dataset, build a table, write its files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .analysis_dataset import read_patients
from .registry import NumbersRegistry
from .secondary_tables import (
    table_asia_grades,
    table_asia_transitions,
    table_leakage_sites,
    table_pain_course,
    table_pain_relief,
    table_paraplegia,
)
from .table_baseline import table_baseline
from .table_outcomes import table_outcomes
from .table_scores import table_scores
from .tables import TableResult

TABLES: dict[str, Callable[..., TableResult]] = {
    "table_baseline": table_baseline,
    "table_outcomes": table_outcomes,
    "table_scores": table_scores,
    "table_leakage_sites": table_leakage_sites,
    "table_pain_relief": table_pain_relief,
    "table_pain_course": table_pain_course,
    "table_asia_grades": table_asia_grades,
    "table_paraplegia": table_paraplegia,
    "table_asia_transitions": table_asia_transitions,
}


def make_table(
    name: str,
    patients: Path,
    statistics: dict,
    decimals: dict,
    csv: Path,
    markdown: Path,
    numbers: Path,
) -> None:
    """Build table ``name`` from the analysis dataset and write CSV, Markdown and numbers."""
    result = TABLES[name](read_patients(patients), statistics, decimals)
    result.tidy.to_csv(csv, index=False, lineterminator="\n")
    Path(markdown).write_text(result.markdown, encoding="utf-8")
    NumbersRegistry(result.numbers).to_json(numbers)


def merge_numbers(parts: list[Path], output: Path) -> None:
    """One registry from every step's numbers; a key defined twice is an error."""
    NumbersRegistry.from_json(*parts).to_json(output)
