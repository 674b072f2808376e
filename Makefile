# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test smoke-base bench lint format clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

## run: the main job on the embedded default (a scripted exchange session + benchmark summary)
run: $(STAMP)
	$(BIN)/tickbook demo

## test: lint, then the whole test suite (compiled), then the engine tests without JIT
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest
	NUMBA_DISABLE_JIT=1 $(BIN)/python -m pytest tests/book -x -p no:cacheprovider

## smoke-base: a plain `pip install .` (no extras, no test peers) in its own venv runs what
## the README shows (GARCH, an optimizer, VaR, walk-forward, the tear sheet, a backtest) and
## names the extra to install for what needs one
BASE := .venv-base
smoke-base:
	rm -rf $(BASE)
	$(PY) -m venv $(BASE)
	$(BASE)/bin/pip install -q --upgrade pip
	$(BASE)/bin/pip install -q .
	cd "$$(mktemp -d)" && $(CURDIR)/$(BASE)/bin/python $(CURDIR)/.ci/base_install_smoke.py

## bench: every benchmark side by side with the peers, printing ratios
bench: $(STAMP)
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) $(BASE) .pytest_cache .ruff_cache build *.egg-info
