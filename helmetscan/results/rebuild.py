"""Rebuild an output folder's results database (``OUT/helmetscan.db``) from its records, when it is damaged or lost.

The ``video.json`` and ``record.json`` files are the truth; the database is rebuilt from them:

1. every ``OUT/<key>/video.json`` with the ``OUT/<key>/<violation id>/record.json`` of its violations is read first
   (a record that does not read stops the rebuild before anything changes; folders starting with a dot —
   ``.superseded``, ``.partial`` — are not results);
2. the analysts' decisions are recovered: from the old database's ``reviews`` table, read tolerantly from a copy
   (the whole table, else row by row, skipping rows that do not read), and from ``OUT/violations.csv`` (the latest
   decision per violation, with who and when), which adds those the database lost; each keeps its reviewer and time,
   and only decisions on a violation of the records are kept;
3. a new database is built beside (under ``OUT/.partial``) through the migrations: one run without settings, models
   or configuration hash (the rebuild), then every video with its violations, then the decisions;
4. the old database (with its ``-wal``/``-shm``) is moved, never deleted, to ``OUT/.superseded/helmetscan.db-<UTC
   time>``, and the new one renamed into its place;
5. ``SHA256SUMS`` and the reports are rewritten from it, as after a run.

A video keeps the configuration hash of its ``video.json`` (``config_hash``); one written before that field has none,
so the next ``analyze`` analyses it again. Every copy of a video's content its ``video.json`` lists (``copies``) is
kept, and those still on disk unchanged go back into the ``copies`` table, so the next ``analyze`` need not hash them. A failed video whose file never opened has no SHA-256, the database's key:
it is left out (the next ``analyze`` tries it again anyway).
"""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from helmetscan.core.errors import ResultsError
from helmetscan.results.database import DB_NAME, ResultsDB, damage_of, holds_records, rebuild_advice
from helmetscan.results.evidence import (
    PARTIAL, RECORD_JSON, SUPERSEDED, VIDEO_JSON, holding_output, read_record, write_sha256sums,
)
from helmetscan.results.records import VideoRecord, ViolationRecord
from helmetscan.results.report import CSV_ENCODING, CSV_NAME, FORMULA_START, write_reports
from helmetscan.results.reviews import Review, ReviewStatus

#: The files of one SQLite database besides the main file (write-ahead log, its index, a rollback journal).
SIDE_FILES = ("-wal", "-shm", "-journal")
#: Most rows of a damaged ``reviews`` table tried one by one (a damaged page may give ``max(id)`` any value).
MAX_REVIEW_ROWS = 1_000_000
#: Where recovered decisions came from (keys of :attr:`RebuildReport.reviews_from`).
FROM_DATABASE, FROM_CSV = "the old database", CSV_NAME


@dataclass
class RebuildReport:
    """What :func:`rebuild_database` did.

    ``rebuilt``: false when the database was readable and not forced (nothing changed); ``reason``: what was wrong
    with the old one (``None``: readable, rebuilt on request); ``videos`` / ``violations``: stored in the new
    database; ``reviews``: decisions stored; ``reviews_from``: how many of them came from where
    (:data:`FROM_DATABASE`, :data:`FROM_CSV`); ``reviews_left_out``: recovered decisions on a violation no record
    holds; ``unreadable_review_rows``: rows of the old ``reviews`` table that could not be read; ``analyse_again``:
    done videos whose record has no configuration hash (the next ``analyze`` analyses them again); ``skipped``: one
    line per video or record left out; ``old_database``: where the old database was moved (``None``: there was
    none).
    """

    database: Path
    rebuilt: bool = True
    reason: str | None = None
    videos: int = 0
    violations: int = 0
    reviews: int = 0
    reviews_from: dict[str, int] = field(default_factory=dict)
    reviews_left_out: int = 0
    unreadable_review_rows: int = 0
    analyse_again: int = 0
    skipped: list[str] = field(default_factory=list)
    old_database: Path | None = None


