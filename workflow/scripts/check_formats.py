"""Check that HTML, DOCX and PDF show the Markdown's numbers, in the same order."""

from vertebroplasty.conversion import citation_style
from vertebroplasty.format_agreement import check_formats
from vertebroplasty.step import run_step

if __name__ == "__main__":
    run_step(
        check_formats,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        markdown=snakemake.input.markdown,  # noqa: F821
        outputs=[snakemake.input.html, snakemake.input.docx, snakemake.input.pdf],  # noqa: F821
        bibliography=snakemake.input.bibliography,  # noqa: F821
        csl=citation_style(),
        report=snakemake.output.report,  # noqa: F821
    )
