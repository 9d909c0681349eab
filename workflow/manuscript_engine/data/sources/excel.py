"""An Excel workbook (.xlsx), one sheet per codebook table, read with openpyxl.

Each sheet's first filled row is its header (the codebook's column names); every later
row that is not blank is a record. Cells keep what Excel shows: numbers, and numbers
typed as text when they read as a plain number ("7.5" is 7.5; " 7.5" is refused for its
space, as in a CSV). Formulas count by the value Excel saved with them; a formula
without one, a merged range, a date in a column that holds no date, or a cell outside
the header's columns is refused with its cell (``visits!D5``).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openpyxl.utils import get_column_letter

from manuscript_engine.data.sources.cells import (
    checked_header,
    file_problem,
    number_text,
    problem_at,
    readable,
    text_table,
)
from manuscript_engine.data.validation import Problem, RawTable

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def read_excel_tables(
    workbook: Path, codebook: dict[str, Any], problems: list[Problem]
) -> tuple[dict[str, RawTable], dict[str, str]]:
    """Every table of the codebook from its sheet of ``workbook`` (sheet name = table name)."""
    from openpyxl import load_workbook

    shown = Path(workbook).as_posix()
    files = {name: f"{shown}, sheet {name}" for name in codebook["tables"]}
    missing = "the workbook is missing. Save it under this name or set excel_workbook in "
    if not readable(
        Path(workbook), Path(workbook).parent, shown, missing + "config/config.yaml.", problems
    ):
        return {}, files
    try:
        book = load_workbook(workbook, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        problems.append(
            file_problem(
                shown,
                f"this is not an Excel workbook that can be read ({exc}). "
                "Save it again from Excel as 'Excel Workbook (.xlsx)'.",
            )
        )
        return {}, files
    raw = {}
    try:
        for name, spec in codebook["tables"].items():
            if name not in book.sheetnames:
                problems.append(
                    file_problem(
                        files[name],
                        f"the workbook has no sheet named '{name}' (its sheets: "
                        f"{', '.join(book.sheetnames)}). Name the sheet holding "
                        f"this table '{name}'.",
                    )
                )
                continue
            sheet = Sheet(name, shown, files[name], spec, list(codebook["booleans"]))
            table = read_sheet(book[name], sheet, book._archive, problems)
            if table is not None:
                raw[name] = table
    finally:
        book.close()
    return raw, files


@dataclass
class Sheet:
    """One sheet being read: its names in messages, its codebook table, and what the
    sheet's XML says about it."""

    name: str  # the sheet (and table) name
    shown: str  # the workbook, as messages name it
    file: str  # the table's name in messages: "<workbook>, sheet <name>"
    spec: dict[str, Any]
    booleans: list[str]
    uncached: set[str] = field(default_factory=set)  # formula cells without a saved value

    def cell(self, ref: str) -> str:
        return f"{self.shown}, cell {self.name}!{ref}"


def read_sheet(
    worksheet, sheet: Sheet, archive: zipfile.ZipFile, problems: list[Problem]
) -> RawTable | None:
    """One sheet as text cells, indexed by Excel row number."""
    merged, sheet.uncached = scan_sheet_xml(archive, worksheet._worksheet_path)
    for ref in merged:
        problems.append(
            at_place(
                sheet.file,
                f"{sheet.shown}, cells {sheet.name}!{ref}",
                "merged cells hold one value for several cells. Unmerge them (Home > Merge & "
                "Center) and put one value in each cell; a title row is deleted instead: the "
                "sheet's first filled row must be its header.",
            )
        )
    rows = filled_rows(worksheet) if not merged else []
    if not rows:
        if not merged:
            problems.append(
                file_problem(sheet.file, f"the sheet '{sheet.name}' is empty; it needs a header.")
            )
        return None
    header_row, header_cells = rows[0]
    width = max(c.column for c in header_cells if c.value not in (None, ""))
    header = ["" if c.value is None else str(c.value) for c in header_cells if c.column <= width]
    letters = {column: get_column_letter(i + 1) for i, column in enumerate(header)}

    def where(line: int, column: str | None) -> str:
        if column in letters:
            return f"{sheet.cell(f'{letters[column]}{line}')} (column {column})"
        return f"{sheet.shown}, sheet {sheet.name} row {line}"

    if not header_fits(sheet, header, header_row, letters, problems):
        return None
    body = {number: row_texts(sheet, cells, header, problems) for number, cells in rows[1:]}
    if not body:
        problems.append(
            file_problem(sheet.file, f"the sheet '{sheet.name}' has a header but no data rows.")
        )
        return None
    return text_table(sheet.file, header, list(body.values()), list(body), where)


