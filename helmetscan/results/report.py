"""Reports rebuilt from stored results: ``violations.csv`` (pandas) and a self-contained ``report.html`` (Jinja2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helmetscan.pipeline.plate_text import PlateStatus
from helmetscan.errors import ResultsError
from helmetscan.results.evidence import load_results, write_atomically
from helmetscan.results.records import VideoRecord, VideoStatus, ViolationRecord

CSV_NAME = "violations.csv"
HTML_NAME = "report.html"

#: CSV columns, in order.
CSV_COLUMNS = [
    "violation_id", "video", "video_sha256", "frame_index", "timestamp_s", "track_id",
    "stage1_confidence", "stage2_confidence", "frames_without_helmet", "frames_head_seen", "frames_judged",
    "people_without_helmet", "people_seen",
    "plate_text", "plate_status", "plate_format", "plate_confidence", "plate_frames_agreeing", "plate_frames_read",
    "evidence_dir", "local_time", "vehicle", "channel", "latitude", "longitude", "speed_kmh",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (a file named ``=cmd()`` must stay text in Excel)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_rows(records: list[ViolationRecord]) -> list[dict[str, Any]]:
    """One row per violation record, with the columns of :data:`CSV_COLUMNS`."""
    return [
        {
            "violation_id": r.violation_id,
            "video": r.source.path,
            "video_sha256": r.source.sha256,
            "frame_index": r.frame_index,
            "timestamp_s": r.timestamp_s,
            "track_id": r.track_id,
            "stage1_confidence": r.stage1_confidence,
            "stage2_confidence": r.stage2_confidence,
            "frames_without_helmet": r.decision.frames_without_helmet,
            "frames_head_seen": r.decision.frames_head_seen,
            "frames_judged": r.decision.frames_judged,
            "people_without_helmet": r.people_without_helmet,
            "people_seen": len(r.people),
            "plate_text": r.plate.text,
            "plate_status": r.plate.status.value,
            "plate_format": r.plate.format or "",
            "plate_confidence": r.plate.confidence,
            "plate_frames_agreeing": r.plate.frames_agreeing,
            "plate_frames_read": r.plate.frames_read,
            "evidence_dir": r.evidence_dir,
            "local_time": r.local_time or "",
            "vehicle": (r.recording.vehicle if r.recording else None) or "",
            "channel": (r.recording.channel if r.recording else None) or "",
            "latitude": r.place.latitude if r.place else None,
            "longitude": r.place.longitude if r.place else None,
            "speed_kmh": r.place.speed_kmh if r.place else None,
        }
        for r in records
    ]


def write_csv(out: Path, records: list[ViolationRecord], name: str = CSV_NAME) -> Path:
    """Write ``OUT/violations.csv`` (header only when there is no violation)."""
    import pandas as pd

    frame = pd.DataFrame(csv_rows(records), columns=CSV_COLUMNS)
    frame = frame.map(_cell) if len(frame) else frame
    return write_atomically(out / name, frame.to_csv(index=False).encode("utf-8"))


def write_html(out: Path, videos: list[VideoRecord], records: list[ViolationRecord], version: str,
               name: str = HTML_NAME, title: str = "") -> Path:
    """Write ``OUT/report.html``: summary, one card per violation (thumbnails link to the evidence files by relative
    path), and the list of videos with failures. Every text is HTML-escaped (Jinja2 autoescape)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("helmetscan.results", "templates"),
                      autoescape=select_autoescape(default=True))
    footage_s = sum(v.info.duration_s for v in videos if v.info)
    wall_s = sum(v.wall_s or 0.0 for v in videos)
    html = env.get_template("report.html.j2").render(
        videos=videos,
        records=records,
        version=version,
        title=title,
        totals={
            "videos": len(videos),
            "failed": sum(v.status is VideoStatus.FAILED for v in videos),
            "violations": len(records),
            "plates_read": sum(r.plate.status is PlateStatus.READ for r in records),
            "duration_s": footage_s,
            "footage_h": footage_s / 3600,
            "wall_s": wall_s,
            "real_time_factor": footage_s / wall_s if wall_s else None,
        },
    )
    return write_atomically(out / name, html.encode("utf-8"))


def rebuild(out: Path, version: str, date: str | None = None, vehicle: str | None = None) -> tuple[Path, Path, int]:
    """Rebuild the reports of ``out`` from its results database (a folder from helmetscan 0.1 has none: from its JSON
    files), without running any model. With ``date`` (``YYYY-MM-DD``, local) or ``vehicle``, only those violations,
    written beside the full report as ``violations-<date>-<vehicle>.csv`` and ``report-<date>-<vehicle>.html``.

    Returns:
        (csv path, html path, number of violations).

    Raises:
        ResultsError: ``out`` is not a results folder (no database and no video.json), or a record is unreadable.
    """
    from helmetscan.results.database import DB_NAME, ResultsDB
    from helmetscan.results.evidence import VIDEO_JSON

    suffix = "".join(f"-{part}" for part in (date, vehicle) if part)
    if (out / DB_NAME).is_file():
        db = ResultsDB(out, create=False)
        try:
            videos, records = db.load(date, vehicle)
        finally:
            db.close()
    elif out.is_dir() and any(out.glob(f"*/{VIDEO_JSON}")) and not suffix:
        videos, records = load_results(out)
    else:
        raise ResultsError(f"{out}: not a results folder (no {DB_NAME}); nothing written")
    title = " ".join(part for part in (date, vehicle) if part)
    return (write_csv(out, records, f"violations{suffix}.csv"),
            write_html(out, videos, records, version, f"report{suffix}.html", title), len(records))
