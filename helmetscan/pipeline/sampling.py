"""Frame sampling: decode a video sequentially and keep frames at a target rate, timed by the stream's timestamps."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helmetscan.core.errors import VideoError
from helmetscan.core.messages import NO_FRAME_DECODED, NO_FRAME_SIZE, NOT_A_VIDEO_FILE, UNREADABLE_VIDEO

log = logging.getLogger(__name__)

#: Extensions searched for in folders (compared case-insensitively).
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".mkv", ".m4v", ".mpg", ".mpeg", ".ts", ".mts", ".wmv", ".webm", ".3gp"})

#: A sampling rate above any camera's frame rate: :func:`iter_sampled_frames` at this rate yields every frame
#: (:class:`RateSampler` keeps every frame when ``fps`` is at least the stream's rate); for measurements on labelled
#: clips.
EVERY_FRAME_FPS = 1000.0


@dataclass(frozen=True)
class VideoInfo:
    """Metadata of a source video as declared by its container.

    ``fps`` is frames per second, ``frame_count`` the declared number of frames (containers can be wrong: the sampler
    reports how many frames were really decoded; an MP4 edit list hides some of them), ``duration_s`` the length the
    container declares (:func:`declared_duration_s`), ``width``/``height`` in pixels.
    """

    path: Path
    fps: float
    frame_count: int
    duration_s: float
    width: int
    height: int


@dataclass(frozen=True)
class SampledFrame:
    """One kept frame. ``image``: (H, W, 3) uint8 BGR; ``frame_index``: 0-based index in decode order;
    ``timestamp_s``: seconds from the start of the video, from the stream's timestamps."""

    frame_index: int
    timestamp_s: float
    image: np.ndarray


@dataclass
class DecodeStats:
    """Filled in while sampling: frames decoded from the stream and frames kept, and the timestamps (seconds) of the
    first and last frame decoded (``None`` before any)."""

    frames_decoded: int = 0
    frames_sampled: int = 0
    first_s: float | None = None
    last_s: float | None = None

    def decoded_s(self, fps: float) -> float:
        """Seconds of footage the decoded frames cover: from the first to the last one, plus the last one's own
        duration (``1 / fps``); 0 when none decoded."""
        if self.first_s is None or self.last_s is None:
            return 0.0
        return max(0.0, self.last_s - self.first_s) + (1.0 / fps if fps > 0 else 0.0)


#: A video *ends early* (its record says ``incomplete``) when the frames that decode cover less than this share of the
#: length its container declares (:func:`declared_duration_s`) ...
ENDS_EARLY_SHARE = 0.98
#: ... and at least this many seconds less. Measured here (tests/test_video.py): complete files fall short by at most
#: 0.009 s, 0.4 % (the film clip, whose MP4 edit list shows 66 of the 96 frames it holds: 2.200 s of frames for 2.209 s
#: declared); the CCTV clip, bikes.mp4 and generated MJPG/AVI, MPEG-4/AVI and MPEG-4/MP4 files by 0. Both bounds leave
#: a margin (5x the share, 50x the seconds), and a file that loses more is noticed: the CCTV clip (a faststart MP4)
#: with 2 % of its bytes cut off decodes 297 of its 307 frames, 3.3 % short; cut in half, 49 % short. Counting frames
#: instead of seconds would call the complete film clip incomplete (69 % of the frames it declares).
ENDS_EARLY_MIN_S = 0.5


def ends_early(declared_s: float, decoded_s: float) -> bool:
    """Whether a video's decoded frames (``decoded_s`` seconds, :meth:`DecodeStats.decoded_s`) fall short of the
    length its container declares (``declared_s``) by more than :data:`ENDS_EARLY_SHARE` and
    :data:`ENDS_EARLY_MIN_S` allow: the file is truncated or corrupt towards its end."""
    missing = declared_s - decoded_s
    return declared_s > 0 and missing > max((1.0 - ENDS_EARLY_SHARE) * declared_s, ENDS_EARLY_MIN_S)


class RateSampler:
    """Decides, frame by frame, which timestamps to keep so that kept frames are ``1 / fps`` seconds apart.

    A frame is kept when its timestamp reaches the next due time (within half a millisecond); the due time then advances
    by whole steps past that timestamp, so a gap in the stream never causes a burst of kept frames. If ``fps`` is at least
    the stream's rate, every frame is kept.
    """

    TOLERANCE_S = 5e-4

    def __init__(self, fps: float):
        if fps <= 0:
            raise ValueError(f"sampling fps must be > 0, got {fps}")
        self.step_s = 1.0 / fps
        self._due_s: float | None = None

    def keep(self, timestamp_s: float) -> bool:
        """True if the frame at ``timestamp_s`` (seconds, non-decreasing between calls) is to be kept."""
        t = timestamp_s + self.TOLERANCE_S
        if self._due_s is None:
            self._due_s = timestamp_s
        if t < self._due_s:
            return False
        self._due_s += self.step_s * (int((t - self._due_s) / self.step_s) + 1)
        return True


