"""Write results/manuscript/manifest.json: inputs, outputs, commit and software versions."""

from vertebroplasty.manifest import write_manifest
from vertebroplasty.step import run_step

if __name__ == "__main__":
    run_step(
        write_manifest,
        snakemake.log[0],  # noqa: F821 - injected by Snakemake
        inputs=list(snakemake.input.sources),  # noqa: F821
        outputs=list(snakemake.input.outputs),  # noqa: F821
        path=snakemake.output.manifest,  # noqa: F821
    )
