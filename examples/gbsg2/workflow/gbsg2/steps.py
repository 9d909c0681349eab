"""The study's own step: its analysis dataset (one row per patient, times in months)."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("manuscript")


def analysis_dataset(input, output, params, wildcards) -> None:
    from gbsg2.derived import patient_frame
    from manuscript_engine.data.analysis_dataset import write_patients
    from manuscript_engine.data.cohort import load_codebook, read_cohort

    codebook = load_codebook(Path(input.codebook))
    patients = patient_frame(read_cohort(Path(input.enrollment).parent, codebook), codebook)
    write_patients(patients, Path(output.patients))
    log.info("analysis dataset: %d patients, %d variables", *patients.shape)
