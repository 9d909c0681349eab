"""Draw one figure (named by the rule's wildcard) from its table."""

from vertebroplasty.figures import make_figure
from vertebroplasty.step import run_step

if __name__ == "__main__":
    run_step(
        make_figure,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        name=snakemake.wildcards.figure,  # noqa: F821
        table=snakemake.input.table,  # noqa: F821
        svg=snakemake.output.svg,  # noqa: F821
        png=snakemake.output.png,  # noqa: F821
        numbers=snakemake.output.numbers,  # noqa: F821
    )
