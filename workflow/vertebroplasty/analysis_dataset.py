"""The analysis dataset: one row per included patient, every variable the paper reports.

Built once from the validated tables (:func:`vertebroplasty.derived.patient_frame`) and
written as CSV, so every table and figure step reads the same derived values instead
of deriving them again. Booleans are written yes/no and read back as True/False.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic_files import atomic_output
from .cohort import read_cohort
from .derived import patient_frame

BOOLEAN_COLUMNS = (
    "technical_success",
    "outcome",
    "cement_given",
    "leakage",
    "new_fracture",
    "stable",
    "died",
    "paraplegic_baseline",
    "paraplegia_recovered",
    "relief_discharge",
    "relief_final",
)


def build_patients(validated_dir: Path, codebook: dict) -> pd.DataFrame:
    """The patient-level frame from the validated tables."""
    return patient_frame(read_cohort(validated_dir, codebook), codebook["definitions"])


def write_patients(frame: pd.DataFrame, path: Path) -> None:
    """Write the dataset as CSV: booleans as yes/no, numbers as pandas writes them."""
    out = frame.copy()
    for column in BOOLEAN_COLUMNS:
        out[column] = out[column].map({True: "yes", False: "no"})
    for column in out.columns[out.dtypes == "float64"]:
        out[column] = float_text(out[column])
    with atomic_output(path) as partial:
        out.to_csv(partial, lineterminator="\n")


def float_text(column: pd.Series) -> pd.Series:
    """The column as the text pandas' CSV writer gives it, each distinct value formatted once.

    Same characters as writing the floats directly (the same NumPy formatting, applied
    to the distinct values), in a fraction of the time on a registry-size cohort.
    """
    codes, distinct = pd.factorize(column)
    text = np.append(distinct.astype(str), "")  # code -1 (missing) -> empty cell
    return pd.Series(text[codes], index=column.index, dtype=object)


_PARSED: dict[tuple[str, int, int], pd.DataFrame] = {}
_PARSING = threading.Lock()


def read_patients(path: Path) -> pd.DataFrame:
    """The analysis dataset, parsed once per build.

    Every table, figure and the audit read the same file in one process (steps run as
    threads), so the parsed frame is kept, keyed by the file's path, size and
    modification time: a changed file is parsed again. Callers must not modify it.
    """
    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    with _PARSING:
        if key not in _PARSED:
            _PARSED.clear()
            _PARSED[key] = _parse_patients(path)
        return _PARSED[key]


def _parse_patients(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, index_col="patient_id", keep_default_na=False, na_values=[""])
    for column in BOOLEAN_COLUMNS:
        frame[column] = frame[column].map({"yes": True, "no": False})
    for column in ("vertebrae_treated",):
        frame[column] = frame[column].astype(int)
    return frame
