"""Reading located plate crops with any recogniser, the same way everywhere (``analyze``, ``helmetscan plate``,
``helmetscan evaluate-plates``): prepare the crop for the recogniser, read, normalise, correct to a plate format."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helmetscan.config import PlateSettings
from helmetscan.core.detections import TextRead, TextRecognizer
from helmetscan.core.plate_formats import correct, normalise
from helmetscan.core.geometry import pad
from helmetscan.plates.crop import text_band, upscale
from helmetscan.plates.fuse import PlateRead


#: The fragment probe: a second crop around a located plate, wider by this share of the plate box's width on the left
#: and the right and of its height above and below. A detector box on part of a plate gives a confident read of that
#: part (the film clip's ``TN.05.AT.7024`` boxed from its ``T``: ``T7024``, 0.65), and the probe then reads more of
#: it (``AT7024``). Our choice, measured on the 487 labelled hcmute plate boxes (cut as ``plate-crops`` cuts them): the
#: probe's read held the box's read and more on 4 of them at (0.10, 0.05), none of the 35 reads over the floor; 8 and
#: 1 at (0.20, 0.10) (``weights/PLATE_READER.md``, *Fragments*).
FRAGMENT_PROBE = (0.10, 0.05)


def probe_box(xyxy, width: int, height: int) -> tuple[int, int, int, int]:
    """The fragment probe of the plate box ``xyxy`` (pixels) in a ``width`` x ``height`` image: grown by
    :data:`FRAGMENT_PROBE`, clipped, as integer slice bounds."""
    return pad(xyxy, FRAGMENT_PROBE[0], width, height, FRAGMENT_PROBE[1])


def is_fragment(text: str, probe_text: str) -> bool:
    """Whether the read ``text`` is a fragment of a plate: the wider probe (:data:`FRAGMENT_PROBE`) read it and more
    (normalised, corrected texts)."""
    return bool(text) and len(probe_text) > len(text) and text in probe_text


@dataclass(frozen=True)
class CropRead:
    """One read crop: ``read`` (corrected text, confidences), ``raw_text`` as the recogniser returned it,
    ``upscaled`` (``upscale_height_px``, w, 3) uint8 BGR, the crop as kept for evidence, and ``fragment``: the fragment probe read more
    than this crop (:func:`is_fragment`), so the read is part of a plate and never votes."""

    read: PlateRead
    raw_text: str
    upscaled: np.ndarray
    fragment: bool = False


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

    def read(self, crops: list[np.ndarray], frame_indices: list[int] | None = None,
             probes: list[np.ndarray] | None = None) -> list[CropRead]:
        """Read ``crops`` (each (h, w, 3) uint8 BGR, a located plate); ``frame_indices`` label the reads (0 if
        omitted). Each read is normalised and corrected to the first accepted format within
        :data:`~helmetscan.core.plate_formats.MAX_CORRECTIONS` confusable swaps. ``probes``: each crop's fragment
        probe (:func:`probe_box`), read in the same run; a read the probe's read holds and exceeds is marked
        ``fragment``."""
        images = list(crops) + list(probes or [])
        prepared = [self._prepare(c) for c in images]
        fed = [f for f, _ in prepared]
        batch = getattr(self.recognizer, "read_batch", None)
        raws = batch(fed) if batch else [self.recognizer(im) for im in fed]
        frame_indices = frame_indices or [0] * len(crops)
        texts = []
        for raw in raws:
            text = normalise(raw.text)
            char_conf = raw.char_confidences if raw.char_confidences and len(raw.char_confidences) == len(text) else None
            texts.append((correct(text, self.formats)[0], char_conf))
        probe_texts = [t for t, _ in texts[len(crops):]] if probes is not None else [""] * len(crops)
        out = []
        for (_, up), raw, (text, char_conf), probe_text, frame_index in zip(prepared, raws, texts, probe_texts,
                                                                             frame_indices):
            out.append(CropRead(PlateRead(text, float(raw.confidence), frame_index, char_conf), raw.text, up,
                                is_fragment(text, probe_text)))
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
