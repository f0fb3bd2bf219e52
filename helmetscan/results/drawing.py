"""Drawing on copies of evidence frames (OpenCV only: ultralytics' plotter downloads fonts, which fails offline)."""

from __future__ import annotations

import numpy as np


#: Head box colours (BGR) by verdict: bare yellow, helmeted cyan-blue, unknown grey.
HEAD_COLOURS = {"without_helmet": (0, 255, 255), "with_helmet": (255, 160, 0), "unknown": (160, 160, 160)}


def annotate(frame: np.ndarray, rider_xyxy, heads, plate_xyxy, caption: str) -> np.ndarray:
    """A copy of ``frame`` ((H, W, 3) uint8 BGR) with the motorcycle (red), each head (``[(xyxy, verdict)]``, coloured
    by :data:`HEAD_COLOURS`) and plate (green) boxes and a caption drawn by OpenCV (never ultralytics' plotter, which
    downloads fonts). ``frame`` is not modified."""
    import cv2

    out = frame.copy()
    thickness = max(2, round(min(out.shape[:2]) / 300))
    boxes = [(rider_xyxy, (0, 0, 255)), *((box, HEAD_COLOURS.get(str(v), HEAD_COLOURS["unknown"])) for box, v in heads),
             (plate_xyxy, (0, 200, 0))]
    for box, colour in boxes:
        if box is not None:
            x1, y1, x2, y2 = (int(round(v)) for v in box)
            cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
    scale = max(0.5, min(out.shape[:2]) / 900)
    (tw, th), base = cv2.getTextSize(caption, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    cv2.rectangle(out, (0, 0), (tw + 12, th + base + 12), (0, 0, 0), -1)
    cv2.putText(out, caption, (6, th + 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return out
