"""make numbers and make watch."""

from manuscript_engine.cli.numbers import rows
from manuscript_engine.cli.watch import snapshot

# make paper's reading of Snakemake's output is tested on real output in test_make_paper.py.


def test_make_numbers_filters_by_word_and_shows_text_and_source():
    registry = {
        "scores.vas.m01.p": {"text": "0.009", "source": "table_scores"},
        "stability.p": {"text": "0.007", "source": "table_outcomes"},
    }
    lines = rows(registry, "vas")
    assert len(lines) == 1 and "0.009" in lines[0] and "table_scores" in lines[0]
    assert len(rows(registry, "")) == 2


def test_make_watch_notices_a_changed_template(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "a.md.j2"
    page.write_text("one")
    before = snapshot()
    page.write_text("two")
    import os

    os.utime(page, (1, 1))
    assert snapshot() != before