def filled_rows(worksheet) -> list[tuple[int, list]]:
    """Each row with a value, as (Excel row number, its cells); blank rows are skipped."""
    worksheet.reset_dimensions()  # read every row, whatever size the file claims
    rows = []
    for row in worksheet.iter_rows():
        cells = [c for c in row if hasattr(c, "row")]  # not the padding of read-only mode
        if any(c.value not in (None, "") for c in cells):
            rows.append((cells[0].row, cells))
    return rows


def header_fits(
    sheet: Sheet, header: list[str], header_row: int, letters: dict[str, str], problems
) -> bool:
    """The sheet's first filled row names the codebook's columns (each problem at its cell)."""
    columns = sheet.spec["columns"]
    if not set(header) & set(columns):
        problems.append(
            at_place(
                sheet.file,
                f"{sheet.shown}, sheet {sheet.name} row {header_row}",
                f"the sheet's first filled row must be its header, the codebook's column "
                f"names: {', '.join(columns)}. Row {header_row} holds "
                f"{', '.join(repr(h) for h in header if h)}: delete any title or note rows "
                "above the header.",
            )
        )
        return False
    return checked_header(
        text_table(sheet.file, header, [], [], lambda line, column: ""),
        sheet.spec,
        problems,
        lambda column: (
            f"{sheet.shown}, sheet {sheet.name} header row {header_row}, column {column}"
            + (f" (cell {sheet.name}!{letters[column]}{header_row})" if column in letters else "")
        ),
    )


def row_texts(sheet: Sheet, cells: list, header: list[str], problems) -> list[str]:
    """One data row's cells as codebook text, refusing what cannot be read as a value."""
    texts = [""] * len(header)
    for cell in cells:
        column = header[cell.column - 1] if cell.column <= len(header) else None
        ref = sheet.cell(cell.coordinate)
        if cell.coordinate in sheet.uncached:
            rule = (
                "the formula has no saved value (the file was written by a program that does "
                "not calculate). Open the workbook in Excel and save it, or type the value."
            )
            problems.append(problem_at(sheet.file, cell.row, column, None, rule, ref))
        elif cell.value in (None, ""):
            continue
        elif column is None:
            rule = (
                f"the cell holds '{cell.value}' but its column has no header. Move the value "
                "into its column or delete it."
            )
            problems.append(problem_at(sheet.file, cell.row, None, str(cell.value), rule, ref))
        else:
            text, rule = cell_text(
                cell.value, sheet.spec["columns"].get(column, {}), sheet.booleans
            )
            if rule:
                place = f"{ref} (column {column})"
                problems.append(problem_at(sheet.file, cell.row, column, text, rule, place))
            texts[cell.column - 1] = text
    return texts


def at_place(file: str, place: str, rule: str) -> Problem:
    """A problem of a range or a row rather than of one cell."""
    return problem_at(file, None, None, None, rule, place)


def cell_text(value: Any, column: dict[str, Any], booleans: list[str]) -> tuple[str, str | None]:
    """The codebook text of one cell, and why it is refused (None when it is not).

    Excel's TRUE and FALSE are the codebook's yes and no words in a boolean column.
    """
    if isinstance(value, bool):
        if column.get("type") == "boolean":
            return booleans[0 if value else 1], None
        return str(value).upper(), None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        shown = value.isoformat()
        return shown, (
            f"the cell holds a date or time ({shown}), but this column holds "
            f"{column.get('type', 'text')} values. Format the cell as Number or "
            "Text (Home > Number Format) and enter the value again."
        )
    if isinstance(value, (int, float)):
        return number_text(float(value)), None
    return str(value), None


def scan_sheet_xml(archive: zipfile.ZipFile, path: str) -> tuple[list[str], set[str]]:
    """The sheet's merged ranges, and the cells holding a formula without a saved value.

    Read from the sheet's XML in one streaming pass: openpyxl's read-only mode, which
    keeps a large workbook out of memory, reports neither.
    """
    merged, uncached = [], set()
    with archive.open(path) as stream:
        for _, element in ElementTree.iterparse(stream):
            if element.tag == MAIN + "c":
                formula, saved = element.find(MAIN + "f"), element.find(MAIN + "v")
                if formula is not None and (saved is None or not (saved.text or "")):
                    uncached.add(element.get("r"))
                element.clear()
            elif element.tag == MAIN + "mergeCell":
                merged.append(element.get("ref"))
    return merged, uncached
