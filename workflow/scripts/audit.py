"""Audit the published paper against the cohort and against itself."""

from vertebroplasty.audit import write_audit
from vertebroplasty.step import run_step

if __name__ == "__main__":
    run_step(
        write_audit,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        published=snakemake.input.published,  # noqa: F821
        relations=snakemake.input.relations,  # noqa: F821
        patients=snakemake.input.patients,  # noqa: F821
        enrollment=snakemake.input.enrollment,  # noqa: F821
        number_files=list(snakemake.input.numbers),  # noqa: F821
        codebook=snakemake.input.codebook,  # noqa: F821
        acknowledgements=snakemake.input.acknowledgements,  # noqa: F821
        strict=snakemake.params.strict,  # noqa: F821
        synthetic=snakemake.params.synthetic,  # noqa: F821
        csv=snakemake.output.csv,  # noqa: F821
        markdown=snakemake.output.markdown,  # noqa: F821
        html=snakemake.output.html,  # noqa: F821
        numbers=snakemake.output.numbers,  # noqa: F821
    )
