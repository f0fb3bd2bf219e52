"""YOLO label files and the 4-class target set, shared by the dataset build, ``evaluate`` and ``check-violations``.

One parser reads a YOLO label line (``class cx cy w h``, normalised 0..1); :func:`iter_yolo_file` feeds it to the
strict reader of the dataset build (:func:`helmetscan.tooling.dataset.read_yolo`, which reports every bad line)
and to the lenient readers here (:func:`read_yolo_labels`, :func:`read_yolo_boxes`: bad lines are skipped, an absent
file means no boxes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

#: Class order of the stage-1 dataset and model (the original design): ids 0..3 in every label file we write.
TARGET_CLASSES = ["rider", "without helmet", "with helmet", "number plate"]

#: Image files read from dataset sources and splits: the union of the sets the dataset build (no ``.webp``) and
#: ``evaluate`` (with ``.webp``) used to keep apart; ultralytics reads all five
#: (``ultralytics.data.utils.IMG_FORMATS``).
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})

Box = tuple[float, float, float, float]


class YoloLine(NamedTuple):
    """One parsed label line: class id and box corners ``xyxy`` normalised 0..1 (may lie outside 0..1 when the file
    is wrong; callers check)."""

    class_id: int
    xyxy: Box


def parse_yolo_line(line: str) -> YoloLine | None:
    """Parse ``class cx cy w h`` (class an integer, the rest normalised 0..1) into corners.

    Returns:
        ``None`` for a blank line.

    Raises:
        ValueError: not exactly five fields, a non-integer class or a non-numeric coordinate.
    """
    parts = line.split()
    if not parts:
        return None
    if len(parts) != 5:
        raise ValueError(f"{len(parts)} fields, expected 5")
    cls, (cx, cy, w, h) = int(parts[0]), map(float, parts[1:])
    return YoloLine(cls, (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))


def iter_yolo_file(path: Path) -> Iterator[tuple[int, str, YoloLine | None]]:
    """``(line number 1-based, raw line, parsed line or None when malformed)`` for every non-blank line of a YOLO label
    file.

    Raises:
        OSError: the file cannot be read.
    """
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            parsed = parse_yolo_line(line)
        except ValueError:
            yield n, line, None
            continue
        if parsed is not None:
            yield n, line, parsed


def read_yolo_labels(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Class ids ((M,) int) and boxes ((M, 4) float xyxy, normalised 0..1) of a YOLO label file; an absent or empty
    file means no boxes, malformed lines are skipped."""
    parsed = [p for _, _, p in iter_yolo_file(path) if p is not None] if path.is_file() else []
    classes = np.array([p.class_id for p in parsed], dtype=int)
    boxes = np.array([p.xyxy for p in parsed], dtype=float).reshape(-1, 4)
    return classes, boxes


def read_yolo_boxes(path: Path, width: int, height: int) -> list[tuple[int, Box]]:
    """``(class id, xyxy pixels)`` of a YOLO label file for a ``width`` x ``height`` px frame; an absent file means no
    boxes, malformed lines are skipped."""
    classes, boxes = read_yolo_labels(path)
    scale = np.array([width, height, width, height], dtype=float)
    return [(int(k), tuple(map(float, b * scale))) for k, b in zip(classes, boxes)]
