"""Running one analysis step: read the analysis dataset, build a table, write its files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .analysis_dataset import read_patients
from .atomic_files import atomic_output, write_text_atomically
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

LISTS_CODEBOOK_CATEGORIES = {"table_baseline"}
"""Tables whose rows are the codebook's categories (they take the build's codebook)."""
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
    codebook: dict | None = None,
) -> None:
    """Build table ``name`` from the analysis dataset and write CSV, Markdown and numbers.

    A table that lists categories takes them from the build's ``codebook``.
    """
    extra = {"codebook": codebook} if name in LISTS_CODEBOOK_CATEGORIES else {}
    result = TABLES[name](read_patients(patients), statistics, decimals, **extra)
    with atomic_output(csv) as partial:
        result.tidy.to_csv(partial, index=False, lineterminator="\n")
    write_text_atomically(markdown, result.markdown)
    NumbersRegistry(result.numbers).to_json(numbers)


def merge_numbers(parts: list[Path], output: Path) -> None:
    """One registry from every step's numbers; a key defined twice is an error."""
    NumbersRegistry.from_json(*parts).to_json(output)
