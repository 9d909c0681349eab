"""Validation of the cohort CSVs against the codebook, before anything is built from them.

Every rule comes from ``data/codebook.yaml``: the column rules (type, range, allowed
values, granularity, pattern, required, unique key) become pandera schemas, and the
rules a column schema cannot see (a patient missing from a table, cement after a
failed procedure, a visit after death...) are checked across tables here.

Each problem names the file, the line as a spreadsheet shows it (the header is line
1), the column, the value and the rule, in words an author can act on. All problems
in a file are collected before stopping.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import stat
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from manuscript_engine.core.errors import ManuscriptError

MAX_SHOWN_PER_FILE = 25


@dataclass(frozen=True, order=True)
class Problem:
    """One broken rule, located as precisely as the rule allows."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    rule: str
    place: str | None = None  # the whole location, as a source other than CSV names it

    def __str__(self) -> str:
        if self.place:
            return f"{self.place}: {self.rule}"
        where = self.file + (f" line {self.line}" if self.line else "")
        where += f", column {self.column}" if self.column else ""
        return f"{where}: {self.rule}"


class CohortInvalid(ManuscriptError):
    """The cohort broke codebook rules; the message lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(report(problems))


def report(problems: list[Problem]) -> str:
    """Problems grouped by file, at most :data:`MAX_SHOWN_PER_FILE` shown per file."""
    by_file: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        by_file[problem.file].append(problem)
    lines = [
        f"The cohort data break {len(problems)} rule(s) of data/codebook.yaml. "
        "Nothing was built. Correct these cells and run the build again:"
    ]
    for file, found in by_file.items():
        lines.append("")
        lines += [f"  - {p}" for p in found[:MAX_SHOWN_PER_FILE]]
        if len(found) > MAX_SHOWN_PER_FILE:
            lines.append(f"  ... and {len(found) - MAX_SHOWN_PER_FILE} more in {file}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- reading
@dataclass
class RawTable:
    """A CSV read as text: the header, the rows, and the spreadsheet line of each row."""

    path: str
    header: list[str]
    frame: pd.DataFrame  # text cells, index = spreadsheet line number
    text: str = ""
    # For a source other than CSV (manuscript_engine.data.sources): where a cell is,
    # as that source names it ("cohort.xlsx, cell visits!D5"), from (line, column).
    where: Callable[[int, str | None], str] | None = None
    # Cells (line, column) whose problem the source's reader reported once for many.
    reported: set[tuple[int, str]] = field(default_factory=set)
    # True when a search of the file's text found no cell that could start or end with
    # a space, so the text need not be kept (on a registry it is hundreds of MB).
    no_stray_space: bool = False
    _distinct: dict[str, DistinctCells] = field(default_factory=dict, repr=False)

    def distinct(self, column: str) -> DistinctCells:
        """The column's distinct texts and each row's, found once (after the spaces are
        checked); :meth:`DistinctCells.blank` changes the column's cells too."""
        if column not in self._distinct:
            self._distinct[column] = DistinctCells(self.frame, column)
        return self._distinct[column]

    def forget_distinct(self) -> None:
        """Free the distinct values found (the frame keeps its cells)."""
        self._distinct.clear()


