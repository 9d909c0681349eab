"""Which cohorts are large enough that their heavy steps must take turns.

Jobs that run at once add their memory: on a registry each table step holds hundreds of
MB beside the analysis dataset, and four at once took the build from 2.0 to 3.9 GB.
The rules that work on every patient ask for one unit of the ``heavy`` resource; the
workflow profile allows one at a time, and they run in one worker process of their own
(``core.step_workers``), which keeps the analysis dataset it has read for the next
(validation and the analysis dataset itself each in a process that ends with them).
On a small cohort they ask for none and run side by side as before.
"""

from __future__ import annotations

from pathlib import Path

LARGE_COHORT_BYTES = 50_000_000
"""CSV bytes from which a cohort's heavy steps run one at a time (100,000 patients
are 22 MB: they still run side by side; 1,000,000 are 227 MB)."""


def heavy_units(data_dir: str | Path, files: list[str]) -> int:
    """1 when the cohort's files in ``data_dir`` add up to a large cohort, else 0.

    Files that are missing (or a source other than CSV) count as empty: validation
    reports them; this only decides how jobs are scheduled.
    """
    total = 0
    for name in files:
        try:
            total += (Path(data_dir) / name).stat().st_size
        except OSError:
            continue
    return int(total >= LARGE_COHORT_BYTES)
