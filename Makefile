# Two-command quick start: `make demo` and `make test` each set up what they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench reproduce docs setup graphviz clean

setup: $(STAMP) graphviz

# The virtual environment is rebuilt when the package metadata changes.
$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# graphviz's `dot` binary renders svg/png/pdf; install it where we can (root with apt-get).
graphviz:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing graphviz (dot) with apt-get"; \
		apt-get update -qq && apt-get install -y -qq graphviz >/dev/null; \
	elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then \
		sudo apt-get update -qq && sudo apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "warning: graphviz 'dot' not found and cannot be installed here; svg/png/pdf rendering is unavailable (DOT output still works)"; \
	fi

# One BLAS thread: the book's small models run faster so, and much faster on a busy machine.
demo: setup
	OPENBLAS_NUM_THREADS=1 $(PY) -m tinygrad_udl demo

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m benchmarks

# The full-length book experiments (minutes; not in CI): writes reproduce/REPORT.md.
reproduce: setup
	$(PY) -m tinygrad_udl reproduce --out reproduce

# The documentation site (MkDocs Material; the API reference comes from the docstrings): site/index.html.
docs: setup
	$(PY) -m pip install --quiet -e '.[docs]'
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis out
