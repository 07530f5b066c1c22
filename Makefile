# The Limits of Deep Learning: build, test, run and teach the course.
# Every target that needs Python sets up .venv itself (Python 3.11 or newer).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The environment is (re)installed only when what it is installed from changes: the stamp's name
# holds a hash of the contents of requirements.txt, constraints.txt and pyproject.toml, so a file
# whose date changed (a fresh clone, a checkout) does not trigger a reinstall.
REQ_HASH := $(shell cat requirements.txt constraints.txt pyproject.toml 2>/dev/null | \
  $(PYTHON) -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])')
STAMP  := $(VENV)/.installed-$(REQ_HASH)
NOTEBOOKS := intro.ipynb $(shell find chapters -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)
PORT   ?= 8000

.PHONY: help setup book pdf serve test test-unit test-notebooks test-other-cpu test-site lab execute student lint clean

help:
	@echo "make book      build the website into _build/html (from the committed notebook outputs)"
	@echo "make serve     serve the built website on http://127.0.0.1:$(PORT)"
	@echo "make test      the whole test suite: unit tests, nbval on every notebook, site build, browser"
	@echo "make lab       open JupyterLab on the chapters"
	@echo "make execute   re-execute every notebook in place (refreshes the committed outputs)"
	@echo "make pdf       print the whole book to _build/pdf/the-limits-of-deep-learning.pdf (builds the site first)"
	@echo "make student   write the student edition (no outputs, no solutions, starters) to _build/student"

setup: $(STAMP)

$(STAMP):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed*
	@touch $(STAMP)
	@echo "Environment ready in $(VENV)."

book: $(STAMP)
	$(BIN)/jupyter-book build --all --warningiserror --nitpick --keep-going .
	@echo
	@echo "The website is in _build/html. Open _build/html/index.html in a browser, or run 'make serve'."

pdf: book
	$(BIN)/python -m booktools.pdf _build/html _build/pdf/the-limits-of-deep-learning.pdf

serve:
	@test -f _build/html/index.html || { echo "No site yet: run 'make book' first."; exit 1; }
	@echo "Serving the course on http://127.0.0.1:$(PORT) (Ctrl-C to stop)."
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# The whole suite runs inside a network namespace with only loopback (tests/offline.sh), which
# is how tests/test_offline.py proves that no notebook touches the network. Each notebook runs
# on one thread, so the notebooks and unit tests run on TEST_WORKERS processes at once
# (pytest-xdist, --dist loadfile: all cells of a notebook, which share one kernel, and all tests
# of one file go to the same process). The site tests, which share one build, run after them.
# nbval runs in lax mode: it executes every cell (a false claim fails it) but compares exactly
# only the outputs of cells tagged nbval-check-output, which hold what is the same on every CPU
# (tables, shapes, counted FLOPs, analytic results, an exercise check's verdict).
# The notebooks are run twice more: with every reader-edit cell edited (a reader's edit never
# stops Run all: tests/test_reader_edits.py), and as if on another CPU (test-other-cpu: the
# kernels of PyTorch, MKL and oneDNN forced down to an older instruction set, on two threads),
# where every claim must still hold and every compared output must still be the same.
PYTEST_ARGS ?=
TEST_WORKERS ?= 2
NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=300 --nbval-sanitize-with tests/nbval_sanitize.cfg
test: $(STAMP) lint
	tests/offline.sh $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --doctest-modules \
	  dlimits booktools tests/unit tests/test_offline.py tests/test_reader_edits.py tests/test_standalone.py \
	  tests/test_student.py tests/test_teaching.py tests/test_makefile.py tests/test_execute.py tests/test_launch.py \
	  intro.ipynb chapters \
	  $(NBVAL) --durations=25 $(PYTEST_ARGS)
	tests/offline.sh $(BIN)/python -m pytest tests/book --durations=10 $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-other-cpu

# Another CPU, imitated: kernels without AVX (ATen), SSE4.2 (MKL), SSE4.1 (oneDNN), two threads.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are left alone: they change more than the kernels.
OTHER_CPU := ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=SSE4_2 ONEDNN_MAX_CPU_ISA=SSE41 \
  DLIMITS_THREADS=2
test-other-cpu: $(STAMP)
	$(OTHER_CPU) tests/offline.sh $(BIN)/python -m pytest -q tests/test_other_cpu.py intro.ipynb \
	  chapters $(NBVAL) --durations=5 $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(BIN)/python -m pytest --doctest-modules dlimits booktools tests/unit $(PYTEST_ARGS)

test-notebooks: $(STAMP)
	tests/offline.sh $(BIN)/python -m pytest tests/test_offline.py intro.ipynb chapters $(NBVAL) \
	  --durations=0 $(PYTEST_ARGS)

test-site: $(STAMP)
	tests/offline.sh $(BIN)/python -m pytest tests/book $(PYTEST_ARGS)

# jupyterlab-myst (in requirements.txt) renders the text as on the site; no news feed is fetched
lab: $(STAMP)
	$(BIN)/jupyter lab --LabApp.news_url=None chapters

# Runs every code cell and stores, in each markdown cell, the results of its inline expressions
# ({eval}`glued("name:.1f")`), as jupyterlab-myst does when a reader renders the cell.
execute: $(STAMP)
	DLIMITS_STRICT=1 $(BIN)/python -m booktools.execute $(NOTEBOOKS)

# Never installs: on a shared JupyterHub a reinstall would re-point every student's package.
student:
	@test -x $(BIN)/python || { echo "No environment in $(VENV): run 'make setup' first."; exit 1; }
	@rm -rf _build/student
	@$(BIN)/python -m booktools.student _build/student $(NOTEBOOKS)
	@cp -r dlimits assets pyproject.toml requirements.txt constraints.txt _build/student/
	@cp assets/student-README.md _build/student/README.md
	@echo "Student edition written to _build/student: outputs cleared, solutions and hidden"
	@echo "claims removed, a starter and a check in place of each exercise's code solution."

# Python files at 100 columns; notebook code at 80, so that nothing scrolls sideways on the site.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff check --line-length 80 --select E501 intro.ipynb chapters

clean:
	rm -rf _build .pytest_cache
