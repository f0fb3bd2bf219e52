"""The evidence stage: a video's findings become violation records and evidence folders.

Per finding, in order: its record (:func:`~helmetscan.results.assemble.violation_record`, with the local time and place
the caller gives for its evidence frame); the bystanders' faces and other vehicles' plates blurred in a copy of the
evidence frame (:mod:`helmetscan.results.privacy`; ``frame.png`` stays untouched); the evidence images; the clip
excerpt copied from the original (:mod:`helmetscan.results.excerpt`); the folder written with its SHA-256s
(:func:`~helmetscan.results.evidence.write_violation`). Then the video's record.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from helmetscan.config import Settings
from helmetscan.core.detections import Detector
from helmetscan.core.messages import NO_EXCERPT
from helmetscan.pipeline.analyzer import VideoAnalysis
from helmetscan.pipeline.timing import StageTimer
from helmetscan.results.assemble import evidence_images, video_record, violation_record
from helmetscan.results.evidence import excerpt_name, write_violation
from helmetscan.results.records import ExcerptRecord, Place, RecordingInfo, VideoRecord, ViolationRecord

#: ``timestamp_s`` (seconds from the start of the video) → the local time of that moment (ISO 8601 with its offset)
#: and where the vehicle was then; ``(None, None)`` when the recording start is unknown.
Placer = Callable[[float], tuple[str | None, Place | None]]


def no_place(timestamp_s: float) -> tuple[str | None, Place | None]:
    """A :data:`Placer` for footage of unknown time and place."""
    return None, None


class EvidenceStage:
    """Writes the evidence of one video's findings.

    Args:
        settings: the run's settings (``evidence``, the plate class names, the crop padding, and the settings every
            record carries).
        model_sha256: weight file name → SHA-256 of the run's models, for the records.
        face_detector: finds faces on a whole evidence frame for the privacy blur; ``None``: no blur
            (``evidence.privacy_blur`` off).
        plate_detector: finds plates on a whole evidence frame (other vehicles' plates are blurred).
    """

    def __init__(self, settings: Settings, model_sha256: dict[str, str], face_detector: Detector | None = None,
                 plate_detector: Detector | None = None):
        self.settings = settings
        self.model_sha256 = model_sha256
        self.face_detector = face_detector
        self.plate_detector = plate_detector
        self._plate_labels = {r.lower() for r in settings.plates.roles.plate}

    def blur_bystanders(self, frame: np.ndarray, record: ViolationRecord) -> tuple[np.ndarray, int]:
        """A copy of ``frame`` ((H, W, 3) uint8 BGR) with the faces not of the motorcycle's people and the plates
        other than its plate blurred, and the number of regions blurred."""
        from helmetscan.results.privacy import blur_boxes, bystander_boxes

        faces = [d.xyxy for d in self.face_detector(frame)]
        plates = [d.xyxy for d in self.plate_detector(frame) if d.label in self._plate_labels]
        keep = [p.head_xyxy for p in record.people if p.head_xyxy] + ([record.head_xyxy] if record.head_xyxy else [])
        boxes = bystander_boxes(faces, plates, keep, record.plate_xyxy)
        return blur_boxes(frame, boxes), len(boxes)

    def excerpt(self, source: Path, folder: Path, record: ViolationRecord, warnings: list[str]):
        """Cut the clip excerpt of one violation from ``source`` beside its folder (``write_violation`` moves it in);
        ``None``, with a line in ``warnings``, when it cannot be cut."""
        from helmetscan.results.excerpt import ExcerptError, cut_excerpt, excerpt_suffix

        e = self.settings.evidence
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / f".{record.violation_id}.excerpt{excerpt_suffix(source)}"
        try:
            return cut_excerpt(source, dest, record.timestamp_s - e.excerpt_before_s,
                               record.timestamp_s + e.excerpt_after_s)
        except ExcerptError as exc:
            warnings.append(NO_EXCERPT % {"violation": record.violation_id, "reason": exc})
            return None

    def write(self, folder: Path, video_key: str, source: Path, source_sha256: str, analysis: VideoAnalysis,
              timer: StageTimer, recording: RecordingInfo, place_of: Placer = no_place,
              gps_source: str | None = None) -> tuple[VideoRecord, list[ViolationRecord]]:
        """Write every finding of ``analysis`` into ``folder / <violation id>`` and return the video's record and the
        violations' records.

        Args:
            folder: the video's results folder (being assembled; the caller renames it into place).
            video_key: the video's key (``<stem>-<SHA-256, 10 hex>``), the prefix of its violation IDs.
            source: the video file, for the excerpts.
            source_sha256: its SHA-256 (hex).
            analysis: what the analyzer found.
            timer: the video's stage timer (seconds and rates go into the record).
            recording: the recording start, channel and vehicle.
            place_of: the local time and place of a moment of the video.
            gps_source: where the video's GPS track came from (``None``: it has none).

        Raises:
            OSError: the evidence cannot be written.
        """
        s = self.settings
        violations, evidence_sha256 = [], {}
        for finding in analysis.findings:
            when, place = place_of(finding.decision.best.timestamp_s)
            record = violation_record(finding, video_key, analysis.info, source_sha256, s, self.model_sha256, when,
                                      recording, place)
            shown = None
            if self.face_detector is not None:
                shown, blurred = self.blur_bystanders(finding.evidence_frame, record)
                record = record.model_copy(update={"bystanders_blurred": blurred})
            images = evidence_images(finding, record, s.verification.crop_padding, shown)
            excerpt = self.excerpt(source, folder, record, analysis.warnings) if s.evidence.excerpt else None
            if excerpt is not None:
                record = record.model_copy(update={"excerpt": ExcerptRecord(
                    file=excerpt_name(excerpt.path), start_s=excerpt.start_s, end_s=excerpt.end_s)})
            record, hashes = write_violation(folder / record.violation_id, images, record, s.evidence.png_compression,
                                             s.evidence.jpeg_quality, excerpt.path if excerpt else None)
            evidence_sha256.update({f"{record.evidence_dir}/{name}": digest for name, digest in hashes.items()})
            violations.append(record)
        video = video_record(video_key, str(source), analysis, source_sha256, violations, timer.rounded_seconds(),
                             timer.rates(), evidence_sha256, gps_source)
        return video, violations
