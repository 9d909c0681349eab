"""Write the cohort in data/raw as an SPSS, Excel or REDCap export (synthetic, labelled so).

The tests build their fixtures with it, and a user can see what each source should look
like before exporting the real data::

    python -m devtools.export_cohort --to spss OUT_FOLDER       # one .sav per table
    python -m devtools.export_cohort --to excel OUT.xlsx        # one sheet per table
    python -m devtools.export_cohort --to redcap OUT_FOLDER     # records.csv, dictionary.csv

Categories are stored as SPSS value labels and REDCap choices numbered 1, 2, ... in the
codebook's order, labelled with the codebook's labels; booleans as 1/0 labelled yes/no
(REDCap yesno fields); missing cells as SPSS system-missing, empty cells, blanks.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd

from manuscript_engine.core.yaml_files import load_yaml
from manuscript_engine.data.cohort import load_codebook, read_table
from manuscript_engine.data.sources.cells import code_labels

SYNTHETIC = "SYNTHETIC cohort reconstructed from published summaries; not patient data"
DICTIONARY_COLUMNS = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]


def read_cohort_text(data_dir: Path, codebook: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Each table of the cohort folder as text (missing cells as NaN)."""
    return {
        name: read_table(Path(data_dir) / spec["file"]) for name, spec in codebook["tables"].items()
    }


