"""The batch runner: a night of SD-card dumps, analysed unattended, resumable and loss-free.

A video is identified by its SHA-256, never by its name: its results folder is ``OUT/<stem>-<SHA-256, 10 hex>`` and its
violation IDs derive from that, so two nights whose cards both hold ``FILE0001.MP4`` keep both. The recording start,
channel and vehicle of each file come from its dashcam name or container (:mod:`helmetscan.runner.dashcam`); files
run in recording order. Identical files (one SHA-256, e.g. a file copied onto two cards) are analysed once, from the
copy with a known recording time and a GPS track (then the earliest, then by path); every copy, with its own path,
vehicle, channel, recording time and GPS source, is recorded in the video's ``copies``, and a later run that finds
another copy of a video already done adds it there without analysing again. Videos the results database already holds
as analysed (done, or incomplete: the file ends early) with the same settings and models are skipped (``force`` redoes
them). Each video's results are written under ``OUT/.partial/<key>`` and renamed into place
when complete; its database rows are committed after that, then SHA256SUMS and the reports are rewritten atomically.
So a run killed at any moment and started again ends with the records of an uninterrupted run, and ``sha256sum -c
SHA256SUMS`` holds whenever no run is in progress. A folder an earlier analysis wrote is moved to ``OUT/.superseded``,
never deleted. The CLI, the benchmark and the violation checks all run videos through :class:`BatchRunner`.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from helmetscan import __version__
from helmetscan.config import Settings
from helmetscan.core.errors import ConfigError, HelmetscanError, OutputFull, ResultsError, VideoError
from helmetscan.core.messages import UNEXPECTED_ERROR
from helmetscan.pipeline.loading import Models, set_threads
from helmetscan.weights.registry import sha256_file
from helmetscan.pipeline.analyzer import Analyzer
from helmetscan.pipeline.sampling import VideoInfo, open_video
from helmetscan.pipeline.timing import StageTimer
from helmetscan.results.assemble import failed_video_record, recording_info
from helmetscan.results.database import DB_NAME, FileStat, ResultsDB, holds_records
from helmetscan.results.evidence import (
    PARTIAL, SUPERSEDED, VIDEO_JSON, holding_output, load_results, write_json, write_record, write_sha256sums,
)
from helmetscan.results.evidence_stage import EvidenceStage, Placer
from helmetscan.results.records import (
    SCHEMA_VERSION, CopyRecord, RecordingInfo, VideoRecord, VideoStatus, ViolationRecord,
)
from helmetscan.results.report import write_reports
from helmetscan.runner.dashcam import Recording, local_time, recording_of
from helmetscan.runner.discovery import video_key
from helmetscan.runner.gps import find_gps_track, gps_sources, place_at

log = logging.getLogger(__name__)

SETTINGS_JSON = "settings.json"
MIB = 1 << 20


def check_free_space(out: Path, min_free_mb: int) -> None:
    """Fail unless ``out``'s file system has at least ``min_free_mb`` MiB free (``evidence.min_free_mb``).

    Raises:
        OutputFull: less is free (the message gives both figures).
    """
    free = shutil.disk_usage(out).free
    if free < min_free_mb * MIB:
        raise OutputFull(f"{out}: OUT is full: {free / MIB:.0f} MiB free, {min_free_mb} MiB needed before a video "
                         "(evidence.min_free_mb)")


def out_of_space(exc: BaseException) -> bool:
    """Whether ``exc`` says the output's file system is full: ENOSPC / EDQUOT, or SQLite's "database or disk is
    full"."""
    import sqlite3

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc)


class BatchProgress(Protocol):
    """What a batch reports while it runs (the CLI binds it to rich progress bars). :class:`NoProgress` ignores all."""

    def batch_started(self, videos: int, footage_s: float, skipped: int) -> None:
        """``videos`` will be analysed (``footage_s`` seconds of footage in all); ``skipped`` are done already."""

    def video_started(self, path: Path, index: int, total: int) -> None:
        """Video ``index`` (0-based) of ``total`` starts."""

    def frame_done(self, done: int, expected: int) -> None:
        """``done`` sampled frames of the current video are analysed, of about ``expected``."""

    def video_finished(self, record: VideoRecord) -> None:
        """The current video's results are written (``record.status`` says whether it failed)."""


