"""The per-video analyzer: the frame loop that composes the stages, sampling → stage 1 → rider rule → tracking →
stage 2 → decision → plates. It writes nothing: what it finds goes back to the caller (the batch runner), which turns it
into records and evidence (:mod:`helmetscan.results`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helmetscan.config import Settings
from helmetscan.models.base import Detector, TextRecognizer
from helmetscan.pipeline.decision import TrackDecision, decide
from helmetscan.pipeline.plate_stage import PlateCandidates, PlateResult, PlateStage, plate_region
from helmetscan.pipeline.riders import find_riders
from helmetscan.pipeline.sampling import DecodeStats, VideoInfo, iter_sampled_frames, open_video
from helmetscan.pipeline.timing import StageTimer
from helmetscan.pipeline.tracking import RiderTracker
from helmetscan.pipeline.verification import FrameVerdict, HeadState, Verifier, is_settled

#: progress(frames_done, frames_expected): called once per sampled frame.
FrameProgress = Callable[[int, int], None]


@dataclass
class TrackState:
    """What the frame loop keeps of one rider track: stage-2 verdicts, frames seen, the evidence frame (the no-helmet
    frame with the highest stage-2 confidence, (H, W, 3) uint8 BGR) and the regions kept for plate reading."""

    track_id: int
    plate_candidates: PlateCandidates
    verdicts: list[FrameVerdict] = field(default_factory=list)
    frames_seen: int = 0
    evidence_frame: np.ndarray | None = None
    evidence_verdict: FrameVerdict | None = None

    def add_verdict(self, verdict: FrameVerdict, image: np.ndarray) -> None:
        """Record a stage-2 verdict; keep a copy of ``image`` when it is the best no-helmet frame so far."""
        self.verdicts.append(verdict)
        if verdict.state is HeadState.WITHOUT_HELMET and (
            self.evidence_verdict is None or verdict.confidence > self.evidence_verdict.confidence
        ):
            self.evidence_verdict, self.evidence_frame = verdict, image.copy()


@dataclass(frozen=True)
class Finding:
    """One violating track: its ``decision`` (``decision.best`` is the evidence verdict), the ``evidence_frame``
    ((H, W, 3) uint8 BGR, untouched), every stage-2 ``verdicts`` of the track, ``frames_tracked`` and the ``plate``."""

    decision: TrackDecision
    evidence_frame: np.ndarray
    verdicts: list[FrameVerdict]
    frames_tracked: int
    plate: PlateResult


@dataclass
class VideoAnalysis:
    """Everything the analyzer found in one video.

    ``info``: container metadata; ``decode``: frames decoded and sampled; ``riders_tracked``: distinct track IDs;
    ``stage2_checks``: stage-2 runs over all tracks;
    ``findings``: violating tracks, by track ID; ``warnings``: one-line notes (a container that declares more frames
    than it holds).
    """

    info: VideoInfo
    decode: DecodeStats
    riders_tracked: int = 0
    stage2_checks: int = 0
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Analyzer:
    """Analyses videos with one set of models, loaded once by the caller and reused for every video.

    Args:
        settings: the run's settings.
        detector: stage 1, run on every sampled frame.
        verifier: stage 2, run on padded rider crops.
        plate_detector: finds plates in a rider's region.
        recognizer: reads an upscaled plate crop.

    The models are any callables of the :mod:`helmetscan.models.base` Protocols; :func:`helmetscan.models.loader.
    load_models` builds the configured ones.
    """

    def __init__(self, settings: Settings, detector: Detector, verifier: Detector, plate_detector: Detector,
                 recognizer: TextRecognizer):
        self.settings = settings
        self.detector = detector
        self.verifier = Verifier(verifier, settings.verification)
        self.plate_stage = PlateStage(plate_detector, recognizer, settings.plates)

    def analyze(self, path: Path, progress: FrameProgress | None = None, timer: StageTimer | None = None,
                info: VideoInfo | None = None) -> VideoAnalysis:
        """Analyse one video.

        Args:
            path: the video file.
            progress: called after every sampled frame.
            timer: receives the time and calls of each stage (decode, stage1, tracking, stage2, plates).
            info: the container metadata when the caller has already opened the file (else it is read here).

        Raises:
            VideoError: the file cannot be opened or decoded.
            Exception: whatever a model raises; the batch runner isolates it to this video.
        """
        s = self.settings
        timer = timer if timer is not None else StageTimer()
        if info is None:
            cap, info = open_video(path)
            cap.release()
        expected = max(1, int(info.duration_s * s.sampling.fps) + 1) if info.duration_s > 0 else 0
        tracker = RiderTracker(s.tracking, s.sampling.fps)
        tracks: dict[int, TrackState] = {}
        stats = DecodeStats()
        frames = iter_sampled_frames(path, s.sampling.fps, stats)
        while True:
            with timer.stage("decode", calls=None):
                sampled = next(frames, None)
            if sampled is None:
                break
            image = sampled.image
            with timer.stage("stage1"):
                detections = self.detector(image)
            with timer.stage("tracking"):
                tracked = tracker.update(find_riders(detections, s.detector.roles, s.riders), image.shape[:2])
            for tr in tracked:
                track = tracks.get(tr.track_id)
                if track is None:
                    track = tracks[tr.track_id] = TrackState(tr.track_id, PlateCandidates(s.plates.max_frames_per_track))
                track.frames_seen += 1
                rider = tr.rider
                if not is_settled(track.verdicts, s.verification):
                    with timer.stage("stage2"):
                        verdict = self.verifier.verify(
                            image, rider.xyxy, rider.confidence, sampled.frame_index, sampled.timestamp_s
                        )
                    track.add_verdict(verdict, image)
                track.plate_candidates.offer(
                    plate_region(image, rider.xyxy, rider.motorcycle_xyxy, sampled.frame_index, s.plates)
                )
            if progress:
                progress(stats.frames_sampled, max(expected, stats.frames_sampled))
        timer.calls["decode"] = stats.frames_decoded
        analysis = VideoAnalysis(info=info, decode=stats, riders_tracked=len(tracks),
                                 stage2_checks=sum(len(t.verdicts) for t in tracks.values()))
        for track in sorted(tracks.values(), key=lambda t: t.track_id):
            decision = decide(track.track_id, track.verdicts, s.decision)
            if not decision.violation:
                continue
            with timer.stage("plates") as span:
                plate = self.plate_stage.read(track.plate_candidates, decision.best.frame_index)
                span.calls = plate.reads
            analysis.findings.append(Finding(decision, track.evidence_frame, list(track.verdicts), track.frames_seen,
                                             plate))
        if info.frame_count and stats.frames_decoded < info.frame_count:
            analysis.warnings.append(f"decoded {stats.frames_decoded} of {info.frame_count} frames the container declares")
        return analysis
