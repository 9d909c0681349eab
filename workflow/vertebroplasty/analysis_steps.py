"""Running one analysis step: read the analysis dataset, build a table, write its files."""

from __future__ import annotations

from pathlib import Path

from manuscript_engine.core.atomic_files import atomic_output, write_text_atomically
from manuscript_engine.core.registry import NumbersRegistry
from manuscript_engine.data.analysis_dataset import read_patients


def make_table(
    name: str,
    patients: Path,
    statistics: dict,
    decimals: dict,
    csv: Path,
    markdown: Path,
    numbers: Path,
    codebook: dict,
) -> None:
    """Build table ``name`` from the analysis dataset and write CSV, Markdown and numbers.

    Every table takes the build's ``codebook``: the study's vocabulary lives there.
    """
    from manuscript_engine.core.step_runner import load_step
    from vertebroplasty.layout import TABLES

    build = load_step(TABLES[name])
    result = build(read_patients(patients), statistics, decimals, codebook=codebook)
    with atomic_output(csv) as partial:
        result.tidy.to_csv(partial, index=False, lineterminator="\n")
    write_text_atomically(markdown, result.markdown)
    NumbersRegistry(result.numbers).to_json(numbers)
