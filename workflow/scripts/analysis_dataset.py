"""Derive the patient-level analysis dataset from the validated tables."""

import logging
from pathlib import Path

from vertebroplasty.analysis_dataset import build_patients, write_patients
from vertebroplasty.cohort import load_codebook
from vertebroplasty.step import run_step

log = logging.getLogger(__name__)


def main(validated_dir: Path, codebook: Path, output: Path) -> None:
    patients = build_patients(Path(validated_dir), load_codebook(Path(codebook)))
    write_patients(patients, Path(output))
    log.info("analysis dataset: %d patients, %d variables", *patients.shape)


if __name__ == "__main__":
    run_step(
        main,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        validated_dir=Path(snakemake.input.enrollment).parent,  # noqa: F821
        codebook=snakemake.input.codebook,  # noqa: F821
        output=snakemake.output.patients,  # noqa: F821
    )
