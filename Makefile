# Two entry points from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-floors lint typecheck pytest bench completions docs dist clean

RUNTIME_STAMP := $(VENV)/.runtime
# Variables, because a comma inside $(call ...) would split its arguments.
RUNTIME_SPEC := -e '.[all]'
TEST_SPEC := -e '.[test,dist]'

# The venv gets no pip of its own (ensurepip and a pip upgrade cost seconds): the host's pip
# installs into it. A host without pip falls back to ensurepip. $(3): the venv, $(VENV) if empty.
define pip_install
@echo "installing apicli$(2) into $(or $(3),$(VENV))"
@if $(PYTHON) -m pip --python $(or $(3),$(VENV))/bin/python --version >/dev/null 2>&1; then \
	$(PYTHON) -m pip --python $(or $(3),$(VENV))/bin/python install -q $(1); \
else \
	$(or $(3),$(VENV))/bin/python -m ensurepip -q && $(or $(3),$(VENV))/bin/python -m pip install -q $(1); \
fi
endef

$(BIN)/python:
	$(PYTHON) -m venv --without-pip $(VENV)

# What `make demo` needs: apicli and its runtime extras (--schema), no test or packaging tools.
$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(call pip_install,$(RUNTIME_SPEC),)
	touch $(RUNTIME_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(call pip_install,$(TEST_SPEC), with the test and packaging tools)
	touch $(RUNTIME_STAMP) $(STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/python examples/demo.py

# `make test` is these three in order; each can be run alone.
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict src/apicli

pytest: $(STAMP)
	$(BIN)/python -m pytest

# The lowest versions pyproject.toml allows (.ci/floors.py pins each direct dependency to its
# floor), in a venv of their own: a floor the code has outgrown fails here, not in a user's install.
# The venv is rebuilt from scratch when the floors change, so nothing newer is left over.
FLOORS_VENV := .venv-floors
FLOORS_STAMP := $(FLOORS_VENV)/.installed
FLOORS_EXTRAS := all jq schema socks test
FLOORS_SPEC := -c $(FLOORS_VENV)/constraints.txt -e '.[test]'
# Not the whole suite (that doubles CI's time): the tests of the code that depends on what the
# libraries do — compression (urllib3, brotli, zstd), jq and libjq through ctypes, --schema
# (jsonschema), JSON rendering (orjson), help, completion and Typer's parsing, rich's progress
# bar, SOCKS (PySocks), TLS (trustme), HTTPie's item syntax, the demo, floors.py itself, and the
# private internals apicli.compat reaches.
FLOORS_TESTS := \
	tests/faults/test_compression.py tests/unit/test_codings.py \
	tests/unit/test_libjq_stream.py tests/unit/test_jqscan.py tests/unit/test_jq_palette.py \
	tests/unit/test_jq_placement.py tests/unit/test_stream_until.py tests/faults/test_jq_limits.py \
	tests/cli/test_jq_schema.py tests/cli/test_paginate_filters.py \
	tests/unit/test_colorize.py tests/unit/test_fuzz_colorize.py::test_deep_nesting_renders_or_raises_parse_error \
	tests/unit/test_prettystream.py tests/cli/test_help.py tests/process/test_help_screens.py tests/test_completions.py \
	tests/unit/test_download.py tests/process/test_terminal_safety.py::test_download_shows_a_progress_bar_on_a_terminal_only \
	tests/faults/test_socks_proxy.py tests/faults/test_tls.py tests/cli/test_httpie_items.py \
	tests/unit/test_demo.py tests/unit/test_ci_floors.py tests/unit/test_compat.py

$(FLOORS_STAMP): pyproject.toml .ci/floors.py
	rm -rf $(FLOORS_VENV)
	$(PYTHON) -m venv --without-pip $(FLOORS_VENV)
	$(PYTHON) .ci/floors.py pyproject.toml $(FLOORS_EXTRAS) > $(FLOORS_VENV)/constraints.txt
	$(call pip_install,$(FLOORS_SPEC), at its dependencies' floors,$(FLOORS_VENV))
	touch $(FLOORS_STAMP)

test-floors: $(FLOORS_STAMP)
	$(FLOORS_VENV)/bin/python -m pytest $(FLOORS_TESTS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

completions: $(STAMP)
	$(BIN)/python -m apicli.cli.completion_gen completions

# The generated blocks in docs/ (and the man page) from the installed package.
docs: $(STAMP)
	$(BIN)/python -m apicli.cli.docs_gen .

dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check dist/*

clean:
	rm -rf $(VENV) $(FLOORS_VENV) dist build .mypy_cache .ruff_cache .pytest_cache
