"""Write the GBSG-2 cohort CSVs (data/raw/) from the copy shipped inside lifelines.

The German Breast Cancer Study Group trial GBSG-2 (Schumacher et al., J Clin Oncol
1994;12:2086-2093) as distributed with lifelines (``lifelines.datasets.load_gbsg2``):
686 real patients, one row each. The data file is part of the lifelines wheel; loading
it reads that file and nothing else (no network).

The CSVs follow the main study's conventions (data/codebook.yaml there): a
``patient_id`` column, stored codes rather than display labels (``hormonal``/``none``;
the labels are in this folder's data/codebook.yaml), ``yes``/``no`` for booleans, UTF-8
without a byte-order mark, ``\\n`` line endings, columns in the codebook's order.

Usage, from the repository root or from this folder::

    python examples/gbsg2/export_data.py          # (re)write data/raw/*.csv
    python examples/gbsg2/export_data.py --check  # exit 1 if the committed CSVs differ

The output is byte-for-byte reproducible: the source file's SHA-256 and the lifelines
version are checked before anything is written.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from importlib import metadata, resources
from pathlib import Path

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
CODEBOOK = HERE / "data" / "codebook.yaml"
OUTPUT = HERE / "data" / "raw"

LIFELINES_VERSION = "0.30.0"
"""The version pinned in requirements.txt and environment.yml."""
SOURCE_FILE = "gbsg2.csv"
SOURCE_SHA256 = "695954dbed9eaa619f9854f6c945bdccf5b21b12ea3fb46bd28797b9e8284d49"
"""SHA-256 of lifelines/datasets/gbsg2.csv (the same bytes in lifelines 0.30.0 to 0.30.3)."""
SOURCE_COLUMNS = [
    "horTh",
    "age",
    "menostat",
    "tsize",
    "tgrade",
    "pnodes",
    "progrec",
    "estrec",
    "time",
    "cens",
]
SOURCE_ROWS = 686

CODES = {
    "arm": {"yes": "hormonal", "no": "none"},
    "menopause": {"Pre": "pre", "Post": "post"},
    "tumour_grade": {"I": "I", "II": "II", "III": "III"},
    "recurrence_or_death": {1: "yes", 0: "no"},
}
"""Source value -> stored code, for every coded column (any other value stops the export)."""


def check_source() -> None:
    """Stop unless the pinned lifelines is installed and ships the expected data file."""
    installed = metadata.version("lifelines")
    if installed != LIFELINES_VERSION:
        sys.exit(
            f"lifelines {installed} is installed; this export is pinned to "
            f"{LIFELINES_VERSION} (requirements.txt). Install the pinned version."
        )
    data = (resources.files("lifelines") / "datasets" / SOURCE_FILE).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(
            f"lifelines/datasets/{SOURCE_FILE} has SHA-256 {digest}, expected "
            f"{SOURCE_SHA256}: the packaged data changed. Review it before exporting."
        )


def load_source() -> pd.DataFrame:
    """The 686 patients as lifelines loads them (a packaged CSV; no download)."""
    from lifelines.datasets import load_gbsg2

    source = load_gbsg2()
    if list(source.columns) != SOURCE_COLUMNS or len(source) != SOURCE_ROWS:
        sys.exit(
            f"load_gbsg2() gave columns {list(source.columns)} and {len(source)} rows; "
            f"expected {SOURCE_COLUMNS} and {SOURCE_ROWS}."
        )
    if source.isna().any().any():
        sys.exit("load_gbsg2() has missing values; the codebook allows none.")
    return source


def recode(values: pd.Series, column: str) -> pd.Series:
    """Map source values to stored codes; an unknown value stops the export."""
    mapping = CODES[column]
    unknown = sorted(set(values) - set(mapping), key=str)
    if unknown:
        sys.exit(f"{column}: source value(s) {unknown} have no code in export_data.CODES.")
    return values.map(mapping)


def cohort_tables(source: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The three cohort tables, keyed by codebook table name."""
    patient_id = [f"G{row:04d}" for row in range(1, len(source) + 1)]
    return {
        "enrollment": pd.DataFrame(
            {"patient_id": patient_id, "arm": recode(source["horTh"], "arm")}
        ),
        "baseline": pd.DataFrame(
            {
                "patient_id": patient_id,
                "age_years": source["age"],
                "menopause": recode(source["menostat"], "menopause"),
                "tumour_size_mm": source["tsize"],
                "tumour_grade": recode(source["tgrade"], "tumour_grade"),
                "positive_nodes": source["pnodes"],
                "progesterone_fmol": source["progrec"],
                "oestrogen_fmol": source["estrec"],
            }
        ),
        "followup": pd.DataFrame(
            {
                "patient_id": patient_id,
                "rfs_days": source["time"],
                "recurrence_or_death": recode(source["cens"], "recurrence_or_death"),
            }
        ),
    }


def csv_texts(tables: dict[str, pd.DataFrame], codebook: dict) -> dict[str, str]:
    """File name -> CSV text, columns in the codebook's order, codes checked against it."""
    texts = {}
    for name, spec in codebook["tables"].items():
        table = tables[name]
        columns = list(spec["columns"])
        if sorted(table.columns) != sorted(columns):
            sys.exit(f"{name}: export columns {list(table.columns)} differ from the codebook's.")
        for column, rule in spec["columns"].items():
            allowed = rule.get("values") or (
                codebook["booleans"] if rule["type"] == "boolean" else None
            )
            if allowed is not None and not table[column].isin(allowed).all():
                sys.exit(f"{name}.{column}: a code outside the codebook's {allowed}.")
        buffer = io.StringIO()
        table[columns].to_csv(buffer, index=False, lineterminator="\n")
        texts[spec["file"]] = buffer.getvalue()
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with the committed CSVs; write nothing"
    )
    args = parser.parse_args(argv)
    check_source()
    codebook = yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))
    texts = csv_texts(cohort_tables(load_source()), codebook)
    if args.check:
        stale = [
            name
            for name, text in texts.items()
            if not (OUTPUT / name).exists() or (OUTPUT / name).read_text(encoding="utf-8") != text
        ]
        for name in stale:
            print(f"{OUTPUT / name} differs from a fresh export", file=sys.stderr)
        return 1 if stale else 0
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (OUTPUT / name).write_text(text, encoding="utf-8", newline="")
        rows = text.count("\n") - 1
        columns = text.split("\n", 1)[0].count(",") + 1
        print(f"{(OUTPUT / name).relative_to(HERE)}: {rows} rows x {columns} columns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
