"""Clip excerpts: the original footage around a violation, cut without re-encoding (PyAV, whose wheels carry FFmpeg).

Packets are copied as they are (``add_stream_from_template``): no pixel is decoded or re-encoded, so the excerpt holds
the camera's own frames. A copy must start on a keyframe, so the excerpt starts at the last keyframe at or before the
requested start; the real start and end, in seconds from the start of the original, are returned and recorded.
"""

from __future__ import annotations

import errno

from dataclasses import dataclass
from pathlib import Path

from helmetscan.core.messages import EXCERPT_FAILED, EXCERPT_NO_FRAMES, EXCERPT_NO_STREAM

#: Containers the excerpt is written in, by source suffix: the source's own where PyAV can mux it, else Matroska
#: (which takes any codec).
_SAME_CONTAINER = {".mp4": ".mp4", ".mov": ".mov", ".mkv": ".mkv", ".avi": ".avi", ".ts": ".ts"}


@dataclass(frozen=True)
class Excerpt:
    """An excerpt written at ``path``: ``start_s`` / ``end_s`` seconds from the start of the original (the first and
    past-the-last copied packet of the video stream), ``packets`` video packets copied."""

    path: Path
    start_s: float
    end_s: float
    packets: int


class ExcerptError(Exception):
    """The excerpt could not be cut (the message is one line: the file and the reason)."""


def excerpt_suffix(source: Path) -> str:
    """The container suffix of an excerpt of ``source``."""
    return _SAME_CONTAINER.get(source.suffix.lower(), ".mkv")


def cut_excerpt(source: Path, dest: Path, start_s: float, end_s: float) -> Excerpt:
    """Copy the video stream of ``source`` from ``start_s`` to ``end_s`` (seconds from its start, clamped to the
    file) into ``dest``, without re-encoding; audio and other streams are left out.

    Raises:
        ExcerptError: the file cannot be opened, has no video stream, or nothing lies in the range.
        OSError: no space is left where ``dest`` is written (errno ENOSPC or EDQUOT): the output's fault, not the
            source's.
    """
    import av

    start_s = max(0.0, start_s)
    try:
        with av.open(str(source)) as src:
            if not src.streams.video:
                raise ExcerptError(EXCERPT_NO_STREAM % {"path": source})
            video = src.streams.video[0]
            tb = video.time_base
            first_pts = video.start_time or 0
            tmp = dest.with_name(f".{dest.name}.tmp{dest.suffix}")
            copied, first, last = 0, None, None
            with av.open(str(tmp), "w") as out:
                stream = out.add_stream_from_template(video)
                src.seek(int(start_s / tb) + first_pts, stream=video, backward=True, any_frame=False)
                for packet in src.demux(video):
                    if packet.pts is None or packet.size == 0:
                        continue
                    t = float((packet.pts - first_pts) * tb)
                    if t > end_s:
                        break
                    if first is None:
                        if not packet.is_keyframe:
                            continue  # a copy starts on a keyframe
                        first, offset = t, packet.dts if packet.dts is not None else packet.pts
                    last = t + float((packet.duration or 0) * tb)
                    packet.pts -= offset  # one shift for both keeps pts >= dts (B-frames)
                    if packet.dts is not None:
                        packet.dts -= offset
                    packet.stream = stream
                    out.mux(packet)
                    copied += 1
            if not copied or last <= start_s:  # the seek fell back to the last keyframe: the range is past the end
                tmp.unlink(missing_ok=True)
                raise ExcerptError(EXCERPT_NO_FRAMES % {"path": source, "start": f"{start_s:.2f}",
                                                        "end": f"{end_s:.2f}"})
            tmp.replace(dest)
            return Excerpt(dest, round(first, 3), round(last, 3), copied)
    except ExcerptError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT):  # OUT is full: not the clip's fault
            raise OSError(exc.errno, f"{dest.parent}: no space left for the excerpt") from None
        raise ExcerptError(EXCERPT_FAILED % {"path": source, "error": exc}) from None
