"""A copy of a cohort with the gaps a real follow-up has, to test how they are reported.

The shipped synthetic cohort misses no visit and no item, so nothing shows how the
manuscript reports gaps. :func:`gappy_cohort` copies a cohort and, with a seeded
generator (the same seed gives the same files), adds:

- withdrawals: patients alive whose follow-up ends early (visits after it removed);
- deaths before scheduled visits (visits after death removed);
- missed visits: follow-up visits removed although the patient was alive and followed;
- missing items: one score blank at a visit, written empty or as one of the codebook's
  missing codes for that column;
- missing baseline values, in the baseline columns the codebook allows to be missing.

``python -m devtools.gappy_cohort OUTPUT_DIR`` writes one from ``data/raw``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from manuscript_engine.data.cohort import load_codebook, read_table
from manuscript_engine.data.validation import missing_codes
from manuscript_engine.data.vocabulary import visit_month
from manuscript_engine.data.vocabulary import visit_months as named_visit_months

SOURCE = Path("data/raw")
CODEBOOK = Path("data/codebook.yaml")


def gappy_cohort(
    output: Path,
    source: Path = SOURCE,
    codebook_path: Path = CODEBOOK,
    seed: int = 17,
    *,
    withdrawals: int = 5,
    deaths: int = 4,
    missed_share: float = 0.1,
    blank_share: float = 0.12,
    baseline_blanks: int = 6,
) -> None:
    """Write ``source`` with gaps to ``output`` (same file names; see the module's note)."""
    codebook = load_codebook(Path(codebook_path))
    rng = np.random.default_rng(seed)
    files = {name: spec["file"] for name, spec in codebook["tables"].items()}
    tables = {name: read_table(Path(source) / file) for name, file in files.items()}
    followup, visits = tables["followup"], tables["visits"]
    named = named_visit_months(codebook)
    month = visits["visit"].map(lambda v: visit_month(v, named)).astype(float)
    after_discharge = ~visits["visit"].isin(list(named))

    alive = followup.index[
        (followup["died"] == "no") & (followup["followup_months"].astype(float) > 14)
    ]
    chosen = rng.choice(alive, size=withdrawals + deaths, replace=False)
    for position, row in enumerate(chosen):
        dies = position >= withdrawals
        end = rng.uniform(4.0, 5.9) if dies else rng.uniform(7.0, 11.5)
        _end_follow_up(followup, row, end, dies)
    ends = visits["patient_id"].map(
        followup.set_index("patient_id")["followup_months"].astype(float)
    )
    visits = visits[month <= ends]
    month, after_discharge = month[visits.index], after_discharge[visits.index]

    later = visits.index[after_discharge.to_numpy()]
    missed = rng.choice(later, size=round(missed_share * len(later)), replace=False)
    visits = visits.drop(index=missed)

    scores = [c for c, spec in codebook["tables"]["visits"]["columns"].items() if "better" in spec]
    rows = rng.choice(visits.index, size=round(blank_share * len(visits)), replace=False)
    for row in rows:
        score = scores[int(rng.integers(len(scores)))]
        codes = [""] + list(missing_codes(codebook, codebook["tables"]["visits"]["columns"][score]))
        visits.loc[row, score] = codes[int(rng.integers(len(codes)))]

    baseline = tables["baseline"]
    columns = codebook["tables"]["baseline"]["columns"]
    optional = [c for c, spec in columns.items() if spec.get("missing")]
    for column in optional:
        codes = [""] + list(missing_codes(codebook, columns[column]))
        for row in rng.choice(baseline.index, size=baseline_blanks, replace=False):
            baseline.loc[row, column] = codes[int(rng.integers(len(codes)))]

    tables["visits"] = visits
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        text = table.fillna("")
        text.to_csv(output / files[name], index=False, lineterminator="\n")


def _end_follow_up(followup: pd.DataFrame, row, end: float, dies: bool) -> None:
    """End a patient's follow-up at ``end`` months, by death or alive (withdrawal)."""
    followup.loc[row, "followup_months"] = f"{end:.2f}"
    followup.loc[row, "died"] = "yes" if dies else "no"
    fracture = followup.loc[row, "new_fracture_months"]
    if isinstance(fracture, str) and float(fracture) > end:
        followup.loc[row, ["new_fracture", "new_fracture_months"]] = ["no", np.nan]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m devtools.gappy_cohort OUTPUT_DIR", file=sys.stderr)
        return 2
    gappy_cohort(Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
