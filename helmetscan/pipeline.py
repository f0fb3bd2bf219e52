"""Composes the stages for one video: sampling → stage 1 → rider rule → tracking → stage 2 → decision → plates →
evidence. Writes results as soon as a video is done, so nothing already written is lost when a later video fails."""

from __future__ import annotations

import heapq
import logging
import re
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helmetscan import __version__
from helmetscan.association import pick_plate
from helmetscan.config import Settings
from helmetscan.decision import TrackDecision, decide
from helmetscan.detection import Detection, YoloDetector
from helmetscan.errors import HelmetscanError
from helmetscan.evidence import (
    VIDEO_JSON, EvidenceImages, annotate, load_results, write_json, write_sha256sums, write_violation,
)
from helmetscan.geometry import area, extend_down, pad, shift, union_box
from helmetscan.plates import EasyOcrReader, FusedPlate, PlateRead, fuse_reads, normalise, text_band, upscale
from helmetscan.riders import find_riders
from helmetscan.tracking import RiderTracker
from helmetscan.verification import FrameVerdict, HeadState, Verifier, is_settled
from helmetscan.video import DecodeStats, VideoInfo, iter_sampled_frames, open_video
from helmetscan.weights import sha256_file

log = logging.getLogger(__name__)

#: progress(frames_done, frames_expected) — called once per sampled frame.
ProgressFn = Callable[[int, int], None]


@dataclass
class _PlateCandidate:
    """A rider/motorcycle region crop kept for plate reading: (H, W, 3) uint8 BGR, plus where it sat in the frame."""

    rider_area_px: float
    frame_index: int
    region: np.ndarray
    offset_xy: tuple[int, int]

    def __lt__(self, other: "_PlateCandidate") -> bool:  # heap order: smallest rider box first
        return (self.rider_area_px, -self.frame_index) < (other.rider_area_px, -other.frame_index)


@dataclass
class _Track:
    track_id: int
    verdicts: list[FrameVerdict] = field(default_factory=list)
    frames_seen: int = 0
    best_frame: np.ndarray | None = None
    best_verdict: FrameVerdict | None = None
    plate_candidates: list[_PlateCandidate] = field(default_factory=list)


@dataclass
class VideoResult:
    """Summary of one analysed video (also stored as ``video.json``)."""

    video_key: str
    source_path: str
    status: str  # "done" or "failed"
    error: str | None = None
    info: dict[str, Any] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    timing_s: dict[str, float] = field(default_factory=dict)
    stage_fps: dict[str, float] = field(default_factory=dict)
    evidence_sha256: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)


