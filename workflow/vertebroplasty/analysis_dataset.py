"""The analysis dataset: one row per included patient, every variable the paper reports.

Built once from the validated tables (:func:`vertebroplasty.derived.patient_frame`);
the engine writes it as CSV (:mod:`manuscript_engine.data.analysis_dataset`), so every
table, figure and the audit read the same derived values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from manuscript_engine.data.cohort import read_cohort
from vertebroplasty.derived import patient_frame


def build_patients(validated_dir: Path, codebook: dict) -> pd.DataFrame:
    """The patient-level frame from the validated tables."""
    return patient_frame(read_cohort(validated_dir, codebook), codebook)
