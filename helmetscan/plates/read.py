"""Reading located plate crops with any recogniser, the same way everywhere (``analyze``, ``helmetscan plate``,
``helmetscan evaluate-plates``): prepare the crop for the recogniser, read, normalise, correct to a plate format."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helmetscan.config import PlateSettings
from helmetscan.core.detections import TextRead, TextRecognizer
from helmetscan.core.plate_formats import correct, normalise
from helmetscan.plates.crop import text_band, upscale
from helmetscan.plates.fuse import PlateRead


@dataclass(frozen=True)
class CropRead:
    """One read crop: ``read`` (corrected text, confidences), ``raw_text`` as the recogniser returned it, and
    ``upscaled`` (h, 64, 3) uint8 BGR, the crop as kept for evidence."""

    read: PlateRead
    raw_text: str
    upscaled: np.ndarray


class CropReader:
    """Reads plate crops with one recogniser.

    EasyOCR and Tesseract get the crop trimmed to its text band (unless ``settings.tighten`` says otherwise) and
    upscaled to ``settings.upscale_height_px``; our reader (``settings.recognizer == "helmetscan"``) gets the loose
    source-resolution crop it was trained on. A recogniser with a ``read_batch(images)`` method reads all crops in one
    run.

    Args:
        recognizer: the recogniser.
        settings: the plates section of the settings (``recognizer`` names the kind of ``recognizer``).
    """

    def __init__(self, recognizer: TextRecognizer, settings: PlateSettings):
        self.recognizer = recognizer
        self.settings = settings
        self.formats = settings.plate_formats()
        ours = settings.recognizer == "helmetscan"
        self._tighten = (not ours) if settings.tighten is None else settings.tighten
        self._feed_upscaled = not ours

    def _prepare(self, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(what the recogniser reads, the upscaled crop kept as evidence)``."""
        if self._tighten:
            bx1, by1, bx2, by2 = text_band(crop)
            crop = crop[by1:by2, bx1:bx2]
        up = upscale(crop, self.settings)
        return (up if self._feed_upscaled else crop), up

    def read(self, crops: list[np.ndarray], frame_indices: list[int] | None = None) -> list[CropRead]:
        """Read ``crops`` (each (h, w, 3) uint8 BGR, a located plate); ``frame_indices`` label the reads (0 if
        omitted). Each read is normalised and corrected to the first accepted format within
        :data:`~helmetscan.core.plate_formats.MAX_CORRECTIONS` confusable swaps."""
        prepared = [self._prepare(c) for c in crops]
        fed = [f for f, _ in prepared]
        batch = getattr(self.recognizer, "read_batch", None)
        raws = batch(fed) if batch else [self.recognizer(im) for im in fed]
        frame_indices = frame_indices or [0] * len(crops)
        out = []
        for (_, up), raw, frame_index in zip(prepared, raws, frame_indices):
            text = normalise(raw.text)
            char_conf = raw.char_confidences if raw.char_confidences and len(raw.char_confidences) == len(text) else None
            text, _ = correct(text, self.formats)
            out.append(CropRead(PlateRead(text, float(raw.confidence), frame_index, char_conf), raw.text, up))
        return out


def read_rows(image: np.ndarray, recognise, two_row_max_aspect: float) -> TextRead:
    """Read ``image`` ((H, W, 3) uint8 BGR, a plate crop) with ``recognise`` (image → :class:`TextRead`) whole, or,
    when narrower than ``two_row_max_aspect`` (width / height), as two rows (top half, bottom half) joined by a
    space, with the lower of the two confidences. For recognisers that read one line of text (EasyOCR, Tesseract)."""
    h, w = image.shape[:2]
    if w / max(1, h) >= two_row_max_aspect:
        return recognise(image)
    top = recognise(image[: h // 2])
    bottom = recognise(image[h // 2 :])
    return TextRead(f"{top.text} {bottom.text}".strip(), min(top.confidence, bottom.confidence))
