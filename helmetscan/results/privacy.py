"""Privacy: bystanders' faces and other vehicles' plates blurred in the images people look at.

The lossless ``frame.png`` stays untouched (it is the evidence, hashed as written). The annotated image and the crops
are made from a copy in which every face that is not one of the violating motorcycle's people, and every plate that is
not its plate, is blurred. Faces come from a real face detector (``evidence.face_model``, YOLOv12n trained on WIDER
FACE), plates from the plate detector on the whole frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helmetscan.core.geometry import centre, contains, iou

Box = tuple[float, float, float, float]

#: A face belongs to a kept head when its centre lies in the head box grown by this share of its size on every side
#: (face and head boxes of one person differ in extent: a face box is the face, a head box includes hair or helmet).
KEEP_MARGIN = 0.25
#: A plate box overlapping the violation's own plate box by more than this IoU is that plate (the usual matching IoU).
SAME_PLATE_IOU = 0.3


def _grown(box: Sequence[float], share: float) -> Box:
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * share, (y2 - y1) * share
    return (x1 - dx, y1 - dy, x2 + dx, y2 + dy)


def bystander_boxes(faces: Sequence[Box], plates: Sequence[Box], keep_heads: Sequence[Box],
                    keep_plate: Box | None) -> list[Box]:
    """The boxes to blur (pixels): every face whose centre lies in no kept head (the violating motorcycle's people,
    :data:`KEEP_MARGIN`) and every plate that is not the kept plate (:data:`SAME_PLATE_IOU`)."""
    out = [f for f in faces if not any(contains(_grown(h, KEEP_MARGIN), centre(f)) for h in keep_heads)]
    out += [p for p in plates if keep_plate is None or iou(p, keep_plate) <= SAME_PLATE_IOU]
    return out


def blur_boxes(image: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
    """A copy of ``image`` ((H, W, 3) uint8 BGR) with each box (pixels, clipped to the image) blurred beyond
    recognition: pixelated to 8 × 8 blocks across the box, then smoothed. ``image`` is not modified."""
    import cv2

    out = image.copy()
    h, w = out.shape[:2]
    for box in boxes:
        x1, y1 = max(0, int(box[0])), max(0, int(box[1]))
        x2, y2 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
        if x2 - x1 < 2 or y2 - y1 < 2:
            continue
        region = out[y1:y2, x1:x2]
        small = cv2.resize(region, (8, 8), interpolation=cv2.INTER_AREA)
        blocky = cv2.resize(small, (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)
        k = max(3, (min(x2 - x1, y2 - y1) // 4) | 1)
        out[y1:y2, x1:x2] = cv2.GaussianBlur(blocky, (k, k), 0)
    return out
