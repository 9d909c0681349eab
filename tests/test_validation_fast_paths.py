"""The fast paths of validation give the answers of the plain, slow ones.

Each shortcut (counting commas with NumPy, searching the raw text for stray spaces,
parsing a whole column of plain numbers at once, matching a pattern over a column) is
compared with the straightforward method on inputs built to catch it out, including
random ones.
"""

from __future__ import annotations

import random
import re
import shutil

import pandas as pd
import pytest
from conftest import CODEBOOK, REPO

from manuscript_engine.data.validation import (
    matches_pattern,
    may_have_stray_space,
    plain_numbers,
    rows_have_header_width,
)

RANDOM = random.Random(20261127)


def header_width_by_lines(text: str) -> bool:
    """The slow definition: every non-blank line has the header's number of commas."""
    lines = text.splitlines()
    return all(line.count(",") == lines[0].count(",") for line in lines[1:] if line.strip())


@pytest.mark.parametrize(
    "text",
    [
        "a,b,c\n1,2,3\n4,5,6\n",
        "a,b,c\n1,2,3\n4,5,6",  # no line break after the last row
        "a,b,c\r\n1,2,3\r\n",
        "a,b,c\n1,2,3\n\n4,5,6\n",  # a blank line
        "a,b,c\n1,2,3\n   \n4,5,6\n",  # a line of spaces
        "a,b,c\n1,2\n",  # a short row
        "a,b,c\n1,2,3,4\n",  # a long row
        "a,b,c\nx\n",  # one cell only
        "a,b,c\n1,2,3\n4,5,6\n,,\n",  # a row of empty cells is still a row
        "a,b,c\né,ü,ß\n",  # non-ASCII text
    ],
)
def test_rows_have_header_width_agrees_with_counting_line_by_line(text):
    assert rows_have_header_width(text) == header_width_by_lines(text)


def test_rows_have_header_width_on_random_files():
    for _ in range(500):
        text = "".join(RANDOM.choice("ab,,\n\n  ") for _ in range(RANDOM.randint(1, 40)))
        assert rows_have_header_width(text) == header_width_by_lines(text), repr(text)


STRAY_SPACE_REGEX = re.compile(r"(^|,)[ \t]|[ \t](,|\r?$)", re.MULTILINE)


def test_every_text_with_a_stray_space_is_flagged_for_the_cell_by_cell_check():
    samples = ["a,b\n1,2\n", " a,b\n", "a ,b\n", "a,b \n", "a,b\n1, 2\n", "a,b\r\n1,2\t\r\n"]
    samples += [
        "".join(RANDOM.choice("ab, \t\n\r") for _ in range(RANDOM.randint(0, 30)))
        for _ in range(3000)
    ]
    for text in samples:
        if STRAY_SPACE_REGEX.search(text):
            assert may_have_stray_space(text), repr(text)
    assert not may_have_stray_space("a,b\n1,2\n")
    assert not may_have_stray_space("name,note\n1,two words\n")  # a space inside a cell


@pytest.mark.parametrize(
    "cells",
    [
        ["1", "2.5", "-3", "0.25", None, "10"],
        ["7.125"],
        [str(RANDOM.randint(-(10**6), 10**6) / 100) for _ in range(2000)],
    ],
)
def test_plain_numbers_equal_to_numeric(cells):
    text = pd.Series(cells, dtype=object)
    fast = plain_numbers(text)
    assert fast is not None
    pd.testing.assert_series_equal(
        fast, pd.to_numeric(text, errors="coerce").astype(float), check_exact=True
    )


@pytest.mark.parametrize(
    "cells",
    [
        ["1", "two"],
        ["1e3"],  # an exponent: left to pd.to_numeric
        ["+1"],
        [".5"],
        ["5."],
        ["-"],
        ["nan"],
        ["1\n2", "3"],  # a line break inside a cell
        [None, None],  # nothing to parse
        [],
    ],
)
def test_anything_but_plain_numbers_is_left_to_to_numeric(cells):
    assert plain_numbers(pd.Series(cells, dtype=object)) is None


PATTERN = "^[A-Za-z0-9_-]{1,32}$"


@pytest.mark.parametrize(
    "cells",
    [
        ["P0001", "P0002", None],
        ["P0001", "P 2", "P0003"],
        ["P0001", "", "x" * 33],
        ["P0001\n"],  # $ alone accepts a final line break: only a full match refuses it
        ["P0001\nP0002"],
        ["P0001", "P0002\n", None],
        ["P0001\r\n"],
    ],
)
def test_matches_pattern_agrees_with_series_str_fullmatch(cells):
    series = pd.Series(cells, dtype=object)
    result = matches_pattern(series, PATTERN)
    expected = series.str.fullmatch(PATTERN)
    if result is True:
        assert expected.dropna().all()
    else:
        pd.testing.assert_series_equal(result, expected)
        assert not expected.dropna().all()


