"""The audit's selection cache keeps each column once per group of patients."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt

from manuscript_engine.audit.published import select


def patients() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "arm": ["A", "B", "A", "B", "A"],
            "outcome": [True, True, False, True, True],
            "sex": ["F", "M", "F", "F", "M"],
            "age": [50.0, 61.0, 70.0, None, 44.0],
            "vas_m01": [3.0, 4.5, 2.0, 1.0, None],
        },
        index=pd.Index(["P1", "P2", "P3", "P4", "P5"], name="patient_id"),
    )


def test_selection_has_the_rows_and_columns_of_a_direct_filter():
    frame, cache = patients(), {}
    of = {"pop": "outcome", "arm": "A", "var": "vas", "visit": "m01", "among": {"sex": "F"}}
    got = select(frame, frame, of, cache)
    wanted = (frame["outcome"]) & (frame["arm"] == "A") & (frame["sex"] == "F")
    pdt.assert_frame_equal(got, frame.loc[wanted, ["arm", "outcome", "sex", "vas_m01"]])


def test_each_column_is_taken_once_per_group_whatever_it_is_asked_with():
    frame, cache = patients(), {}
    for var in ("age", "vas", "age"):
        of = {"pop": "outcome", "var": var} | ({"visit": "m01"} if var == "vas" else {})
        select(frame, frame, of, cache)
    select(frame, frame, {"pop": "outcome", "arm": "B", "var": "age"}, cache)
    columns = sorted((key[0][3], key[1]) for key in cache if len(key) == 2)
    assert columns == [
        ("B", "age"),
        ("B", "arm"),
        ("B", "outcome"),
        ("both", "age"),
        ("both", "arm"),
        ("both", "outcome"),
        ("both", "vas_m01"),
    ]
