"""Write larger cohorts with the same schema, for performance tests of the whole build.

Patients are resampled, with replacement, from an existing cohort (by default the
synthetic one): each new patient copies every row of one source patient (enrolment,
baseline, procedure, follow-up and all visits) under a new identifier, so arms,
exclusions and distributions are kept. ``python -m devtools.scale_cohort 100000
results/cohorts/n100000`` then ``snakemake --config data_dir=results/cohorts/n100000``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from manuscript_engine.data.cohort import load_codebook, read_table

SOURCE = Path("data/raw")  # run from the repository (make bench)


def scale_cohort(patients: int, output: Path, source: Path = SOURCE, seed: int = 1) -> None:
    """Write a cohort of ``patients`` enrolled patients to ``output`` (same file names)."""
    codebook = load_codebook(Path("data/codebook.yaml"))
    tables = {name: read_table(source / spec["file"]) for name, spec in codebook["tables"].items()}
    enrollment = tables["enrollment"]
    picks = np.random.default_rng(seed).integers(0, len(enrollment), size=patients)
    width = max(6, len(str(patients)))
    mapping = pd.DataFrame(
        {
            "source_id": enrollment["patient_id"].to_numpy()[picks],
            "patient_id": [f"S{i:0{width}d}" for i in range(1, patients + 1)],
        }
    )
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    for name, spec in codebook["tables"].items():
        table = tables[name].rename(columns={"patient_id": "source_id"})
        scaled = mapping.merge(table, on="source_id", how="inner", sort=False)
        scaled = scaled.drop(columns="source_id")[list(spec["columns"])]
        scaled.to_csv(output / spec["file"], index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m devtools.scale_cohort PATIENTS OUTPUT_DIR", file=sys.stderr)
        return 2
    scale_cohort(int(argv[0]), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
