"""Plate reading: OpenCV upscaling of a plate crop, EasyOCR recognition, normalisation, format checks, and fusion of
the reads over all frames of a track."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helmetscan.config import PlateSettings
from helmetscan.errors import WeightsError

#: Plate formats, applied to normalised text (no spaces or separators).
#: kr: 12가3456 / 123가4567 (Korean private cars since 2006 / 2019); kr_region: 서울강남가1234 and 서울12가3456 (two-row
#: region plates, read top row first); in: Indian state + district + series + number, e.g. TN05AT7024; generic: 4-10
#: Latin letters and digits with at least one digit.
PLATE_FORMATS: dict[str, re.Pattern[str]] = {
    "kr": re.compile(r"^\d{2,3}[가-힣]\d{4}$"),
    "kr_region": re.compile(r"^[가-힣]{2}(?:[가-힣]{2})?\d{0,2}[가-힣]\d{4}$"),
    "in": re.compile(r"^[A-Z]{2}\d{1,2}[A-Z]{0,3}\d{1,4}$"),
    "generic": re.compile(r"^(?=.*\d)[A-Z0-9]{4,10}$"),
}

_INTERPOLATION = {"nearest": 0, "linear": 1, "cubic": 2, "area": 3, "lanczos": 4}  # cv2.INTER_* values


def normalise(text: str) -> str:
    """Upper-case, keep only Latin letters, digits and Hangul syllables (drops spaces, dots, dashes, OCR noise)."""
    text = unicodedata.normalize("NFC", text).upper()
    return "".join(ch for ch in text if ("A" <= ch <= "Z") or ch.isdigit() and ch.isascii() or "가" <= ch <= "힣")


def plate_format(text: str, formats: list[str]) -> str | None:
    """Name of the first format in ``formats`` that normalised ``text`` matches, else ``None``."""
    return next((name for name in formats if PLATE_FORMATS[name].match(text)), None)


@dataclass(frozen=True)
class PlateRead:
    """One OCR read of a plate: normalised ``text``, recogniser ``confidence`` 0..1, and the frame it came from."""

    text: str
    confidence: float
    frame_index: int


@dataclass(frozen=True)
class FusedPlate:
    """A track's plate after fusing its reads.

    ``text``: fused, normalised plate text ("" when unread); ``status``: ``read`` (matches a format), ``unvalidated``
    (text found but no format matches) or ``unread``; ``format``: the matching format; ``confidence``: weight of the
    reads agreeing exactly with ``text`` over the weight of all voting reads; ``frames_read``: reads that voted;
    ``frames_agreeing``: reads equal to ``text``; ``votes``: summed confidence per distinct read.
    """

    text: str
    status: str
    format: str | None
    confidence: float
    frames_read: int
    frames_agreeing: int
    votes: dict[str, float] = field(default_factory=dict)


def fuse_reads(reads: list[PlateRead], formats: list[str], min_confidence: float = 0.0) -> FusedPlate:
    """Fuse a track's plate reads into one text by confidence-weighted voting.

    Reads below ``min_confidence`` or empty do not vote. If any read matches a plate format, only such reads vote.
    The length with the largest summed confidence is chosen, then each position takes the character with the largest
    summed confidence among reads of that length. If that per-position result matches no format but the single
    best-supported read does, the read wins (a format-valid string beats a stitched one).
    """
    voting = [r for r in reads if r.text and r.confidence >= min_confidence]
    if not voting:
        return FusedPlate("", "unread", None, 0.0, 0, 0, {})
    valid = [r for r in voting if plate_format(r.text, formats)]
    pool = valid or voting
    votes: dict[str, float] = defaultdict(float)
    by_length: dict[int, float] = defaultdict(float)
    for r in pool:
        votes[r.text] += r.confidence
        by_length[len(r.text)] += r.confidence
    length = max(by_length, key=lambda n: (by_length[n], n))
    same_length = [r for r in pool if len(r.text) == length]
    chars = []
    for pos in range(length):
        weight: dict[str, float] = defaultdict(float)
        for r in same_length:
            weight[r.text[pos]] += r.confidence
        chars.append(max(weight, key=lambda c: (weight[c], c)))
    text = "".join(chars)
    top = max(votes, key=lambda t: (votes[t], t))
    if not plate_format(text, formats) and plate_format(top, formats):
        text = top
    fmt = plate_format(text, formats)
    total = sum(votes.values())
    agreeing = [r for r in pool if r.text == text]
    return FusedPlate(
        text=text,
        status="read" if fmt else "unvalidated",
        format=fmt,
        confidence=round(sum(r.confidence for r in agreeing) / total, 4) if total else 0.0,
        frames_read=len(pool),
        frames_agreeing=len(agreeing),
        votes={k: round(v, 4) for k, v in sorted(votes.items(), key=lambda kv: -kv[1])},
    )


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
    extra characters ("L" for a border, "9" for a bolt). Measured on ../shared/footage/rider_pillion_no_helmet.mp4: the
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


class EasyOcrReader:
    """EasyOCR in recognition-only mode on an already located plate crop (no CRAFT text detection).

    Args:
        model_dir: folder holding EasyOCR's ``.pth`` files (``weights/easyocr``); nothing is downloaded.
        languages: EasyOCR language codes.
        allowlist: characters the recogniser may output.
        two_row_max_aspect: crops narrower than this width/height ratio are read as two rows (top half, bottom half).

    Raises:
        WeightsError: a model file for one of ``languages`` is not in ``model_dir``.
    """

    def __init__(self, model_dir: Path, languages: list[str], allowlist: str, two_row_max_aspect: float, gpu=False):
        import warnings

        import easyocr

        self.allowlist = allowlist
        self.two_row_max_aspect = two_row_max_aspect
        try:
            with warnings.catch_warnings():  # torch deprecation noise from EasyOCR's quantised LSTM
                warnings.simplefilter("ignore")
                self._reader = easyocr.Reader(
                    languages, gpu=gpu, model_storage_directory=str(model_dir), download_enabled=False,
                    detector=False, verbose=False,
                )
        except FileNotFoundError as exc:
            raise WeightsError(f"{model_dir}: EasyOCR model for {languages} missing ({exc}); run `make weights`") from None

    def _recognise(self, image: np.ndarray) -> tuple[str, float]:
        import warnings

        with warnings.catch_warnings():  # "pin_memory ... no accelerator" from EasyOCR's DataLoader on CPU
            warnings.simplefilter("ignore")
            results = self._reader.recognize(image, allowlist=self.allowlist, detail=1)
        if not results:
            return "", 0.0
        text = "".join(r[1] for r in results)
        return text, float(min(r[2] for r in results))

    def __call__(self, image: np.ndarray) -> tuple[str, float]:
        """Read ``image`` ((H, W, 3) uint8 BGR, an upscaled plate crop). Returns ``(raw text, confidence 0..1)``."""
        h, w = image.shape[:2]
        if w / max(1, h) >= self.two_row_max_aspect:
            return self._recognise(image)
        top_text, top_conf = self._recognise(image[: h // 2])
        bottom_text, bottom_conf = self._recognise(image[h // 2 :])
        return f"{top_text} {bottom_text}".strip(), min(top_conf, bottom_conf)
