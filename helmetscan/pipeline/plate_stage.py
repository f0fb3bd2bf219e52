"""The plate stage: keep the regions where a track's plate can be, locate the plate in each, rank the located plates by
quality, read the best ones (source-resolution crops), correct each read to a plate format, and fuse them over the
track."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from helmetscan.config import PlateSettings
from helmetscan.geometry import Box, area, extend_down, pad, shift, union_box
from helmetscan.models.base import Detector, TextRecognizer
from helmetscan.models.plate_recognizer import INPUT_WIDTH
from helmetscan.pipeline.association import pick_plate
from helmetscan.pipeline.plate_reading import CropReader
from helmetscan.pipeline.plate_text import FusedPlate, fuse_reads

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
    frame_size: tuple[int, int] = (0, 0)  # (width, height) of the frame, pixels

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
    return PlateCandidate(area(rider_xyxy), frame_index, image[y1:y2, x1:x2].copy(), (x1, y1), (w, h))


#: Plate width (pixels) from which more width no longer helps reading (our choice: the width our reader sees).
QUALITY_FULL_WIDTH_PX = INPUT_WIDTH

#: Sharpness (variance of the Laplacian of the crop at 64 px height) from which a plate counts as sharp (our choice,
#: not tuned; it only orders a track's plates among themselves).
QUALITY_SHARP = 300.0

#: A plate box within this many pixels of the frame border is cut by the frame (our choice).
EDGE_MARGIN_PX = 2


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of ``crop`` ((h, w, 3) uint8 BGR) resized to 64 px height: higher is sharper."""
    import cv2

    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape
    grey = cv2.resize(grey, (max(1, round(w * 64 / max(1, h))), 64), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def plate_quality(width_px: float, sharpness_value: float, detector_confidence: float) -> float:
    """How good a located plate is for reading, 0..1: width (saturating at :data:`QUALITY_FULL_WIDTH_PX`) times
    sharpness (saturating at :data:`QUALITY_SHARP`) times detector confidence."""
    return (min(1.0, width_px / QUALITY_FULL_WIDTH_PX) * min(1.0, sharpness_value / QUALITY_SHARP)
            * detector_confidence)


def touches_edge(xyxy: Box, frame_size: tuple[int, int]) -> bool:
    """Whether a plate box (frame pixels) touches the border of a ``(width, height)`` frame: the plate may be cut."""
    w, h = frame_size
    if not w or not h:
        return False
    x1, y1, x2, y2 = xyxy
    m = EDGE_MARGIN_PX
    return x1 <= m or y1 <= m or x2 >= w - m or y2 >= h - m


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
class LocatedPlate:
    """A plate found in one frame: ``crop`` (h, w, 3) uint8 BGR at source resolution, ``xyxy`` in frame pixels,
    ``quality`` (:func:`plate_quality`), ``at_edge`` (cut by the frame border: flagged, never read)."""

    frame_index: int
    crop: np.ndarray
    xyxy: Box
    detector_confidence: float
    quality: float
    at_edge: bool


class PlateStage:
    """Locates and reads a track's plate.

    Args:
        detector: plate detector; its boxes whose label is in ``settings.roles.plate`` are plates.
        recognizer: reads a plate crop; one with a ``read_batch(images)`` method reads a track's crops in one run.
        settings: the plates section of the settings.
    """

    def __init__(self, detector: Detector, recognizer: TextRecognizer, settings: PlateSettings):
        self.detector = detector
        self.settings = settings
        self.reader = CropReader(recognizer, settings)
        self._plate_labels = {r.lower() for r in settings.roles.plate}

    def locate(self, candidate: PlateCandidate) -> LocatedPlate | None:
        """The plate in one candidate region, or ``None``."""
        rh, rw = candidate.region.shape[:2]
        plates = [d for d in self.detector(candidate.region) if d.label in self._plate_labels]
        plate = pick_plate(plates, (0, 0, rw, rh))
        if plate is None:
            return None
        px1, py1, px2, py2 = pad(plate.xyxy, 0.0, rw, rh)
        crop = candidate.region[py1:py2, px1:px2]
        if crop.size == 0:
            return None
        xyxy = shift(plate.xyxy, *candidate.offset_xy)
        quality = plate_quality(px2 - px1, sharpness(crop), plate.confidence)
        return LocatedPlate(candidate.frame_index, crop, xyxy, plate.confidence, quality,
                            touches_edge(xyxy, candidate.frame_size))

    def read(self, candidates: PlateCandidates, evidence_frame_index: int | None) -> PlateResult:
        """Locate the plate in every kept region of one track, read the ``max_reads_per_track`` best by quality
        (plates cut by the frame border are never read), correct each read to a format and fuse them
        (:func:`fuse_reads`)."""
        located = [p for p in map(self.locate, candidates.in_frame_order()) if p is not None]
        usable = sorted((p for p in located if not p.at_edge), key=lambda p: -p.quality)
        chosen = usable[: self.settings.max_reads_per_track]
        reads = list(zip(chosen, self.reader.read([p.crop for p in chosen], [p.frame_index for p in chosen])))
        fused = fuse_reads([r.read for _, r in reads], self.reader.formats, self.settings.min_ocr_conf,
                           self.settings.plate_floor(), self.settings.fusion, self.settings.track_floor(),
                           unreported_formats=self.settings.unreported())
        in_evidence = [p for p in located if p.frame_index == evidence_frame_index]
        evidence_xyxy = in_evidence[0].xyxy if in_evidence else None
        if not reads:
            return PlateResult(fused, None, None, evidence_xyxy, 0)
        agreeing = [(p, r) for p, r in reads if r.read.text == fused.text] or reads
        plate, best = max(agreeing, key=lambda pr: (pr[1].read.confidence, pr[0].quality))
        return PlateResult(fused, plate.crop, best.upscaled, evidence_xyxy, len(reads))
