"""Training wrapper around ultralytics: the original design's defaults, a CPU preset, resume after interruption.

Defaults (original design): epochs 100, imgsz 640, batch 16, patience 50, save_period 10. The ``cpu`` preset fits a
2-core machine: imgsz 416, batch 8, workers 2, epochs 30, images cached in RAM, 1 warm-up epoch
(ultralytics' 3 would take most of a short CPU run), no plots (ultralytics' plotting fetches fonts: offline hang,
../shared/README.md). Logs, ``results.csv`` and checkpoints go to the run folder; ``train_time.json`` records the wall
time of every session so ``evaluate`` can report training time.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from helmetscan.core.errors import ConfigError, HelmetscanError
from helmetscan.weights.registry import set_offline


@dataclass(frozen=True)
class TrainSettings:
    """Hyper-parameters passed to ``ultralytics.YOLO.train`` (same names and meanings): ``epochs``, ``patience`` and
    ``save_period`` in epochs, ``imgsz`` in px, ``batch`` in images, ``workers`` data-loader processes, ``device`` a
    torch device, ``cache`` ``False`` / ``"ram"`` / ``"disk"``, ``fraction`` 0..1 of the train split,
    ``warmup_epochs`` in epochs."""

    epochs: int = 100
    imgsz: int = 640
    batch: int = 16
    patience: int = 50
    save_period: int = 10
    workers: int = 4
    device: str = "cpu"
    seed: int = 0
    plots: bool = False
    cache: bool | str = False
    fraction: float = 1.0
    warmup_epochs: float = 3.0


#: Named hyper-parameter sets (``helmetscan train --preset``): the original design's defaults, and the 2-core CPU fit
#: described in the module docstring.
PRESETS = {
    "default": TrainSettings(),
    "cpu": TrainSettings(epochs=30, imgsz=416, batch=8, workers=2, cache="ram", warmup_epochs=1.0),
}


def train(data: Path, run_dir: Path, start: str, settings: TrainSettings) -> Path:
    """Train (or resume) a detector; return the path of ``best.pt``.

    Args:
        data: the dataset's ``data.yaml``.
        run_dir: run folder; if ``run_dir/weights/last.pt`` exists, training resumes from it with its saved arguments.
        start: a ``.pt`` checkpoint to fine-tune, or a model ``.yaml`` (e.g. ``yolov8n.yaml``) to train from scratch.
        settings: hyper-parameters.

    Raises:
        HelmetscanError: ``data`` or a ``.pt`` start file is missing.
    """
    set_offline()
    from ultralytics import YOLO

    last = run_dir / "weights" / "last.pt"
    t0 = time.perf_counter()
    if last.is_file():
        YOLO(str(last)).train(resume=True)
    else:
        if not data.is_file():
            raise HelmetscanError(f"{data}: dataset yaml not found (build one with `helmetscan dataset`)")
        if start.endswith(".pt") and not Path(start).is_file():
            raise HelmetscanError(f"{start}: starting checkpoint not found")
        YOLO(start).train(data=str(data), project=str(run_dir.parent.resolve()), name=run_dir.name, exist_ok=True,
                          verbose=False, **asdict(settings))
    log = run_dir / "train_time.json"
    sessions = json.loads(log.read_text())["sessions_s"] if log.is_file() else []
    sessions.append(round(time.perf_counter() - t0, 1))
    log.write_text(json.dumps({"sessions_s": sessions, "total_s": round(sum(sessions), 1), "start": start}))
    best = run_dir / "weights" / "best.pt"
    return best if best.is_file() else last


def preset(name: str, **overrides) -> TrainSettings:
    """A named preset (:data:`PRESETS`) with the overrides that are not ``None`` applied (same names as
    :class:`TrainSettings`).

    Raises:
        ConfigError: unknown preset name (the message names the valid ones).
    """
    if name not in PRESETS:
        raise ConfigError(f"unknown training preset {name!r} (expected one of: {', '.join(PRESETS)})")
    return replace(PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})
