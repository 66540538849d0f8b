# Two commands for a fresh machine (Python >= 3.10 and pip): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: demo test test-all test-slurm lint install clean bench

$(BIN)/lbprun: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $(BIN)/lbprun

install: $(BIN)/lbprun

demo: install
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --cores $(CORES) --profile workflow/profiles/default

test: install
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q -m "not slow and not slurm"

test-all: install
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q

# A real one-node SLURM cluster (Debian's slurm-wlm + munge, installed when missing; needs root).
test-slurm: install
	bash .ci/slurm-setup.sh
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q -m slurm tests/test_slurm.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake --lint

bench: install
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .snakemake results/trials results/cohort results/stats results/figures results/tables results/report results/report.html results/summary.*
