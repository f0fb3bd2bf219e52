"""Shared test helpers: where the real data and weights are, and skips with a reason when they are absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FOOTAGE = SHARED / "footage" / "rider_pillion_no_helmet.mp4"
BIKES = ROOT / "sample_videos" / "bikes.mp4"
WEIGHTS = ROOT / "weights"
WEIGHT_FILES = ["yolov8n-coco.onnx", "yolov12m-helmet.pt", "license_plate_detector.pt", "easyocr/english_g2.pth"]


def _missing_weights() -> list[str]:
    return [name for name in WEIGHT_FILES if not (WEIGHTS / name).is_file()]


needs_weights = pytest.mark.skipif(
    bool(_missing_weights()), reason=f"weights missing ({', '.join(_missing_weights())}); run `make weights`"
)
needs_footage = pytest.mark.skipif(not FOOTAGE.is_file(), reason=f"{FOOTAGE} absent (../shared not beside the repo)")
needs_bikes = pytest.mark.skipif(not BIKES.is_file(), reason=f"{BIKES} absent; run `make weights`")


def write_video(path: Path, n_frames: int, fps: float, size=(160, 120), fourcc="mp4v") -> Path:
    """Write a synthetic video whose frame ``i`` shows the number ``i`` as its grey level (i mod 256)."""
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"cannot write {path}"
    for i in range(n_frames):
        writer.write(np.full((size[1], size[0], 3), (i * 5) % 256, np.uint8))
    writer.release()
    return path