class NoProgress:
    """A :class:`BatchProgress` that reports nothing."""

    def batch_started(self, videos: int, footage_s: float, skipped: int) -> None:
        pass

    def video_started(self, path: Path, index: int, total: int) -> None:
        pass

    def frame_done(self, done: int, expected: int) -> None:
        pass

    def video_finished(self, record: VideoRecord) -> None:
        pass


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


@dataclass(frozen=True)
class Copy:
    """Another file with a job's content: its record, and its size and modification time when it was found on disk
    in this run (``None`` for a copy only an earlier run found)."""

    record: CopyRecord
    size_bytes: int | None = None
    mtime_ns: int | None = None


@dataclass(frozen=True)
class Job:
    """One video of a batch: its file, identity (SHA-256, the seconds hashing took: 0 when the database knew it), its
    results folder ``key``, recording start/channel/vehicle, its container metadata (``None`` when it does not
    open as a video: the analysis then fails it with the reason), and the other files with its content (``others``,
    not analysed; recorded in the video's ``copies``)."""

    path: Path
    sha256: str
    size_bytes: int
    mtime_ns: int
    key: str
    recording: Recording
    info: VideoInfo | None
    hash_s: float = 0.0
    others: tuple[Copy, ...] = ()

    @property
    def duration_s(self) -> float:
        """Footage length the container declares, seconds (0 when unknown)."""
        return self.info.duration_s if self.info else 0.0

    def files(self) -> list[FileStat]:
        """The files with this content found on disk in this run (path, size, modification time), for the database."""
        return [(str(self.path), self.size_bytes, self.mtime_ns)] + [
            (c.record.path, c.size_bytes, c.mtime_ns) for c in self.others if c.size_bytes is not None]


@dataclass
class BatchResult:
    """What a batch did: one record per analysed video (in processing order), the jobs skipped because their results
    were already there, and the wall time in seconds."""

    videos: list[VideoRecord]
    skipped: list[Job]
    wall_s: float

    @property
    def failures(self) -> list[str]:
        """One-line reasons of the videos that failed or ended early (``incomplete``: analysed only as far as they
        decode), each naming its file."""
        return [v.error or v.source_path for v in self.videos if v.status is not VideoStatus.DONE]

    @property
    def incomplete(self) -> list[VideoRecord]:
        """The videos that end early, analysed as far as they decode (also in :attr:`failures`)."""
        return [v for v in self.videos if v.status is VideoStatus.INCOMPLETE]

    @property
    def footage_s(self) -> float:
        """Seconds of footage analysed (of an incomplete video what decoded, of a failed one none)."""
        return sum(v.footage_s for v in self.videos)


def config_hash(settings: Settings, model_sha256: dict[str, str]) -> str:
    """SHA-256 of everything that decides a video's results: the settings (but where the weights live and how the
    work is spread over cores, ``runtime``, the filing limits of ``export`` and the pages' language, ``report``, which
    change no result) and the model
    files' hashes. A video done under another hash is analysed again."""
    data = settings.model_dump(mode="json", exclude={"weights_dir", "runtime", "export", "report"})
    return hashlib.sha256(json.dumps([data, model_sha256], sort_keys=True).encode()).hexdigest()


def refresh_outputs(out: Path, db: ResultsDB | None = None, lang: str = "en") -> None:
    """Rewrite SHA256SUMS and the reports (CSV, HTML, sheets; texts in ``lang``) from the results stored in ``out``
    (its database when there is one)."""
    videos, records = db.load() if db is not None else load_results(out)
    write_sha256sums(out, videos)
    write_reports(out, videos, records, __version__, db.reviews() if db is not None else None, lang=lang)


def _new_partial(out: Path, key: str) -> Path:
    """A new folder ``OUT/.partial/<key>.<8 hex>`` to assemble one attempt at a video in (unique per attempt, so a
    retry never shares it with a lost worker)."""
    partial = out / PARTIAL / f"{key}.{uuid.uuid4().hex[:8]}"
    partial.mkdir(parents=True)
    return partial


def _rename_into_place(partial: Path, final: Path) -> None:
    """Rename a completed results folder into place; an existing one is moved to ``.superseded`` first."""
    if final.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        aside = final.parent / SUPERSEDED / f"{final.name}-{stamp}"
        aside.parent.mkdir(exist_ok=True)
        final.rename(aside)
    partial.rename(final)


