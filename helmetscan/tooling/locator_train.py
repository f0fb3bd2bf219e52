"""Train the head locator on rider crops (:mod:`helmetscan.tooling.locator_crops`) and export it for ONNX Runtime.

The network is ultralytics' YOLOv8n detector with one class, ``head``, fine-tuned from our stage-1 detector
``helmet4n.pt`` (no pretrained detector can be had offline; ours has already learnt heads, at another scale). Crops are
small, so it trains at 160 px on the CPU (:data:`LOCATOR_TRAINING`). Resumable: a run folder holding
``weights/last.pt`` resumes from it (:func:`helmetscan.tooling.train.train`).

    helmetscan locator-crops CROPS [--hold-out SOURCE]
    helmetscan train-locator CROPS RUN [--epochs 20] [--export weights/head_locator.onnx]
"""

from __future__ import annotations

from pathlib import Path

from helmetscan.tooling.paths import WEIGHTS
from helmetscan.tooling.train import TrainSettings, train

#: Training of the shipped locator (weights/HEAD_LOCATOR.md): 160 px (a rider crop's head is 15–60 px there), batch 32,
#: early stop after 8 epochs without a better val fitness, one warm-up epoch, images cached in RAM.
LOCATOR_TRAINING = TrainSettings(epochs=20, imgsz=160, batch=32, patience=8, save_period=1, workers=2, cache="ram",
                                 warmup_epochs=1.0)


def train_locator(crops: Path, run_dir: Path, epochs: int = LOCATOR_TRAINING.epochs,
                  init: Path | None = None) -> Path:
    """Train (or resume) the head locator on ``crops`` (a folder written by ``locator-crops``); return ``best.pt``.

    Raises:
        FileNotFoundError: ``crops`` has no ``data.yaml``, or ``init`` (default ``weights/helmet4n.pt``) is missing.
    """
    from dataclasses import replace

    if not (crops / "data.yaml").is_file():
        raise FileNotFoundError(f"{crops}: no data.yaml (cut the crops with `helmetscan locator-crops`)")
    init = init or WEIGHTS / "helmet4n.pt"
    if not init.is_file():
        raise FileNotFoundError(f"{init}: the starting checkpoint is missing")
    return train(crops / "data.yaml", run_dir, str(init), replace(LOCATOR_TRAINING, epochs=epochs))


def export_locator(best: Path, dst: Path, imgsz: int = LOCATOR_TRAINING.imgsz) -> Path:
    """Export ``best`` (a locator ``.pt``) to ONNX at ``dst`` (:func:`helmetscan.tooling.quantize.export_onnx`) with a
    dynamic input: a tall rider crop runs at 160 × 96 or 160 × 128, not letterboxed to a square.

    Raises:
        FileNotFoundError: ``best`` is missing. WeightsError: ultralytics cannot load it.
    """
    from helmetscan.tooling.quantize import export_onnx

    if not best.is_file():
        raise FileNotFoundError(f"{best}: no locator checkpoint")
    return export_onnx(best, dst, imgsz, dynamic=True)
