# Two entry points from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench completions docs dist clean

RUNTIME_STAMP := $(VENV)/.runtime
# Variables, because a comma inside $(call ...) would split its arguments.
RUNTIME_SPEC := -e '.[all]'
TEST_SPEC := -e '.[test,dist]'

# The venv gets no pip of its own (ensurepip and a pip upgrade cost seconds): the host's pip
# installs into it. A host without pip falls back to ensurepip.
define pip_install
@echo "installing apicli$(2) into $(VENV)"
@if $(PYTHON) -m pip --python $(BIN)/python --version >/dev/null 2>&1; then \
	$(PYTHON) -m pip --python $(BIN)/python install -q $(1); \
else \
	$(BIN)/python -m ensurepip -q && $(BIN)/python -m pip install -q $(1); \
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

test: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/mypy --strict src/apicli
	$(BIN)/python -m pytest

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
	rm -rf $(VENV) dist build .mypy_cache .ruff_cache .pytest_cache