class DistinctCells:
    """One text column as its distinct values and, per row, which one it holds.

    Checking a value is then done once per distinct value instead of once per row:
    comparing a million text cells with '' or with each missing code took a tenth of a
    second each, for every column and code.
    """

    def __init__(self, frame: pd.DataFrame, column: str) -> None:
        self.frame, self.column = frame, column
        codes, values = pd.factorize(frame[column].to_numpy(dtype=object), use_na_sentinel=False)
        # The smallest integers that hold the codes: a byte a cell for most columns.
        self.codes = codes.astype(np.min_scalar_type(max(len(values) - 1, 0)), copy=False)
        self.values = np.asarray(values, dtype=object)
        self.counts = np.bincount(codes, minlength=len(self.values))
        # Where each text is: hashed by pandas in C, as it is first asked (a dictionary
        # built in Python took seconds for the identifier columns of a registry), and
        # the texts that blank() moved.
        self._found = pd.Index(self.values, dtype=object, copy=True)
        self._moved: dict[str, int | None] = {}

    def place(self, text: str) -> int | None:
        """The index of ``text`` among the distinct values (None when no row holds it)."""
        if text in self._moved:
            return self._moved[text]
        try:
            return int(self._found.get_loc(text))
        except KeyError:
            return None

    def count(self, text: str) -> int:
        """How many rows hold exactly ``text``."""
        where = self.place(text)
        return 0 if where is None else int(self.counts[where])

    def lines(self, text: str) -> pd.Index:
        """The lines (the frame's index) of the rows holding ``text``, in order."""
        return self.frame.index[self.codes == self._held(text)]

    def _held(self, text: str) -> int:
        where = self.place(text)
        if where is None:
            raise KeyError(f"no row of column {self.column!r} holds {text!r}")
        return where

    def rows_of(self, chosen: np.ndarray) -> Iterator[tuple[Any, Any]]:
        """(line, value) of each row holding a distinct value marked in ``chosen``, in order."""
        if not chosen.any():
            return iter(())
        rows = np.flatnonzero(chosen[self.codes])
        return zip(self.frame.index[rows], self.values[self.codes[rows]], strict=True)

    def blank(self, text: str) -> None:
        """Empty every cell holding ``text``, in the frame too."""
        where = self._held(text)
        self._moved[text] = None
        self.values[where] = ""
        empty = self.place("")
        if empty is None:
            empty = self._moved[""] = where
        if empty != where:  # the column had empty cells already: one value for both
            self.codes[self.codes == where] = empty
            self.counts[empty] += self.counts[where]
            self.counts[where] = 0
        self.frame[self.column] = self.spread(self.values)

    def spread(self, values: np.ndarray) -> pd.Series:
        """One value per distinct text, given to each row holding that text."""
        return pd.Series(values[self.codes], index=self.frame.index, dtype=values.dtype)


FILE_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFIFO: "a pipe",
    stat.S_IFSOCK: "a socket",
}


def refused_file(path: Path, folder: Path, shown_as: str) -> Problem | None:
    """Why a cohort file must not be read (or None): it is not a regular file in the folder.

    Checked before a byte is read, so that a link to a system file can never be quoted
    in a message, and a link to an endless device cannot fill the memory. Links that
    stay inside the data folder are fine, and so is a data folder outside the repository.
    """
    link = "a link to " if path.is_symlink() else ""
    target = path.resolve()
    if not target.is_relative_to(folder.resolve()):
        return Problem(
            shown_as,
            None,
            None,
            None,
            f"the file is a link to {target.as_posix()}, outside the data folder "
            f"{folder.as_posix()}. Copy the CSV file itself into the data folder.",
        )
    try:
        kind = stat.S_IFMT(path.stat().st_mode)
    except OSError:
        return None  # missing, or a link to nothing: reading it reports the missing file
    if kind != stat.S_IFREG:
        return Problem(
            shown_as,
            None,
            None,
            None,
            f"this is {link}{FILE_KINDS.get(kind, 'a special file')}, not a regular file. "
            "Put the exported CSV file itself in the data folder under this name.",
        )
    return None


def read_raw(path: Path, shown_as: str, problems: list[Problem]) -> RawTable | None:
    """Read one CSV as text, reporting a missing, empty, non-UTF-8 or ragged file."""
    if not path.exists():
        problems.append(
            Problem(
                shown_as, None, None, None, "the file is missing. Export it with this exact name."
            )
        )
        return None
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                shown_as,
                line,
                None,
                None,
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be read). "
                "Save it again as 'CSV UTF-8'.",
            )
        )
        return None
    if not text.strip():
        problems.append(
            Problem(
                shown_as,
                None,
                None,
                None,
                "the file is empty; it needs a header row and data rows.",
            )
        )
        return None
    fast = fast_read(text, data)
    if fast is not None:
        header, frame = fast
        if frame.empty:
            problems.append(
                Problem(shown_as, None, None, None, "the file has a header but no data rows.")
            )
            return None
        if not may_have_stray_space(text):
            return RawTable(shown_as, header, frame, no_stray_space=True)
        return RawTable(shown_as, header, frame, text)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows, lines = [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                Problem(
                    shown_as,
                    reader.line_num,
                    None,
                    None,
                    f"the line has {len(row)} cells but the header has {len(header)}. Look for a "
                    "stray comma or a missing cell.",
                )
            )
            continue
        rows.append(row)
        lines.append(reader.line_num)
    if not rows and not any(p.file == shown_as for p in problems):
        problems.append(
            Problem(shown_as, None, None, None, "the file has a header but no data rows.")
        )
        return None
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=object)
    return RawTable(shown_as, header, frame, text)


