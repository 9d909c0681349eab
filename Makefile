# Two commands for a fresh machine: `make paper` and `make test`.
# Both create .venv from requirements.txt when it is missing or when the pins changed,
# so the environment is set up once and reused (no reinstall on later runs).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.pins-installed
CORES ?= 4

.PHONY: paper test cohort lint clean numbers watch preview report bench verify audit refs

## Build the manuscript (snakemake --cores 4). VERBOSE=1 shows Snakemake's full output;
## JOURNAL=<name> builds for the profile config/journals/<name>.yaml instead of config's.
paper: $(STAMP)
	$(BIN)/python -m manuscript_engine.cli.build --cores $(CORES) $(if $(VERBOSE),--verbose) $(if $(JOURNAL),--config journal=$(JOURNAL))

test: $(STAMP)
	$(BIN)/python -m pytest

## Recompute every hash the manifest and the build's ledger vouch for; non-zero on a mismatch.
verify: $(STAMP)
	$(BIN)/python -m manuscript_engine.cli.verify

## Rebuild the synthetic cohort in data/raw/ and data/RECONCILIATION.md (not part of `paper`).
cohort: $(STAMP)
	$(BIN)/python -m devtools.make_cohort

## Every number the templates can quote; filter with Q=word (make numbers Q=vas).
numbers: $(STAMP)
	@$(BIN)/python -m manuscript_engine.cli.build --cores $(CORES) results/numbers.json
	@$(BIN)/python -m manuscript_engine.cli.numbers $(Q)

## Audit a paper from its published numbers alone, without data (make audit PUBLISHED=path
## OUT=report.md); the relations file is published_checks.yaml beside it.
PUBLISHED ?= data/published.yaml
audit: $(STAMP)
	@$(BIN)/python -m manuscript_engine.cli.audit_paper $(PUBLISHED) $(if $(OUT),--out $(OUT)) $(if $(RELATIONS),--relations $(RELATIONS))

## Look up the templates' [@doi:...] and [@pmid:...] citations (online) into
## templates/references.json; commit that file. The build itself never goes online.
refs: $(STAMP)
	$(BIN)/python -m manuscript_engine.cli.refs

## Rebuild whenever a template, the config or the data change.
watch: $(STAMP)
	$(BIN)/python -m manuscript_engine.cli.watch

## The manuscript in the browser at http://127.0.0.1:8000/ (PORT=<n> for another port),
## rebuilt on every change and reloaded by itself; a failed build shows its message there.
PORT ?= 8000
preview: $(STAMP)
	$(BIN)/python -m manuscript_engine.cli.preview --port $(PORT) --cores $(CORES)

## Snakemake's own HTML report of the run, with figures and tables: results/report.html
report: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --report results/report.html

## Time the build against this machine's floor (a few minutes); prints a table.
bench: $(STAMP)
	$(BIN)/python -m devtools.benchmark

.PHONY: diff response
## Tracked changes against an earlier version (make diff FROM=submitted-v1; default: the
## latest tag): results/revision/ (DOCX with Word's tracked changes, HTML diff, changed
## numbers, and the response to the reviewers).
diff: $(STAMP)
	@$(BIN)/python -m manuscript_engine.cli.build --cores $(CORES)
	@$(BIN)/python -m manuscript_engine.cli.revision diff $(FROM) --cores $(CORES)

## The response to the reviewers again (templates/response/), without rebuilding the old version.
response: $(STAMP)
	@$(BIN)/python -m manuscript_engine.cli.build --cores $(CORES)
	@$(BIN)/python -m manuscript_engine.cli.revision response

lint: $(STAMP)
	$(BIN)/ruff check workflow tests examples
	$(BIN)/lint-imports
	$(BIN)/snakefmt --check Snakefile workflow/engine.smk workflow/rules examples/gbsg2/Snakefile
	$(BIN)/snakemake --lint

clean:
	rm -rf results .snakemake

# The environment: rebuilt from scratch when requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed; found " + sys.version.split()[0] + ". Set PYTHON=/path/to/python3.11.") if sys.version_info < (3, 11) else None'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	touch $(STAMP)
