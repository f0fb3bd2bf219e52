"""The results database: ``OUT/helmetscan.db`` (SQLite, through sqlite-utils), the source of truth of an output folder.

Tables (created and upgraded by sqlite-utils migrations, named ``m001_…``; the database records which are applied):

* ``runs`` — one row per ``analyze``: start/end, version, settings, model hashes, the configuration hash;
* ``videos`` — one row per video, keyed by its SHA-256: path, size, modification time, recording time, duration,
  status (done / incomplete / failed with reason), timings, and the whole ``video.json`` record (with every copy of
  the content found, ``copies``);
* ``copies`` — one row per file found with a video's content (the analysed one and its identical copies on other
  cards): path, size and modification time, so that a re-run takes the SHA-256 of every unchanged copy from here;
* ``violations`` — one row per violation: the columns a report filters on (local time, vehicle, plate) and the whole
  ``record.json`` record;
* ``reviews`` — every analyst decision (``helmetscan review``), append-only: confirmed or rejected, the corrected plate,
  who and when; the latest per violation counts (:mod:`helmetscan.results.reviews`).

Rows of a video are committed only after its evidence folder is complete on disk, in one transaction, so the database
never names a file that does not exist. CSV and HTML are views of it (:mod:`helmetscan.results.report`).

The ``video.json`` and ``record.json`` files stay the truth: a database that is not SQLite, fails ``PRAGMA
quick_check`` (run on every open) or hits a damaged page later is refused with one line naming the command that
rebuilds it from them (:func:`rebuild_command`, :mod:`helmetscan.results.rebuild`).
"""

from __future__ import annotations

import json
import shlex
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helmetscan.core.errors import ResultsError
from helmetscan.core.messages import (DB_BEING_CREATED, DB_DAMAGED, DB_LOST, DB_NEWER, NO_SUCH_VIOLATION, NOT_A_DATABASE,
                                      NOT_RESULTS)
from helmetscan.results.records import VideoRecord, VideoStatus, ViolationRecord
from helmetscan.results.reviews import Review, ReviewStatus

DB_NAME = "helmetscan.db"
#: How long a connection waits for another one's write lock (a report opened while a night runs): our choice.
BUSY_TIMEOUT_MS = 30_000


def _m001_tables(db) -> None:
    db["runs"].create({
        "id": int, "started_at": str, "finished_at": str, "helmetscan_version": str, "config_hash": str,
        "settings": str, "models": str, "videos_analysed": int, "videos_skipped": int, "videos_failed": int,
    }, pk="id")
    db["videos"].create({
        "sha256": str, "video_key": str, "path": str, "size_bytes": int, "mtime_ns": int, "status": str, "error": str,
        "recorded_at": str, "time_source": str, "channel": str, "vehicle": str, "duration_s": float, "wall_s": float,
        "config_hash": str, "run_id": int, "record": str,
    }, pk="sha256", foreign_keys=[("run_id", "runs", "id")])
    db["videos"].create_index(["path", "size_bytes", "mtime_ns"])
    db["violations"].create({
        "violation_id": str, "video_sha256": str, "run_id": int, "local_time": str, "vehicle": str, "channel": str,
        "plate_text": str, "plate_status": str, "latitude": float, "longitude": float, "record": str,
    }, pk="violation_id", foreign_keys=[("video_sha256", "videos", "sha256"), ("run_id", "runs", "id")])
    db["violations"].create_index(["video_sha256"])


def _m002_reviews(db) -> None:
    db["reviews"].create({
        "id": int, "violation_id": str, "status": str, "plate_text_reviewed": str, "reviewer": str,
        "reviewed_at": str, "note": str,
    }, pk="id")
    db["reviews"].create_index(["violation_id", "id"])


def _m003_copies(db) -> None:
    db["copies"].create({"sha256": str, "path": str, "size_bytes": int, "mtime_ns": int}, pk=("sha256", "path"))
    db["copies"].create_index(["path", "size_bytes", "mtime_ns"])


