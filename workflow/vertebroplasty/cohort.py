"""Reading the cohort tables: the arms, their short names, and the CSV reader.

Arm labels in the data are the study's (``PVP+ITR``, ``PVP``); registry keys use the
short forms (``pvp_itr``, ``pvp``) because keys allow only letters, digits and ``_``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ARMS: dict[str, str] = {"PVP+ITR": "pvp_itr", "PVP": "pvp"}
"""Arm label in the data -> key used in the registry, in the paper's column order."""


def read_table(path: Path) -> pd.DataFrame:
    """Read one cohort CSV as text, keeping empty cells as missing."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