def sample_times(timestamps_s: list[float], fps: float) -> list[int]:
    """Indices into ``timestamps_s`` (seconds, non-decreasing) that a :class:`RateSampler` at ``fps`` keeps."""
    sampler = RateSampler(fps)
    return [i for i, t in enumerate(timestamps_s) if sampler.keep(t)]


def declared_duration_s(path: Path, frame_count: int, fps: float) -> float:
    """The length ``path``'s container declares, seconds: the duration of its video stream as its header gives it
    (MP4/MOV ``mdhd`` with the edit list applied, Matroska's segment duration; read with PyAV), except for AVI, whose
    header declares a frame count (``frame_count / fps``: FFmpeg's AVI duration is rebuilt from the index at the end of
    the file, so a file cut short would declare only what is left). ``frame_count / fps`` too when PyAV cannot say."""
    fallback = frame_count / fps if fps > 0 else 0.0
    import av  # lazy: keeps `helmetscan --help` fast

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if "avi" in container.format.name.split(","):
                return fallback
            stream = container.streams.video[0] if container.streams.video else None
            if stream is not None and stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
            if container.duration:
                return container.duration / av.time_base
    except (av.FFmpegError, OSError, ValueError) as exc:
        log.debug("%s: no declared duration from PyAV (%s)", path, exc)
    return fallback


def open_video(path: Path, decoder_threads: int = 0, declared: bool = True):
    """Open ``path`` with OpenCV and read its metadata. ``decoder_threads``: FFmpeg's decoding threads (0: its
    default, one per core). ``declared``: read the length the container declares (:func:`declared_duration_s`);
    else ``duration_s`` is ``frame_count / fps``.

    Returns:
        (cv2.VideoCapture, VideoInfo)

    Raises:
        VideoError: the file cannot be opened as a video, or declares no usable frame size.
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # our one-line error replaces FFmpeg's own messages
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    import cv2

    cap = cv2.VideoCapture(str(path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, decoder_threads] if decoder_threads else [])
    if not cap.isOpened():
        if path.suffix.lower() not in VIDEO_EXTENSIONS:
            raise VideoError(NOT_A_VIDEO_FILE % {"path": path, "extension": path.suffix})
        raise VideoError(UNREADABLE_VIDEO % {"path": path})
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    if width <= 0 or height <= 0:
        cap.release()
        raise VideoError(NO_FRAME_SIZE % {"path": path, "width": width, "height": height})
    duration = declared_duration_s(path, count, fps) if declared else (count / fps if fps > 0 else 0.0)
    return cap, VideoInfo(path=path, fps=fps, frame_count=count, duration_s=duration, width=width, height=height)


def iter_sampled_frames(path: Path, fps: float, stats: DecodeStats | None = None,
                        decoder_threads: int = 0) -> Iterator[SampledFrame]:
    """Decode ``path`` sequentially and yield frames about ``1 / fps`` seconds apart.

    Skipped frames are only ``grab()``-bed (not converted); every decoded frame is counted in ``stats``. Timestamps come
    from ``CAP_PROP_POS_MSEC``; where a backend gives none, from ``frame_index / container fps``.

    Raises:
        VideoError: the file cannot be opened, or not a single frame decodes.
    """
    import cv2

    stats = stats if stats is not None else DecodeStats()
    cap, info = open_video(path, decoder_threads, declared=False)
    sampler = RateSampler(fps)
    try:
        index = -1
        while cap.grab():
            index += 1
            stats.frames_decoded += 1
            t_ms = cap.get(cv2.CAP_PROP_POS_MSEC)
            t = t_ms / 1000.0 if (t_ms > 0 or index == 0) else (index / info.fps if info.fps > 0 else 0.0)
            if stats.first_s is None:
                stats.first_s = t
            stats.last_s = t
            if not sampler.keep(t):
                continue
            ok, image = cap.retrieve()
            if not ok or image is None:
                log.warning("%s: frame %d decoded but could not be retrieved", path, index)
                continue
            stats.frames_sampled += 1
            yield SampledFrame(frame_index=index, timestamp_s=t, image=image)
    finally:
        cap.release()
    if stats.frames_decoded == 0:
        raise VideoError(NO_FRAME_DECODED % {"path": path})
