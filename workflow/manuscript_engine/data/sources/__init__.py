"""Where the cohort comes from: CSV files, SPSS files, an Excel workbook or REDCap.

``data_source`` in config/config.yaml chooses; each source has its path settings
(:data:`SOURCE_PATHS`). Every source is read into the text cells a cohort CSV holds,
each with its place in the source, and validated by the same codebook rules, so the
validated tables, and everything built from them, do not depend on the source.

This module only names the files (Snakemake asks it while reading the workflow, so it
imports nothing heavy); :mod:`.read` reads and validates them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def spss_file(folder: Path, spec: dict[str, Any]) -> Path:
    """The .sav file of one table: the codebook's file name with .sav (visits.sav)."""
    return Path(folder) / Path(spec["file"]).with_suffix(".sav").name
