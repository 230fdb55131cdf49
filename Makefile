PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: demo test lint sim screenshots bench test-interop test-otel clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

demo: $(STAMP)  ## launch the dashboard on the embedded simulated cluster
	$(BIN)/oxytui --demo

test: $(TSTAMP)  ## ruff + mypy --strict + the whole pytest suite
	$(BIN)/ruff check oxytui tests benchmarks
	$(BIN)/mypy oxytui
	$(BIN)/python -m pytest -q

lint: $(TSTAMP)
	$(BIN)/ruff check oxytui tests benchmarks
	$(BIN)/ruff format --check oxytui tests benchmarks
	$(BIN)/mypy oxytui

sim: $(STAMP)  ## a standalone 3-node simulated cluster on ports 18080..18082
	$(BIN)/oxytui sim --nodes 3 --port 18080

screenshots: $(TSTAMP)  ## regenerate screenshots/ from the real app
	$(BIN)/python -m tests.support.screenshots screenshots

bench: $(TSTAMP)  ## run the benchmarks (figures go in benchmarks/RESULTS.md by hand)
	$(BIN)/python benchmarks/run_all.py

test-interop: $(TSTAMP)  ## against real OxyGent 1.1.3 in its own venv
	$(BIN)/python -m pytest -q -m interop tests/interop

test-otel: $(TSTAMP)  ## OTLP export into a real Arize Phoenix (own cached venv, ~850 MB; not in make test)
	OXYTUI_TEST_OTEL=1 $(BIN)/python -m pytest -q -rs -m otel tests/otel

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
