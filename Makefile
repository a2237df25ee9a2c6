# Seeing and Doing: every set-up step is here, so that `make book` and `make test`
# work on a fresh machine with nothing done by hand.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# pyenv reads .python-version (3.12) and resolves python3.12 to it; any other 3.12 works too.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3 2>/dev/null)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export MPLBACKEND := Agg

.PHONY: help setup graphviz book book-student test lab bench clean

help:
	@echo "make book    build the executed site into _build/html (sets everything up first)"
	@echo "make test    set up, build the book strictly and run every test"
	@echo "make lab     JupyterLab on the notebooks"
	@echo "make bench   performance measurements (benchmarks/)"
	@echo "make clean   remove the build and the virtual environment"

setup: $(STAMP) graphviz

$(STAMP): requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.12 not found: install Python 3.12 (e.g. 'pyenv install 3.12')"; exit 1; }
	@"$(PYTHON)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' || { echo "error: $(PYTHON) is not Python 3.12: install Python 3.12 or run 'make PYTHON=/path/to/python3.12'"; exit 1; }
	@test -x $(PY) || "$(PYTHON)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (Seeing and Doing)" >/dev/null
	@touch $(STAMP)

# Graphviz's `dot` program draws the models' graphs (numpyro.render_model). Binder gets it from apt.txt.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Graphviz (apt-get install graphviz)"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	    echo "installing Graphviz (sudo apt-get install graphviz)"; \
	    sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  fi; \
	  command -v dot >/dev/null 2>&1 || { echo "error: Graphviz's 'dot' program is missing: install Graphviz (apt-get install graphviz, brew install graphviz or https://graphviz.org/download)"; exit 1; }; \
	}

# Strict: any Sphinx warning or failing cell fails the build (nb_execution_raise_on_error in _config.yml).
book: setup
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going

test: setup book
	$(PY) -m pytest

lab: setup
	$(VENV)/bin/python -m pip install --quiet jupyterlab
	$(VENV)/bin/jupyter lab notebooks

bench: setup
	$(PY) benchmarks/sampling.py

clean:
	rm -rf _build $(VENV) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
