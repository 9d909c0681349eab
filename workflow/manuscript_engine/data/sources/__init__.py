"""Where the cohort comes from: CSV files, SPSS files, an Excel workbook or REDCap.

``data_source`` in config/config.yaml chooses; each source has its path settings
(:data:`SOURCE_PATHS`). Every source is read into the text cells a cohort CSV holds,
each with its place in the source, and validated by the same codebook rules, so the
validated tables, and everything built from them, do not depend on the source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from manuscript_engine.data.validation import (
    CohortInvalid,
    CrossTableRules,
    Problem,
    validate_cohort,
    validate_tables,
)

SOURCE_PATHS = {
    "csv": ["data_dir"],
    "spss": ["spss_dir"],
    "excel": ["excel_workbook"],
    "redcap": ["redcap_records", "redcap_dictionary"],
}
"""Each data source, and the settings naming its files."""
SOURCES_CONFIG = "config/sources.yaml"
"""The study's mapping of a source onto the codebook (REDCap events, instruments, codes)."""


def chosen_source(settings: dict[str, Any]) -> str:
    return settings.get("data_source", "csv")


def source_files(settings: dict[str, Any], codebook: dict[str, Any]) -> list[str]:
    """The files the chosen source reads that exist (a missing one is reported in words
    by validation): the inputs of the first step, so editing one rebuilds."""
    from manuscript_engine.data.sources.spss import spss_file

    source = chosen_source(settings)
    if source == "csv":
        paths = [Path(settings["data_dir"]) / t["file"] for t in codebook["tables"].values()]
    elif source == "spss":
        paths = [spss_file(Path(settings["spss_dir"]), t) for t in codebook["tables"].values()]
    else:
        paths = [Path(settings[key]) for key in SOURCE_PATHS[source]]
    if source == "redcap":
        paths.append(Path(SOURCES_CONFIG))
    return [p.as_posix() for p in paths if p.exists()]


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
