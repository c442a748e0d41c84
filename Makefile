# Two commands do everything:
#   make lab    set up (once) and open the course in JupyterLab
#               (make lab LANG=ko: the Korean edition, in a Korean JupyterLab; LANG=zh: Chinese)
#   make test   set up (once) and run every test and every notebook (what CI runs)
#   make translations  bring translations/ in step with the English notebooks, list what to translate
#   make editions      build ko/ and zh/ from notebooks/ and the catalogs, and run them
#   make colab  rebuild colab/, the single-file Colab edition of every chapter, from notebooks/ and helpers/
#   make screenshots   regenerate docs/screenshots/ from the chapters' own runs (needs chromium)
#   make benchmark     measure the course's speed against the original tutorial (about 13 minutes)

PYTHON ?= python3
VENV   ?= .venv
# TORCH_INDEX=https://download.pytorch.org/whl/cpu installs PyTorch's CPU build (no CUDA libraries)
TORCH_INDEX ?=
# two pytest-xdist workers, each group of tests on one of them (tests/plugins/groups.py: group_of);
# `make test PARALLEL=` runs the tests one after another
PARALLEL ?= -n 2
BIN    := $(VENV)/bin
READY  := $(VENV)/.installed

.PHONY: lab test benchmark data setup clean-runs colab screenshots translations editions

$(READY): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		$(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -r requirements.txt
	touch $(READY)

setup: $(READY)

data: $(READY)
	$(BIN)/python -m coursetools.prepare_data

lab: data
	$(BIN)/python -m coursetools.lab $(if $(filter ko zh,$(LANG)),--language $(LANG))

test: $(READY)
	$(BIN)/python -m coursetools.prepare_data --require
	$(BIN)/ruff check .
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest $(PARALLEL)

colab: $(READY)
	$(BIN)/python -m coursetools.colab

# the Korean and Chinese editions: bring the catalogs in step with the English (and list what
# to translate), then build ko/ and zh/ from them and run each chapter to store its outputs
translations: $(READY)
	$(BIN)/python -m coursetools.editions refresh

editions: data
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m coursetools.editions build

screenshots: data
	$(BIN)/python -m coursetools.screenshots

benchmark: $(READY)
	$(BIN)/python -m coursetools.prepare_data --require
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python benchmarks/benchmark.py

clean-runs:
	rm -rf runs/
