"""Plate crops before recognition: tighten the detector's box to the text band, upscale, equalise contrast."""

from __future__ import annotations

import numpy as np

from helmetscan.config import PlateSettings

_INTERPOLATION = {"nearest": 0, "linear": 1, "cubic": 2, "area": 3, "lanczos": 4}  # cv2.INTER_* values


def _longest_run(flags: np.ndarray) -> tuple[int, int]:
    """``(start, stop)`` of the longest run of True in a 1-D bool array (``(0, 0)`` if none)."""
    best, start = (0, 0), None
    for i, flag in enumerate([*flags.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def text_band(crop: np.ndarray) -> tuple[int, int, int, int]:
    """Tighten a plate detector's box to the plate's text: ``(x1, y1, x2, y2)`` in ``crop`` pixels.

    Plate detectors box the plate loosely (lamp, bumper, the plate's border). The recogniser reads such context as
    extra characters ("L" for a border, "9" for a bolt). Measured on dashcam footage of a rider and a pillion: the
    loose box read ``57054172``, the tightened one ``TN05AT7024`` in 10 of 10 frames. Steps (Otsu thresholds):
    rows = the longest run of rows more than half bright (the plate face); columns = from the first to the last column
    that is partly dark in the middle half of those rows (text strokes; all-dark border columns and the outer 4 % are
    ignored), padded by 0.2 of the band height. Returns the whole crop where no band is found.
    """
    import cv2

    h, w = crop.shape[:2]
    whole = (0, 0, w, h)
    if h < 8 or w < 8:
        return whole
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    threshold, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = grey > threshold
    y1, y2 = _longest_run(bright.mean(axis=1) > 0.5)
    if y2 - y1 < max(4, h // 5):
        return whole
    cols = np.flatnonzero(bright[y1:y2].mean(axis=0) > 0.5)
    x1, x2 = int(cols[0]), int(cols[-1]) + 1
    face = grey[y1:y2, x1:x2]
    band_h = y2 - y1
    threshold, _ = cv2.threshold(face, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark_share = (face[band_h // 4 : 3 * band_h // 4] < threshold).mean(axis=0)
    edge = max(1, int(0.04 * dark_share.size))
    dark_share[:edge] = 0
    dark_share[-edge:] = 0
    text_cols = np.flatnonzero((dark_share > 0.1) & (dark_share < 0.8))
    if text_cols.size == 0:
        return (x1, y1, x2, y2)
    pad_x = int(0.2 * band_h)
    return max(x1, x1 + int(text_cols[0]) - pad_x), y1, min(x2, x1 + int(text_cols[-1]) + 1 + pad_x), y2


def upscale(crop: np.ndarray, settings: PlateSettings) -> np.ndarray:
    """Resize a plate crop ((h, w, 3) uint8 BGR) to ``upscale_height_px`` tall, keeping its aspect ratio, then optionally
    equalise contrast (CLAHE on the L channel) and sharpen (unsharp mask). Returns a new (H', W', 3) uint8 BGR image."""
    import cv2

    h, w = crop.shape[:2]
    scale = settings.upscale_height_px / max(1, h)
    out = cv2.resize(crop, (max(1, round(w * scale)), settings.upscale_height_px),
                     interpolation=_INTERPOLATION[settings.interpolation])
    if settings.clahe:
        lab = cv2.cvtColor(out, cv2.COLOR_BGR2LAB)
        lab[:, :, 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(lab[:, :, 0])
        out = cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)
    if settings.sharpen:
        blur = cv2.GaussianBlur(out, (0, 0), 2.0)
        out = cv2.addWeighted(out, 1.5, blur, -0.5, 0)
    return out
