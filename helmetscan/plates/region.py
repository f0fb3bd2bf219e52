"""Where a rider's plate is searched and which located plate is kept: the plate region of each frame (rider ∪
motorcycle, extended down), the best regions of a track, the plate box picked in a region, its quality for reading
and whether the frame border cuts it."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from helmetscan.config import PlateSettings
from helmetscan.core.detections import Detection
from helmetscan.core.geometry import Box, area, centre, contains, extend_down, pad, touches_border, union_box
from helmetscan.plates.recognizer import INPUT_WIDTH

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
    return touches_border(xyxy, *frame_size, EDGE_MARGIN_PX)


def pick_plate(plates: list[Detection], region_xyxy: Sequence[float]) -> Detection | None:
    """The plate of a rider's vehicle: among plate boxes whose centre lies in ``region_xyxy`` (the rider/motorcycle
    box extended downwards), the most confident; ``None`` if there is none."""
    inside = [p for p in plates if contains(region_xyxy, centre(p.xyxy))]
    return max(inside, key=lambda p: p.confidence, default=None)
