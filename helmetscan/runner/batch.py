"""The batch runner: find the videos, key them, analyse each with models loaded once, isolate failures, write each
video's records and evidence as soon as it is done, refresh SHA256SUMS and the reports, and report progress through
a callback. The CLI, the benchmark and the violation checks all run videos through it."""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from helmetscan import __version__
from helmetscan.config import Settings
from helmetscan.errors import ConfigError, HelmetscanError, VideoError
from helmetscan.models.loader import Models
from helmetscan.models.registry import sha256_file
from helmetscan.pipeline.analyzer import Analyzer, VideoAnalysis
from helmetscan.pipeline.sampling import VideoInfo, open_video
from helmetscan.pipeline.timing import StageTimer
from helmetscan.results.assemble import evidence_images, failed_video_record, video_record, violation_record
from helmetscan.results.evidence import (
    VIDEO_JSON, load_results, write_json, write_record, write_sha256sums, write_violation,
)
from helmetscan.results.records import VideoRecord, VideoStatus
from helmetscan.results.report import write_csv, write_html
from helmetscan.runner.discovery import find_videos, video_key

log = logging.getLogger(__name__)

SETTINGS_JSON = "settings.json"


class BatchProgress(Protocol):
    """What a batch reports while it runs (the CLI binds it to a rich progress bar). Every method is optional to
    act on; :class:`NoProgress` ignores them all."""

    def video_started(self, path: Path, index: int, total: int) -> None:
        """Video ``index`` (0-based) of ``total`` starts."""

    def frame_done(self, done: int, expected: int) -> None:
        """``done`` sampled frames of the current video are analysed, of about ``expected``."""

    def video_finished(self, record: VideoRecord) -> None:
        """The current video's results are written (``record.status`` says whether it failed)."""


class NoProgress:
    """A :class:`BatchProgress` that reports nothing."""

    def video_started(self, path: Path, index: int, total: int) -> None:
        pass

    def frame_done(self, done: int, expected: int) -> None:
        pass

    def video_finished(self, record: VideoRecord) -> None:
        pass


@dataclass
class Discovery:
    """The inputs of a batch: ``videos`` to analyse, ``ignored`` non-video files found in folders, and one-line
    ``errors`` for inputs that do not exist."""

    videos: list[Path] = field(default_factory=list)
    ignored: dict[Path, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def discover(paths: list[Path]) -> Discovery:
    """Expand files and folders into the videos of a batch; a missing input is an error line, not an exception."""
    found = Discovery()
    for p in paths:
        try:
            videos, ignored = find_videos([p])
        except VideoError as exc:
            found.errors.append(str(exc))
            continue
        found.videos += [v for v in videos if v not in found.videos]
        if ignored:
            found.ignored[p] = len(ignored)
    return found


def check_out_dir(out: Path) -> None:
    """Make sure results can be written to ``out`` (created when missing).

    Raises:
        ConfigError: ``out`` exists and is not a folder, cannot be created, or is not writable (exit 2).
    """
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: --out exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{out}: --out cannot be created ({exc.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ConfigError(f"{out}: --out is not writable")


@dataclass
class BatchResult:
    """What a batch did: one record per video (in input order) and the wall time in seconds."""

    videos: list[VideoRecord]
    wall_s: float

    @property
    def failures(self) -> list[str]:
        """One-line reasons of the videos that failed."""
        return [v.error or v.source_path for v in self.videos if v.status is VideoStatus.FAILED]


def refresh_outputs(out: Path) -> None:
    """Rewrite SHA256SUMS and both reports from everything stored in ``out`` (called after every video)."""
    videos, records = load_results(out)
    write_sha256sums(out, videos)
    write_csv(out, records)
    write_html(out, videos, records, __version__)


class BatchRunner:
    """Runs videos through one :class:`Analyzer` whose models are loaded once.

    Args:
        settings: the run's settings.
        models: the loaded models (:func:`helmetscan.models.loader.load_models`); tests pass fakes.
    """

    def __init__(self, settings: Settings, models: Models):
        self.settings = settings
        self.models = models
        self.analyzer = Analyzer(settings, models.detector, models.verifier, models.plate_detector, models.recognizer)

    def run(self, videos: list[Path], out: Path, progress: BatchProgress | None = None) -> BatchResult:
        """Analyse ``videos`` into ``out`` one after another; a failed video is recorded and the batch goes on.

        ``OUT/settings.json`` gets the resolved settings; SHA256SUMS and the reports are refreshed after every video,
        so a crash later in the batch loses nothing already written.

        Raises:
            ConfigError: ``out`` cannot be used as an output folder (:func:`check_out_dir`).
        """
        check_out_dir(out)
        progress = progress or NoProgress()
        started = time.perf_counter()
        write_json(out / SETTINGS_JSON, {"helmetscan_version": __version__, **self.settings.model_dump(mode="json")})
        used: set[str] = set()
        records = []
        for index, path in enumerate(videos):
            progress.video_started(path, index, len(videos))
            record = self.run_video(path, out, video_key(path, used), progress.frame_done)
            records.append(record)
            refresh_outputs(out)
            progress.video_finished(record)
        return BatchResult(records, time.perf_counter() - started)

    def run_video(self, path: Path, out: Path, key: str, on_frame=None) -> VideoRecord:
        """Analyse one video and write its results under ``out / key`` (replaced when it exists).

        Expected faults (unreadable video, a model fault mid-way) never raise: the video's record says ``failed`` with
        a one-line ``error``, and its ``video.json`` is still written.
        """
        folder = out / key
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        timer = StageTimer()
        info: VideoInfo | None = None
        source_sha256: str | None = None
        try:
            cap, info = open_video(path)
            cap.release()
            with timer.stage("hash", calls=None):
                source_sha256 = sha256_file(path)
            analysis = self.analyzer.analyze(path, on_frame, timer, info=info)
            record = self._write_results(folder, key, path, source_sha256, analysis, timer)
        except HelmetscanError as exc:
            record = failed_video_record(key, str(path), str(exc), info, source_sha256, timer.rounded_seconds())
        except Exception as exc:  # an unexpected decoder/model fault must not stop the batch
            log.exception("%s: unexpected error", path)
            record = failed_video_record(key, str(path), f"{path}: unexpected error: {type(exc).__name__}: {exc}",
                                         info, source_sha256, timer.rounded_seconds())
        write_record(folder / VIDEO_JSON, record)
        return record

    def _write_results(self, folder: Path, key: str, path: Path, source_sha256: str, analysis: VideoAnalysis,
                       timer: StageTimer) -> VideoRecord:
        s = self.settings
        violations, evidence_sha256 = [], {}
        for finding in analysis.findings:
            record = violation_record(finding, key, analysis.info, source_sha256, s, self.models.sha256)
            images = evidence_images(finding, record, s.verification.crop_padding)
            record, hashes = write_violation(folder / record.violation_id, images, record, s.evidence.png_compression,
                                             s.evidence.jpeg_quality)
            evidence_sha256.update({f"{record.evidence_dir}/{name}": digest for name, digest in hashes.items()})
            violations.append(record)
        return video_record(key, str(path), analysis, source_sha256, violations, timer.rounded_seconds(),
                            timer.rates(), evidence_sha256)
