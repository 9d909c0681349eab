"""Convert the manuscript Markdown to one pandoc output format (HTML, DOCX or Typst)."""

from vertebroplasty.conversion import convert_markdown
from vertebroplasty.step import run_step

if __name__ == "__main__":
    run_step(
        convert_markdown,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        source=snakemake.input.markdown,  # noqa: F821
        output=snakemake.output[0],  # noqa: F821
        fmt=snakemake.params.format,  # noqa: F821
        defaults=snakemake.input.defaults,  # noqa: F821
        date=snakemake.params.date,  # noqa: F821
        bibliography=snakemake.input.bibliography,  # noqa: F821
        reference_doc=snakemake.input.get("reference"),  # noqa: F821
    )
