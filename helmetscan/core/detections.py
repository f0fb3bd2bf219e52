"""What the pipeline asks of a model: one-method Protocols, and the values they return.

Any callable with the right signature is a model: the YOLO adapter (:mod:`helmetscan.inference.yolo`), the EasyOCR adapter
(:mod:`helmetscan.plates.easyocr_reader`), or a plain function in a test. The pipeline takes them by injection, so an
engine can be swapped without touching a stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np


@dataclass(frozen=True)
class Detection:
    """One box. ``xyxy``: pixels in the image the detector saw; ``confidence``: 0..1; ``label``: class name, lower case."""

    xyxy: tuple[float, float, float, float]
    confidence: float
    label: str


#: Label of a head box the helmet check saw but could not judge (our head classifier below its floor): ``unknown``, never a
#: violation (:func:`helmetscan.pipeline.helmet_check.head_state`).
UNSURE = "unsure"


class TextRead(NamedTuple):
    """What a recogniser read: raw ``text`` (not normalised), its ``confidence`` 0..1 (0 when nothing was read) and,
    where the recogniser gives them, ``char_confidences``: one 0..1 value per character of ``text`` (``None``
    otherwise: EasyOCR and Tesseract report one value per piece)."""

    text: str
    confidence: float
    char_confidences: tuple[float, ...] | None = None


class Detector(Protocol):
    """Finds boxes in one image."""

    def __call__(self, image: np.ndarray) -> list[Detection]:
        """Detect objects in ``image`` ((H, W, 3) uint8 BGR); boxes in ``image`` pixels, labels lower case."""
        ...


class TextRecognizer(Protocol):
    """Reads the text of an image that holds only text (a located, upscaled plate crop)."""

    def __call__(self, image: np.ndarray) -> TextRead:
        """Read ``image`` ((H, W, 3) uint8 BGR)."""
        ...
