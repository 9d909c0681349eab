"""The analysis dataset on disk: one row per patient, written once, read by every step.

A study derives the dataset (its own code); the engine writes it as CSV and reads it
back, so every table, figure and the audit use the same derived values instead of
deriving them again. Booleans are written yes/no and read back as True/False: a column
whose every value is yes or no is a boolean column.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from manuscript_engine.core.atomic_files import atomic_output
from manuscript_engine.core.csv_text import write_csv
from manuscript_engine.data.vocabulary import Arms, study_arms

YES_NO = {True: "yes", False: "no"}


def write_patients(frame: pd.DataFrame, path: Path) -> None:
    """Write the dataset as CSV: booleans as yes/no, numbers as pandas writes them."""
    out = frame.copy()
    for column in out.columns:
        if is_boolean_column(out[column]):
            out[column] = out[column].map(YES_NO)
    for column in out.columns[out.dtypes == "float64"]:
        out[column] = float_text(out[column])
    with atomic_output(path) as partial, open(partial, "w", encoding="utf-8", newline="") as f:
        write_csv(out, f, index=True)


def is_boolean_column(column: pd.Series) -> bool:
    """Whether every value present is True or False (and one is present).

    Asked of the column's type, or of its values in one pass in C for an object
    column: a Python test per cell took seconds on a registry.
    """
    if pd.api.types.is_bool_dtype(column.dtype):
        return bool(column.notna().any())
    if column.dtype != object:
        return False
    return pd.api.types.infer_dtype(column, skipna=True) == "boolean"


def float_text(column: pd.Series) -> pd.Series:
    """The column as the text pandas' CSV writer gives it, each distinct value formatted once.

    Same characters as writing the floats directly (the same NumPy formatting, applied
    to the distinct values), in a fraction of the time on a registry-size cohort.
    """
    codes, distinct = pd.factorize(column)
    text = np.append(distinct.astype(str), "")  # code -1 (missing) -> empty cell
    return pd.Series(text[codes], index=column.index, dtype=object)


_PARSED: dict[tuple[str, int, int], dict[tuple | None, pd.DataFrame]] = {}
_PARSING = threading.Lock()


def read_patients(path: Path, codebook: dict[str, Any] | None = None) -> pd.DataFrame:
    """The analysis dataset, parsed once per build.

    The tables, figures and the audit read the same file, several in one worker process
    (on a registry-size cohort all of them in one, see ``core.step_workers``), so the
    parsed frame is kept, keyed by the file's path, size and
    modification time: a changed file is parsed again. Callers must not modify it.
    With the codebook, the arm column holds the codebook's arms as categories (see
    :func:`arms_as_categories`). The index, the patients' identifiers, is categorical
    (:func:`patient_labels`). Steps see this frame, not the one the study built: on
    categories ``value_counts`` lists every arm, with 0 for an arm with no patients.
    """
    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    arms = study_arms(codebook) if codebook and "arms" in codebook else None
    with _PARSING:
        if key not in _PARSED:
            _PARSED.clear()
            _PARSED[key] = {None: _parse_patients(path)}
        views = _PARSED[key]
        view = (arms.column, tuple(arms.codes)) if arms else None
        if view not in views:
            views[view] = arms_as_categories(views[None], arms)
        return views[view]


def arms_as_categories(frame: pd.DataFrame, arms: Arms | None) -> pd.DataFrame:
    """The frame with its arm column as a categorical of the arms' codes, in the codebook's order.

    Steps select patients by arm hundreds of times per build; on text each selection
    compares every patient's arm (about 25 ms per million), on categories it compares
    small integer codes. The frame is returned unchanged when it has no arm column or
    when a value is not one of the codebook's codes (which would otherwise become
    missing).
    """
    if arms is None or arms.column not in frame.columns:
        return frame
    column = frame[arms.column]
    present = column.dropna().unique()
    if not set(present) <= set(arms.codes):
        return frame
    categories = pd.CategoricalDtype(arms.codes)
    return frame.assign(**{arms.column: column.astype(categories)})


def _parse_patients(path: Path) -> pd.DataFrame:
    """Read the dataset: a column whose every value is yes or no becomes booleans.

    pandas' C reader makes that decision per column as it reads (a column mixing yes
    with other texts stays text), which took a third of the time of mapping the
    columns afterwards. Its own spellings of booleans (True, false) count too, as they
    always did when read alone: the writer never produces them.
    """
    frame = pd.read_csv(
        path,
        index_col="patient_id",
        keep_default_na=False,
        na_values=[""],
        true_values=[YES_NO[True]],
        false_values=[YES_NO[False]],
    )
    frame.index = patient_labels(frame.index)
    return frame


def patient_labels(index: pd.Index) -> pd.Index:
    """The patients' identifiers as a categorical index: same labels, same order.

    NumPy asks a Series for `__array_struct__` whenever it converts one, and pandas
    answers by looking the name up among the row labels. With text labels that lookup
    hashes every label of each new (filtered) Series: about 4 ms for a million patients,
    8.6 s over one build's tables. A categorical index looks names up among its
    categories, hashed once.
    """
    return pd.CategoricalIndex(index, name=index.name)
