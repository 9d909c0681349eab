"""Merge every step's numbers into the one registry, results/numbers.json."""

from vertebroplasty.analysis_steps import merge_numbers
from vertebroplasty.step import run_step

if __name__ == "__main__":
    run_step(
        merge_numbers,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        parts=list(snakemake.input.parts),  # noqa: F821
        output=snakemake.output.numbers,  # noqa: F821
    )
