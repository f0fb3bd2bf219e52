"""Plates in still images (``helmetscan plate IMAGE...``): a plate crop is read as it is; a photo or a video frame has
its plates found by the plate detector first, and each is read and judged exactly as ``analyze`` judges one read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helmetscan.config import PlateSettings
from helmetscan.core.geometry import Box, pad
from helmetscan.core.detections import Detector
from helmetscan.plates.read import CropReader, probe_box
from helmetscan.plates.region import touches_edge
from helmetscan.plates.fuse import FusedPlate, fuse_reads

#: Images at most this wide (pixels) are taken for plate crops and read whole (our choice: the real plate crops we
#: labelled are 24–200 px wide, dashcam frames 1280 px and more).
CROP_MAX_WIDTH_PX = 400


@dataclass(frozen=True)
class ImagePlate:
    """One plate in an image: ``plate`` (text or ``unread``, confidence, format), ``xyxy`` its box in image pixels
    (the whole image for a crop), ``detector_confidence`` (1.0 for a crop read whole), ``at_edge`` (the box touches
    the image border: the plate may be cut, and it is reported ``unread``), ``raw_text`` (what the recogniser read),
    ``fragment`` (a probe wider than the box read more: the box holds part of a plate, reported ``unread``;
    :func:`helmetscan.plates.read.is_fragment`)."""

    plate: FusedPlate
    xyxy: Box
    detector_confidence: float
    at_edge: bool
    raw_text: str
    fragment: bool = False


def is_crop(image: np.ndarray) -> bool:
    """Whether ``image`` ((H, W, 3) uint8 BGR) is read as a plate crop (at most :data:`CROP_MAX_WIDTH_PX` wide)."""
    return image.shape[1] <= CROP_MAX_WIDTH_PX


def read_image(image: np.ndarray, detector: Detector | None, reader: CropReader, settings: PlateSettings,
               as_crop: bool | None = None) -> list[ImagePlate]:
    """The plates of one image ((H, W, 3) uint8 BGR), most confident first.

    Args:
        detector: the plate detector (not used for a crop; may be ``None`` then).
        reader: reads the crops.
        settings: the plates section (plate class names, confidence floor).
        as_crop: read the image whole (``True``), find plates first (``False``), or decide by :func:`is_crop`.

    Returns:
        One :class:`ImagePlate` per plate found; empty when a photo holds none.
    """
    h, w = image.shape[:2]
    if as_crop is None:
        as_crop = is_crop(image)
    if as_crop:
        boxes = [((0.0, 0.0, float(w), float(h)), 1.0, False)]
    else:
        labels = {r.lower() for r in settings.roles.plate}
        found = [d for d in detector(image) if d.label in labels]
        boxes = [(d.xyxy, d.confidence, touches_edge(d.xyxy, (w, h))) for d in found]
    crops = []
    for xyxy, _, _ in boxes:
        x1, y1, x2, y2 = pad(xyxy, 0.0, w, h)
        crops.append(image[y1:y2, x1:x2])
    keep = [i for i, c in enumerate(crops) if c.size]
    probes = None  # a crop read whole has nothing around it to probe
    if not as_crop:
        probes = [image[y1:y2, x1:x2] for x1, y1, x2, y2 in (probe_box(boxes[i][0], w, h) for i in keep)]
    reads = reader.read([crops[i] for i in keep], probes=probes)
    plates = []
    for i, crop_read in zip(keep, reads):
        xyxy, confidence, at_edge = boxes[i]
        votes = [] if at_edge or crop_read.fragment else [crop_read.read]
        fused = fuse_reads(votes, reader.formats, 0.0, settings.plate_floor(),  # one read: only the plate floor
                           unreported_formats=settings.unreported())
        plates.append(ImagePlate(fused, tuple(float(v) for v in xyxy), float(confidence), at_edge,
                                 crop_read.raw_text, crop_read.fragment))
    return sorted(plates, key=lambda p: -p.plate.confidence)


def image_json(path, plates: list[ImagePlate]) -> dict:
    """The JSON object ``helmetscan plate --json`` prints for one image: ``file``, the most confident plate's ``text``
    (``unread`` when none), ``confidence`` and ``format``, and ``plates``: every plate with its text, confidence,
    format, box (``xyxy``, image pixels), detector confidence, ``at_edge``, ``fragment``, per-character confidences
    and raw read."""
    best = plates[0].plate if plates else None
    return {
        "file": str(path), "text": best.text if best and best.text else "unread",
        "confidence": round(best.confidence, 4) if best else 0.0, "format": best.format if best else None,
        "plates": [{"text": p.plate.text or "unread", "confidence": round(p.plate.confidence, 4),
                    "format": p.plate.format, "xyxy": [round(v, 1) for v in p.xyxy],
                    "detector_confidence": round(p.detector_confidence, 4), "at_edge": p.at_edge,
                    "fragment": p.fragment,
                    "char_confidences": list(p.plate.char_confidences), "raw_text": p.raw_text}
                   for p in plates],
    }
