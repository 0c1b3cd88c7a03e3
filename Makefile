# coordspec: `make check` model-checks every protocol and runs the Z3 proofs; `make test`
# runs the whole suite.
# Both set up .venv from pyproject.toml first when needed, on a machine with nothing
# installed but python3 (>= 3.11); Debian's graphviz is installed when `dot` is missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := spec model_check proofs impl
COV := $(foreach p,$(PACKAGES),--cov=$(p))

.PHONY: setup system-packages check test lint typecheck pytest bench diagrams clean

setup: $(STAMP)

# Debian's packages, checked on every run and installed when missing (as root; without
# root a warning): graphviz renders the diagrams (only `coordspec diagram --svg` and the
# diagram tests need it); Java runs TLC (../shared/tools/tla2tools.jar) for the
# cross-checks against TLC; Elixir runs the oracle's client (tests/fixtures/elixir/);
# Chromium and its driver run the explorer's browser tests (tests/test_explore_browser.py).
system-packages:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "graphviz (dot) is missing: installing Debian's graphviz"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make: not root: graphviz not installed; check and prove do not need it, diagram --svg says so" >&2; \
	  else apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; fi; }
	@command -v elixir >/dev/null 2>&1 || { \
	  echo "elixir is missing: installing Debian's elixir (the oracle's client in tests/fixtures/elixir/)"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make: not root: the Elixir client tests will be skipped" >&2; \
	  else apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq elixir >/dev/null; fi; }
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { \
	  echo "chromium is missing: installing Debian's chromium and chromium-driver (the explorer's browser tests)"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make: not root: the explorer's browser tests will be skipped" >&2; \
	  else apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; fi; }
	@command -v java >/dev/null 2>&1 || { \
	  echo "java is missing: installing Debian's default-jre-headless (for the TLC cross-checks)"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make: not root: the TLC cross-checks will be skipped" >&2; \
	  else apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; fi; }

$(STAMP): pyproject.toml | system-packages
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "make: coordspec needs Python >= 3.11 as $(PYTHON)" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,cluster]'
	@touch $(STAMP)

check: $(STAMP)
	$(BIN)/coordspec check
	$(BIN)/coordspec prove

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict $(PACKAGES) tests benchmarks

# Two workers (pytest-xdist), one test file each at a time: the suite is CPU-bound and
# these machines have two cores.
pytest: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile $(COV) --cov-report=term --cov-fail-under=95

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_checker.py
	$(BIN)/python benchmarks/bench_impl_pbft.py
	$(BIN)/python benchmarks/bench_impl_voting.py

# The phase machines of the protocols and one counterexample chart per mutant family,
# regenerated from the spec (tests/test_diagrams.py fails when the committed ones are stale).
diagrams: $(STAMP)
	@mkdir -p diagrams
	for p in $$($(BIN)/coordspec list --names); do \
	  $(BIN)/coordspec diagram $$p --out diagrams/$$p.dot --svg || exit 1; done
	$(BIN)/python -m tests.mutants.diagrams diagrams

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .hypothesis
