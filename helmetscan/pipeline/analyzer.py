"""The per-video analyzer: the frame loop that composes the stages, sampling → stage 1 → rider rule → tracking →
stage 2 → decision → plates. It writes nothing: what it finds goes back to the caller (the batch runner), which turns it
into records and evidence (:mod:`helmetscan.results`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helmetscan.config import Settings
from helmetscan.core.detections import Detector, TextRecognizer
from helmetscan.core.messages import FRAMES_MISSING
from helmetscan.pipeline.association import share_out_heads
from helmetscan.pipeline.decision import TrackDecision, decide, is_settled
from helmetscan.pipeline.people import PeopleTracker
from helmetscan.plates.region import PlateCandidates, plate_region
from helmetscan.plates.stage import PlateResult, PlateStage
from helmetscan.pipeline.riders import find_riders
from helmetscan.pipeline.sampling import DecodeStats, SampledFrame, VideoInfo, iter_sampled_frames, open_video
from helmetscan.pipeline.staging import StageChain
from helmetscan.pipeline.timing import StageTimer
from helmetscan.pipeline.tracking import RiderTracker
from helmetscan.core.status import HeadState
from helmetscan.pipeline.helmet_check import FrameVerdict, HelmetCheck

#: progress(frames_done, frames_expected): called once per sampled frame.
FrameProgress = Callable[[int, int], None]


@dataclass
class TrackState:
    """What the frame loop keeps of one motorcycle track while it lasts: its people (with their stage-2 verdicts), the
    stage-2 checks run, frames seen, when it was first and last seen (``first_s``/``last_s``: seconds from the start of
    the video; ``last_frame``: the sampled frame's number), for each person the frame of their most confident bare-head
    verdict (a copy, (H, W, 3) uint8 BGR: the evidence frame if that person makes the violation) and the regions kept
    for plate reading."""

    track_id: int
    plate_candidates: PlateCandidates
    people: PeopleTracker
    frames_checked: int = 0
    frames_seen: int = 0
    first_s: float = 0.0
    last_s: float = 0.0
    last_frame: int = 0
    bare_head_frames: dict[int, tuple[FrameVerdict, np.ndarray]] = field(default_factory=dict)

    def add_verdicts(self, verdicts: list[FrameVerdict], image: np.ndarray) -> None:
        """Record one stage-2 check (a verdict per head found); keep a copy of ``image`` for each person whose most
        confident bare head it now shows (one copy shared by all of them)."""
        self.frames_checked += 1
        copy = None
        for verdict, person in zip(verdicts, self.people.add(verdicts)):
            kept = self.bare_head_frames.get(person.person_id)
            if verdict.state is HeadState.WITHOUT_HELMET and (kept is None or verdict.confidence > kept[0].confidence):
                copy = image.copy() if copy is None else copy
                self.bare_head_frames[person.person_id] = (verdict, copy)

    def evidence_frame(self, decision: TrackDecision) -> np.ndarray:
        """The frame of a violating ``decision``'s evidence verdict (its evidence person's most confident bare head)."""
        return self.bare_head_frames[decision.evidence_person.person_id][1]


@dataclass(frozen=True)
class Finding:
    """One violating motorcycle track: its ``decision`` (``decision.best`` is the evidence verdict, ``decision.people``
    every person with their verdicts), the ``evidence_frame`` ((H, W, 3) uint8 BGR, untouched), ``frames_tracked`` and
    the ``plate``."""

    decision: TrackDecision
    evidence_frame: np.ndarray
    frames_tracked: int
    plate: PlateResult


@dataclass(frozen=True)
class TrackSpan:
    """When one motorcycle track was seen: ``first_s`` / ``last_s`` (seconds from the start of the video) of its first
    and last sampled frame, ``frames_seen`` sampled frames, ``people`` seen on it and whether it is a ``violation``."""

    track_id: int
    first_s: float
    last_s: float
    frames_seen: int
    people: int
    violation: bool


@dataclass
class VideoAnalysis:
    """Everything the analyzer found in one video.

    ``info``: container metadata; ``decode``: frames decoded and sampled; ``riders_tracked``: distinct motorcycle
    track IDs; ``stage2_checks``: stage-2 runs over all tracks;
    ``findings``: violating tracks, by track ID; ``tracks``: every track's span (the report's timeline);
    ``warnings``: one-line notes (a container that declares more frames than it holds).
    """

    info: VideoInfo
    decode: DecodeStats
    riders_tracked: int = 0
    stage2_checks: int = 0
    findings: list[Finding] = field(default_factory=list)
    tracks: list[TrackSpan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Analyzer:
    """Analyses videos with one set of models, loaded once by the caller and reused for every video.

    Args:
        settings: the run's settings.
        detector: stage 1, run on every sampled frame.
        head_detector: stage 2's head detector, run on the padded crops of ridden motorcycles (``None`` when heads come
            from stage 1, ``verification.heads_from``).
        plate_detector: finds plates in a rider's region.
        recognizer: reads an upscaled plate crop.
        head_classifier: judges each head on a crop (``None``: the head boxes' classes decide).

    The models are any callables of the :mod:`helmetscan.core.detections` Protocols; :func:`helmetscan.pipeline.loading.
    load_models` builds the configured ones.
    """

    def __init__(self, settings: Settings, detector: Detector, head_detector: Detector | None, plate_detector: Detector,
                 recognizer: TextRecognizer, head_classifier=None):
        self.settings = settings
        self.detector = detector
        self.helmet_check = HelmetCheck(head_detector, settings.verification, head_classifier)
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
        analysis = VideoAnalysis(info=info, decode=DecodeStats())
        stats, done = analysis.decode, 0
        with self._detected_frames(path, stats, timer) as detected:
            for sampled, detections in detected:
                self._frame(sampled, detections, tracker, tracks, timer, done)
                done += 1
                # a track lost for longer than ByteTrack keeps lost tracks never comes back: decide it now and let
                # its frames and plate regions go, so memory does not grow with the video's length
                ended = [t for t in tracks.values() if done - t.last_frame > tracker.track_buffer_frames + 1]
                for track in ended:
                    self._finish(tracks.pop(track.track_id), analysis, timer)
                if progress:
                    progress(done, max(expected, done))
        for track in list(tracks.values()):
            self._finish(track, analysis, timer)
        timer.calls["decode"] = stats.frames_decoded
        analysis.tracks.sort(key=lambda t: t.track_id)
        analysis.findings.sort(key=lambda f: f.decision.track_id)
        analysis.riders_tracked = len(analysis.tracks)
        if info.frame_count and stats.frames_decoded < info.frame_count:
            analysis.warnings.append(FRAMES_MISSING % {"decoded": stats.frames_decoded, "declared": info.frame_count})
        return analysis

    def _detected_frames(self, path: Path, stats: DecodeStats, timer: StageTimer):
        """The sampled frames of ``path`` with their stage-1 detections, in order: decoding and each stage-1 model in
        a thread of its own (``runtime.pipelined``), else one after another here. A context manager whose value is
        an iterator of ``(SampledFrame, list[Detection])``."""

        def decoded() -> Iterator[tuple[SampledFrame, list]]:
            frames = iter_sampled_frames(path, self.settings.sampling.fps, stats,
                                         self.settings.runtime.decoder_threads())
            try:
                while True:
                    with timer.stage("decode", calls=None):
                        sampled = next(frames, None)
                    if sampled is None:
                        return
                    yield sampled, []
            finally:
                frames.close()  # the video is released even when the loop stops early

        def stage(name: str, detector):
            def run(item):
                sampled, found = item
                with timer.stage(name):
                    return sampled, found + detector(sampled.image)
            return name, run

        # an ensemble's models each get a stage (a thread) of their own, timed as stage1 and assist; their boxes join
        # in the ensemble's order
        models = getattr(self.detector, "detectors", [self.detector])
        stages = [stage("stage1" if i == 0 else "assist" if i == 1 else f"assist{i}", model)
                  for i, model in enumerate(models)]
        frames = decoded()
        runtime = self.settings.runtime
        if runtime.pipelined:
            return StageChain(frames, stages, runtime.queue_frames)
        for _, run in stages:
            frames = map(run, frames)
        return nullcontext(frames)

    def _finish(self, track: TrackState, analysis: VideoAnalysis, timer: StageTimer) -> None:
        """Decide an ended track: its span, and for a violation its plate and finding, into ``analysis``."""
        s = self.settings
        decision = decide(track.track_id, track.people.people, track.frames_checked, s.decision)
        analysis.stage2_checks += track.frames_checked
        analysis.tracks.append(TrackSpan(track.track_id, track.first_s, track.last_s, track.frames_seen,
                                         len(track.people.people), decision.violation))
        if not decision.violation:
            return
        with timer.stage("plates") as span:
            plate = self.plate_stage.read(track.plate_candidates, decision.best.frame_index)
            span.calls = plate.reads
        analysis.findings.append(Finding(decision, track.evidence_frame(decision), track.frames_seen, plate))

    def _frame(self, sampled: SampledFrame, detections, tracker: RiderTracker, tracks: dict[int, TrackState],
               timer: StageTimer, frame_no: int) -> None:
        """The frame loop's work on one sampled frame: tracking, stage 2 on unsettled tracks, plate candidates."""
        s, image = self.settings, sampled.image
        with timer.stage("tracking"):
            tracked = tracker.update(find_riders(detections, s.detector.roles, s.riders), image.shape[:2])
        claims: dict[int, tuple] = {}
        for tr in tracked:
            track = tracks.get(tr.track_id)
            if track is None:
                track = tracks[tr.track_id] = TrackState(
                    tr.track_id, PlateCandidates(s.plates.max_frames_per_track),
                    PeopleTracker(s.verification.person_match_distance), first_s=sampled.timestamp_s)
            track.frames_seen += 1
            track.last_s, track.last_frame = sampled.timestamp_s, frame_no
            ridden = tr.rider
            if not is_settled(track.people.people, track.frames_checked, s.verification):
                with timer.stage("stage2"):
                    verdicts = self.helmet_check.check(image, ridden, sampled.frame_index, sampled.timestamp_s,
                                                    detections)
                claims[tr.track_id] = (ridden.regions, verdicts)
            track.plate_candidates.offer(
                plate_region(image, ridden.xyxy, ridden.motorcycle_xyxy, sampled.frame_index, s.plates)
            )
        for track_id, verdicts in share_out_heads(claims).items():
            tracks[track_id].add_verdicts(verdicts, image)
