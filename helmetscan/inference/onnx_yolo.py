"""The ONNX Runtime adapter: a YOLOv8-style detection export (``.onnx``) as a
:class:`~helmetscan.core.detections.Detector`, in a session whose thread count we set.

Ultralytics runs ``.onnx`` files too, but in a session with ONNX Runtime's default threads (every core), which fights
the other stages for the cores when stages run side by side (``runtime.pipelined``). Pre- and post-processing are
Ultralytics' own (``LetterBox``, ``non_max_suppression``, ``scale_boxes``), so the boxes are those ``YOLO.predict``
gives for the same file (a test compares them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from helmetscan.core.errors import WeightsError
from helmetscan.core.detections import Detection
from helmetscan.inference.onnx_session import cpu_session


class OnnxYoloDetector:
    """A YOLOv8 detection export run by ONNX Runtime on the CPU.

    A static export (input ``(1, 3, s, s)``) sees each frame letterboxed to ``s`` × ``s``. A dynamic one (exported
    with ``dynamic=True``) sees it as ``YOLO.predict`` does for a ``.pt``: the longer side scaled to ``imgsz`` and the
    other padded only to a multiple of 32 (416 × 256 for 16:9 video at 416), which is less work than a square.

    Args:
        path: the ``.onnx`` file (an Ultralytics export: output ``(1, 4 + classes, N)``, the class names in its
            ``names`` metadata).
        conf: minimum confidence kept, 0..1.
        iou: NMS IoU threshold, 0..1.
        threads: ONNX Runtime intra-op threads.
        agnostic: class-agnostic NMS.
        imgsz: inference size of a dynamic export (px); a static one runs at its own size.

    Attributes:
        names: class id → class name, from the file's metadata.
        imgsz: the inference size (px).

    Raises:
        WeightsError: the file is missing, not an ONNX model, not of a (1, 3, h, w) input, or without ``names``.
    """

    def __init__(self, path: Path, conf: float = 0.25, iou: float = 0.7, threads: int = 1, agnostic: bool = False,
                 imgsz: int = 640):
        if not path.is_file():
            raise WeightsError(f"{path}: weight file missing; fetch it with `helmetscan fetch-weights`")
        self._session = cpu_session(path, threads)
        try:
            meta = self._session.get_modelmeta().custom_metadata_map
            self.names = {int(k): str(v) for k, v in ast.literal_eval(meta["names"]).items()}
        except (KeyError, ValueError, SyntaxError):
            raise WeightsError(f"{path}: no class names in the ONNX metadata; not an Ultralytics export") from None
        shape = self._session.get_inputs()[0].shape
        static = len(shape) == 4 and isinstance(shape[2], int) and isinstance(shape[3], int)
        if len(shape) != 4 or (static and shape[2] != shape[3]):
            raise WeightsError(f"{path}: input shape {shape} is neither a static (1, 3, s, s) nor a dynamic one")
        self.path, self.conf, self.iou, self.agnostic = path, conf, iou, agnostic
        self.imgsz = int(shape[2]) if static else imgsz
        self._input = self._session.get_inputs()[0].name
        from ultralytics.data.augment import LetterBox

        self._letterbox = LetterBox((self.imgsz, self.imgsz), auto=not static, stride=32)

    def __call__(self, image: np.ndarray) -> list[Detection]:
        """Detect objects in ``image`` ((H, W, 3) uint8 BGR). Boxes are in ``image`` pixels."""
        import torch
        from ultralytics.utils.nms import non_max_suppression
        from ultralytics.utils.ops import scale_boxes

        padded = self._letterbox(image=image)
        blob = np.ascontiguousarray(padded[..., ::-1].transpose(2, 0, 1)[None], dtype=np.float32) / 255.0
        output = self._session.run(None, {self._input: blob})[0]
        [found] = non_max_suppression(torch.from_numpy(output), self.conf, self.iou, agnostic=self.agnostic)
        if not len(found):
            return []
        boxes = scale_boxes(padded.shape[:2], found[:, :4], image.shape[:2]).numpy().astype(float)
        return [Detection(xyxy=tuple(map(float, b)), confidence=float(c), label=self.names[int(k)].lower())
                for b, c, k in zip(boxes, found[:, 4].numpy(), found[:, 5].numpy())]
