"""Reading the chosen source into validated tables (see the package's docstring)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from manuscript_engine.data.sources import SOURCES_CONFIG, chosen_source
from manuscript_engine.data.validation import (
    CohortInvalid,
    CrossTableRules,
    Problem,
    validate_cohort,
    validate_tables,
)


def validate_source(
    settings: dict[str, Any],
    codebook: dict[str, Any],
    cross_table_rules: CrossTableRules | None = None,
    sources_config: Path | None = None,
) -> dict[str, Any]:
    """The validated tables of the chosen source, or :class:`CohortInvalid` naming each
    problem at its place in the source."""
    source = chosen_source(settings)
    if source == "csv":
        return validate_cohort(Path(settings["data_dir"]), codebook, cross_table_rules)
    problems: list[Problem] = []
    if source == "spss":
        from manuscript_engine.data.sources.spss import read_spss_tables

        raw, files = read_spss_tables(Path(settings["spss_dir"]), codebook, problems)
    elif source == "excel":
        from manuscript_engine.data.sources.excel import read_excel_tables

        raw, files = read_excel_tables(Path(settings["excel_workbook"]), codebook, problems)
    else:
        from manuscript_engine.data.sources.redcap import read_redcap_tables

        mapping = load_sources_config(sources_config or Path(SOURCES_CONFIG), problems)
        if mapping is None:
            raise CohortInvalid(problems)
        raw, files = read_redcap_tables(
            Path(settings["redcap_records"]),
            Path(settings["redcap_dictionary"]),
            codebook,
            mapping.get("redcap") or {},
            problems,
        )
    return validate_tables(raw, files, codebook, cross_table_rules, problems)


def load_sources_config(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    """config/sources.yaml, checked against its schema (None, with a problem, if absent)."""
    from manuscript_engine.core.yaml_schemas import load_checked_yaml

    if not path.exists():
        problems.append(
            Problem(
                path.as_posix(),
                None,
                None,
                None,
                "the file is missing; a REDCap source needs it to map the "
                "project's events or repeating instruments onto the codebook "
                "(see data/raw/README.md).",
            )
        )
        return None
    return load_checked_yaml(path, "sources") or {}