def choice_numbers(column: dict[str, Any], codebook: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """Each codebook value -> (stored number, label): 1, 2, ... in the codebook's order;
    booleans 1 = yes, 0 = no."""
    if column["type"] == "boolean":
        yes, no = codebook["booleans"]
        return {yes: (1, yes), no: (0, no)}
    return {
        code: (i, label)
        for i, (code, label) in enumerate(code_labels(column, codebook).items(), start=1)
    }


# --------------------------------------------------------------------------- SPSS
def export_spss(tables: dict[str, pd.DataFrame], codebook: dict[str, Any], folder: Path) -> None:
    """One .sav per table, categories and booleans as labelled numbers."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, spec in codebook["tables"].items():
        frame, labels = spss_table(tables[name], spec, codebook)
        write_spss(frame, labels, spec, folder / Path(spec["file"]).with_suffix(".sav").name)


def spss_table(table: pd.DataFrame, spec: dict[str, Any], codebook: dict[str, Any]):
    """A table as SPSS holds it: the data (numbers and strings) and the value labels."""
    frame, labels = pd.DataFrame(index=table.index), {}
    for column, meta in spec["columns"].items():
        cells = table[column]
        if meta["type"] in ("category", "boolean"):
            numbers = choice_numbers(meta, codebook)
            frame[column] = cells.map(lambda v, n=numbers: float(n[v][0]) if v in n else None)
            labels[column] = {float(n): label for n, label in numbers.values()}
        elif meta["type"] in ("integer", "number"):
            frame[column] = pd.to_numeric(cells).astype(float)
        else:
            frame[column] = cells.fillna("").astype(str)
    return frame, labels


def write_spss(
    frame: pd.DataFrame, labels: dict, spec: dict[str, Any], path: Path, **more: Any
) -> None:
    """Write one .sav file labelled synthetic, each variable labelled with its meaning."""
    import pyreadstat

    meanings = {c: str(m["meaning"])[:250] for c, m in spec["columns"].items()}
    pyreadstat.write_sav(
        frame,
        str(path),
        file_label=SYNTHETIC[:64],
        column_labels=[meanings.get(c) for c in frame.columns],
        variable_value_labels=labels,
        **more,
    )


# --------------------------------------------------------------------------- Excel
def export_excel(tables: dict[str, pd.DataFrame], codebook: dict[str, Any], path: Path) -> None:
    """One sheet per table, named as the table; numbers as numbers, the rest as text."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    book.properties.title = SYNTHETIC
    for name, spec in codebook["tables"].items():
        sheet = book.create_sheet(name)
        sheet.append(list(spec["columns"]))
        numeric = [spec["columns"][c]["type"] in ("integer", "number") for c in spec["columns"]]
        for row in tables[name][list(spec["columns"])].itertuples(index=False):
            sheet.append(
                [
                    None if pd.isna(v) else float(v) if is_number else v
                    for v, is_number in zip(row, numeric, strict=True)
                ]
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


# --------------------------------------------------------------------------- REDCap
def export_redcap(
    tables: dict[str, pd.DataFrame],
    codebook: dict[str, Any],
    mapping: dict[str, Any],
    folder: Path,
    layout: str = "longitudinal",
) -> None:
    """records.csv (raw values) and dictionary.csv of a REDCap project holding the cohort.

    ``longitudinal``: the one-row tables in the event ``record_event``, each visit in the
    event config/sources.yaml maps to it. ``repeating``: a classic project whose visits
    are instances of a repeating instrument named as the table, with a visit field.
    """
    repeated_table, spec = next(iter(mapping["repeated"].items()))
    visit_column = spec.get("column") or codebook["tables"][repeated_table]["key"][1]
    event_of = {visit: event for event, visit in (spec.get("events") or {}).items()}
    key = codebook["tables"][repeated_table]["key"][0]
    fields = dictionary_rows(codebook, key, visit_column if layout == "longitudinal" else None)
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(
        folder / "dictionary.csv",
        DICTIONARY_COLUMNS,
        [[row.get(c, "") for c in DICTIONARY_COLUMNS] for row in fields],
    )
    raw = {
        name: redcap_values(tables[name], codebook["tables"][name], codebook)
        for name in codebook["tables"]
    }
    names = [f["Variable / Field Name"] for f in fields]
    system = (
        ["redcap_event_name"]
        if layout == "longitudinal"
        else ["redcap_repeat_instrument", "redcap_repeat_instance"]
    )
    header = [names[0], *system, *names[1:]]
    rows = []
    for patient in raw["enrollment"][key]:
        own = {
            c: v
            for name, t in raw.items()
            if name != repeated_table
            for c, v in first_row(t, key, patient).items()
        }
        rows.append({**own, "redcap_event_name": mapping.get("record_event", "")})
        visits = raw[repeated_table][raw[repeated_table][key] == patient]
        for instance, visit in enumerate(visits.to_dict("records"), start=1):
            if layout == "longitudinal":
                if visit[visit_column] not in event_of:
                    raise SystemExit(
                        f"config/sources.yaml maps no REDCap event to the visit "
                        f"{visit[visit_column]}; add one under redcap › repeated."
                    )
                row = {**visit, "redcap_event_name": event_of[visit.pop(visit_column)]}
            else:
                row = {
                    **visit,
                    "redcap_repeat_instrument": repeated_table,
                    "redcap_repeat_instance": str(instance),
                }
            rows.append(row)
    write_csv(folder / "records.csv", header, [[r.get(c, "") for c in header] for r in rows])


def first_row(table: pd.DataFrame, key: str, patient: str) -> dict[str, str]:
    found = table[table[key] == patient]
    return found.iloc[0].to_dict() if len(found) else {}


def redcap_values(
    table: pd.DataFrame, spec: dict[str, Any], codebook: dict[str, Any]
) -> pd.DataFrame:
    """A table as REDCap's raw export writes it: choice numbers, empty for missing."""
    out = table.fillna("").astype(str)
    for column, meta in spec["columns"].items():
        if meta["type"] in ("category", "boolean"):
            numbers = choice_numbers(meta, codebook)
            out[column] = out[column].map(lambda v, n=numbers: str(n[v][0]) if v in n else v)
    return out


def dictionary_rows(codebook: dict[str, Any], key: str, generated: str | None) -> list[dict]:
    """The data dictionary: the record ID first, then each codebook column on its table's form."""
    rows = [
        {
            "Variable / Field Name": key,
            "Form Name": next(iter(codebook["tables"])),
            "Field Type": "text",
            "Field Label": "Record ID",
        }
    ]
    for form, spec in codebook["tables"].items():
        for column, meta in spec["columns"].items():
            if column in (key, generated):
                continue
            row = {
                "Variable / Field Name": column,
                "Form Name": form,
                "Field Label": meta["meaning"],
                "Field Type": "text",
            }
            if meta["type"] == "boolean":
                row["Field Type"] = "yesno"
            elif meta["type"] == "category":
                row["Field Type"] = "radio"
                row["Choices, Calculations, OR Slider Labels"] = " | ".join(
                    f"{n}, {label}" for n, label in choice_numbers(meta, codebook).values()
                )
            elif meta["type"] in ("integer", "number"):
                row["Text Validation Type OR Show Slider Number"] = (
                    "integer" if meta["type"] == "integer" else "number"
                )
                for bound, heading in (
                    ("min", "Text Validation Min"),
                    ("max", "Text Validation Max"),
                ):
                    if bound in meta:
                        row[heading] = str(meta[bound])
            rows.append(row)
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8")


# --------------------------------------------------------------------------- command line
def export(
    to: str,
    out: Path,
    data_dir: Path = Path("data/raw"),
    codebook_path: Path = Path("data/codebook.yaml"),
    sources: Path = Path("config/sources.yaml"),
    layout: str = "longitudinal",
) -> None:
    """Write the cohort of ``data_dir`` to ``out`` in the format ``to``."""
    codebook = load_codebook(codebook_path)
    tables = read_cohort_text(data_dir, codebook)
    if to == "spss":
        export_spss(tables, codebook, out)
    elif to == "excel":
        export_excel(tables, codebook, out)
    else:
        export_redcap(tables, codebook, load_yaml(sources)["redcap"], out, layout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--to", choices=["spss", "excel", "redcap"], required=True)
    parser.add_argument("out", type=Path, help="folder (spss, redcap) or .xlsx file (excel)")
    parser.add_argument("--data", type=Path, default=Path("data/raw"))
    parser.add_argument(
        "--layout",
        choices=["longitudinal", "repeating"],
        default="longitudinal",
        help="REDCap: visits as events (longitudinal) or repeat instances",
    )
    args = parser.parse_args(argv)
    export(args.to, args.out, args.data, layout=args.layout)
    print(f"wrote the {args.to} export of {args.data} to {args.out} (synthetic data)")


if __name__ == "__main__":
    main()