#: The results database's migrations, in order. Append new ones; never edit one that has been applied.
MIGRATIONS = [("m001_tables", _m001_tables), ("m002_reviews", _m002_reviews), ("m003_copies", _m003_copies)]

#: A file on disk as the ``copies`` table keeps it: path, size in bytes, modification time in ns.
FileStat = tuple[str, int, int]


def migrations():
    """The migration set (sqlite-utils ``Migrations``) built from :data:`MIGRATIONS`."""
    from sqlite_utils import Migrations

    steps = Migrations("helmetscan")
    for name, step in MIGRATIONS:
        steps(name=name)(step)
    return steps


def rebuild_command(out: Path) -> str:
    """The command that rebuilds a damaged or lost database of ``out`` from the records."""
    return f"helmetscan rebuild-db {shlex.quote(str(out))}"


def rebuild_advice(out: Path) -> str:
    """The advice that ends :data:`~helmetscan.core.messages.DB_DAMAGED` (after its ``; ``), for ``out``."""
    return DB_DAMAGED.rsplit("; ", 1)[1] % {"command": rebuild_command(out)}


def holds_records(out: Path) -> bool:
    """Whether ``out`` holds a video's results (``OUT/<key>/video.json``; folders starting with a dot, such as
    ``.superseded`` and ``.partial``, are not results)."""
    return any(not path.parent.name.startswith(".") for path in out.glob("*/video.json"))


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether an SQLite error says the file is damaged (not a database, a malformed page, text that does not decode)
    rather than busy, full or misused."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    return type(exc) is sqlite3.DatabaseError or (
        isinstance(exc, sqlite3.OperationalError) and str(exc).startswith("Could not decode"))


def damage_of(conn, pragma: str = "quick_check") -> str | None:
    """Why the database on ``conn`` (a ``sqlite3`` connection) is damaged, in one line, or ``None`` when the
    ``PRAGMA quick_check`` (or ``integrity_check``) finds nothing."""
    try:
        rows = [row[0] for row in conn.execute(f"PRAGMA {pragma}").fetchall()]
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        return str(exc)
    problems = [line for row in rows for line in str(row).splitlines() if line.strip() and line != "ok"
                and not line.startswith("*** in database")]
    if not problems:
        return None
    more = f" and {len(problems) - 1} more problem(s)" if len(problems) > 1 else ""
    return f"{problems[0]}{more}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class KnownVideo:
    """What the database knows of a video: its SHA-256, status and the configuration it was analysed with."""

    sha256: str
    video_key: str
    status: VideoStatus
    config_hash: str | None


