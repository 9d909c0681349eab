"""The study's own steps: its analysis dataset and patient flow.

The calling convention (``input, output, params, wildcards``; imports inside each
step) is :mod:`manuscript_engine.core.step_runner`'s.
"""

from __future__ import annotations

import logging
from pathlib import Path

from manuscript_engine.core.atomic_files import atomic_output, write_text_atomically

log = logging.getLogger("manuscript")


def analysis_dataset(input, output, params, wildcards) -> None:
    from manuscript_engine.data.analysis_dataset import write_patients
    from manuscript_engine.data.cohort import load_codebook
    from vertebroplasty.analysis_dataset import build_patients

    patients = build_patients(Path(input.enrollment).parent, load_codebook(Path(input.codebook)))
    write_patients(patients, Path(output.patients))
    log.info("analysis dataset: %d patients, %d variables", *patients.shape)


def patient_flow(input, output, params, wildcards) -> None:
    from manuscript_engine.core.registry import NumbersRegistry
    from manuscript_engine.data.analysis_dataset import read_patients
    from manuscript_engine.data.cohort import load_codebook, read_table
    from vertebroplasty.patient_flow import (
        patient_flow_markdown,
        patient_flow_numbers,
        summarise_patient_flow,
    )

    book = load_codebook(Path(input.codebook))
    flow = summarise_patient_flow(
        read_table(Path(input.enrollment)), book, read_patients(Path(input.patients), book)
    )
    with atomic_output(output.table) as partial:
        flow.to_csv(partial, index=False, lineterminator="\n")
    write_text_atomically(output.markdown, patient_flow_markdown(flow, book))
    numbers = patient_flow_numbers(flow, source=output.table, codebook=book)
    NumbersRegistry(numbers).to_json(output.numbers)
