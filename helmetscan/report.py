"""Reports rebuilt from stored results: ``violations.csv`` (pandas) and a self-contained ``report.html`` (Jinja2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helmetscan.evidence import load_results

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


def csv_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per violation record, with the columns of :data:`CSV_COLUMNS`."""
    rows = []
    for r in records:
        plate = r.get("plate", {})
        rows.append({
            "violation_id": r["violation_id"],
            "video": r["source"]["path"],
            "video_sha256": r["source"]["sha256"],
            "frame_index": r["frame_index"],
            "timestamp_s": r["timestamp_s"],
            "track_id": r["track_id"],
            "stage1_confidence": r["stage1_confidence"],
            "stage2_confidence": r["stage2_confidence"],
            "frames_without_helmet": r["decision"]["frames_without_helmet"],
            "frames_head_seen": r["decision"]["frames_head_seen"],
            "plate_text": plate.get("text", ""),
            "plate_status": plate.get("status", "unread"),
            "plate_format": plate.get("format") or "",
            "plate_confidence": plate.get("confidence", 0.0),
            "plate_frames_agreeing": plate.get("frames_agreeing", 0),
            "plate_frames_read": plate.get("frames_read", 0),
            "evidence_dir": r["evidence_dir"],
        })
    return rows


def write_csv(out: Path, records: list[dict[str, Any]]) -> Path:
    """Write ``OUT/violations.csv`` (header only when there is no violation)."""
    import pandas as pd

    frame = pd.DataFrame(csv_rows(records), columns=CSV_COLUMNS)
    frame = frame.map(_cell) if len(frame) else frame
    path = out / CSV_NAME
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def write_html(out: Path, videos: list[dict[str, Any]], records: list[dict[str, Any]], version: str) -> Path:
    """Write ``OUT/report.html``: summary, one card per violation (thumbnails link to the evidence files by relative
    path), and the list of videos with failures. Every text is HTML-escaped (Jinja2 autoescape)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("helmetscan", "templates"), autoescape=select_autoescape(default=True))
    html = env.get_template("report.html.j2").render(
        videos=videos,
        records=records,
        version=version,
        totals={
            "videos": len(videos),
            "failed": sum(v.get("status") == "failed" for v in videos),
            "violations": len(records),
            "plates_read": sum(r.get("plate", {}).get("status") == "read" for r in records),
            "duration_s": sum((v.get("info") or {}).get("duration_s") or 0.0 for v in videos),
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
