"""Settings of what a run writes and how it runs: the evidence of a violation, where and when the footage was
recorded, and how the work is spread over this machine's cores."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from helmetscan.config.base import _Section, setting


class RecordingSettings(_Section):
    """Where and when footage was recorded: the dashcam's clock, the vehicle, the GPS track."""

    time_zone: str = setting("Asia/Seoul", "IANA time zone of the dashcams' clocks (file names are local time) and of "
                                           "every reported time.", "zone")
    vehicle: str = setting("", "Vehicle name of every input; empty: the top folder of each file below the folder "
                               "given to `analyze` (one folder per SD card).", "name")
    gps_max_gap_s: float = setting(10.0, "A violation further than this from every GPS fix has no place (a "
                                         "motorcycle at 50 km/h moves ~140 m in 10 s).", "s", gt=0)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Seoul, UTC)") from None
        return value


class EvidenceSettings(_Section):
    """How evidence is written: image encoding and the clip excerpt."""

    png_compression: int = setting(0, "cv2.IMWRITE_PNG_COMPRESSION for evidence frames (0 = none).", "0..9", ge=0,
                                   le=9)
    jpeg_quality: int = setting(92, "Quality of the annotated JPEG.", "1..100", ge=1, le=100)
    privacy_blur: bool = setting(True, "Blur the faces of everyone not on the violating motorcycle, and other "
                                       "vehicles' plates, in the annotated image and the crops (never in frame.png).")
    face_model: str = setting("yolov12n-face.pt", "Face detector for the privacy blur.", "file")
    face_conf: float = setting(0.3, "Minimum face confidence for the blur (low: a missed face is exposed, an extra "
                                    "blur costs nothing).", "0..1", ge=0, le=1)
    excerpt: bool = setting(True, "Write a clip excerpt of the original footage around each violation (copied, not "
                                  "re-encoded).")
    excerpt_before_s: float = setting(10.0, "Excerpt start before the evidence frame (clamped to the file; the copy "
                                            "starts at the keyframe at or before it).", "s", ge=0)
    excerpt_after_s: float = setting(10.0, "Excerpt end after the evidence frame (clamped to the file).", "s", ge=0)
    min_free_mb: int = setting(
        1024, "Free space OUT's file system must have before each video; below it the batch stops cleanly (exit 3) "
        "and resumes when re-run. 1024: about 16 violations of 1080p footage (README, Faults).", "MiB", ge=0)


class RuntimeSettings(_Section):
    """How the work is spread over this machine's cores."""

    threads: int = setting(0, "Threads for the models' own parallelism (torch, ONNX Runtime); 0: one per core "
                              "(os.cpu_count()).", "threads", ge=0)
    pipelined: bool = setting(True, "Decode frames, and run each stage-1 model, in a thread of its own, joined to "
                                    "the frame loop by bounded queues, so they use other cores while it works; "
                                    "false: one after another in one thread (same results, slower).")
    queue_frames: int = setting(4, "Frames each queue between the threads holds at most (a 1080p frame is 6 MB); "
                                   "memory stays flat whatever the video's length.", "frames", ge=1)

    def resolved_threads(self) -> int:
        """``threads``, or the number of cores when it is 0."""
        import os

        return self.threads or os.cpu_count() or 1

    def decoder_threads(self) -> int:
        """FFmpeg's decoding threads: pipelined, 1 (decoding has a thread of its own beside the two stage-1 models;
        FFmpeg's extra threads only fought them for the cores: 8 % slower on the 62 s 1080p bench clip, 2 cores);
        otherwise 0, FFmpeg's default (one per core)."""
        return 1 if self.pipelined else 0

    def model_threads(self) -> int:
        """Intra-op threads of each model: pipelined, the two stage-1 models run side by side (each in its own
        thread, beside decoding), so each gets half the threads (at least 1); otherwise all of them."""
        return max(1, self.resolved_threads() // 2) if self.pipelined else self.resolved_threads()


class ExportSettings(_Section):
    """`helmetscan export`: the filing channel's limits and deadline (안전신문고, which took over 스마트국민제보's
    traffic reports on 2024-04-21: tbnews.co.kr/news/view.php?idx=3174). Check the channel's current rules: these are
    what the sources cited below said."""

    filing_days: int = setting(
        7, "Days after the violation's local date within which a dashcam report is filed: 7 (“7일 이내 영상신고”, "
           "profile.sagetimes.kr/4027; pgr21.co.kr/freedom/105381: violations up to 4 Nov 2025 accepted until 11 "
           "Nov). The deadline is that date plus these days.", "days", ge=1)
    max_excerpt_mb: float = setting(
        50.0, "Largest excerpt the channel takes: 50 MB, the attachment total of 국민신문고 (5 files, 50 MB: "
              "comterman.tistory.com/1817); no 안전신문고 figure was found, so the same is used. A larger excerpt "
              "is exported as it is (never re-encoded), with a note.", "MB", gt=0)
    max_excerpt_s: float = setting(
        60.0, "Longest excerpt the channel takes: no published figure was found; 60 s is our choice (three times "
              "the default excerpt, evidence.excerpt_before_s + excerpt_after_s). A longer one is exported as it "
              "is, with a note.", "s", gt=0)


def locale_language() -> str:
    """The pages' language from the locale: ``ko`` when ``LC_ALL``, else ``LC_MESSAGES``, else ``LANG`` (the first of
    them set) starts with ``ko`` (``ko_KR.UTF-8``), else ``en``."""
    import os

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


class ReportSettings(_Section):
    """The report, the sheets and the review page (they change no result)."""

    lang: Literal["ko", "en"] = setting(
        locale_language, "Language of report.html, the sheets and the review page: ko (Korean) or en (English).",
        "ko / en", shown_default="from the locale: ko when LANG/LC_ALL starts with ko, else en")