# --------------------------------------------------------------------------- the schema's shortcut
def typed_tables(folder):
    """Each readable table of ``folder`` as check_columns receives it, with its schema."""
    from manuscript_engine.data.cohort import load_codebook
    from manuscript_engine.data.validation import (
        blank_missing_codes,
        check_header,
        check_whitespace,
        parse_numbers,
        read_raw,
    )

    book = load_codebook(CODEBOOK)
    for spec in book["tables"].values():
        problems: list = []
        table = read_raw(folder / spec["file"], spec["file"], problems)
        if table is None or not check_header(table, spec, problems):
            continue
        check_whitespace(table, problems)
        blank_missing_codes(table, spec, book, problems)
        yield table, parse_numbers(table, spec, problems, book), spec, book["booleans"]


def schema_passes(typed, spec, booleans) -> bool:
    import pandera.pandas as pa

    from manuscript_engine.data.validation import schema_for

    try:
        schema_for(spec, booleans).validate(typed, lazy=True)
    except pa.errors.SchemaErrors:
        return False
    return True


CELL_EDITS = [  # (table, column, row, new text): each breaks one rule of the schema
    ("enrollment", "arm", 0, "PVP-ITR"),  # category
    ("procedure", "technical_success", 1, "Yes"),  # boolean
    ("enrollment", "patient_id", 2, "patient 3"),  # pattern
    ("baseline", "age_years", 0, "17"),  # minimum
    ("visits", "vas", 3, "10.5"),  # maximum
    ("visits", "vas", 3, "7.25"),  # step
    ("visits", "kps", 1, "65"),  # step of ten
    ("baseline", "sex", 0, ""),  # an empty cell where none may be
    ("baseline", "age_years", 1, ""),  # an empty number where none may be
    ("visits", "visit", 1, "preop"),  # a repeated key (patient and visit)
]


@pytest.mark.parametrize(
    "case", sorted(p.name for p in (REPO / "tests/data/bad_cohorts").iterdir())
)
def test_the_shortcut_passes_a_bad_cohorts_table_exactly_when_the_schema_does(case, tmp_path):
    from test_validation import bad_cohort

    from manuscript_engine.data.validation import obeys_codebook

    for table, typed, spec, booleans in typed_tables(bad_cohort(case, tmp_path / "cohort")):
        assert obeys_codebook(table, typed, spec, booleans) == schema_passes(
            typed, spec, booleans
        ), (case, table.path)


@pytest.mark.parametrize("edit", CELL_EDITS, ids=lambda e: f"{e[1]}={e[3]!r}")
def test_the_shortcut_refuses_each_broken_rule_and_the_schema_names_it(edit, tmp_path):
    from test_validation import SMALL

    from manuscript_engine.data.validation import obeys_codebook

    table_name, column, row, text = edit
    folder = tmp_path / "cohort"
    shutil.copytree(SMALL, folder)
    path = folder / f"{table_name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row, column] = text
    frame.to_csv(path, index=False)
    checked = {t.path: (t, typed, spec, b) for t, typed, spec, b in typed_tables(folder)}
    table, typed, spec, booleans = checked[f"{table_name}.csv"]
    assert not schema_passes(typed, spec, booleans)
    assert not obeys_codebook(table, typed, spec, booleans)
    for other, (t, typed, spec, booleans) in checked.items():
        if other != f"{table_name}.csv":
            assert obeys_codebook(t, typed, spec, booleans)


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n,3\n",  # an empty first cell
        "a,b\n1,2\n\n",  # a blank line at the end
        "a\n1\n\nx\n",  # a blank line inside
        "a,b\n1,2\n,\n3,4\n",  # a row of empty cells
        "a,b\n,\n,\n",  # every row empty
    ],
)
def test_fast_reading_drops_exactly_the_empty_rows(text):
    from manuscript_engine.data.validation import fast_read

    header, frame = fast_read(text)
    lines = text.split("\n")[1:]
    kept = [number for number, line in enumerate(lines, start=2) if line.replace(",", "")]
    assert list(frame.index) == kept
    assert header == text.split("\n")[0].split(",")


def test_distinct_cells_find_blank_and_merge_texts_as_the_frame_holds_them():
    from manuscript_engine.data.validation import DistinctCells

    frame = pd.DataFrame(
        {"vas": ["3", "-9", "", "-9", "99", None]}, index=pd.Index([2, 3, 4, 5, 6, 7])
    )
    cells = DistinctCells(frame, "vas")
    assert (cells.count("-9"), cells.count(""), cells.count("7")) == (2, 1, 0)
    assert cells.lines("-9").tolist() == [3, 5]
    cells.blank("-9")  # merged with the empty cell already there
    assert (cells.count("-9"), cells.count("")) == (0, 3)
    assert cells.lines("").tolist() == [3, 4, 5]
    cells.blank("99")
    assert frame["vas"].tolist()[:5] == ["3", "", "", "", ""] and frame["vas"].isna().iloc[5]
    assert cells.count("") == 4
    with pytest.raises(KeyError, match="holds '-9'"):
        cells.blank("-9")  # blanking a text no row holds would empty the whole column
    with pytest.raises(KeyError):
        cells.lines("absent")
    fresh = DistinctCells(pd.DataFrame({"x": ["a", "-9"]}), "x")
    fresh.blank("-9")  # no empty cell before: the code's slot becomes the empty text
    assert (fresh.count(""), fresh.count("-9"), fresh.lines("").tolist()) == (1, 0, [1])