def database_damage(out: Path) -> str | None:
    """Why ``out``'s database cannot serve, in one line (missing, not SQLite, ``PRAGMA integrity_check`` problems, a
    stored record that does not read), or ``None`` when it reads in full."""
    if not (out / DB_NAME).is_file():
        return f"no {DB_NAME}"

    def short(exc: Exception) -> str:  # the error's own words, without the path and the advice to rebuild
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        text = text.removeprefix(f"{out / DB_NAME}: ").removeprefix(f"{out}: ")
        return text.removesuffix(f"; {rebuild_advice(out)}")

    try:
        db = ResultsDB(out, create=False)
    except ResultsError as exc:
        return short(exc)
    try:
        problem = damage_of(db.db.conn, "integrity_check")  # every page and index, not only the quick check's
        if problem is None:
            db.load()
            db.review_histories()
        return None if problem is None else f"damaged ({problem})"
    except (ResultsError, sqlite3.DatabaseError, ValidationError) as exc:
        return short(exc)
    finally:
        db.close()


def rebuild_database(out: Path, version: str, force: bool = False) -> RebuildReport:
    """Rebuild ``OUT/helmetscan.db`` from the records of ``out`` (module docstring), unless it reads in full and
    ``force`` is false.

    Args:
        out: the output folder.
        version: the helmetscan version to record (run, reports).
        force: rebuild a database that reads in full too.

    Raises:
        ResultsError: ``out`` holds neither a database nor records, or a record does not read (the file named;
            nothing changed).
        OutputBusy: an ``analyze`` is writing into ``out`` (nothing changed).
    """
    database = out / DB_NAME
    if not out.is_dir() or not (database.is_file() or holds_records(out)):
        raise ResultsError(f"{out}: not a results folder (no {DB_NAME} and no {VIDEO_JSON}); nothing written")
    with holding_output(out, f"{out}: a helmetscan analyze is writing into OUT; rebuild its database when it has "
                             "finished"):
        return _rebuild_locked(out, version, force)


