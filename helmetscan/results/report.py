"""Reports rebuilt from stored results: ``violations.csv`` (pandas) and a self-contained ``report.html`` (Jinja2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helmetscan.pipeline.plate_text import PlateStatus
from helmetscan.results.evidence import load_results
from helmetscan.results.records import VideoRecord, VideoStatus, ViolationRecord

CSV_NAME = "violations.csv"
HTML_NAME = "report.html"

#: CSV columns, in order.
CSV_COLUMNS = [
    "violation_id", "video", "video_sha256", "frame_index", "timestamp_s", "track_id",
    "stage1_confidence", "stage2_confidence", "frames_without_helmet", "frames_head_seen",
    "plate_text", "plate_status", "plate_format", "plate_confidence", "plate_frames_agreeing", "plate_frames_read",
    "evidence_dir",
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
            "plate_text": r.plate.text,
            "plate_status": r.plate.status.value,
            "plate_format": r.plate.format or "",
            "plate_confidence": r.plate.confidence,
            "plate_frames_agreeing": r.plate.frames_agreeing,
            "plate_frames_read": r.plate.frames_read,
            "evidence_dir": r.evidence_dir,
        }
        for r in records
    ]


def write_csv(out: Path, records: list[ViolationRecord]) -> Path:
    """Write ``OUT/violations.csv`` (header only when there is no violation)."""
    import pandas as pd

    frame = pd.DataFrame(csv_rows(records), columns=CSV_COLUMNS)
    frame = frame.map(_cell) if len(frame) else frame
    path = out / CSV_NAME
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def write_html(out: Path, videos: list[VideoRecord], records: list[ViolationRecord], version: str) -> Path:
    """Write ``OUT/report.html``: summary, one card per violation (thumbnails link to the evidence files by relative
    path), and the list of videos with failures. Every text is HTML-escaped (Jinja2 autoescape)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("helmetscan.results", "templates"),
                      autoescape=select_autoescape(default=True))
    html = env.get_template("report.html.j2").render(
        videos=videos,
        records=records,
        version=version,
        totals={
            "videos": len(videos),
            "failed": sum(v.status is VideoStatus.FAILED for v in videos),
            "violations": len(records),
            "plates_read": sum(r.plate.status is PlateStatus.READ for r in records),
            "duration_s": sum(v.info.duration_s for v in videos if v.info),
        },
    )
    path = out / HTML_NAME
    path.write_text(html, encoding="utf-8")
    return path


def rebuild(out: Path, version: str) -> tuple[Path, Path, int]:
    """Rebuild both reports of ``out`` from its JSON files, without running any model.

    Returns:
        (csv path, html path, number of violations).

    Raises:
        ResultsError: ``out`` is not a results folder or holds an unreadable JSON file.
    """
    videos, records = load_results(out)
    return write_csv(out, records), write_html(out, videos, records, version), len(records)
