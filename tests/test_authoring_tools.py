"""make paper's author-facing output, make numbers and make watch."""

from manuscript_engine.cli.build import author_errors, failed_logs
from manuscript_engine.cli.numbers import rows
from manuscript_engine.cli.watch import snapshot

SNAKEMAKE_OUTPUT = """Building DAG of jobs...
[Fri Nov 27 10:09:26 2026]
localrule validate_cohort:
    log: results/logs/validate_cohort.log
ERROR: The cohort data break 1 rule(s) of data/codebook.yaml. Nothing was built.

  - data/raw/visits.csv line 5, column vas: 11 is above the maximum 10.

RuleException:
CalledProcessError in file "workflow/rules/validate.smk", line 19:
Command 'set -euo pipefail; python script.py' returned non-zero exit status 1.
Error in rule validate_cohort:
    log: results/logs/validate_cohort.log (check log file(s) for error details)
Exiting because a job execution failed. Look above for error messages
"""


def test_make_paper_keeps_the_author_message_and_drops_snakemake_noise():
    (error,) = author_errors(SNAKEMAKE_OUTPUT)
    assert "visits.csv line 5, column vas: 11 is above the maximum 10." in error
    assert "CalledProcessError" not in error and "RuleException" not in error
    assert failed_logs(SNAKEMAKE_OUTPUT) == ["results/logs/validate_cohort.log"]


def test_a_config_error_raised_in_the_snakefile_is_kept_without_its_trace():
    output = (
        'ConfigInvalid in file "/repo/Snakefile", line 15:\n'
        "The build settings are not valid:\n"
        "  - config/config.yaml, key 'dat_dir': not a known setting.\n"
        '  File "/repo/Snakefile", line 15, in <module>\n'
    )
    (error,) = author_errors(output)
    assert "key 'dat_dir': not a known setting" in error and "line 15, in" not in error


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
