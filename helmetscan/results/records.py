"""The records: what a violation and a video are, on disk (``record.json``, ``video.json``) and for every reader of
them (CSV, HTML, the checks, the authority that files them).

Pydantic models with a ``schema_version``; statuses are enums; every field has a unit and a meaning, and the README's
field tables are generated from these models (:mod:`helmetscan.tooling.docs`). ``Model.model_validate_json(text)`` reads a
file back into the same object that wrote it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from helmetscan.core.fielddoc import documented
from helmetscan.core.status import HeadState, PlateStatus

#: Version of the record layout. Bump it when a field is added, changes meaning or is removed; readers refuse newer
#: records and read older ones (fields they lack are empty). 2: recording time, channel, vehicle and place. 3: plate
#: character confidences. 4: every person on the motorcycle (``people``, ``people_without_helmet``). 5: every track's span
#: in ``video.json`` (``tracks``, the report's timeline). 6: the configuration hash in ``video.json`` (``config_hash``).
#: 7: every file found with the video's content (``copies``), and the ``incomplete`` status of a file that ends early.
SCHEMA_VERSION = 7

Box = tuple[float, float, float, float]
_BOX = "px (x1, y1, x2, y2)"

__all__ = ["SCHEMA_VERSION", "CopyRecord", "HeadState", "PlateStatus", "VideoStatus", "ViolationRecord", "VideoRecord"]


class VideoStatus(StrEnum):
    """Outcome of one video."""

    DONE = "done"  # analysed to the end; its violations (maybe none) are written
    INCOMPLETE = "incomplete"  # ends early: analysed as far as it decodes, violations written; ``error`` says how far
    FAILED = "failed"  # not analysed (unreadable, or a fault mid-way); ``error`` says why

    @property
    def analysed(self) -> bool:
        """Whether the video was analysed (to its end, or as far as it decodes): a re-run with the same settings and
        models skips it."""
        return self is not VideoStatus.FAILED


def with_path(path: str, message: str) -> str:
    """``message`` as the one line of a video record's ``error``: naming the file once, first (``<path>: why``).
    A message that already starts with the path (a :class:`~helmetscan.core.errors.VideoError`'s) is kept as it is."""
    return message if message.startswith(f"{path}: ") else f"{path}: {message}"


def reason(path: str, error: str | None) -> str:
    """The reason of a video record's ``error`` without the file it names first (for a line that shows the file
    already)."""
    return (error or "").removeprefix(f"{path}: ")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Versioned(_Record):
    schema_version: int = documented(SCHEMA_VERSION, "Version of this record layout (readers refuse newer ones).")

    @field_validator("schema_version")
    @classmethod
    def _not_newer(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(f"schema_version {value} is newer than this helmetscan reads ({SCHEMA_VERSION}); upgrade")
        return value


class SourceVideo(_Record):
    """The video a violation was found in."""

    path: str = documented(description="Path of the video as given to `analyze`.")
    sha256: str = documented(description="SHA-256 of the video file (hex).")
    fps: float = documented(description="Frame rate the container declares.", unit="frames/s")
    width: int = documented(description="Frame width.", unit="px")
    height: int = documented(description="Frame height.", unit="px")


class Verdict(_Record):
    """One stage-2 verdict on one person's head."""

    frame_index: int = documented(description="Frame checked, 0-based in decode order.", unit="frames")
    timestamp_s: float = documented(description="Time of that frame from the start of the video.", unit="s")
    state: HeadState = documented(description="What stage 2 saw of the head (unknown: too small to judge, or the "
                                                 "classifier unsure).")
    confidence: float = documented(description="Stage-2 confidence of that head box (0 when not seen).", unit="0..1")
    person_id: int | None = documented(None, "Whose head: the person's id within the track (schema 4).")
    head_px: float | None = documented(None, "Longer side of the head box (schema 4).", unit="px")
    head_xyxy: Box | None = documented(None, "The head box in that frame (schema 4).", unit=_BOX)


class PersonRecord(_Record):
    """One person on the motorcycle, judged on their own head over the track's frames (schema 4)."""

    person_id: int = documented(description="1-based within the track, in order of first sight.")
    role: str = documented(description="`rider` when alone on the motorcycle; with several people `rider or "
                                       "passenger` (who drives depends on the view, which a single camera cannot "
                                       "tell), with `position` saying where they sit in the picture.")
    position: str = documented(description="Where the head lies relative to the other people's: `upper`, `lower`, "
                                           "`left`, `right` (picture directions), or `only`.")
    verdict: HeadState = documented(description="without_helmet (a violation), with_helmet, or unknown (too few "
                                                "judgeable frames, heads too small, or states that disagree).")
    confidence: float = documented(description="Mean stage-2 confidence of the frames agreeing with the verdict "
                                               "(0 for unknown).", unit="0..1")
    frames_seen: int = documented(description="Stage-2 checks that found this person's head.", unit="frames")
    frames_judged: int = documented(description="Of those, heads large enough to judge.", unit="frames")
    frames_without_helmet: int = documented(description="Of those, bare.", unit="frames")
    frames_with_helmet: int = documented(description="Of those, helmeted.", unit="frames")
    head_xyxy: Box | None = documented(None, "The head box in the evidence frame, when stage 2 found it there.",
                                       unit=_BOX)


class DecisionSummary(_Record):
    """Why the track is a violation: the stage-2 verdicts over its frames. The frame counts are those of the evidence
    person (the bare-headed person with the most confident bare-head verdict); `people` has everyone's."""

    frames_checked: int = documented(description="Stage-2 checks run on this track.", unit="frames")
    frames_head_seen: int = documented(description="Checks in which the evidence person's head was found.",
                                       unit="frames")
    frames_judged: int | None = documented(None, "Of those, heads large enough and the classifier sure enough to "
                                                 "judge (schema 4; what the decision counts).", unit="frames")
    frames_without_helmet: int = documented(description="Of those, checks with a bare head.", unit="frames")
    frames_with_helmet: int = documented(description="Of those, checks with a helmet.", unit="frames")
    frames_tracked: int = documented(description="Sampled frames in which the track was present.", unit="frames")
    verdicts: list[Verdict] = documented(description="Every stage-2 verdict on every person, in frame order.")


class PlateRecord(_Record):
    """The track's plate, fused over the frames where it was read."""

    text: str = documented(description="Fused, normalised plate text; empty when unread.")
    status: PlateStatus = documented(description="read: matches a plate format; unvalidated: text but no format; "
                                                 "unread: nothing read, or below the confidence floor "
                                                 "(`plates.min_track_conf` when two or more reads voted, else "
                                                 "`plates.min_plate_conf`), or in a format the reader's plates are not "
                                                 "reported in (`plates.unreported_formats`).")
    format: str | None = documented(description="Plate format the text matches (`plates.formats`).")
    confidence: float = documented(description="Support of the least supported character: summed per-character "
                                               "confidence of the reads agreeing there over the reads of the fused "
                                               "format and length, times that group's share of all votes, and "
                                               "at most the group's mean read confidence times that share.",
                                   unit="0..1")
    char_confidences: list[float] = documented(list, "The same support for each character of `text` (schema 3).",
                                               "0..1 each")
    best_guess: str = documented("", "The fused text even when it fell below the confidence floor or is in an "
                                     "unreported format (or, when no read "
                                     "was sure enough to vote, the most confident read); for a reviewer, never the "
                                     "reported plate (schema 3).")
    frames_read: int = documented(description="Reads that voted.", unit="frames")
    frames_agreeing: int = documented(description="Reads equal to `text`.", unit="frames")
    votes: dict[str, float] = documented(description="Summed recogniser confidence per distinct read.")


class RecordingInfo(_Record):
    """When and by which camera a video was recorded (from the dashcam's file name, else the container)."""

    start: str | None = documented(None, "Recording start, ISO 8601 local time with its UTC offset; empty when "
                                         "unknown.")
    time_source: str = documented("unknown", "Where the start came from: filename, container or unknown.")
    channel: str | None = documented(None, "Camera channel: front, rear, interior; empty when the name does not say.")
    event: str | None = documented(None, "Dashcam recording mode (BlackVue): normal, event, parking, manual.")
    vehicle: str | None = documented(None, "Vehicle: the `recording.vehicle` setting, else the dump's top folder.")


class CopyRecord(_Record):
    """One file found with the video's content (schema 7): identical files (the same SHA-256) on several cards are
    analysed once, and every one of them is recorded here."""

    path: str = documented(description="Path of the file as given to `analyze`.")
    analysed: bool = documented(description="Whether this is the copy analysed (the record's `source_path`): the one "
                                            "with a known recording time and a GPS track first, then the earliest, "
                                            "then by path.")
    recording: RecordingInfo | None = documented(None, "When and by which camera this copy was recorded, from its own "
                                                       "name, container and folder.")
    gps_source: str | None = documented(None, "Where this copy's GPS track comes from (sidecar:<file>, exiftool); "
                                              "empty: none found.")


class Place(_Record):
    """Where the vehicle was at a moment, interpolated from the file's GPS track."""

    latitude: float = documented(description="Latitude, + north.", unit="degrees")
    longitude: float = documented(description="Longitude, + east.", unit="degrees")
    speed_kmh: float | None = documented(None, "Vehicle speed over ground.", unit="km/h")
    source: str = documented(description="GPS source: sidecar:<file>, exiftool.")


class ExcerptRecord(_Record):
    """The clip excerpt of a violation: the original footage around it, copied without re-encoding (schema 4)."""

    file: str = documented(description="File name in the violation's folder.")
    start_s: float = documented(description="Start of the excerpt in the original video: the keyframe at or before the "
                                            "requested start (negative when that keyframe lies before the first frame "
                                            "the file shows, as with an edit list).",
                                unit="s from the start of the video")
    end_s: float = documented(description="End of the excerpt in the original video.",
                              unit="s from the start of the video")


class ViolationRecord(_Versioned):
    """One violation: a motorcycle track with at least one person verified without a helmet
    (``OUT/<video key>/<violation id>/record.json``)."""

    violation_id: str = documented(description="`<video key>_t<track ID, 4 digits>`; unique across nights and "
                                               "vehicles (the video key holds the video's SHA-256).")
    video_key: str = documented(description="Folder of the video's results in OUT: `<file stem>-<SHA-256, 10 hex>`.")
    evidence_dir: str = documented(description="Folder of this violation's evidence, relative to OUT.")
    source: SourceVideo = documented(description="The video the violation was found in.")
    frame_index: int = documented(description="Evidence frame, 0-based in decode order.", unit="frames")
    timestamp_s: float = documented(description="Time of the evidence frame from the start of the video.", unit="s")
    local_time: str | None = documented(None, "Absolute time of the evidence frame (recording start + timestamp_s), "
                                              "ISO 8601 with UTC offset; empty when the start is unknown.")
    recording: RecordingInfo | None = documented(None, "When and by which camera the video was recorded.")
    place: Place | None = documented(None, "Where, from the file's GPS; empty when unknown.")
    track_id: int = documented(description="ByteTrack ID of the motorcycle within the video.")
    rider_xyxy: Box = documented(description="The motorcycle with its people in the evidence frame.", unit=_BOX)
    head_xyxy: Box | None = documented(description="The evidence person's bare head in the evidence frame.",
                                       unit=_BOX)
    plate_xyxy: Box | None = documented(description="Plate box in the evidence frame, when found there.", unit=_BOX)
    stage1_confidence: float = documented(description="Stage-1 confidence of the motorcycle (or rider) box.",
                                          unit="0..1")
    stage2_confidence: float = documented(description="Stage-2 confidence of the bare head.", unit="0..1")
    decision: DecisionSummary = documented(description="Why the track is a violation.")
    people: list[PersonRecord] = documented(list, "Every person seen on the motorcycle, with their verdict "
                                                  "(schema 4; empty in older records).")
    people_without_helmet: int = documented(1, "People verified bare-headed (schema 4; older records: 1).",
                                            unit="people")
    plate: PlateRecord = documented(description="The track's plate.")
    bystanders_blurred: int | None = documented(None, "Faces of people not on this motorcycle and other vehicles' "
                                                      "plates blurred in annotated.jpg and the crops (never in "
                                                      "frame.png); empty when the blur is off (schema 4).")
    excerpt: ExcerptRecord | None = documented(None, "The clip excerpt; empty when none was written (`evidence.excerpt`"
                                                     " off, or it could not be cut: the video's warnings say why).")
    models: dict[str, str | None] = documented(description="Weight file name → SHA-256 of the models used.")
    settings: dict[str, Any] = documented(description="The resolved settings of the run (as OUT/settings.json).")
    helmetscan_version: str = documented(description="Version of helmetscan that wrote the record.")
    evidence_files: dict[str, str] = documented(
        dict, "Evidence file name → SHA-256, for the files of this folder other than record.json."
    )


class VideoInfoRecord(_Record):
    """Container metadata and what was really decoded."""

    path: str = documented(description="Path of the video as given to `analyze`.")
    fps: float = documented(description="Frame rate the container declares.", unit="frames/s")
    frame_count: int = documented(description="Frames the container declares.", unit="frames")
    duration_s: float = documented(description="Length the container declares: its header's duration of the video "
                                               "stream (MP4, MOV, MKV; an edit list applied), for AVI frame_count / "
                                               "fps (before schema 7: frame_count / fps).", unit="s")
    width: int = documented(description="Frame width.", unit="px")
    height: int = documented(description="Frame height.", unit="px")
    sha256: str | None = documented(None, "SHA-256 of the video file (hex).")
    frames_decoded: int | None = documented(None, "Frames that really decoded.", unit="frames")
    decoded_duration_s: float | None = documented(None, "Footage the decoded frames cover: from the first to the last "
                                                        "one, plus one frame (before schema 7: frames_decoded / fps); "
                                                        "the footage counted for the video.", unit="s")


class VideoCounts(_Record):
    """What one video gave."""

    frames_decoded: int = documented(description="Frames decoded from the stream.", unit="frames")
    frames_sampled: int = documented(description="Frames analysed (at the sampling rate).", unit="frames")
    riders_tracked: int = documented(description="Distinct motorcycle track IDs (motorcycles with people on them).")
    stage2_checks: int = documented(description="Stage-2 runs on motorcycle crops.")
    violations: int = documented(description="Violations written.")
    plates_read: int = documented(description="Violations whose plate status is `read`.")


class TrackRecord(_Record):
    """When one motorcycle track was seen in the video (schema 5): a bar of the report's timeline."""

    track_id: int = documented(description="ByteTrack ID of the motorcycle within the video.")
    first_s: float = documented(description="Its first sampled frame.", unit="s from the start of the video")
    last_s: float = documented(description="Its last sampled frame.", unit="s from the start of the video")
    frames_seen: int = documented(description="Sampled frames it was present in.", unit="frames")
    people: int = documented(description="People seen on it.", unit="people")
    violation: bool = documented(description="Whether it is a violation (a record of its own).")


class VideoRecord(_Versioned):
    """One analysed (or failed) video (``OUT/<video key>/video.json``)."""

    video_key: str = documented(description="Folder of the video's results in OUT: `<file stem>-<SHA-256, 10 hex>`.")
    source_path: str = documented(description="Path of the video as given to `analyze`.")
    size_bytes: int | None = documented(None, "Size of the video file.", unit="bytes")
    recording: RecordingInfo | None = documented(None, "When and by which camera the video was recorded.")
    gps_source: str | None = documented(None, "Where the GPS track came from (sidecar:<file>, exiftool); empty: none.")
    wall_s: float | None = documented(None, "Processing time of this video, hashing included.", unit="s")
    status: VideoStatus = documented(description="done; incomplete: the file ends early (its frames cover less than "
                                                 "the length its container declares), analysed as far as it "
                                                 "decodes; failed: not analysed.")
    error: str | None = documented(None, "One line naming the file and why it failed or is incomplete (how far it "
                                         "decodes).")
    info: VideoInfoRecord | None = documented(None, "Container metadata (absent when the file could not be opened).")
    counts: VideoCounts | None = documented(None, "What the video gave (absent when it failed).")
    timing_s: dict[str, float] = documented(dict, "Wall time per stage (hash, decode, stage1, tracking, stage2, "
                                                  "plates).", unit="s")
    stage_fps: dict[str, float] = documented(dict, "Items per second per stage: frames (decode, stage1, tracking), "
                                                   "rider crops (stage2), plate reads (plates).", unit="items/s")
    warnings: list[str] = documented(list, "One-line notes (a container that declares more frames than it holds).")
    violation_ids: list[str] = documented(list, "Violations written for this video.")
    tracks: list[TrackRecord] = documented(list, "Every motorcycle track, in track ID order (schema 5; empty in older "
                                                 "records).")
    evidence_sha256: dict[str, str] = documented(dict, "Evidence file path relative to OUT → SHA-256.")
    config_hash: str | None = documented(
        None, "SHA-256 of the settings and weight files it was analysed with: a re-run with the same skips it; a "
              "database rebuilt from the records keeps that (schema 6; empty in older records).")
    copies: list[CopyRecord] = documented(list, "Every file found with this content, the analysed one first; a later "
                                                "run that finds another adds it without analysing again (schema 7; "
                                                "empty in older records: `source_path` is the only one known).")
    helmetscan_version: str = documented(description="Version of helmetscan that wrote the record.")

    @property
    def known_copies(self) -> list[CopyRecord]:
        """``copies``, or for a record from before them the one file it names (``source_path``)."""
        return self.copies or [CopyRecord(path=self.source_path, analysed=True, recording=self.recording,
                                          gps_source=self.gps_source)]

    @property
    def other_copies(self) -> list[CopyRecord]:
        """The copies not analysed (the same content found elsewhere)."""
        return [c for c in self.copies if not c.analysed]

    @property
    def footage_s(self) -> float:
        """Seconds of footage analysed: what decoded (``info.decoded_duration_s``; the declared length for a record
        without it), none for a failed video."""
        if self.status is VideoStatus.FAILED or self.info is None:
            return 0.0
        decoded = self.info.decoded_duration_s
        return self.info.duration_s if decoded is None else decoded

    @field_validator("counts", mode="before")
    @classmethod
    def _no_counts(cls, value: Any) -> Any:
        return None if value == {} else value  # helmetscan 0.1 wrote {} for a failed video
