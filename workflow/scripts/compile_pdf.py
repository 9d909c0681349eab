"""Compile the Typst source to the PDF."""

from vertebroplasty.conversion import compile_pdf
from vertebroplasty.step import run_step

if __name__ == "__main__":
    run_step(
        compile_pdf,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        typst_source=snakemake.input.typst,  # noqa: F821
        output=snakemake.output.pdf,  # noqa: F821
        date=snakemake.params.date,  # noqa: F821
    )
