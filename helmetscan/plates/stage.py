"""The plate stage of a track: locate the plate in each kept region (:mod:`helmetscan.plates.region`), rank the
located plates by quality, read the best ones (source-resolution crops), correct each read to a plate format, and fuse
them over the track."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helmetscan.config import PlateSettings
from helmetscan.core.detections import Detector, TextRecognizer
from helmetscan.core.geometry import Box, pad, shift
from helmetscan.plates.fuse import FusedPlate, fuse_reads
from helmetscan.plates.read import CropReader, probe_box
from helmetscan.plates.region import PlateCandidate, PlateCandidates, pick_plate, plate_quality, sharpness, touches_edge


@dataclass(frozen=True)
class PlateResult:
    """A track's plate after the plate stage.

    ``plate``: the fused text and its support; ``crop`` / ``upscaled``: the plate crop (h, w, 3) uint8 BGR of the most
    confident read agreeing with the fused text, before and after upscaling, ``None`` when no plate was located or
    every read was a fragment of a plate (:class:`~helmetscan.plates.read.CropRead`); ``xyxy_in_evidence_frame``: the
    plate box in frame pixels when a plate was located in the evidence frame (fragment or not), else ``None``;
    ``reads``: plate crops read (each with its fragment probe), fragments included.
    """

    plate: FusedPlate
    crop: np.ndarray | None
    upscaled: np.ndarray | None
    xyxy_in_evidence_frame: Box | None
    reads: int


@dataclass(frozen=True)
class LocatedPlate:
    """A plate found in one frame: ``crop`` (h, w, 3) uint8 BGR at source resolution, ``probe`` the wider crop that
    tells a fragment (:func:`~helmetscan.plates.read.probe_box`), ``xyxy`` in frame pixels, ``quality``
    (:func:`plate_quality`), ``at_edge`` (cut by the frame border: flagged, never read)."""

    frame_index: int
    crop: np.ndarray
    probe: np.ndarray
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
        qx1, qy1, qx2, qy2 = probe_box(plate.xyxy, rw, rh)
        xyxy = shift(plate.xyxy, *candidate.offset_xy)
        quality = plate_quality(px2 - px1, sharpness(crop), plate.confidence)
        return LocatedPlate(candidate.frame_index, crop, candidate.region[qy1:qy2, qx1:qx2], xyxy, plate.confidence,
                            quality, touches_edge(xyxy, candidate.frame_size))

    def read(self, candidates: PlateCandidates, evidence_frame_index: int | None) -> PlateResult:
        """Locate the plate in every kept region of one track, read the ``max_reads_per_track`` best by quality
        (plates cut by the frame border are never read), correct each read to a format and fuse them
        (:func:`fuse_reads`); a read of part of a plate (its fragment probe read more, :class:`CropRead`) never
        votes."""
        located = [p for p in map(self.locate, candidates.in_frame_order()) if p is not None]
        usable = sorted((p for p in located if not p.at_edge), key=lambda p: -p.quality)
        chosen = usable[: self.settings.max_reads_per_track]
        read = self.reader.read([p.crop for p in chosen], [p.frame_index for p in chosen], [p.probe for p in chosen])
        reads = [(p, r) for p, r in zip(chosen, read) if not r.fragment]
        fused = fuse_reads([r.read for _, r in reads], self.reader.formats, self.settings.min_ocr_conf,
                           self.settings.plate_floor(), min_track_confidence=self.settings.track_floor(),
                           unreported_formats=self.settings.unreported())
        in_evidence = [p for p in located if p.frame_index == evidence_frame_index]
        evidence_xyxy = in_evidence[0].xyxy if in_evidence else None
        if not reads:
            return PlateResult(fused, None, None, evidence_xyxy, len(chosen))
        agreeing = [(p, r) for p, r in reads if r.read.text == fused.text] or reads
        plate, best = max(agreeing, key=lambda pr: (pr[1].read.confidence, pr[0].quality))
        return PlateResult(fused, plate.crop, best.upscaled, evidence_xyxy, len(chosen))
