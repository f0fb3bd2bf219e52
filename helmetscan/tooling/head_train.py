"""Train the stage-2 head classifier (with / without helmet) on head crops (:mod:`helmetscan.tooling.head_crops`).

The network is ultralytics' YOLOv8n classifier (``yolov8n-cls.yaml``). No pretrained classifier can be had offline, so
its backbone (layers 0–8, identical in the detector and the classifier) starts from our stage-1 detector
``helmet4n.pt``, which has already learnt heads and helmets from the same sources; the classification head starts at
random. Resumable: a run folder holding ``weights/last.pt`` resumes from it.

    helmetscan train-heads CROPS RUN [--epochs 20] [--imgsz 64]
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from helmetscan.weights.registry import set_offline
from helmetscan.tooling.paths import WEIGHTS

#: Augmentation for small head crops. ultralytics' classifier default ``scale`` 0.5 crops as little as half the image
#: area (``RandomResizedCrop``), which can cut a 64 px head crop down to the neck; 0.25 keeps the head. Random erasing
#: (default 0.4) would blank the one thing to classify: 0.1.
AUGMENT = {"scale": 0.25, "erasing": 0.1, "fliplr": 0.5, "hsv_h": 0.015, "hsv_s": 0.5, "hsv_v": 0.4}


def train_head_classifier(crops: Path, run_dir: Path, epochs: int = 20, imgsz: int = 64, batch: int = 64,
                          init: Path | None = None, seed: int = 0, patience: int = 6) -> Path:
    """Train (or resume) the head classifier; return the path of ``best.pt`` (best val top-1 accuracy).

    Args:
        crops: folder with ``train``/``val``/``test`` class folders.
        run_dir: the run folder (ultralytics' ``project/name``).
        epochs: epochs; imgsz: input size in px; batch: images per step.
        init: detector checkpoint whose backbone initialises the network (default ``weights/helmet4n.pt``).
        patience: stop after this many epochs without a better val accuracy. The shipped run (20 epochs, patience 6)
            stopped after epoch 11 with its best at epoch 5; a 30-epoch run without early stopping peaked at the same
            epoch (val accuracy 0.906, later 0.88–0.90 while the train loss kept falling: more epochs overfit).

    Raises:
        FileNotFoundError: ``crops`` has no ``train`` folder, or ``init`` is missing.
    """
    set_offline()
    from ultralytics import YOLO

    if not (crops / "train").is_dir():
        raise FileNotFoundError(f"{crops}: no train folder (build it with `helmetscan head-crops`)")
    last = run_dir / "weights" / "last.pt"
    started = time.time()
    if last.is_file():
        YOLO(str(last)).train(resume=True)
    else:
        init = init or WEIGHTS / "helmet4n.pt"
        if not init.is_file():
            raise FileNotFoundError(f"{init}: the backbone checkpoint is missing")
        model = YOLO("yolov8n-cls.yaml", task="classify").load(str(init))
        model.train(data=str(crops.resolve()), epochs=epochs, imgsz=imgsz, batch=batch, workers=2, device="cpu",
                    project=str(run_dir.parent.resolve()), name=run_dir.name, exist_ok=True, seed=seed, plots=False,
                    warmup_epochs=1, patience=patience, **AUGMENT)
    times = run_dir / "train_time.json"
    sessions = json.loads(times.read_text()) if times.is_file() else []
    sessions.append({"seconds": round(time.time() - started, 1), "epochs": epochs, "imgsz": imgsz})
    times.write_text(json.dumps(sessions, indent=1))
    return run_dir / "weights" / "best.pt"
