"""Validate the cohort CSVs against the codebook and write the validated tables.

On any broken rule nothing is written: the problems go to the terminal and to this
step's report (its log file), and the build stops here.
"""

import logging
from pathlib import Path

from vertebroplasty.cohort import load_codebook, write_table
from vertebroplasty.step import run_step
from vertebroplasty.validation import validate_cohort

log = logging.getLogger(__name__)


def main(data_dir: Path, codebook: Path, outputs: dict[str, str]) -> None:
    book = load_codebook(Path(codebook))
    tables = validate_cohort(Path(data_dir), book)
    for name, spec in book["tables"].items():
        write_table(tables[name], spec, Path(outputs[name]))
    log.info(
        "cohort in %s is valid: %s",
        data_dir,
        ", ".join(f"{name} {len(t)} rows" for name, t in tables.items()),
    )


if __name__ == "__main__":
    run_step(
        main,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        data_dir=snakemake.params.data_dir,  # noqa: F821
        codebook=snakemake.input.codebook,  # noqa: F821
        outputs=dict(snakemake.output.items()),  # noqa: F821
    )
