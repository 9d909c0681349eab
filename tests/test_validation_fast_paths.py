"""The fast paths of validation give the answers of the plain, slow ones.

Each shortcut (counting commas with NumPy, searching the raw text for stray spaces,
parsing a whole column of plain numbers at once, matching a pattern over a column) is
compared with the straightforward method on inputs built to catch it out, including
random ones.
"""

from __future__ import annotations

import random
import re

import pandas as pd
import pytest

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
