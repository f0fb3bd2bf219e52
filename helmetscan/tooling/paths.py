"""Where the model tooling finds what is not installed with the package: it runs from a source checkout.

``REPOSITORY``: the checkout's root (this file is ``helmetscan/tooling/paths.py`` in it); ``WEIGHTS``: our weight files
and model cards; ``LABELS``: the labels and source lists typed or chosen for them (data, not package data);
``SHARED``: the read-only data folder beside the checkout (real footage and labelled sets, ``../shared``).
"""

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
WEIGHTS = REPOSITORY / "weights"
LABELS = WEIGHTS / "labels"
SHARED = REPOSITORY.parent / "shared"
