"""Build the journal-style reference document the DOCX takes its styles from."""

from vertebroplasty.reference_docx import write_reference_docx
from vertebroplasty.step import run_step

if __name__ == "__main__":
    run_step(
        write_reference_docx,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        output=snakemake.output.reference,  # noqa: F821
    )