def fast_read(text: str, data: bytes | None = None) -> tuple[list[str], pd.DataFrame] | None:
    """Read with pandas' C parser when every record is one line; None to fall back.

    The spreadsheet line of a row is then simply its position plus 2 (the header is line
    1). Ragged rows or quoted line breaks make the careful, line-by-line reader take over.
    ``data`` is the file's bytes (``text`` decoded): the parser reads those, because a
    ``StringIO`` of the text holds four bytes a character (2.6 times the peak memory on
    a 140 MB file).
    """
    import csv as csv_module

    if '"' in text or text.count("\r") != text.count("\r\n"):
        return None  # quoted cells or lone carriage returns: the careful reader handles them
    data = text.encode("utf-8") if data is None else data
    if not rows_have_header_width(data):
        return None  # a ragged row: the careful reader reports its line
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            encoding="utf-8-sig",
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            on_bad_lines="error",
            engine="c",
            quoting=csv_module.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, ValueError):
        return None
    header = list(frame.columns)
    if any(
        str(h).startswith("Unnamed: ") or "." in str(h) and str(h).rsplit(".", 1)[0] in header
        for h in header
    ):
        return None  # blank or repeated header cells: let the careful reader report them
    frame.index = pd.Index(range(2, len(frame) + 2), name="line")
    return header, frame[~blank_rows(frame)].astype(object)


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty; only rows whose first cell is empty are compared
    further (each comparison of a million text cells takes a tenth of a second)."""
    if not len(frame.columns):
        return np.ones(len(frame), dtype=bool)
    blank = (frame.iloc[:, 0] == "").to_numpy(copy=True)  # written to below
    if blank.any():
        candidates = np.flatnonzero(blank)
        blank[candidates] = (frame.iloc[candidates] == "").all(axis=1).to_numpy()
    return blank


LINES_PER_BLOCK = 1 << 18


def rows_have_header_width(text: str | bytes) -> bool:
    """True when every line that is not blank has as many commas as the header.

    Counted with NumPy over the file's bytes (in UTF-8 a comma or a line break byte
    never occurs inside another character), so a million-line file takes milliseconds.
    The commas are located a block of lines at a time: all at once, their positions
    took eight bytes a comma (a gigabyte on a registry file).
    """
    raw = text.encode("utf-8") if isinstance(text, str) else text
    data = np.frombuffer(raw, dtype=np.uint8)
    if not len(data):
        return True
    ends = np.flatnonzero(data == ord("\n"))
    if not len(ends) or ends[-1] != len(data) - 1:
        ends = np.append(ends, len(data))  # a last line without a line break
    starts = np.concatenate(([0], ends[:-1] + 1))
    commas = np.empty(len(ends), dtype=np.int64)
    for first in range(0, len(ends), LINES_PER_BLOCK):
        last = min(first + LINES_PER_BLOCK, len(ends))
        block = data[starts[first] : ends[last - 1] + 1]
        line_of_comma = np.searchsorted(
            ends[first:last], np.flatnonzero(block == ord(",")) + starts[first]
        )
        commas[first:last] = np.bincount(line_of_comma, minlength=last - first)
    return all(
        not data[starts[i] : ends[i]].tobytes().strip() for i in np.flatnonzero(commas != commas[0])
    )


# --------------------------------------------------------------------------- columns
def check_header(table: RawTable, spec: dict[str, Any], problems: list[Problem]) -> bool:
    """Required columns present, no unknown or repeated ones. False when the file is unusable."""
    expected = list(spec["columns"])
    ok = True
    for name in sorted({h for h in table.header if table.header.count(h) > 1}):
        problems.append(
            Problem(table.path, 1, name, None, "the column appears more than once in the header.")
        )
        ok = False
    for name in expected:
        if name not in table.header:
            near = [h for h in table.header if header_key(h) == name]
            hint = f" (found '{near[0]}': rename the header to {name})" if near else ""
            problems.append(
                Problem(table.path, 1, name, None, f"the required column is missing{hint}.")
            )
            ok = False
    for name in table.header:
        misspelt = header_key(name) in expected and header_key(name) not in table.header
        if name not in expected and not misspelt:  # a misspelt one is named above
            problems.append(
                Problem(
                    table.path,
                    1,
                    name,
                    None,
                    "this column is not in the codebook. Remove it (identifying columns such as "
                    "names or record numbers must not be in the export) or add it to "
                    "data/codebook.yaml.",
                )
            )
            ok = False
    return ok


def header_key(header: str) -> str:
    """A header as the codebook would spell it ('Patient ID ' -> 'patient_id'): a header
    that only differs in case, spaces or hyphens is named as a misspelt column."""
    return re.sub(r"[\s-]+", "_", header.strip().lower())


STRAY_SPACE = [f"{a}{b}" for a in ",\n" for b in " \t"] + [
    f"{a}{b}" for a in " \t" for b in (",", "\n", "\r\n")
]
"""A space or tab next to a comma or a line break: where a stray space would be."""


def may_have_stray_space(text: str) -> bool:
    """Whether any cell of the raw text could start or end with a space or tab."""
    if " " not in text and "\t" not in text:
        return False
    return (
        text[:1] in (" ", "\t")
        or text.rstrip("\r\n")[-1:] in (" ", "\t")
        or any(pair in text for pair in STRAY_SPACE)
    )


def check_whitespace(table: RawTable, problems: list[Problem]) -> None:
    """Reject stray spaces around values (see the codebook's ``whitespace`` note).

    A search of the raw text finds out first whether any cell could have one; only
    then is every cell compared with its stripped self.
    """
    if table.no_stray_space or (table.text and not may_have_stray_space(table.text)):
        return
    for column in table.frame.columns:
        cells = table.frame[column]
        stray = cells[cells != cells.str.strip()]
        for line, value in stray.items():
            problems.append(
                Problem(
                    table.path,
                    int(line),
                    column,
                    value,
                    f"'{shown_value(value)}' has spaces before or after it. Remove them.",
                )
            )
        table.frame[column] = cells.str.strip()


def missing_codes(codebook: dict[str, Any], column: dict[str, Any]) -> dict[str, str]:
    """The codes that mean "missing" in a column: its own ``missing_codes``, else the
    codebook's default ``missing_codes`` (code -> what it means, such as not assessed)."""
    codes = column.get("missing_codes", codebook.get("missing_codes", {}))
    return {str(code): str(meaning) for code, meaning in codes.items()}


def blank_missing_codes(
    table: RawTable, spec: dict[str, Any], codebook: dict[str, Any], problems: list[Problem]
) -> dict[str, dict[str, int]]:
    """Turn the codebook's missing codes into empty cells, before any type check.

    Returns, per column, how many cells were missing and why (``empty`` or the code).
    A missing code in a column that may not be missing is a problem: it is left as it
    is, and reported with what the code means.
    """
    counts: dict[str, dict[str, int]] = {}
    for name, column in spec["columns"].items():
        distinct = table.distinct(name)
        found = {"empty": distinct.count("")}
        for code, meaning in missing_codes(codebook, column).items():
            if not distinct.count(code):
                continue
            if not column.get("missing", False):
                for line in distinct.lines(code):
                    problems.append(
                        Problem(
                            table.path,
                            int(line),
                            name,
                            code,
                            f"'{code}' is the code for a missing value ({meaning}), but this "
                            "column may not be missing. Enter the value, or correct "
                            "data/codebook.yaml if the column may be missing.",
                        )
                    )
                continue
            found[f"coded {code} ({meaning})"] = distinct.count(code)
            distinct.blank(code)
        if any(found.values()):
            counts[name] = {reason: n for reason, n in found.items() if n}
    return counts


def parse_numbers(
    table: RawTable,
    spec: dict[str, Any],
    problems: list[Problem],
    codebook: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Text to typed values: numbers to float, booleans kept as yes/no, '' to missing.

    Each distinct text of a column is parsed once (a score column of a million rows
    holds a few dozen), then spread back to its rows.
    """
    columns = {}
    for name in table.frame.columns:
        distinct = table.distinct(name)
        values = distinct.values.copy()
        values[values == ""] = np.nan
        text = pd.Series(values, dtype=object)
        column = spec["columns"].get(name, {})
        if column.get("type") not in ("integer", "number"):
            columns[name] = distinct.spread(values)
            continue
        numbers = plain_numbers(text)
        if numbers is None:
            numbers = pd.to_numeric(text, errors="coerce")
        refused = (text.notna() & numbers.isna()).to_numpy()
        for line, value in distinct.rows_of(refused):
            problems.append(
                Problem(
                    table.path, int(line), name, value, not_a_number(value, column, codebook or {})
                )
            )
        columns[name] = distinct.spread(numbers.to_numpy(dtype=float, na_value=np.nan))
    return pd.DataFrame(columns, index=table.frame.index)


COMMA_DECIMAL = re.compile(r"-?[0-9]+,[0-9]+")
"""A number written with a decimal comma (7,5), as a European spreadsheet shows it."""


def not_a_number(value: str, column: dict[str, Any], codebook: dict[str, Any]) -> str:
    """Why a cell of a numeric column is refused, and the likely fix: a decimal point
    for a decimal comma; for a word such as 'n/a' or '-', how to record a missing value."""
    kind = "a whole number" if column["type"] == "integer" else "a number"
    if COMMA_DECIMAL.fullmatch(value):
        pointed = value.replace(",", ".")
        return f"'{value}' is not {kind}: write the decimal with a point ({pointed})."
    if not column.get("missing", False):
        return f"'{value}' is not {kind}. Enter the value; this column may not be missing."
    codes = ", ".join(f"{code} ({why})" for code, why in missing_codes(codebook, column).items())
    return f"'{value}' is not {kind}. If the value is missing, leave the cell empty" + (
        f" or enter a missing code: {codes}." if codes else "."
    )


NOT_A_PLAIN_NUMBER = re.compile(r"^(?!-?[0-9]+(?:\.[0-9]+)?$)", re.MULTILINE)
"""The start of a line that is not a plain decimal number."""


def plain_numbers(text: pd.Series) -> pd.Series | None:
    """The column as floats when every cell is a plain decimal number; None otherwise.

    One search over the whole column, then pandas' C reader on it: a few times faster
    than ``pd.to_numeric`` on a million cells, with the same values. Anything unusual
    (a leading +, exponents, words, an empty column) is left to ``pd.to_numeric``.
    """
    present = text.dropna()
    joined = "\n".join(present)
    if not len(present) or NOT_A_PLAIN_NUMBER.search(joined):
        return None
    numbers = pd.read_csv(
        io.BytesIO(joined.encode()), header=None, dtype="float64", na_filter=False
    )
    if numbers.shape != (len(present), 1):
        return None  # a cell with a line break inside
    return pd.Series(numbers[0].to_numpy(), index=present.index).reindex(text.index)


def matches_pattern(cells: pd.Series, pattern: str) -> pd.Series | bool:
    """Whether each whole cell matches the codebook's pattern (as ``Series.str.fullmatch``).

    A full match, because the codebook's ``$`` also matches before a final line break:
    with ``re.match`` a quoted identifier followed by ``\n`` would pass.

    The usual case, every cell matching, is answered in one pass of the compiled
    pattern over the column's values; only when one fails is each cell tested again so
    that pandera can name the ones that do not.
    """
    if all(map(re.compile(pattern).fullmatch, cells.dropna().tolist())):
        return True
    return cells.str.fullmatch(pattern)


def schema_for(spec: dict[str, Any], booleans: list[str]):
    """The pandera schema of one table, built from its codebook entry."""
    import pandera.pandas as pa

    columns = {}
    for name, column in spec["columns"].items():
        checks = []
        kind = column["type"]
        if kind == "category":
            checks.append(pa.Check.isin(column["values"], name="allowed"))
        if kind == "boolean":
            checks.append(pa.Check.isin(booleans, name="allowed"))
        if "pattern" in column:
            checks.append(
                pa.Check(lambda s, p=column["pattern"]: matches_pattern(s, p), name="pattern")
            )
        if "min" in column:
            checks.append(pa.Check.greater_than_or_equal_to(column["min"], name="minimum"))
        if "max" in column:
            checks.append(pa.Check.less_than_or_equal_to(column["max"], name="maximum"))
        if "step" in column:
            step = column["step"]
            checks.append(pa.Check(lambda s, step=step: on_step(s, step), name="step"))
        dtype = float if kind in ("integer", "number") else object
        columns[name] = pa.Column(dtype, checks=checks, nullable=column.get("missing", False))
    return pa.DataFrameSchema(columns, strict=True, unique=spec.get("key"), report_duplicates="all")


CHECK_NAMES = {
    "greater_than_or_equal_to": "minimum",
    "less_than_or_equal_to": "maximum",
    "isin": "allowed",
    "str_matches": "pattern",
}


def rule_text(check: str, value: Any, name: str, column: dict[str, Any]) -> str:
    """The rule a failing value broke, in plain words."""
    check = CHECK_NAMES.get(check.split("(")[0], check)
    shown = shown_value(value)
    if check == "not_nullable":
        return "the cell is empty, but this column is required."
    if check == "allowed":
        allowed = column.get("values") or ["yes", "no"]
        return f"'{shown}' is not an allowed value. Use one of: {', '.join(allowed)}." + code_hint(
            shown, allowed, column.get("labels", {})
        )
    if check == "pattern":
        if "example" in column:
            return f"'{shown}' is not a valid {name} (expected a value like '{column['example']}')."
        return f"'{shown}' is not a valid {name} (it must match {column['pattern']})."
    if check == "minimum":
        return f"{shown} is below the minimum {shown_value(column['min'])}."
    if check == "maximum":
        return f"{shown} is above the maximum {shown_value(column['max'])}."
    if check == "step":
        step = column["step"]
        if step == 1:
            return f"{shown} is not a whole number."
        return f"{shown} is not on the scale's steps of {shown_value(step)}."
    return f"'{shown}' breaks the rule {check}."


def code_hint(shown: str, allowed: list[str], labels: dict[str, str]) -> str:
    """The code a refused value most likely means: the code whose printed label it is
    (a spreadsheet shows labels), else the nearest spelling (spaces added, one letter off)."""
    for code, label in labels.items():
        if shown.strip().casefold() == str(label).casefold():
            return f" '{shown}' is how {code} is printed: enter the code {code}."
    near = difflib.get_close_matches(shown, allowed, n=1, cutoff=0.7)
    return f" Did you mean '{near[0]}'?" if near else ""


LINE_BREAKS_SHOWN = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})
"""A line break or tab inside a value is shown as \\n, \\r, \\t, not as a broken line."""


def shown_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).translate(LINE_BREAKS_SHOWN)


def obeys_codebook(table: RawTable, typed: pd.DataFrame, spec, booleans) -> bool:
    """True when no cell breaks a rule of the table's schema (:func:`schema_for`).

    The usual case, a valid table, is decided here on each column's distinct values and
    on the numbers as arrays, with the schema's own tests (pandera's check a cell at a
    time: six seconds on a million patients). Any doubt is False: the schema then runs
    and names each failing cell.
    """
    if set(typed.columns) != set(spec["columns"]):
        return False
    for name, column in spec["columns"].items():
        kind, values = column["type"], typed[name]
        if kind in ("integer", "number"):
            if values.dtype != np.float64:
                return False
            gaps = values.isna()
            present, any_gap = values[~gaps], bool(gaps.any())
        else:  # the typed column is its distinct texts spread out, '' made missing
            if values.dtype != object:
                return False
            distinct = table.distinct(name)
            held = pd.Series(distinct.values[distinct.counts > 0], dtype=object)
            gaps = held.isna() | (held == "")
            present, any_gap = held[~gaps], bool(gaps.any())
        if any_gap and not column.get("missing", False):
            return False
        if len(present) and not all(
            bool(np.all(check(present))) for check in column_checks(column, booleans)
        ):
            return False
    key = spec.get("key")
    return not (key and typed.duplicated(key).any())


def column_checks(column: dict[str, Any], booleans: list[str]) -> list[Callable]:
    """The tests of :func:`schema_for` for one column, as functions of its present values."""
    checks: list[Callable] = []
    kind = column["type"]
    if kind == "category":
        checks.append(lambda s: s.isin(column["values"]))
    if kind == "boolean":
        checks.append(lambda s: s.isin(booleans))
    if "pattern" in column:
        checks.append(lambda s: matches_pattern(s, column["pattern"]))
    if "min" in column:
        checks.append(lambda s: s >= column["min"])
    if "max" in column:
        checks.append(lambda s: s <= column["max"])
    if "step" in column:
        checks.append(lambda s: on_step(s, column["step"]))
    return checks


def on_step(values: pd.Series, step: float) -> pd.Series:
    """Whether each value is a whole number of ``step`` (a scale's 0.5 steps)."""
    return ((values / step) - (values / step).round()).abs() < 1e-6


def check_columns(table: RawTable, typed: pd.DataFrame, spec, booleans, problems) -> None:
    """Run the table's pandera schema and turn its failure cases into problems."""
    import pandera.pandas as pa

    if obeys_codebook(table, typed, spec, booleans):
        return
    try:
        schema_for(spec, booleans).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        copies: dict[int, tuple[str, str]] | None = None
        for case in cases.itertuples(index=False):
            check = str(case.check)
            if case.index is None or pd.isna(case.index):
                continue
            line = int(case.index)
            if check.endswith("uniqueness"):
                key = spec["key"]
                if copies is None:
                    copies = _duplicate_lines(typed, key)
                value, others = copies[line]
                problems.append(
                    Problem(
                        table.path,
                        line,
                        key[0],
                        value,
                        f"{value} appears more than once (lines {others}); "
                        f"each {' and '.join(key)} must have one row. Remove or correct the copy.",
                    )
                )
                continue
            if str(case.column) not in spec["columns"]:
                continue
            name = str(case.column)
            problems.append(
                Problem(
                    table.path,
                    line,
                    name,
                    shown_value(case.failure_case),
                    rule_text(check, case.failure_case, name, spec["columns"][name]),
                )
            )


MAX_COPIES_SHOWN = 10
"""Lines listed for a repeated key; beyond them the message gives a count."""


def _duplicate_lines(frame: pd.DataFrame, key: list[str]) -> dict[int, tuple[str, str]]:
    """Each line whose key is repeated -> the key as shown, and the lines holding it.

    The rows are grouped once, and each group's text is written once: looking up the
    copies of each duplicate row in turn took minutes on a file repeated 25 times
    (20,900 duplicates). The list of lines is capped so that the messages, too, grow
    with the number of rows and not with its square.
    """
    repeated = frame[frame.duplicated(key, keep=False)]
    lines, values = repeated.index.to_numpy(), repeated[key].to_numpy()
    copies: dict[int, tuple[str, str]] = {}
    for positions in repeated.groupby(key, dropna=False, sort=False).indices.values():
        shown = " / ".join(str(v) for v in values[positions[0]])
        group = sorted(int(line) for line in lines[positions])
        listed = ", ".join(map(str, group[:MAX_COPIES_SHOWN]))
        if len(group) > MAX_COPIES_SHOWN:
            listed += f" and {len(group) - MAX_COPIES_SHOWN} more"
        copies.update(dict.fromkeys(group, (shown, listed)))
    return copies


# --------------------------------------------------------------------------- across tables
def line_of(table: pd.DataFrame, patient: str) -> int:
    """The file line of a patient's row (validated tables keep it as their index)."""
    return int(table.index[table["patient_id"] == patient][0])


# --------------------------------------------------------------------------- entry point
CrossTableRules = Callable[
    [dict[str, pd.DataFrame], dict[str, str], list[Problem], dict[str, Any]], None
]
"""A study's rules that join tables: ``rules(tables, files, problems, codebook)`` appends
a :class:`Problem` for each broken rule (tables are typed and indexed by file line)."""


def validate_cohort(
    data_dir: Path, codebook: dict[str, Any], cross_table_rules: CrossTableRules | None = None
) -> dict[str, pd.DataFrame]:
    """Validate every CSV the codebook lists; return them typed, or raise :class:`CohortInvalid`.

    Each column is checked against the codebook; then, once every cell is valid, the
    study's ``cross_table_rules`` (who belongs in which table, what cannot happen
    together), which only the study can state.

    Returns
    -------
    dict of DataFrame
        Table name -> validated table (text stripped, missing codes emptied, numbers as
        float, booleans as yes/no), index reset. Each frame's ``attrs["missing"]`` holds,
        per column, how many cells were missing and why (see :func:`blank_missing_codes`).
    """
    problems: list[Problem] = []
    files: dict[str, str] = {}
    raw: dict[str, RawTable] = {}
    for name, spec in codebook["tables"].items():
        path = Path(data_dir) / spec["file"]
        files[name] = path.as_posix()
        refused = refused_file(path, Path(data_dir), files[name])
        if refused is not None:
            problems.append(refused)
            continue
        table = read_raw(path, files[name], problems)
        if table is not None and check_header(table, spec, problems):
            raw[name] = table
    return validate_tables(raw, files, codebook, cross_table_rules, problems)


def validate_tables(
    raw: dict[str, RawTable],
    files: dict[str, str],
    codebook: dict[str, Any],
    cross_table_rules: CrossTableRules | None,
    problems: list[Problem],
) -> dict[str, pd.DataFrame]:
    """Check tables already read as text cells (from CSV or another source) as
    :func:`validate_cohort` does; ``problems`` holds those found while reading.

    A table missing from ``raw`` could not be read: nothing further is checked.
    """
    if len(raw) < len(codebook["tables"]):
        raise CohortInvalid(placed(problems, raw))
    typed = {}
    for name, table in raw.items():
        spec = codebook["tables"][name]
        check_whitespace(table, problems)
        gaps = blank_missing_codes(table, spec, codebook, problems)
        typed[name] = parse_numbers(table, spec, problems, codebook)
        typed[name].attrs["missing"] = gaps
        check_columns(table, typed[name], spec, codebook["booleans"], problems)
        table.forget_distinct()  # a registry's tables are checked one at a time
    if not problems and cross_table_rules is not None:
        cross_table_rules(typed, files, problems, codebook)
    if problems:
        raise CohortInvalid(_unique(placed(problems, raw)))
    return {name: _reset(frame) for name, frame in typed.items()}


def _reset(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a plain index, keeping its missing-cell counts."""
    plain = frame.reset_index(drop=True)
    plain.attrs["missing"] = frame.attrs.get("missing", {})
    return plain


def placed(problems: list[Problem], raw: dict[str, RawTable]) -> list[Problem]:
    """Each problem in a cell of a non-CSV table, named as its source names the cell."""
    where = {table.path: table.where for table in raw.values() if table.where}
    if not where:
        return problems
    reported = {(t.path, *cell) for t in raw.values() for cell in t.reported}
    return [
        replace(p, place=where[p.file](p.line, p.column))
        if p.file in where and p.line and not p.place
        else p
        for p in problems
        if p.place or (p.file, p.line, p.column) not in reported
    ]


def _unique(problems: list[Problem]) -> list[Problem]:
    """Keep the first problem per cell (a bad type also fails the range check)."""
    seen, kept = set(), []
    for problem in problems:
        key = (problem.file, problem.line, problem.column) if problem.line else problem
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return sorted(kept, key=lambda p: (p.file, p.line or 0))
