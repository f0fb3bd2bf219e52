"""Our head classifier: with or without helmet, from a small crop around a head box found by any head locator.

The classifier (``helmet_cls.pt``, :mod:`helmetscan.tooling.head_train`, model card ``weights/HELMET_CLS.md``) sees
a square crop around each head, cut exactly as its training crops were (:func:`square_crop`, also used by
:mod:`helmetscan.tooling.head_crops`), and returns with/without helmet with a probability. The
:class:`~helmetscan.pipeline.helmet_check.HelmetCheck` runs it on every head it attaches to a motorcycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helmetscan.core.errors import WeightsError
from helmetscan.inference.yolo import load_ultralytics


@dataclass(frozen=True)
class CropGeometry:
    """How a head box becomes a classifier input: a square of ``context`` × the box's longer side around its centre,
    resized to ``size`` px. Training and the runtime use these defaults (the shipped classifier was trained with them).
    ``context`` 1.5: enough to see a helmet's rim and the neck, little of a neighbour's head (heads of two people on one
    motorcycle are about one head width apart)."""

    context: float = 1.5
    size: int = 64


def square_crop(image: np.ndarray, xyxy, geometry: CropGeometry = CropGeometry(), shift=(0.0, 0.0),
                scale: float = 1.0) -> np.ndarray:
    """The classifier input for the head at ``xyxy`` (pixels) in ``image`` ((H, W, 3) uint8 BGR): a square around the
    box centre (moved by ``shift`` × side, enlarged by ``scale``), padded with grey where it leaves the image, resized to
    ``geometry.size`` square. Returns (size, size, 3) uint8 BGR."""
    import cv2

    x1, y1, x2, y2 = map(float, xyxy)
    side = max(x2 - x1, y2 - y1, 1.0) * geometry.context * scale
    cx = (x1 + x2) / 2 + shift[0] * side
    cy = (y1 + y2) / 2 + shift[1] * side
    h, w = image.shape[:2]
    a, b = int(round(cx - side / 2)), int(round(cy - side / 2))
    s = max(1, int(round(side)))
    canvas = np.full((s, s, 3), 114, dtype=np.uint8)  # ultralytics' letterbox grey
    sx1, sy1, sx2, sy2 = max(a, 0), max(b, 0), min(a + s, w), min(b + s, h)
    if sx2 > sx1 and sy2 > sy1:
        canvas[sy1 - b:sy2 - b, sx1 - a:sx2 - a] = image[sy1:sy2, sx1:sx2]
    return cv2.resize(canvas, (geometry.size, geometry.size), interpolation=cv2.INTER_LINEAR)


@dataclass
class HeadClassifier:
    """Our with/without-helmet classifier (an ultralytics classification ``.pt``).

    Each crop is judged twice, as it is and mirrored left to right, and the two probabilities are averaged: on the
    val heads of both leave-one-camera-out folds this raised "without helmet" precision at the 0.9 floor from 0.966 and
    0.967 to 0.984 and 0.980 (recall 0.632 → 0.606, 0.663 → 0.627); on the cameras held out, from 0.859 and 0.970 to
    0.918 and 1.0 at the same recall (``weights/HELMET_CLS.md``).

    Args:
        path: weight file (class names ``with_helmet``, ``without_helmet``).
        imgsz: input size in px (the training size, 64).
        device: torch device string.
        mirror: average each crop's probabilities with its mirror image's (see above); ``False``: one pass.

    Raises:
        WeightsError: the file is missing, cannot be loaded, or is not a with/without-helmet classifier.
    """

    path: Path
    imgsz: int = 64
    device: str = "cpu"
    mirror: bool = True
    names: dict[int, str] = field(init=False)

    def __post_init__(self) -> None:
        self._model = load_ultralytics(self.path, "classify")
        self.names = {int(k): str(v).replace("_", " ").lower() for k, v in self._model.names.items()}
        if set(self.names.values()) != {"with helmet", "without helmet"}:
            raise WeightsError(f"{self.path}: classes {sorted(self.names.values())} are not with/without helmet")

    def __call__(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """``(label, probability)`` for each crop ((S, S, 3) uint8 BGR, any S), in order; labels ``with helmet`` or
        ``without helmet``."""
        if not crops:
            return []
        views = crops + [np.ascontiguousarray(c[:, ::-1]) for c in crops] if self.mirror else crops
        results = self._model.predict(views, imgsz=self.imgsz, device=self.device, verbose=False)
        probs = np.stack([r.probs.data.cpu().numpy() for r in results])
        if self.mirror:
            probs = (probs[:len(crops)] + probs[len(crops):]) / 2
        return [(self.names[int(p.argmax())], float(p.max())) for p in probs]
