"""Build one table (named by the rule's wildcard) with its Markdown and registry numbers."""

from vertebroplasty.analysis_steps import make_table
from vertebroplasty.step import run_step

if __name__ == "__main__":
    run_step(
        make_table,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        name=snakemake.wildcards.table,  # noqa: F821
        patients=snakemake.input.patients,  # noqa: F821
        statistics=dict(snakemake.params.statistics),  # noqa: F821
        decimals=dict(snakemake.params.decimals),  # noqa: F821
        csv=snakemake.output.csv,  # noqa: F821
        markdown=snakemake.output.markdown,  # noqa: F821
        numbers=snakemake.output.numbers,  # noqa: F821
    )
