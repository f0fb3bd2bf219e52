"""The YOLO adapter: any ultralytics detection model (``.pt`` or ``.onnx``) as a :class:`~helmetscan.models.base.Detector`,
and the one factory that builds it from a stage's settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helmetscan.errors import WeightsError
from helmetscan.models.base import Detection
from helmetscan.models.registry import require, set_offline

log = logging.getLogger(__name__)

#: Input size of the COCO ONNX export we ship: static 640x640 (../shared/README.md, section 1).
ONNX_EXPORT_IMGSZ = 640


def load_ultralytics(path: Path, task: str):
    """An ultralytics ``YOLO`` model from a local weight file, offline, for ``task`` (``detect``, ``classify``).

    Raises:
        WeightsError: the file is missing or ultralytics cannot load it.
    """
    set_offline()
    require(path)
    from ultralytics import YOLO

    try:
        return YOLO(str(path), task=task)
    except Exception as exc:  # ultralytics raises many types for a bad file
        raise WeightsError(f"{path}: cannot be loaded by ultralytics ({exc})") from exc


@dataclass
class YoloDetector:
    """A YOLO model run by ultralytics on one image at a time.

    Args:
        path: weight file; must exist (no hub download is ever attempted).
        imgsz: inference size in pixels.
        conf: minimum confidence kept, 0..1.
        iou: NMS IoU threshold, 0..1.
        device: torch device string.
        agnostic: class-agnostic NMS (one box per object even when two classes fire on it, e.g. with/without helmet).

    Attributes:
        names: class id → class name, as the model file declares them.

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
        self._model = load_ultralytics(self.path, "detect")
        self.names = {int(k): str(v) for k, v in self._model.names.items()}
        if self.path.suffix == ".onnx":
            self.imgsz = ONNX_EXPORT_IMGSZ

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


def build_detector(section, settings, conf: float | None = None) -> YoloDetector:
    """The detector of one stage, from its settings section.

    Args:
        section: a model section of the settings (``settings.detector``, ``settings.verification``,
            ``settings.plates``): weight file, inference size, confidence, NMS IoU, agnostic NMS.
        settings: the run's :class:`~helmetscan.config.Settings` (weights folder, device).
        conf: a confidence floor other than the section's (evaluation and pseudo-labelling score low-confidence boxes).

    Raises:
        WeightsError: the weight file is missing or cannot be loaded.
    """
    return YoloDetector(
        settings.model_path(section.model), section.imgsz, section.conf if conf is None else conf, section.iou,
        settings.device, agnostic=section.agnostic_nms,
    )
