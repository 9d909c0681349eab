"""Steps of the data stage: validating the cohort against its codebook.

The calling convention (``input, output, params, wildcards``; imports inside each
step) is :mod:`manuscript_engine.core.step_runner`'s.
"""

from __future__ import annotations

import logging
from pathlib import Path

from manuscript_engine.core.settings import read_settings

log = logging.getLogger("manuscript")


def validate_cohort(input, output, params, wildcards) -> None:
    from manuscript_engine.core.step_runner import study_function
    from manuscript_engine.data.cohort import load_codebook, write_table
    from manuscript_engine.data.sources import SOURCE_PATHS, chosen_source
    from manuscript_engine.data.sources.read import validate_source

    settings = read_settings(input.settings)
    book = load_codebook(Path(input.codebook))
    rules = study_function(settings["study_package"], "CROSS_TABLE_RULES")
    tables = validate_source(settings, book, rules)
    for name, spec in book["tables"].items():
        write_table(tables[name], spec, Path(output[name]))
    for name, table in tables.items():
        for column, reasons in table.attrs.get("missing", {}).items():
            log.info(
                "missing in %s, column %s: %s",
                book["tables"][name]["file"],
                column,
                ", ".join(f"{n} {reason}" for reason, n in reasons.items()),
            )
    source = chosen_source(settings)
    place = " and ".join(settings[key] for key in SOURCE_PATHS[source])
    log.info(
        "cohort in %s is valid: %s",
        place if source == "csv" else f"{place} ({source})",
        ", ".join(f"{name} {len(t)} rows" for name, t in tables.items()),
    )
