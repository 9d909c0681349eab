"""`make cohort`: rebuild the synthetic cohort in data/raw/ and data/RECONCILIATION.md.

Reconstruction writes the cohort; reconciliation checks it against every published
aggregate. This module runs the two in order, so neither has to import the other.
"""

from __future__ import annotations

from pathlib import Path

from devtools.reconciliation import write_reconciliation
from devtools.reconstruction import reconstruct, write_cohort
from manuscript_engine.audit.published import load_published
from manuscript_engine.data.cohort import load_codebook

DATA = Path("data")  # run from the repository (make cohort)


def main(data_dir: Path = DATA) -> None:
    """Rebuild ``data/raw/*.csv`` and the reconciliation report."""
    codebook = load_codebook(data_dir / "codebook.yaml")
    entries = load_published(data_dir / "published.yaml")
    tables = reconstruct(entries, codebook)
    write_cohort(tables, codebook, data_dir / "raw")
    write_reconciliation(entries, data_dir / "raw", codebook, data_dir)


if __name__ == "__main__":
    main()