def _rebuild_locked(out: Path, version: str, force: bool) -> RebuildReport:
    database = out / DB_NAME
    reason = database_damage(out) if database.is_file() else f"no {DB_NAME}"
    report = RebuildReport(database, reason=reason)
    if reason is None and not force:
        report.rebuilt = False
        return report

    stored = _records(out, report)
    violation_ids = {r.violation_id for _, records in stored for r in records}
    partial = out / PARTIAL / f"rebuild-db.{uuid.uuid4().hex[:8]}"
    partial.mkdir(parents=True)
    try:
        reviews = _recover_reviews(out, partial, violation_ids, report)
        new = partial / "new"
        new.mkdir()
        db = ResultsDB(new)
        try:
            run_id = db.start_run(version, "", {}, {})  # the rebuild: a run without settings, models or hash
            for video, records in stored:
                db.save_video(video, records, sha256=video.info.sha256, mtime_ns=_mtime_ns(video),
                              config_hash=getattr(video, "config_hash", None), run_id=run_id, files=_files(video))
            report.reviews = db.restore_reviews(reviews)
            db.finish_run(run_id, 0, 0, 0)
            db.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
        report.videos, report.violations = len(stored), len(violation_ids)
        if database.is_file():
            report.old_database = _move_aside(out)
        _move_database(new, out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        try:
            partial.parent.rmdir()  # .partial, when nothing else is being written there
        except OSError:
            pass

    db = ResultsDB(out, create=False)
    try:  # as after a run (runner.batch.refresh_outputs)
        videos, records = db.load()
        write_sha256sums(out, videos)
        from helmetscan.config.output import ReportSettings

        write_reports(out, videos, records, version, db.reviews(), lang=ReportSettings().lang)  # the locale's
    finally:
        db.close()
    return report


def _move_database(source: Path, target: Path) -> None:
    """Rename the database of folder ``source`` (with its side files, these first) into folder ``target``."""
    for suffix in (*SIDE_FILES, ""):
        path = source / f"{DB_NAME}{suffix}"
        if path.exists():
            path.rename(target / path.name)


def _move_aside(out: Path) -> Path:
    """Move ``out``'s database and its side files to ``OUT/.superseded/helmetscan.db-<UTC time>[-wal|-shm]``; return
    where the database went."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    aside = out / SUPERSEDED / f"{DB_NAME}-{stamp}"
    aside.parent.mkdir(exist_ok=True)
    for suffix in SIDE_FILES:
        side = out / f"{DB_NAME}{suffix}"
        if side.exists():
            side.rename(aside.with_name(aside.name + suffix))
    (out / DB_NAME).rename(aside)
    return aside


def _records(out: Path, report: RebuildReport) -> list[tuple[VideoRecord, list[ViolationRecord]]]:
    """Every video of ``out`` with its violation records, by video key; videos without a SHA-256 and all but the
    latest analysis of one video (same SHA-256 in two folders) are left out with a line in ``report.skipped``."""
    by_sha: dict[str, tuple[float, VideoRecord, list[ViolationRecord]]] = {}
    for path in sorted(out.glob(f"*/{VIDEO_JSON}")):
        if path.parent.name.startswith("."):
            continue
        video = read_record(path, VideoRecord)
        records = [read_record(p, ViolationRecord) for p in sorted(path.parent.glob(f"*/{RECORD_JSON}"))
                   if not p.parent.name.startswith(".")]
        sha = video.info.sha256 if video.info else None
        if not sha:
            report.skipped.append(f"{path.parent.name}: left out: a {video.status.value} video without a SHA-256 "
                                  "(its file never opened; the next analyze tries it again)")
            continue
        when = path.stat().st_mtime  # two folders of one video (analysed again under another name): the later one
        if sha in by_sha and by_sha[sha][0] > when:
            report.skipped.append(f"{video.video_key}: left out: the same video as {by_sha[sha][1].video_key}, "
                                  "analysed later")
            continue
        if sha in by_sha:
            report.skipped.append(f"{by_sha[sha][1].video_key}: left out: the same video as {video.video_key}, "
                                  "analysed later")
        by_sha[sha] = (when, video, records)
    stored = sorted(((video, records) for _, video, records in by_sha.values()), key=lambda vr: vr[0].video_key)
    report.analyse_again = sum(v.status.analysed and not getattr(v, "config_hash", None) for v, _ in stored)
    return stored


def _mtime_ns(video: VideoRecord, path: str | None = None) -> int:
    """The modification time of the source file (or of the copy at ``path``) when it is still there with the recorded
    size (so the next ``analyze`` need not hash it again), else 0."""
    try:
        stat = os.stat(video.source_path if path is None else path)
    except (OSError, ValueError):
        return 0
    return stat.st_mtime_ns if video.size_bytes is not None and stat.st_size == video.size_bytes else 0


def _files(video: VideoRecord) -> list[tuple[str, int, int]]:
    """The copies of the video's content (``copies``) still on disk with its size, for the ``copies`` table."""
    found = [(c.path, _mtime_ns(video, c.path)) for c in video.copies]
    return [(path, video.size_bytes, mtime) for path, mtime in found if mtime]


# ---- reviews -------------------------------------------------------------------------------------------------------

_REVIEW_COLUMNS = "violation_id, status, plate_text_reviewed, reviewer, reviewed_at, note"


def _recover_reviews(out: Path, work: Path, violation_ids: set[str], report: RebuildReport) -> list[Review]:
    """The decisions that can be recovered, in the order they count (the last one per violation is the latest);
    ``work``: a folder to read a copy of the old database in."""
    from_db = _reviews_from_database(out, work, report)
    from_csv = _reviews_from_csv(out / CSV_NAME)
    known = {_identity(r) for r in from_db}
    added = [r for r in from_csv if _identity(r) not in known]  # what the database lost (or never could be read)
    merged = _in_order(from_db, added)
    kept = [r for r in merged if r.violation_id in violation_ids]
    report.reviews_left_out = len(merged) - len(kept)
    counts = {FROM_DATABASE: sum(r.violation_id in violation_ids for r in from_db),
              FROM_CSV: sum(r.violation_id in violation_ids for r in added)}
    report.reviews_from = {source: n for source, n in counts.items() if n}
    return kept


def _identity(review: Review) -> tuple[str, str, str, str, str]:
    return (review.violation_id, review.status.value, review.plate_text_reviewed, review.reviewer, review.reviewed_at)


def _in_order(from_db: list[Review], added: list[Review]) -> list[Review]:
    """The database's decisions in their order, with each decision from the CSV put where its time falls among its
    violation's (the CSV holds the latest one, unless it is older than what the database kept)."""
    per_violation: dict[str, list[Review]] = {}
    for review in from_db:
        per_violation.setdefault(review.violation_id, []).append(review)
    for review in added:
        history = per_violation.setdefault(review.violation_id, [])
        at = next((i for i, r in enumerate(history) if r.reviewed_at > review.reviewed_at), len(history))
        history.insert(at, review)
    ordered = []
    for history in per_violation.values():  # globally by time, never reordering one violation's decisions
        latest = ""
        for review in history:
            latest = max(latest, review.reviewed_at)
            ordered.append((latest, len(ordered), review))
    return [review for *_, review in sorted(ordered, key=lambda t: t[:2])]


def _reviews_from_database(out: Path, work: Path, report: RebuildReport) -> list[Review]:
    """The old database's decisions, oldest first: the whole table, else row by row (ids from ``max(id)`` and the
    table's index), skipping rows that do not read. Read from a copy in ``work`` (with its write-ahead log), so the
    old database itself is never written to."""
    if not (out / DB_NAME).is_file():
        return []
    copy = work / "old"
    copy.mkdir()
    for suffix in ("", "-wal"):
        if (out / f"{DB_NAME}{suffix}").is_file():
            shutil.copyfile(out / f"{DB_NAME}{suffix}", copy / f"{DB_NAME}{suffix}")
    try:
        conn = sqlite3.connect(copy / DB_NAME)
    except sqlite3.Error:
        return []
    try:
        try:
            rows = conn.execute(f"select {_REVIEW_COLUMNS} from reviews order by id").fetchall()
        except sqlite3.Error:
            rows = _rows_one_by_one(conn, report)
    finally:
        conn.close()
    reviews = []
    for row in rows:
        values = dict(zip(_REVIEW_COLUMNS.split(", "), row, strict=True))
        values.update({key: values[key] or "" for key in ("plate_text_reviewed", "note")})
        try:
            reviews.append(Review(**values))
        except (ValidationError, TypeError):
            report.unreadable_review_rows += 1
    return [r for r in reviews if r.status is not ReviewStatus.PENDING]


def _rows_one_by_one(conn: sqlite3.Connection, report: RebuildReport) -> list[tuple]:
    """The rows of a ``reviews`` table a whole-table read fails on, one id at a time, skipping those that fail."""
    ids: set[int] = set()
    for sql in ("select max(id) from reviews", "select id from reviews indexed by idx_reviews_violation_id_id"):
        try:
            found = [row[0] for row in conn.execute(sql).fetchall() if isinstance(row[0], int)]
        except sqlite3.Error:
            continue
        ids.update(range(1, min(max(found), MAX_REVIEW_ROWS) + 1) if sql.startswith("select max") and found
                   else found)
    rows = []
    for review_id in sorted(ids):
        try:
            row = conn.execute(f"select {_REVIEW_COLUMNS} from reviews where id = ?", [review_id]).fetchone()
        except sqlite3.Error:
            report.unreadable_review_rows += 1
            continue
        if row is not None:
            rows.append(row)
    return rows


def _uncell(value: str | None) -> str:
    """A CSV cell as the report wrote it, without the ``'`` put before text a spreadsheet would take for a formula."""
    value = value or ""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


def _utc(iso: str) -> str:
    """A time ``violations.csv`` wrote in the recording's time zone (``2026-11-21T10:02:03+09:00``) back in UTC as the
    database keeps it (``2026-11-21T01:02:03+00:00``), so that a decision the database still holds is recognised;
    one without an offset (or that does not read) as it is."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return when.astimezone(UTC).isoformat() if when.tzinfo else iso


def _reviews_from_csv(path: Path) -> list[Review]:
    """The latest decision per violation as ``violations.csv`` exported it (``review_status``,
    ``plate_text_reviewed``, ``reviewed_by``, ``reviewed_at`` — in UTC again —, and ``review_note`` where the file has
    it); the file's byte-order mark, when it has one, is taken off."""
    try:
        with path.open(newline="", encoding=CSV_ENCODING) as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    reviews = []
    for row in rows:
        status = _uncell(row.get("review_status"))
        if status not in (ReviewStatus.CONFIRMED.value, ReviewStatus.REJECTED.value):
            continue
        try:
            reviews.append(Review(violation_id=_uncell(row.get("violation_id")), status=status,
                                  plate_text_reviewed=_uncell(row.get("plate_text_reviewed")),
                                  reviewer=_uncell(row.get("reviewed_by")),
                                  reviewed_at=_utc(_uncell(row.get("reviewed_at"))),
                                  note=_uncell(row.get("review_note"))))
        except ValidationError:
            continue
    return reviews