class Analyzer:
    """Analyses videos with one set of models; the models are loaded once and reused for every video.

    Args:
        settings: the run's settings.
        detector, verifier_detector, plate_detector: callables ``(image (H, W, 3) uint8 BGR) -> list[Detection]``;
            default: YOLO models from ``settings`` (injected fakes in tests).
        ocr: callable ``(image) -> (text, confidence)``; default: EasyOCR recognition-only.

    Raises:
        WeightsError: a default model's weight file is missing or unloadable.
    """

    def __init__(self, settings: Settings, detector=None, verifier_detector=None, plate_detector=None, ocr=None):
        self.settings = settings
        s = settings
        self.detector = detector or YoloDetector(
            s.model_path(s.detector.model), s.detector.imgsz, s.detector.conf, s.detector.iou, s.device
        )
        verifier_detector = verifier_detector or YoloDetector(
            s.model_path(s.verification.model), s.verification.imgsz, s.verification.conf, 0.5, s.device, agnostic=True
        )
        self.verifier = Verifier(verifier_detector, s.verification)
        self.plate_detector = plate_detector or YoloDetector(
            s.model_path(s.plates.model), s.plates.imgsz, s.plates.conf, 0.5, s.device
        )
        self.ocr = ocr or EasyOcrReader(
            s.model_path("easyocr/english_g2.pth").parent, s.plates.ocr_languages, s.plates.allowlist,
            s.plates.two_row_max_aspect, gpu=s.device.startswith("cuda"),
        )
        self.model_hashes = {}
        for name in (s.detector.model, s.verification.model, s.plates.model):
            path = s.model_path(name)
            self.model_hashes[path.name] = sha256_file(path) if path.is_file() else None

    # ---- one video -------------------------------------------------------------------------------------------------

    def analyze_video(self, path: Path, out: Path, video_key: str, progress: ProgressFn | None = None) -> VideoResult:
        """Analyse one video and write its results under ``out / video_key``.

        Expected faults (unreadable video, a failed frame) never raise: a failed video returns ``status="failed"``
        with a one-line ``error``; its ``video.json`` is still written.
        """
        folder = out / video_key
        if folder.exists():
            shutil.rmtree(folder)  # re-analysing a video replaces its previous results
        folder.mkdir(parents=True)
        result = VideoResult(video_key=video_key, source_path=str(path), status="done")
        try:
            self._run(path, out, folder, result, progress)
        except HelmetscanError as exc:
            result.status, result.error = "failed", str(exc)
        except Exception as exc:  # an unexpected decoder/model fault must not stop the batch
            log.exception("%s: unexpected error", path)
            result.status, result.error = "failed", f"{path}: unexpected error: {type(exc).__name__}: {exc}"
        write_json(folder / VIDEO_JSON, _video_json(result))
        return result

    def _run(self, path: Path, out: Path, folder: Path, result: VideoResult, progress: ProgressFn | None) -> None:
        s = self.settings
        cap, info = open_video(path)
        cap.release()
        result.info = {
            "path": str(path), "fps": info.fps, "frame_count": info.frame_count, "duration_s": round(info.duration_s, 3),
            "width": info.width, "height": info.height,
        }
        t0 = time.perf_counter()
        source_sha = sha256_file(path)
        timing = defaultdict(float)
        timing["hash"] = time.perf_counter() - t0
        expected = max(1, int(info.duration_s * s.sampling.fps) + 1) if info.duration_s > 0 else 0
        tracker = RiderTracker(s.tracking, s.sampling.fps)
        tracks: dict[int, _Track] = {}
        stats = DecodeStats()
        calls = defaultdict(int)
        frames = iter_sampled_frames(path, s.sampling.fps, stats)
        while True:
            t = time.perf_counter()
            sampled = next(frames, None)
            timing["decode"] += time.perf_counter() - t
            if sampled is None:
                break
            image = sampled.image
            t = time.perf_counter()
            detections = self.detector(image)
            timing["stage1"] += time.perf_counter() - t
            calls["stage1"] += 1
            t = time.perf_counter()
            riders = find_riders(detections, s.detector.roles, s.riders)
            tracked = tracker.update(riders, image.shape[:2])
            timing["tracking"] += time.perf_counter() - t
            calls["tracking"] += 1
            for tr in tracked:
                track = tracks.setdefault(tr.track_id, _Track(tr.track_id))
                track.frames_seen += 1
                rider = tr.rider
                if not is_settled(track.verdicts, s.verification):
                    t = time.perf_counter()
                    verdict = self.verifier.verify(
                        image, rider.xyxy, rider.confidence, sampled.frame_index, sampled.timestamp_s
                    )
                    timing["stage2"] += time.perf_counter() - t
                    calls["stage2"] += 1
                    track.verdicts.append(verdict)
                    if verdict.state is HeadState.WITHOUT_HELMET and (
                        track.best_verdict is None or verdict.confidence > track.best_verdict.confidence
                    ):
                        track.best_verdict, track.best_frame = verdict, image.copy()
                self._keep_plate_candidate(track, image, rider.xyxy, rider.motorcycle_xyxy, sampled.frame_index)
            if progress:
                progress(stats.frames_sampled, max(expected, stats.frames_sampled))
        decisions = [decide(t.track_id, t.verdicts, s.decision) for t in sorted(tracks.values(), key=lambda t: t.track_id)]
        evidence_sha: dict[str, str] = {}
        for decision in decisions:
            if not decision.violation:
                continue
            t = time.perf_counter()
            plate, plate_crop, plate_up, plate_xyxy, n_reads = self._read_plate(tracks[decision.track_id])
            timing["plates"] += time.perf_counter() - t
            calls["plates"] += n_reads
            record, hashes = self._write_evidence(
                folder, result.video_key, path, source_sha, info, tracks[decision.track_id], decision, plate,
                plate_crop, plate_up, plate_xyxy,
            )
            for name, digest in hashes.items():
                evidence_sha[f"{result.video_key}/{record['violation_id']}/{name}"] = digest
            result.violations.append(record)
        if info.frame_count and stats.frames_decoded < info.frame_count:
            result.warnings.append(
                f"decoded {stats.frames_decoded} of {info.frame_count} frames the container declares"
            )
        result.info["sha256"] = source_sha
        result.info["frames_decoded"] = stats.frames_decoded
        result.info["decoded_duration_s"] = round(stats.frames_decoded / info.fps, 3) if info.fps else None
        result.counts = {
            "frames_decoded": stats.frames_decoded,
            "frames_sampled": stats.frames_sampled,
            "riders_tracked": len(tracks),
            "stage2_checks": calls["stage2"],
            "violations": len(result.violations),
            "plates_read": sum(v["plate"]["status"] == "read" for v in result.violations),
        }
        result.timing_s = {k: round(v, 3) for k, v in timing.items()}
        result.stage_fps = {stage: round(calls[stage] / timing[stage], 2) for stage in calls if timing[stage] > 0}
        result.stage_fps["decode"] = round(stats.frames_decoded / timing["decode"], 2) if timing["decode"] else 0.0
        result.evidence_sha256 = evidence_sha

    def _keep_plate_candidate(self, track: _Track, image: np.ndarray, rider_xyxy, motorcycle_xyxy, frame_index: int):
        """Keep the region where this rider's plate can be (rider ∪ motorcycle, extended down) from the frames with the
        largest rider boxes, at most ``plates.max_frames_per_track`` per track."""
        s = self.settings.plates
        h, w = image.shape[:2]
        box = union_box(rider_xyxy, motorcycle_xyxy) if motorcycle_xyxy else rider_xyxy
        x1, y1, x2, y2 = pad(extend_down(box, s.below_fraction, h), 0.05, w, h)
        candidate = _PlateCandidate(area(rider_xyxy), frame_index, image[y1:y2, x1:x2].copy(), (x1, y1))
        if len(track.plate_candidates) < s.max_frames_per_track:
            heapq.heappush(track.plate_candidates, candidate)
        elif track.plate_candidates[0] < candidate:
            heapq.heapreplace(track.plate_candidates, candidate)

    def _read_plate(self, track: _Track):
        """Detect, tighten, upscale and read the plate in every kept region of ``track``; fuse the reads.

        Returns:
            (FusedPlate, best plate crop or None, its upscaled version or None, its box in frame pixels (only when it
            comes from the evidence frame) or None, number of OCR reads run).
        """
        s = self.settings.plates
        reads: list[PlateRead] = []
        crops: list[tuple[PlateRead, np.ndarray, np.ndarray, tuple[float, ...], int, float]] = []
        for cand in sorted(track.plate_candidates, key=lambda c: c.frame_index):
            rh, rw = cand.region.shape[:2]
            plate = pick_plate(self.plate_detector(cand.region), (0, 0, rw, rh))
            if plate is None:
                continue
            px1, py1, px2, py2 = pad(plate.xyxy, 0.0, rw, rh)
            crop = cand.region[py1:py2, px1:px2]
            if crop.size == 0:
                continue
            if s.tighten:
                bx1, by1, bx2, by2 = text_band(crop)
                tight = crop[by1:by2, bx1:bx2]
            else:
                tight = crop
            up = upscale(tight, s)
            raw_text, confidence = self.ocr(up)
            read = PlateRead(normalise(raw_text), float(confidence), cand.frame_index)
            reads.append(read)
            crops.append((read, crop, up, shift(plate.xyxy, *cand.offset_xy), cand.frame_index, plate.confidence))
        fused = fuse_reads(reads, s.formats, s.min_ocr_conf)
        if not crops:
            return fused, None, None, None, 0
        agreeing = [c for c in crops if c[0].text == fused.text] or crops
        best = max(agreeing, key=lambda c: (c[0].confidence, c[5]))
        evidence_frame = track.best_verdict.frame_index if track.best_verdict else -1
        same_frame = [c for c in crops if c[4] == evidence_frame]
        plate_xyxy = same_frame[0][3] if same_frame else None
        return fused, best[1], best[2], plate_xyxy, len(reads)

    def _write_evidence(self, folder, video_key, path, source_sha, info: VideoInfo, track: _Track,
                        decision: TrackDecision, plate: FusedPlate, plate_crop, plate_up, plate_xyxy):
        s = self.settings
        best = decision.best
        violation_id = f"{video_key}_t{decision.track_id:04d}"
        frame = track.best_frame
        fh, fw = frame.shape[:2]
        rx1, ry1, rx2, ry2 = pad(best.rider_xyxy, s.verification.crop_padding, fw, fh)
        caption = f"NO HELMET  t={best.timestamp_s:.2f}s  track {decision.track_id}  plate {plate.text or 'unread'}"
        images = EvidenceImages(
            frame=frame,
            annotated=annotate(frame, best.rider_xyxy, best.head_xyxy, plate_xyxy, caption),
            rider=frame[ry1:ry2, rx1:rx2],
            plate=plate_crop,
            plate_upscaled=plate_up,
        )
        record = {
            "violation_id": violation_id,
            "video_key": video_key,
            "evidence_dir": f"{video_key}/{violation_id}",
            "source": {"path": str(path), "sha256": source_sha, "fps": info.fps, "width": info.width,
                       "height": info.height},
            "frame_index": best.frame_index,
            "timestamp_s": round(best.timestamp_s, 3),
            "track_id": decision.track_id,
            "rider_xyxy": [round(v, 1) for v in best.rider_xyxy],
            "head_xyxy": [round(v, 1) for v in best.head_xyxy] if best.head_xyxy else None,
            "plate_xyxy": [round(v, 1) for v in plate_xyxy] if plate_xyxy else None,
            "stage1_confidence": round(best.rider_confidence, 4),
            "stage2_confidence": round(best.confidence, 4),
            "decision": {
                "frames_checked": decision.frames_checked,
                "frames_head_seen": decision.frames_head_seen,
                "frames_without_helmet": decision.frames_without_helmet,
                "frames_with_helmet": decision.frames_with_helmet,
                "frames_tracked": track.frames_seen,
                "verdicts": [
                    {"frame_index": v.frame_index, "timestamp_s": round(v.timestamp_s, 3), "state": v.state.value,
                     "confidence": round(v.confidence, 4)}
                    for v in track.verdicts
                ],
            },
            "plate": {
                "text": plate.text, "status": plate.status, "format": plate.format, "confidence": plate.confidence,
                "frames_read": plate.frames_read, "frames_agreeing": plate.frames_agreeing, "votes": plate.votes,
            },
            "models": self.model_hashes,
            "settings": s.model_dump(mode="json"),
            "helmetscan_version": __version__,
        }
        hashes = write_violation(folder / violation_id, images, record, s.evidence.png_compression,
                                 s.evidence.jpeg_quality)
        record["evidence_files"] = {k: v for k, v in hashes.items() if k != "record.json"}
        return record, hashes


def _video_json(result: VideoResult) -> dict[str, Any]:
    return {
        "video_key": result.video_key,
        "source_path": result.source_path,
        "status": result.status,
        "error": result.error,
        "info": result.info,
        "counts": result.counts,
        "timing_s": result.timing_s,
        "stage_fps": result.stage_fps,
        "warnings": result.warnings,
        "violation_ids": [v["violation_id"] for v in result.violations],
        "evidence_sha256": result.evidence_sha256,
        "helmetscan_version": __version__,
    }


def video_key(path: Path, used: set[str]) -> str:
    """Folder name for a video's results: its stem with unsafe characters replaced; a numeric suffix when two inputs
    share a stem (two SD cards both holding ``0001.mp4``)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem).strip("._") or "video"
    key, n = stem, 2
    while key in used:
        key, n = f"{stem}-{n}", n + 1
    used.add(key)
    return key


def refresh_outputs(out: Path) -> None:
    """Rewrite SHA256SUMS and both reports from everything stored in ``out`` (called after every video)."""
    from helmetscan.report import write_csv, write_html

    videos, records = load_results(out)
    write_sha256sums(out, videos)
    write_csv(out, records)
    write_html(out, videos, records, __version__)
