"""Detections between stages, and the YOLO wrapper that produces them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helmetscan.errors import WeightsError
from helmetscan.weights import require, set_offline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Detection:
    """One box. ``xyxy``: pixels in the image the detector saw; ``confidence``: 0..1; ``label``: class name, lower case."""

    xyxy: tuple[float, float, float, float]
    confidence: float
    label: str


@dataclass
class YoloDetector:
    """A YOLO model (``.pt`` or ``.onnx``) run by ultralytics on one image at a time.

    Args:
        path: weight file; must exist (no hub download is ever attempted).
        imgsz: inference size in pixels.
        conf: minimum confidence kept.
        iou: NMS IoU threshold.
        device: torch device string.
        agnostic: class-agnostic NMS (one box per object even when two classes fire on it, e.g. with/without helmet).

    Raises:
        WeightsError: the file is missing or ultralytics cannot load it.
    """

    path: Path
    imgsz: int = 640
    conf: float = 0.25
    iou: float = 0.7
    device: str = "cpu"
    agnostic: bool = False
    names: dict[int, str] = field(init=False)

    def __post_init__(self) -> None:
        set_offline()
        require(self.path)
        from ultralytics import YOLO

        try:
            self._model = YOLO(str(self.path), task="detect")
        except Exception as exc:  # ultralytics raises many types for a bad file
            raise WeightsError(f"{self.path}: cannot be loaded by ultralytics ({exc})") from exc
        self.names = {int(k): str(v) for k, v in self._model.names.items()}
        if self.path.suffix == ".onnx":
            self.imgsz = 640  # the ONNX export is static 640x640 (../shared/README.md)

    def __call__(self, image: np.ndarray) -> list[Detection]:
        """Detect objects in ``image`` ((H, W, 3) uint8 BGR). Boxes are in ``image`` pixels."""
        result = self._model.predict(
            image, imgsz=self.imgsz, conf=self.conf, iou=self.iou, device=self.device, agnostic_nms=self.agnostic,
            verbose=False,
        )[0]
        boxes = result.boxes
        if boxes is None or len(boxes) == 0:
            return []
        xyxy = boxes.xyxy.cpu().numpy().astype(float)
        confs = boxes.conf.cpu().numpy().astype(float)
        classes = boxes.cls.cpu().numpy().astype(int)
        return [
            Detection(xyxy=tuple(map(float, b)), confidence=float(c), label=self.names[k].lower())
            for b, c, k in zip(xyxy, confs, classes)
        ]