class ResultsDB:
    """The results database of one output folder.

    Args:
        out: the output folder; the database is ``out / DB_NAME``.
        create: create the database when missing and bring it up to date (``analyze``); ``report`` opens existing
            ones only, and writes nothing to them.
        migrate: bring an existing database up to date (default: ``create``); ``review`` opens existing ones only
            and writes its decisions.

    Raises:
        ResultsError: no database and ``create`` is false (with the command that rebuilds it when ``out`` holds
            records), or the file is damaged (the same) or not a helmetscan database.
    """

    def __init__(self, out: Path, create: bool = True, migrate: bool | None = None):
        import sqlite_utils

        self.out = out
        self.path = out / DB_NAME
        if not self.path.is_file():
            if not create:
                if not holds_records(out):
                    raise ResultsError(NOT_RESULTS % {"path": out, "database": DB_NAME})
                raise ResultsError(DB_LOST % {"path": out, "database": DB_NAME, "command": rebuild_command(out)})
        elif self.path.stat().st_size == 0 and holds_records(out):  # lost its content, not one being created
            raise self.damaged("an empty file")
        try:
            self.db = sqlite_utils.Database(self.path)
        except sqlite3.DatabaseError as exc:  # cannot be opened at all (a folder, no permission)
            raise ResultsError(NOT_A_DATABASE % {"path": self.path, "error": exc}) from None
        try:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            reason = damage_of(self.db.conn)  # before anything is written to it
            if reason is not None:
                raise self.damaged(reason)
            if create or migrate:
                if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.db.execute("PRAGMA journal_mode=WAL")  # readers (report) never block the writer
                self._migrate()
            elif "videos" not in self.db.table_names():  # a reader never writes: not even the empty file's tables
                raise ResultsError(DB_BEING_CREATED % {"path": out})
        except (sqlite3.DatabaseError, ResultsError) as exc:
            self.db.close()
            if isinstance(exc, ResultsError):
                raise
            if is_damage(exc):
                raise self.damaged(str(exc)) from None
            raise ResultsError(NOT_A_DATABASE % {"path": self.path, "error": exc}) from None

    def damaged(self, reason: str) -> ResultsError:
        """The one-line error of a damaged database: what is wrong and the command that rebuilds it."""
        return ResultsError(DB_DAMAGED % {"path": self.path, "error": reason, "command": rebuild_command(self.out)})

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's word that a page is damaged, met inside the block, into :meth:`damaged`'s one line (a busy,
        full or misused database raises as it did)."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            raise self.damaged(str(exc)) from None

    def _migrate(self) -> None:
        steps = migrations()
        known = {name for name, _ in MIGRATIONS}
        newer = [m.name for m in steps.applied(self.db) if m.name not in known]
        if newer:
            raise ResultsError(DB_NEWER % {"path": self.path, "migration": newer[0]})
        if steps.pending(self.db):  # a reader of an up-to-date database writes nothing
            steps.apply(self.db)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    # ---- runs ------------------------------------------------------------------------------------------------------

    def start_run(self, version: str, config_hash: str, settings: dict[str, Any], models: dict[str, str]) -> int:
        """Record the start of an ``analyze`` run; returns its id."""
        with self._guard(), self.db.conn:
            return self.db["runs"].insert({
                "started_at": _now(), "helmetscan_version": version, "config_hash": config_hash,
                "settings": json.dumps(settings, sort_keys=True), "models": json.dumps(models, sort_keys=True),
            }).last_pk

    def finish_run(self, run_id: int, analysed: int, skipped: int, failed: int) -> None:
        """Record the end of a run and its counts."""
        with self._guard(), self.db.conn:
            self.db["runs"].update(run_id, {"finished_at": _now(), "videos_analysed": analysed,
                                            "videos_skipped": skipped, "videos_failed": failed})

    # ---- videos ----------------------------------------------------------------------------------------------------

    def sha256_of(self, path: Path, size_bytes: int, mtime_ns: int) -> str | None:
        """The SHA-256 recorded for this exact file (same path, size and modification time), so a re-run need not read
        it again; ``None`` when unknown."""
        args = [str(path), size_bytes, mtime_ns]
        with self._guard():
            row = next(self.db.query("select sha256 from videos where path = ? and size_bytes = ? and mtime_ns = ?",
                                     args), None)
            if row is None and "copies" in self.db.table_names():  # (a reader of a database from before copies)
                row = next(self.db.query("select sha256 from copies where path = ? and size_bytes = ? and "
                                         "mtime_ns = ?", args), None)
        return row["sha256"] if row else None

    def known(self, sha256: str) -> KnownVideo | None:
        """The database's row for a video, or ``None``."""
        with self._guard():
            row = next(self.db.query("select sha256, video_key, status, config_hash from videos where sha256 = ?",
                                     [sha256]), None)
        return KnownVideo(row["sha256"], row["video_key"], VideoStatus(row["status"]), row["config_hash"]) if row \
            else None

    def has_files(self, sha256: str, paths: list[str]) -> bool:
        """Whether every one of ``paths`` is a known copy of the video ``sha256`` (the ``copies`` table)."""
        if not paths:
            return True
        with self._guard():
            row = next(self.db.query(f"select count(distinct path) as n from copies where sha256 = ? and path in "
                                     f"({', '.join('?' * len(paths))})", [sha256, *paths]))
        return row["n"] == len(set(paths))

    def video(self, sha256: str) -> VideoRecord | None:
        """The stored record of a video (its ``video.json``), or ``None``."""
        found = self._records("select record from videos where sha256 = ?", [sha256], VideoRecord)
        return found[0] if found else None

    def save_video(self, record: VideoRecord, violations: list[ViolationRecord], *, sha256: str, mtime_ns: int,
                   config_hash: str, run_id: int, files: list[FileStat] | tuple[FileStat, ...] = ()) -> None:
        """Store a finished (done, incomplete or failed) video and its violations in one transaction, replacing what an
        earlier analysis of the same video stored; ``files``: the copies of its content found on disk (the
        ``copies`` table; earlier rows stay). Call it after the evidence files are on disk."""
        rec = record.recording
        row = {
            "sha256": sha256, "video_key": record.video_key, "path": record.source_path,
            "size_bytes": record.size_bytes, "mtime_ns": mtime_ns, "status": record.status.value,
            "error": record.error, "recorded_at": rec.start if rec else None,
            "time_source": rec.time_source if rec else None, "channel": rec.channel if rec else None,
            "vehicle": rec.vehicle if rec else None,
            "duration_s": record.info.duration_s if record.info else None, "wall_s": record.wall_s,
            "config_hash": config_hash, "run_id": run_id, "record": record.model_dump_json(),
        }
        with self._guard(), self.db.conn:
            self.db.execute("delete from violations where video_sha256 = ?", [sha256])
            self.db["videos"].upsert(row, pk="sha256")
            self._upsert_files(sha256, files)
            self.db["violations"].insert_all(
                ({"violation_id": v.violation_id, "video_sha256": sha256, "run_id": run_id,
                  "local_time": v.local_time, "vehicle": v.recording.vehicle if v.recording else None,
                  "channel": v.recording.channel if v.recording else None, "plate_text": v.plate.text,
                  "plate_status": v.plate.status.value,
                  "latitude": v.place.latitude if v.place else None,
                  "longitude": v.place.longitude if v.place else None, "record": v.model_dump_json()}
                 for v in violations),
                pk="violation_id", replace=True,
            )

    def add_copies(self, sha256: str, record: VideoRecord, files: list[FileStat] | tuple[FileStat, ...]) -> None:
        """Store a video's record again with more copies of its content (``record.copies``, as its ``video.json`` now
        holds them) and those files, in one transaction; nothing else of the video changes."""
        with self._guard(), self.db.conn:
            self.db.execute("update videos set record = ? where sha256 = ?", [record.model_dump_json(), sha256])
            self._upsert_files(sha256, files)

    def _upsert_files(self, sha256: str, files) -> None:
        self.db["copies"].upsert_all(
            ({"sha256": sha256, "path": path, "size_bytes": size, "mtime_ns": mtime} for path, size, mtime in files),
            pk=("sha256", "path"))

    # ---- reading ---------------------------------------------------------------------------------------------------

    def load(self, date: str | None = None, vehicle: str | None = None
             ) -> tuple[list[VideoRecord], list[ViolationRecord]]:
        """The stored videos and violations, ordered by recording time (unknown last) then key.

        Args:
            date: only violations (and videos) of this local date, ``YYYY-MM-DD``.
            vehicle: only this vehicle's.

        Raises:
            ResultsError: a stored record does not fit the record model, or the database is damaged.
        """
        video_where, video_args = self._filters("recorded_at", date, vehicle)
        viol_where, viol_args = self._filters("violations.local_time", date, vehicle, table="violations.")
        videos = self._records(
            f"select record from videos{video_where} order by recorded_at is null, recorded_at, video_key",
            video_args, VideoRecord)
        violations = self._records(
            f"select violations.record from violations join videos on videos.sha256 = violations.video_sha256"
            f"{viol_where} order by videos.video_key, violations.violation_id", viol_args, ViolationRecord)
        return videos, violations

    @staticmethod
    def _filters(time_column: str, date: str | None, vehicle: str | None, table: str = "") -> tuple[str, list]:
        clauses, args = [], []
        if date:
            clauses.append(f"substr({time_column}, 1, 10) = ?")
            args.append(date)
        if vehicle:
            clauses.append(f"{table}vehicle = ?")
            args.append(vehicle)
        return (" where " + " and ".join(clauses) if clauses else ""), args

    def _records(self, sql: str, args: list, model) -> list:
        from pydantic import ValidationError

        out = []
        with self._guard():
            rows = list(self.db.query(sql, args))
        for row in rows:
            try:
                out.append(model.model_validate_json(next(iter(row.values()))))
            except ValidationError as exc:
                raise ResultsError(f"{self.path}: a stored {model.__name__} is unreadable ({exc.errors()[0]['msg']})") \
                    from None
        return out

    # ---- reviews ---------------------------------------------------------------------------------------------------

    def add_review(self, violation_id: str, status: ReviewStatus, reviewer: str, plate_text_reviewed: str = "",
                   note: str = "") -> Review:
        """Store one analyst decision (kept beside every earlier one; the latest counts). The strings are expected
        cleaned (:mod:`helmetscan.results.reviews`).

        Raises:
            ResultsError: no such violation, or ``status`` is pending.
        """
        if status is ReviewStatus.PENDING:
            raise ResultsError(f"{violation_id}: a decision is confirmed or rejected")
        with self._guard():
            known = next(self.db.query("select 1 from violations where violation_id = ?", [violation_id]), None)
        if known is None:
            raise ResultsError(NO_SUCH_VIOLATION % {"violation": violation_id, "path": self.path})
        review = Review(violation_id=violation_id, status=status, plate_text_reviewed=plate_text_reviewed,
                        reviewer=reviewer, reviewed_at=_now(), note=note)
        with self._guard(), self.db.conn:
            self.db["reviews"].insert(review.model_dump(mode="json"))
        return review

    def restore_reviews(self, reviews: list[Review]) -> int:
        """Store decisions recovered from a damaged or lost database as they were made (who and when kept), in the
        order given (the last one per violation counts); those whose violation is not stored are left out.
        Returns how many were stored."""
        with self._guard():
            known = {row["violation_id"] for row in self.db.query("select violation_id from violations")}
            rows = [review.model_dump(mode="json") for review in reviews if review.violation_id in known]
            with self.db.conn:
                self.db["reviews"].insert_all(rows)
        return len(rows)

    def _reviews(self, where: str = "", args: list | None = None) -> list[Review]:
        """Stored decisions (``where``: an SQL condition on the table), oldest first; none for a database from before
        reviews."""
        with self._guard():
            if "reviews" not in self.db.table_names():
                return []
            rows = list(self.db.query("select violation_id, status, plate_text_reviewed, reviewer, reviewed_at, note "
                                      f"from reviews{where} order by id", args or []))
        return [Review(**row) for row in rows]

    def reviews(self) -> dict[str, Review]:
        """The latest decision on each violation that has one."""
        return {review.violation_id: review for review in self._reviews()}  # oldest first: the latest stays

    def review_history(self, violation_id: str) -> list[Review]:
        """Every decision on one violation, oldest first."""
        return self._reviews(" where violation_id = ?", [violation_id])

    def review_histories(self) -> dict[str, list[Review]]:
        """Every decision on every violation that has one, oldest first (one query)."""
        histories: dict[str, list[Review]] = {}
        for review in self._reviews():
            histories.setdefault(review.violation_id, []).append(review)
        return histories


def read_results(out: Path, date: str | None = None, vehicle: str | None = None
                 ) -> tuple[list[VideoRecord], list[ViolationRecord], dict[str, Review]]:
    """What ``out``'s database holds, read without writing: its videos and violations (:meth:`ResultsDB.load`, with
    its ``date`` and ``vehicle`` filters) and the latest review decision of each violation.

    Raises:
        ResultsError: ``out`` has no database, or it is damaged or unreadable.
    """
    db = ResultsDB(out, create=False)
    try:
        videos, records = db.load(date, vehicle)
        return videos, records, db.reviews()
    finally:
        db.close()
