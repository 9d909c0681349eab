"""The reconstruction is deterministic and the committed cohort is what it writes."""

import numpy as np
from conftest import CODEBOOK, PUBLISHED, REPO

from devtools.reconstruction import reconstruct, write_cohort
from manuscript_engine.audit.published import load_published
from manuscript_engine.audit.step_search import reachable_sums, search_values
from manuscript_engine.data.cohort import load_codebook


def test_committed_csvs_equal_two_fresh_reconstructions(tmp_path):
    codebook, entries = load_codebook(CODEBOOK), load_published(PUBLISHED)
    for run in ("first", "second"):
        write_cohort(reconstruct(entries, codebook), codebook, tmp_path / run)
    for spec in codebook["tables"].values():
        committed = (REPO / "data/raw" / spec["file"]).read_bytes()
        assert (tmp_path / "first" / spec["file"]).read_bytes() == committed, spec["file"]
        assert (tmp_path / "second" / spec["file"]).read_bytes() == committed, spec["file"]


def test_search_hits_a_printed_mean_and_sd_exactly():
    rng = np.random.default_rng(0)
    ideal = 7 + rng.normal(0, 1, 70)
    found = search_values(
        ideal,
        low=np.zeros(70),
        high=np.full(70, 10.0),
        step=0.5,
        mean_text="7.09",
        sd_text="0.94",
        rng=rng,
    )
    assert found.mean_reachable and found.sd_reachable
    assert f"{found.values.mean():.2f}" == "7.09"
    assert f"{found.values.std(ddof=1):.2f}" == "0.94"
    assert set(np.unique(found.values * 2 % 1)) == {0.0}


def test_search_respects_pinned_bounds():
    rng = np.random.default_rng(0)
    low, high = np.full(71, 37.0), np.full(71, 76.0)
    high[0], low[1] = 37.0, 76.0
    found = search_values(
        58 + 8 * rng.normal(0, 1, 71),
        low=low,
        high=high,
        step=1,
        mean_text="58.17",
        sd_text="8.70",
        rng=rng,
    )
    assert found.values[0] == 37 and found.values[1] == 76
    assert found.values.min() == 37 and found.values.max() == 76


def test_grim_impossible_mean_is_reported_not_faked():
    # 70 values in steps of 10 cannot average 60.44 (nearest: 60.43 and 60.57).
    assert len(reachable_sums(70, 10, "60.44", 0, 700)) == 0
    rng = np.random.default_rng(0)
    found = search_values(
        np.full(70, 60.0),
        low=np.zeros(70),
        high=np.full(70, 100.0),
        step=10,
        mean_text="60.44",
        sd_text="4.47",
        rng=rng,
    )
    assert not found.mean_reachable
    assert abs(found.values.mean() - 60.44) < 0.1
