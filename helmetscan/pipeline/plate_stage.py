"""The plate stage: keep the regions where a track's plate can be, then locate, crop, tighten, upscale and read the
plate in each, and fuse the reads over the track."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from helmetscan.config import PlateSettings
from helmetscan.geometry import Box, area, extend_down, pad, shift, union_box
from helmetscan.models.base import Detector, TextRecognizer
from helmetscan.pipeline.association import pick_plate
from helmetscan.pipeline.plate_image import text_band, upscale
from helmetscan.pipeline.plate_text import FusedPlate, PlateRead, fuse_reads, normalise

#: Padding around the rider ∪ motorcycle region kept for plate reading, as a share of its size (our choice: a plate
#: on the box edge stays whole).
REGION_PADDING = 0.05


@dataclass
class PlateCandidate:
    """A region of one frame where a rider's plate can be: ``region`` (h, w, 3) uint8 BGR, cut from the frame at
    ``offset_xy`` (pixels); ``rider_area_px``: area of the rider box in that frame (square pixels), the ranking key."""

    rider_area_px: float
    frame_index: int
    region: np.ndarray
    offset_xy: tuple[int, int]

    def __lt__(self, other: "PlateCandidate") -> bool:  # heap order: smallest rider box first, then the later frame
        return (self.rider_area_px, -self.frame_index) < (other.rider_area_px, -other.frame_index)


@dataclass
class PlateCandidates:
    """The best ``limit`` plate regions of one track, ranked by rider box area (a bounded min-heap)."""

    limit: int
    kept: list[PlateCandidate] = field(default_factory=list)

    def offer(self, candidate: PlateCandidate) -> None:
        """Keep ``candidate`` if fewer than ``limit`` are kept or its rider box is larger than the smallest kept."""
        if len(self.kept) < self.limit:
            heapq.heappush(self.kept, candidate)
        elif self.kept[0] < candidate:
            heapq.heapreplace(self.kept, candidate)

    def in_frame_order(self) -> list[PlateCandidate]:
        """The kept candidates, earliest frame first."""
        return sorted(self.kept, key=lambda c: c.frame_index)


def plate_region(image: np.ndarray, rider_xyxy: Box, motorcycle_xyxy: Box | None, frame_index: int,
                 settings: PlateSettings) -> PlateCandidate:
    """The region of ``image`` ((H, W, 3) uint8 BGR) where this rider's plate can be: rider ∪ motorcycle box, extended
    down by ``below_fraction`` of its height, padded by :data:`REGION_PADDING`; copied, so the frame can be freed."""
    h, w = image.shape[:2]
    box = union_box(rider_xyxy, motorcycle_xyxy) if motorcycle_xyxy else rider_xyxy
    x1, y1, x2, y2 = pad(extend_down(box, settings.below_fraction, h), REGION_PADDING, w, h)
    return PlateCandidate(area(rider_xyxy), frame_index, image[y1:y2, x1:x2].copy(), (x1, y1))


@dataclass(frozen=True)
class PlateResult:
    """A track's plate after the plate stage.

    ``plate``: the fused text and its support; ``crop`` / ``upscaled``: the plate crop (h, w, 3) uint8 BGR of the most
    confident read agreeing with the fused text, before and after upscaling, ``None`` when no plate was located;
    ``xyxy_in_evidence_frame``: the plate box in frame pixels when a plate was located in the evidence frame, else
    ``None``; ``reads``: recogniser runs.
    """

    plate: FusedPlate
    crop: np.ndarray | None
    upscaled: np.ndarray | None
    xyxy_in_evidence_frame: Box | None
    reads: int


@dataclass(frozen=True)
class _LocatedRead:
    read: PlateRead
    crop: np.ndarray
    upscaled: np.ndarray
    xyxy: Box  # frame pixels
    detector_confidence: float


class PlateStage:
    """Locates and reads a track's plate.

    Args:
        detector: plate detector; its boxes whose label is in ``settings.roles.plate`` are plates.
        recognizer: reads an upscaled plate crop.
        settings: the plates section of the settings.
    """

    def __init__(self, detector: Detector, recognizer: TextRecognizer, settings: PlateSettings):
        self.detector = detector
        self.recognizer = recognizer
        self.settings = settings
        self._plate_labels = {r.lower() for r in settings.roles.plate}

    def _locate_and_read(self, candidate: PlateCandidate) -> _LocatedRead | None:
        rh, rw = candidate.region.shape[:2]
        plates = [d for d in self.detector(candidate.region) if d.label in self._plate_labels]
        plate = pick_plate(plates, (0, 0, rw, rh))
        if plate is None:
            return None
        px1, py1, px2, py2 = pad(plate.xyxy, 0.0, rw, rh)
        crop = candidate.region[py1:py2, px1:px2]
        if crop.size == 0:
            return None
        if self.settings.tighten:
            bx1, by1, bx2, by2 = text_band(crop)
            tight = crop[by1:by2, bx1:bx2]
        else:
            tight = crop
        up = upscale(tight, self.settings)
        text, confidence = self.recognizer(up)
        read = PlateRead(normalise(text), float(confidence), candidate.frame_index)
        return _LocatedRead(read, crop, up, shift(plate.xyxy, *candidate.offset_xy), plate.confidence)

    def read(self, candidates: PlateCandidates, evidence_frame_index: int | None) -> PlateResult:
        """Read the plate in every kept region of one track and fuse the reads (:func:`fuse_reads`)."""
        located = [r for r in map(self._locate_and_read, candidates.in_frame_order()) if r is not None]
        fused = fuse_reads([r.read for r in located], self.settings.formats, self.settings.min_ocr_conf)
        if not located:
            return PlateResult(fused, None, None, None, 0)
        agreeing = [r for r in located if r.read.text == fused.text] or located
        best = max(agreeing, key=lambda r: (r.read.confidence, r.detector_confidence))
        in_evidence = [r for r in located if r.read.frame_index == evidence_frame_index]
        return PlateResult(fused, best.crop, best.upscaled, in_evidence[0].xyxy if in_evidence else None, len(located))
