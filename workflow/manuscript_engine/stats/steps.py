"""Steps of the analysis stage: one table of the study, built from the analysis dataset.

The calling convention (``input, output, params, wildcards``; imports inside each
step) is :mod:`manuscript_engine.core.step_runner`'s.
"""

from __future__ import annotations

import logging
from pathlib import Path

from manuscript_engine.core.settings import read_settings

log = logging.getLogger("manuscript")


class Decimals(dict):
    """The decimals settings; a table asking for a variable that has none is told in words."""

    def __missing__(self, name: str) -> int:
        from manuscript_engine.core.errors import ManuscriptError

        raise ManuscriptError(
            f"config/config.yaml: decimals has no entry for {name!r}, which a table prints. "
            f"Add `{name}: 1` (the decimals to show) under decimals."
        )


def make_table(input, output, params, wildcards) -> None:
    """Build the table the study's layout names, write its CSV, Markdown and numbers.

    The study's function takes the analysis dataset, the statistics and decimals
    settings and the codebook, and returns a
    :class:`~manuscript_engine.stats.tables.TableResult`.
    """
    from manuscript_engine.core.atomic_files import atomic_output, write_text_atomically
    from manuscript_engine.core.registry import NumbersRegistry
    from manuscript_engine.core.step_runner import load_step, study_layout
    from manuscript_engine.data.analysis_dataset import read_patients
    from manuscript_engine.data.cohort import load_codebook

    settings = read_settings(input.settings)
    build = load_step(study_layout(settings["study_package"]).TABLES[wildcards.table])
    codebook = load_codebook(Path(input.codebook))
    result = build(
        read_patients(Path(input.patients), codebook),
        settings["statistics"],
        Decimals(settings["decimals"]),
        codebook=codebook,
    )
    with atomic_output(output.csv) as partial:
        result.tidy.to_csv(partial, index=False, lineterminator="\n")
    write_text_atomically(output.markdown, result.markdown)
    NumbersRegistry(result.numbers).to_json(output.numbers)
