"""Record assembly: what the analyzer found, turned into the typed records (:mod:`helmetscan.results.records`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from helmetscan import __version__
from helmetscan.config import Settings
from helmetscan.core.geometry import pad
from helmetscan.core.messages import ENDS_EARLY
from helmetscan.pipeline.analyzer import Finding, VideoAnalysis
from helmetscan.pipeline.people import seat_positions
from helmetscan.core.status import PlateStatus
from helmetscan.pipeline.sampling import VideoInfo, ends_early
from helmetscan.results.drawing import annotate
from helmetscan.results.evidence import EvidenceImages
from helmetscan.results.records import (
    DecisionSummary, PersonRecord, Place, PlateRecord, RecordingInfo, SourceVideo, TrackRecord, Verdict, VideoCounts,
    VideoInfoRecord, VideoRecord, VideoStatus, ViolationRecord, with_path,
)

#: Decimals kept in records: boxes to 0.1 px, times to 1 ms, confidences to 1e-4 (finer is noise).
BOX_DECIMALS, TIME_DECIMALS, CONF_DECIMALS = 1, 3, 4


def _box(box: Sequence[float] | None) -> tuple[float, float, float, float] | None:
    return tuple(round(v, BOX_DECIMALS) for v in box) if box else None


def violation_id(video_key: str, track_id: int) -> str:
    """``<video key>_t<track ID, 4 digits>``."""
    return f"{video_key}_t{track_id:04d}"


def violation_record(finding: Finding, video_key: str, info: VideoInfo, source_sha256: str, settings: Settings,
                     model_sha256: dict[str, str | None], local_time: str | None = None,
                     recording: RecordingInfo | None = None, place: Place | None = None) -> ViolationRecord:
    """The record of one violating track (``evidence_files`` is filled when the evidence is written); ``local_time``
    (ISO 8601), ``recording`` and ``place`` when the runner knows them."""
    decision, plate = finding.decision, finding.plate.plate
    best, evidence_person = decision.best, decision.evidence_person
    vid = violation_id(video_key, decision.track_id)
    seats = seat_positions({p.person_id: p.position for p in decision.people})
    role = "rider" if len(decision.people) == 1 else "rider or passenger"
    verdicts = sorted(((v, p.person_id) for p in decision.people for v in p.verdicts),
                      key=lambda item: (item[0].frame_index, item[1]))
    return ViolationRecord(
        violation_id=vid,
        video_key=video_key,
        evidence_dir=f"{video_key}/{vid}",
        source=SourceVideo(path=str(info.path), sha256=source_sha256, fps=info.fps, width=info.width,
                           height=info.height),
        frame_index=best.frame_index,
        timestamp_s=round(best.timestamp_s, TIME_DECIMALS),
        local_time=local_time,
        recording=recording,
        place=place,
        track_id=decision.track_id,
        rider_xyxy=_box(best.rider_xyxy),
        head_xyxy=_box(best.head_xyxy),
        plate_xyxy=_box(finding.plate.xyxy_in_evidence_frame),
        stage1_confidence=round(best.rider_confidence, CONF_DECIMALS),
        stage2_confidence=round(best.confidence, CONF_DECIMALS),
        decision=DecisionSummary(
            frames_checked=decision.frames_checked,
            frames_head_seen=evidence_person.frames_seen,
            frames_judged=evidence_person.frames_judged,
            frames_without_helmet=evidence_person.frames_without_helmet,
            frames_with_helmet=evidence_person.frames_with_helmet,
            frames_tracked=finding.frames_tracked,
            verdicts=[Verdict(frame_index=v.frame_index, timestamp_s=round(v.timestamp_s, TIME_DECIMALS),
                              state=v.state, confidence=round(v.confidence, CONF_DECIMALS), person_id=person_id,
                              head_px=round(v.head_px, BOX_DECIMALS), head_xyxy=_box(v.head_xyxy))
                      for v, person_id in verdicts],
        ),
        people=[PersonRecord(person_id=p.person_id, role=role, position=seats[p.person_id], verdict=p.verdict,
                             confidence=round(p.confidence, CONF_DECIMALS), frames_seen=p.frames_seen,
                             frames_judged=p.frames_judged, frames_without_helmet=p.frames_without_helmet,
                             frames_with_helmet=p.frames_with_helmet, head_xyxy=_box(p.head_at(best.frame_index)))
                for p in decision.people],
        people_without_helmet=decision.people_without_helmet,
        plate=PlateRecord(text=plate.text, status=plate.status, format=plate.format, confidence=plate.confidence,
                          frames_read=plate.frames_read, frames_agreeing=plate.frames_agreeing, votes=plate.votes,
                          char_confidences=list(plate.char_confidences), best_guess=plate.best_guess),
        models=model_sha256,
        settings=settings.model_dump(mode="json"),
        helmetscan_version=__version__,
    )


def recording_info(recording, tz) -> RecordingInfo:
    """The record of a :class:`~helmetscan.runner.dashcam.Recording` (start as ISO 8601 in ``tz``, a ``ZoneInfo``)."""
    start = recording.start
    if start is not None:
        start = (start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)).isoformat()
    return RecordingInfo(start=start, time_source=str(recording.time_source), channel=recording.channel,
                         event=recording.event, vehicle=recording.vehicle)


def video_info_record(info: VideoInfo) -> VideoInfoRecord:
    """Container metadata of a video that opened."""
    return VideoInfoRecord(path=str(info.path), fps=info.fps, frame_count=info.frame_count,
                           duration_s=round(info.duration_s, TIME_DECIMALS), width=info.width, height=info.height)


def video_record(video_key: str, source_path: str, analysis: VideoAnalysis, source_sha256: str,
                 violations: list[ViolationRecord], timing_s: dict[str, float], stage_fps: dict[str, float],
                 evidence_sha256: dict[str, str], gps_source: str | None = None) -> VideoRecord:
    """The record of a video analysed to its end (``done``) or, when the file ends early
    (:func:`~helmetscan.pipeline.sampling.ends_early`), as far as it decodes (``incomplete``, with a one-line
    ``error`` saying how far); ``gps_source``: where its GPS track came from, if it has one."""
    decoded = analysis.decode.frames_decoded
    declared_s, decoded_s = analysis.info.duration_s, analysis.decode.decoded_s(analysis.info.fps)
    info = video_info_record(analysis.info).model_copy(update={
        "sha256": source_sha256, "frames_decoded": decoded, "decoded_duration_s": round(decoded_s, TIME_DECIMALS),
    })
    status, error = VideoStatus.DONE, None
    if ends_early(declared_s, decoded_s):
        status = VideoStatus.INCOMPLETE
        error = ENDS_EARLY % {"path": source_path, "decoded": f"{decoded_s:.1f}", "declared": f"{declared_s:.1f}",
                              "frames": decoded, "total": analysis.info.frame_count}
    return VideoRecord(
        video_key=video_key, source_path=source_path, status=status, error=error, info=info,
        counts=VideoCounts(
            frames_decoded=decoded, frames_sampled=analysis.decode.frames_sampled,
            riders_tracked=analysis.riders_tracked, stage2_checks=analysis.stage2_checks,
            violations=len(violations), plates_read=sum(v.plate.status is PlateStatus.READ for v in violations),
        ),
        timing_s=timing_s, stage_fps=stage_fps, warnings=list(analysis.warnings),
        violation_ids=[v.violation_id for v in violations], evidence_sha256=evidence_sha256, gps_source=gps_source,
        tracks=[TrackRecord(track_id=t.track_id, first_s=round(t.first_s, TIME_DECIMALS),
                            last_s=round(t.last_s, TIME_DECIMALS), frames_seen=t.frames_seen, people=t.people,
                            violation=t.violation) for t in analysis.tracks],
        helmetscan_version=__version__,
    )


def failed_video_record(video_key: str, source_path: str, error: str, info: VideoInfo | None = None,
                        source_sha256: str | None = None, timing_s: dict[str, float] | None = None) -> VideoRecord:
    """The record of a video that could not be analysed; ``error`` is the one-line reason (the file is named first,
    once: :func:`with_path`)."""
    info_record = video_info_record(info).model_copy(update={"sha256": source_sha256}) if info else None
    return VideoRecord(video_key=video_key, source_path=source_path, status=VideoStatus.FAILED,
                       error=with_path(source_path, error),
                       info=info_record, timing_s=timing_s or {}, helmetscan_version=__version__)


def evidence_images(finding: Finding, record: ViolationRecord, crop_padding: float,
                    shown_frame: np.ndarray | None = None) -> EvidenceImages:
    """The images of one violation: the untouched evidence frame, an annotated copy (motorcycle, every person's head
    in its verdict's colour, plate box and a caption), the motorcycle crop padded by ``crop_padding`` of its size, and
    the plate crop before and after upscaling. ``shown_frame``: the evidence frame with bystanders blurred
    (:mod:`helmetscan.results.privacy`), used for the annotated image and the motorcycle crop; ``frame`` stays the
    untouched original."""
    frame, best = finding.evidence_frame, finding.decision.best
    shown = frame if shown_frame is None else shown_frame
    fh, fw = frame.shape[:2]
    rx1, ry1, rx2, ry2 = pad(best.rider_xyxy, crop_padding, fw, fh)
    caption = (f"NO HELMET x{record.people_without_helmet}  t={best.timestamp_s:.2f}s  track {record.track_id}  "
               f"plate {record.plate.text or 'unread'}")
    heads = [(p.head_xyxy, p.verdict) for p in record.people if p.head_xyxy is not None]
    return EvidenceImages(
        frame=frame,
        annotated=annotate(shown, best.rider_xyxy, heads, finding.plate.xyxy_in_evidence_frame, caption),
        rider=shown[ry1:ry2, rx1:rx2],
        plate=finding.plate.crop,
        plate_upscaled=finding.plate.upscaled,
    )
