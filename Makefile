# Two commands for a fresh machine: `make paper` and `make test`.
# Both create .venv from requirements.txt when it is missing or when the pins changed,
# so the environment is set up once and reused (no reinstall on later runs).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.pins-installed
CORES ?= 4

.PHONY: paper test cohort lint clean

paper: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

test: $(STAMP)
	$(BIN)/python -m pytest

## Rebuild the synthetic cohort in data/raw/ and data/RECONCILIATION.md (not part of `paper`).
cohort: $(STAMP)
	$(BIN)/python -m vertebroplasty.reconstruction

lint: $(STAMP)
	$(BIN)/ruff check workflow tests
	$(BIN)/snakefmt --check Snakefile workflow/rules
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