class Executor(Protocol):
    """Runs the analyses of a batch and hands back each video's results as they complete (in any order)."""

    def results(self, runner: BatchRunner, jobs: list[Job], out: Path, progress: BatchProgress
                ) -> Iterator[tuple[Job, VideoRecord, list[ViolationRecord]]]:
        """Analyse every job into ``out`` (:meth:`BatchRunner.analyse`, or a worker's copy of it); yield each with its
        video record and violation records. Calls ``progress.video_started`` (and ``frame_done`` where it can)."""


class LocalExecutor:
    """The default :class:`Executor`: one video after another, in this process, with frame-level progress."""

    def results(self, runner: BatchRunner, jobs: list[Job], out: Path, progress: BatchProgress
                ) -> Iterator[tuple[Job, VideoRecord, list[ViolationRecord]]]:
        for index, job in enumerate(jobs):
            check_free_space(out, runner.settings.evidence.min_free_mb)
            progress.video_started(job.path, index, len(jobs))
            yield job, *runner.analyse(job, out, progress.frame_done)


class BatchRunner:
    """Runs videos through one :class:`Analyzer` whose models are loaded once.

    Args:
        settings: the run's settings.
        models: the loaded models (:func:`helmetscan.pipeline.loading.load_models`); tests pass fakes.
    """

    def __init__(self, settings: Settings, models: Models | None = None, loader: Callable[[Settings], Models] | None
                 = None):
        self.settings = settings
        self._models = models
        self._loader = loader
        self._model_sha256 = models.sha256 if models is not None else None
        self._analyzer: Analyzer | None = None
        self._evidence: EvidenceStage | None = None
        self.tz = ZoneInfo(settings.recording.time_zone)

    @property
    def model_sha256(self) -> dict[str, str]:
        """The SHA-256 of the run's weight files (file name → hex), checked without loading a model."""
        if self._model_sha256 is None:
            from helmetscan.pipeline.loading import model_hashes

            self._model_sha256 = model_hashes(self.settings)
        return self._model_sha256

    @property
    def models(self) -> Models:
        """The run's models, loaded on first use (only when a video needs analysis; ``loader``, by default
        :func:`~helmetscan.pipeline.loading.load_models`).

        Raises:
            ConfigError: the device is not available, or a model's classes do not fit its stage (exit 2).
            WeightsError: a weight file is missing, corrupt or cannot be loaded.
        """
        if self._models is None:
            from helmetscan.pipeline.loading import load_models

            self._models = (self._loader or load_models)(self.settings)
        return self._models

    def load_models(self) -> Models:
        """Load the run's models now (:attr:`models`), if not loaded yet."""
        return self.models

    @property
    def analyzer(self) -> Analyzer:
        """The analyzer of one video, on the run's models."""
        if self._analyzer is None:
            m = self.models
            self._analyzer = Analyzer(self.settings, m.detector, m.head_detector, m.plate_detector, m.recognizer,
                                      m.head_classifier)
        return self._analyzer

    @property
    def evidence(self) -> EvidenceStage:
        """The evidence stage, on the run's models."""
        if self._evidence is None:
            m = self.models
            self._evidence = EvidenceStage(self.settings, m.sha256, m.face_detector,
                                           m.frame_plate_detector or m.plate_detector)
        return self._evidence

    # ---- planning --------------------------------------------------------------------------------------------------

    def job(self, path: Path, root: Path | None = None, db: ResultsDB | None = None) -> Job:
        """Identify one input: hash it (or take the hash the database holds for this path, size and mtime), read its
        recording start, channel and vehicle, and its declared length."""
        stat = path.stat()
        t0 = time.perf_counter()
        sha = db.sha256_of(path, stat.st_size, stat.st_mtime_ns) if db else None
        hash_s = 0.0
        if sha is None:
            sha = sha256_file(path)
            hash_s = time.perf_counter() - t0
        vehicle = self.settings.recording.vehicle or None
        recording = recording_of(path, root, self.tz, vehicle)
        try:
            cap, info = open_video(path)
            cap.release()
        except VideoError:
            info = None
        return Job(path, sha, stat.st_size, stat.st_mtime_ns, video_key(path, sha), recording, info, hash_s)

    def plan(self, videos: list[Path], roots: dict[Path, Path], db: ResultsDB | None = None,
             since: datetime | None = None, until: datetime | None = None) -> list[Job]:
        """The jobs of a batch in recording order (unknown starts last, by path), one per distinct content, within
        ``since``/``until`` (aware datetimes; videos of unknown start are left out when either is given; a content
        is in when one of its copies is). Of identical files the job analyses the one :meth:`preferred` picks and
        lists the others in ``others``."""
        groups: dict[str, list[Job]] = {}
        for path in videos:
            job = self.job(path, roots.get(path), db)
            groups.setdefault(job.sha256, []).append(job)
        selected = []
        for copies in groups.values():
            inside = [job for job in copies if self._in_window(job, since, until)]
            if not inside:
                continue
            job = self.preferred(inside, copies)
            start = local_time(job.recording, 0.0, self.tz)
            selected.append((start is None, start or datetime.min.replace(tzinfo=UTC), str(job.path), job))
        return [job for *_, job in sorted(selected, key=lambda s: s[:3])]

    def _in_window(self, job: Job, since: datetime | None, until: datetime | None) -> bool:
        if not (since or until):
            return True
        start = local_time(job.recording, 0.0, self.tz)
        return start is not None and not (since and start < since) and not (until and start >= until)

    def preferred(self, candidates: list[Job], copies: list[Job]) -> Job:
        """Of identical files (``copies``, one SHA-256), the job analysing the best of ``candidates`` (those in the
        run's time window), the others in its ``others``: first a copy whose recording time is known and that has a
        GPS track (so its violations get a time and a place), then one with a known time, then the earliest recording,
        then by path. A GPS track is looked for only when there are several copies."""
        if len(copies) == 1:
            return copies[0]
        gps = gps_sources([job.path for job in copies])
        far = datetime.max.replace(tzinfo=UTC)

        def rank(job: Job):
            start = local_time(job.recording, 0.0, self.tz)
            return start is None, gps[job.path] == "none", start or far, str(job.path)

        chosen = min(candidates, key=rank)
        others = tuple(Copy(self._copy_record(job, False, gps[job.path]), job.size_bytes, job.mtime_ns)
                       for job in sorted(copies, key=rank) if job is not chosen)
        return replace(chosen, others=others)

    def _copy_record(self, job: Job, analysed: bool, gps_source: str | None) -> CopyRecord:
        return CopyRecord(path=str(job.path), analysed=analysed, recording=recording_info(job.recording, self.tz),
                          gps_source=None if gps_source in (None, "none") else gps_source)

    @staticmethod
    def _with_stored_copies(job: Job, stored: VideoRecord | None) -> Job:
        """``job`` with the copies an earlier run recorded for its content and this run did not find added to its
        ``others`` (so that analysing it again loses none)."""
        if stored is None:
            return job
        found = {str(job.path), *(c.record.path for c in job.others)}
        earlier = tuple(Copy(c.model_copy(update={"analysed": False})) for c in stored.known_copies
                        if c.path not in found)
        return replace(job, others=job.others + earlier) if earlier else job

    def _record_new_copies(self, out: Path, db: ResultsDB, job: Job, stored: VideoRecord) -> None:
        """A video done earlier, found again: add the copies of its content this run found and its record lacks to its
        ``video.json`` (rewritten atomically) and the database, without analysing it again."""
        known = {c.path for c in stored.known_copies}
        found = [(job.path, job.size_bytes, job.mtime_ns, None)] + [
            (Path(c.record.path), c.size_bytes, c.mtime_ns, c.record) for c in job.others if c.size_bytes is not None]
        new = [(path, record or self._copy_record(job, False, find_gps_track(path)[1]))
               for path, _, _, record in found if str(path) not in known]
        if not new:
            return
        copies = [*stored.known_copies, *(record.model_copy(update={"analysed": False}) for _, record in new)]
        record = stored.model_copy(update={"copies": copies, "schema_version": SCHEMA_VERSION})
        write_record(out / stored.video_key / VIDEO_JSON, record)
        db.add_copies(job.sha256, record, job.files())
        log.info("%s: %d more cop(ies) of a video already analysed recorded in %s", job.path, len(new),
                 stored.video_key)

    # ---- running ---------------------------------------------------------------------------------------------------

    def run(self, videos: list[Path], out: Path, progress: BatchProgress | None = None, *, roots=None,
            force: bool = False, since: datetime | None = None, until: datetime | None = None,
            executor: Executor | None = None) -> BatchResult:
        """Analyse ``videos`` into ``out``, resuming: videos done with the same settings and models are skipped unless
        ``force``. A failed video is recorded with its reason and the batch goes on. ``executor`` runs the analyses
        (default: one after another in this process, :class:`LocalExecutor`); whatever runs them, this process alone
        writes the database, SHA256SUMS and the reports, as each video's results arrive.

        Raises:
            ConfigError: ``out`` cannot be used as an output folder (:func:`check_out_dir`), or the models do not fit.
            OutputBusy: another run holds ``out`` (nothing is analysed).
            OutputFull: ``out``'s file system is full before or during a video: the batch stops there; what was
                committed stays, the video being written is left for the next run.
            ResultsError: ``out`` holds a database helmetscan cannot read, or results without their database (it is
                rebuilt from them first: ``helmetscan rebuild-db``).
        """
        check_out_dir(out)
        with holding_output(out, f"{out}: another helmetscan analyze is writing into OUT; run again when it has "
                                 "finished"):
            return self._run_locked(videos, out, progress or NoProgress(), roots or {}, force, since, until,
                                    executor or LocalExecutor())

    def _run_locked(self, videos: list[Path], out: Path, progress: BatchProgress, roots: dict[Path, Path],
                    force: bool, since: datetime | None, until: datetime | None, executor: Executor) -> BatchResult:
        started = time.perf_counter()
        if not (out / DB_NAME).exists() and holds_records(out):
            raise ResultsError(f"{out}: holds results but no {DB_NAME}: rebuild it from the records with: helmetscan "
                               f"rebuild-db {out}")  # a fresh database would analyse them again, and lose reviews
        db = ResultsDB(out)
        records: list[VideoRecord] = []
        todo: list[Job] = []
        try:
            shutil.rmtree(out / PARTIAL, ignore_errors=True)  # a killed run's unfinished folders: never published
            config = self.config_hash()
            jobs = self.plan(videos, roots, db, since, until)
            skipped = []
            for job in jobs:
                known = db.known(job.sha256)
                done = known is not None and known.status.analysed and known.config_hash == config
                if done and not force and (out / known.video_key).is_dir():
                    skipped.append(job)
                    if not db.has_files(job.sha256, [path for path, _, _ in job.files()]):  # a copy new to OUT?
                        self._record_new_copies(out, db, job, db.video(job.sha256))
                else:
                    todo.append(self._with_stored_copies(job, db.video(job.sha256) if known is not None else None))
            if todo:  # loaded here, before the first video, so a model that cannot serve fails the run at once
                self.load_models()
            settings = self.settings.model_dump(mode="json")
            write_json(out / SETTINGS_JSON, {"helmetscan_version": __version__, **settings})
            run_id = db.start_run(__version__, config, settings, self.model_sha256)
            progress.batch_started(len(todo), sum(j.duration_s for j in todo), len(skipped))
            for job, record, violations in executor.results(self, todo, out, progress):
                db.save_video(record, violations, sha256=job.sha256, mtime_ns=job.mtime_ns, config_hash=config,
                              run_id=run_id, files=job.files())
                records.append(record)
                refresh_outputs(out, db, self.settings.report.lang)
                progress.video_finished(record)
            if not todo:
                refresh_outputs(out, db, self.settings.report.lang)
            db.finish_run(run_id, len(records), len(skipped), sum(r.status is VideoStatus.FAILED for r in records))
        except OutputFull as exc:
            raise OutputFull(f"{exc}; analysed {len(records)} of {len(todo)} video(s): free space and re-run to "
                             "resume") from None
        except Exception as exc:
            if not out_of_space(exc):
                raise
            raise OutputFull(f"{out}: OUT is full ({exc}); analysed {len(records)} of {len(todo)} video(s): free "
                             "space and re-run to resume") from None
        finally:
            db.close()
        return BatchResult(records, skipped, time.perf_counter() - started)

    def config_hash(self) -> str:
        """The configuration hash of this run's settings and weight files (:func:`config_hash`)."""
        return config_hash(self.settings, self.model_sha256)

    def run_video(self, path: Path, out: Path, key: str | None = None, on_frame=None) -> VideoRecord:
        """Analyse one video into ``out / key`` (default: its content key), without the database: for the checks and
        the benchmark. Expected faults never raise: the record says ``failed`` with a one-line ``error``."""
        job = self.job(path)
        if key is not None:
            job = replace(job, key=key)
        return self.analyse(job, out, on_frame)[0]

    def analyse(self, job: Job, out: Path, on_frame=None) -> tuple[VideoRecord, list[ViolationRecord]]:
        """Analyse one job into a folder of its own under ``OUT/.partial`` (unique per attempt, so a retry never
        shares it with a lost worker), then rename it into place as ``OUT/<key>``. Expected faults of the video never
        raise: the record says ``failed``.

        Raises:
            OutputFull: ``out``'s file system filled up: not the video's fault, so nothing is recorded for it and its
                unfinished folder is removed (the next run analyses it).
        """
        started = time.perf_counter() - job.hash_s
        try:
            return self._analyse(job, out, on_frame, started)
        except OSError as exc:
            if not out_of_space(exc):
                raise
            raise OutputFull(f"{out}: OUT is full while writing the results of {job.path} "
                             f"({exc.strerror or exc})") from None

    def _analyse(self, job: Job, out: Path, on_frame, started: float) -> tuple[VideoRecord, list[ViolationRecord]]:
        partial = _new_partial(out, job.key)
        timer = StageTimer()
        if job.hash_s:
            timer.seconds["hash"] = job.hash_s
        info = job.info
        violations: list[ViolationRecord] = []
        recording = recording_info(job.recording, self.tz)
        error = None
        try:
            if info is None:
                cap, info = open_video(job.path)  # raises the one-line reason it does not open
                cap.release()
            set_threads(self.settings.runtime.model_threads())  # per video: another runner may have changed it
            analysis = self.analyzer.analyze(job.path, on_frame, timer, info=info)
            fixes, gps_source = find_gps_track(job.path)
            record, violations = self.evidence.write(partial, job.key, job.path, job.sha256, analysis, timer,
                                                     recording, self._placer(job, fixes, gps_source),
                                                     None if gps_source == "none" else gps_source)
        except HelmetscanError as exc:
            error = str(exc)
        except Exception as exc:  # an unexpected decoder/model fault must not stop the batch
            if out_of_space(exc):
                shutil.rmtree(partial, ignore_errors=True)
                raise
            log.exception("%s: unexpected error", job.path)
            error = UNEXPECTED_ERROR % {"path": job.path, "error": f"{type(exc).__name__}: {exc}"}
        if error is not None:
            record = failed_video_record(job.key, str(job.path), error, info, job.sha256, timer.rounded_seconds())
        try:
            return self._publish(job, out, partial, record, started, recording), violations
        except OSError as exc:
            if out_of_space(exc):
                shutil.rmtree(partial, ignore_errors=True)
            raise

    def _publish(self, job: Job, out: Path, partial: Path, record: VideoRecord, started: float,
                 recording: RecordingInfo) -> VideoRecord:
        """Complete ``record`` (size, recording, every copy of the content, processing time), write it as
        ``video.json`` and rename the folder into place."""
        copies = [CopyRecord(path=str(job.path), analysed=True, recording=recording, gps_source=record.gps_source),
                  *(c.record for c in job.others)]
        record = record.model_copy(update={"size_bytes": job.size_bytes, "recording": recording, "copies": copies,
                                           "wall_s": round(time.perf_counter() - started, 3),
                                           "config_hash": self.config_hash()})
        write_record(partial / VIDEO_JSON, record)
        _rename_into_place(partial, out / job.key)
        return record

    def failed(self, job: Job, out: Path, error: str) -> VideoRecord:
        """Record ``job`` as failed with the one-line ``error`` (its folder holds only ``video.json``): for a video
        whose analysis never returned (an executor lost the worker running it)."""
        record = failed_video_record(job.key, str(job.path), error, job.info, job.sha256)
        return self._publish(job, out, _new_partial(out, job.key), record, time.perf_counter(),
                             recording_info(job.recording, self.tz))

    def _placer(self, job: Job, fixes, gps_source: str) -> Placer:
        """The local time and place of a moment of ``job``'s video: its recording start plus the moment, and the
        position on its GPS track then (:func:`~helmetscan.runner.gps.place_at`)."""
        def place_of(timestamp_s: float):
            when = local_time(job.recording, timestamp_s, self.tz)
            if when is None:
                return None, None
            place = place_at(fixes, when, self.settings.recording.gps_max_gap_s, gps_source) if fixes else None
            return when.isoformat(timespec="milliseconds"), place

        return place_of
