import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from helmetscan.results.evidence import EvidenceImages, write_record, write_sha256sums, write_violation
from helmetscan.results.records import (
    DecisionSummary, PlateRecord, SourceVideo, VideoCounts, VideoInfoRecord, VideoRecord, ViolationRecord,
)
from helmetscan.results.report import rebuild

HOSTILE_NAME = '<script>alert("x")</script>=HYPERLINK("http://evil").mp4'
HOSTILE_OCR = "<img src=x onerror=alert(1)>"


def _store(out, key, violation_id, path, plate_text, plate_status="unvalidated", best_guess="", local_time=None,
           settings=None):
    folder = out / key
    folder.mkdir(parents=True, exist_ok=True)
    frame = np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    images = EvidenceImages(frame, frame.copy(), frame[:20, :20], frame[30:40, 10:50], frame[30:40, 10:50])
    record = ViolationRecord(
        violation_id=violation_id, video_key=key, evidence_dir=f"{key}/{violation_id}",
        source=SourceVideo(path=path, sha256="ab" * 32, fps=25.0, width=64, height=48), frame_index=12,
        timestamp_s=0.4, local_time=local_time, track_id=1, rider_xyxy=(1.0, 2.0, 20.0, 30.0), head_xyxy=None,
        plate_xyxy=None,
        stage1_confidence=0.75, stage2_confidence=0.8,
        decision=DecisionSummary(frames_checked=5, frames_head_seen=5, frames_without_helmet=4, frames_with_helmet=1,
                                 frames_tracked=9, verdicts=[]),
        plate=PlateRecord(text=plate_text, status=plate_status, format=None, confidence=0.5, frames_read=3,
                          frames_agreeing=2, votes={}, best_guess=best_guess),
        models={}, settings=settings or {}, helmetscan_version="test",
    )
    _, hashes = write_violation(folder / violation_id, images, record, png_compression=0, jpeg_quality=90)
    video = VideoRecord(
        video_key=key, source_path=path, status="done",
        info=VideoInfoRecord(path=path, fps=25.0, frame_count=80, duration_s=3.2, width=64, height=48),
        counts=VideoCounts(frames_decoded=80, frames_sampled=16, riders_tracked=2, stage2_checks=5, violations=1,
                           plates_read=0),
        violation_ids=[violation_id], evidence_sha256={f"{key}/{violation_id}/{n}": h for n, h in hashes.items()},
        helmetscan_version="test",
    )
    write_record(folder / "video.json", video)
    return frame, video


def test_report_is_rebuilt_from_stored_records(tmp_path):
    frame, v1 = _store(tmp_path, "clip_a", "clip_a_t0001", "/data/clip_a.mp4", "TN05AT7024")
    _, v2 = _store(tmp_path, "clip_b", "clip_b_t0003", "/data/clip_b.mp4", "")
    write_sha256sums(tmp_path, [v1, v2])
    csv_path, html_path, n, rejected = rebuild(tmp_path, "test")
    assert n == 2 and rejected == 0
    table = pd.read_csv(csv_path, keep_default_na=False)
    assert list(table["violation_id"]) == ["clip_a_t0001", "clip_b_t0003"]
    assert list(table["plate_text"]) == ["TN05AT7024", ""]
    assert list(table["frames_without_helmet"]) == [4, 4]
    html = html_path.read_text()
    assert 'src="clip_a/clip_a_t0001/annotated.jpg"' in html and "plate unread" in html
    assert "best guess" not in html  # clip_b's plate has none

    # the evidence frame is lossless: decoding the PNG gives the exact pixels back
    import cv2

    assert np.array_equal(cv2.imread(str(tmp_path / "clip_a/clip_a_t0001/frame.png")), frame)
    record = json.loads((tmp_path / "clip_a/clip_a_t0001/record.json").read_text())
    assert set(record["evidence_files"]) == {"frame.png", "annotated.jpg", "rider.png", "plate.png", "plate_upscaled.png"}
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == 2 * 6 + 2


def test_an_unread_plate_shows_its_best_guess_as_not_reported(tmp_path):
    # a plate withheld for its format (kr_old, plates.unreported_formats) at 0.62, or one below the floor
    _, video = _store(tmp_path, "clip_k", "clip_k_t0001", "/data/clip_k.mp4", "", "unread", best_guess="충남8마6245")
    write_sha256sums(tmp_path, [video])
    html_path = rebuild(tmp_path, "test").html_path
    html = html_path.read_text()
    assert "best guess, not reported: 충남8마6245" in html
    assert "best guess, not reported: 충남8마6245" in (tmp_path / "sheets" / "clip_k_t0001.html").read_text()


def test_hostile_file_name_and_ocr_text_are_escaped(tmp_path):
    _store(tmp_path, "evil", "evil_t0001", HOSTILE_NAME, HOSTILE_OCR)
    html_path = rebuild(tmp_path, "test").html_path
    html = html_path.read_text()
    assert '<script>alert("x")' not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    table = pd.read_csv(tmp_path / "violations.csv", keep_default_na=False)
    assert table["video"][0] == HOSTILE_NAME  # starts with "<", kept as is
    assert table["plate_text"][0] == HOSTILE_OCR
    sheet = (tmp_path / "sheets" / "evil_t0001.html").read_text()
    assert "<script>" not in sheet and "<img src=x" not in sheet and "&lt;img src=x onerror=alert(1)&gt;" in sheet


def test_report_command_needs_no_model(tmp_path):
    _store(tmp_path, "clip_a", "clip_a_t0001", "=cmd|' /C calc'!A0", "TN05AT7024")
    proc = subprocess.run([sys.executable, "-m", "helmetscan", "report", str(tmp_path)], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "1 violation(s)" in proc.stdout
    table = pd.read_csv(tmp_path / "violations.csv", keep_default_na=False)
    assert table["video"][0] == "'=cmd|' /C calc'!A0"  # spreadsheet formula neutralised


def test_rebuild_imports_no_model_library(tmp_path):
    _store(tmp_path, "clip_a", "clip_a_t0001", "/data/a.mp4", "TN05AT7024")
    code = ("import sys; from helmetscan.results.report import rebuild; rebuild(__import__('pathlib').Path(sys.argv[1]), 't'); "
            "print(sorted(m for m in ('torch', 'ultralytics', 'easyocr') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_report_on_a_non_results_folder_fails_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "helmetscan", "report", str(tmp_path / "nope")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "not a results folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_results_written_by_helmetscan_0_1_still_rebuild(tmp_path):
    """0.1 wrote no schema_version and `counts: {}` for a failed video; its folders still give a report."""
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "video.json").write_text(json.dumps({
        "video_key": "broken", "source_path": "/sd/broken.mp4", "status": "failed",
        "error": "/sd/broken.mp4: cannot open as a video: corrupt or unsupported (no readable video stream)",
        "info": None, "counts": {}, "timing_s": {}, "stage_fps": {}, "warnings": [], "violation_ids": [],
        "evidence_sha256": {}, "helmetscan_version": "0.1.0",
    }))
    _, html_path, n, _ = rebuild(tmp_path, "test")
    assert n == 0 and "broken.mp4" in html_path.read_text()


def test_a_schema_6_record_loads_with_no_copies_and_its_failure_line_names_the_file_once(tmp_path):
    """Records from before copies and the incomplete status (schema 6) still load and report; an error that does not
    start with the file (a weight file's) gets the file put before it, one that does keeps it once."""
    import re

    from helmetscan.results.records import VideoStatus

    _, done = _store(tmp_path, "clip_a", "clip_a_t0001", "/sd/clip_a.mp4", "TN05AT7024")
    old = {**json.loads((tmp_path / "clip_a" / "video.json").read_text()), "schema_version": 6}
    (tmp_path / "clip_a" / "video.json").write_text(json.dumps(old))
    for key, error in (("b", "/sd/b.mp4: cannot open as a video: corrupt"), ("c", "weights/x.onnx: not readable")):
        (tmp_path / key).mkdir()
        (tmp_path / key / "video.json").write_text(json.dumps({
            "schema_version": 6, "video_key": key, "source_path": f"/sd/{key}.mp4", "status": "failed", "error": error,
            "helmetscan_version": "0.3.0"}))
    video = VideoRecord.model_validate(old)
    assert video.copies == [] and [c.path for c in video.known_copies] == ["/sd/clip_a.mp4"]
    assert video.status is VideoStatus.DONE and video.footage_s == pytest.approx(3.2)
    html = rebuild(tmp_path, "test").html_path.read_text()
    assert re.findall(r'<li class="failed">(.*?)</li>', html) == [
        "/sd/b.mp4: cannot open as a video: corrupt", "/sd/c.mp4: weights/x.onnx: not readable"]
    assert "also on" not in html and "0.1 min of footage" in html  # 3.2 s; the failed videos count none


def test_every_csv_column_is_documented_and_written(tmp_path):
    from helmetscan.results.evidence import load_results
    from helmetscan.results.report import CSV_COLUMNS, CSV_FIELDS, csv_rows

    assert CSV_COLUMNS == list(CSV_FIELDS) and all(meaning for _, meaning in CSV_FIELDS.values())
    _store(tmp_path, "clip_a", "clip_a_t0001", "/data/clip_a.mp4", "TN05AT7024")
    _, [record] = load_results(tmp_path)
    assert list(csv_rows([record])[0]) == CSV_COLUMNS


def test_timeline_packs_overlapping_tracks_into_rows_and_links_violations(tmp_path):
    from helmetscan.results.evidence import load_results
    from helmetscan.results.records import TrackRecord
    from helmetscan.results.timeline import LEFT, MAX_ROWS, RIGHT, WIDTH, timeline

    _store(tmp_path, "clip_a", "clip_a_t0001", "/data/clip_a.mp4", "TN05AT7024")
    [video], [record] = load_results(tmp_path)  # 3.2 s of video; the violation is track 1
    spans = [TrackRecord(track_id=1, first_s=0.0, last_s=2.0, frames_seen=10, people=2, violation=True),
             TrackRecord(track_id=2, first_s=1.0, last_s=3.0, frames_seen=10, people=1, violation=False),
             TrackRecord(track_id=3, first_s=2.6, last_s=2.6, frames_seen=1, people=1, violation=False)]
    drawn = timeline(video.model_copy(update={"tracks": spans}), [record])
    rows = {bar.label.split(":")[0]: bar for bar in drawn.bars}
    assert rows["track 1"].row == 0 and rows["track 2"].row == 1 and rows["track 3"].row == 0  # 3 starts after 1 ends
    assert rows["track 1"].violation_id == "clip_a_t0001" and rows["track 2"].violation_id is None
    scale = (WIDTH - LEFT - RIGHT) / 3.2
    assert rows["track 2"].x + rows["track 2"].width == pytest.approx(LEFT + 3.0 * scale)  # it ends at 3.0 s
    assert rows["track 3"].width > 0 and drawn.rows == 2 and [label for _, label in drawn.ticks][:2] == ["0:00", "0:01"]
    # a crowded road: at most MAX_ROWS rows, the rest share the last
    crowd = [TrackRecord(track_id=i, first_s=0.0, last_s=3.0, frames_seen=5, people=1, violation=False)
             for i in range(MAX_ROWS + 5)]
    assert timeline(video.model_copy(update={"tracks": crowd}), []).rows == MAX_ROWS
    # a record from before schema 5 has no spans: a mark at each violation instead
    old = timeline(video, [record])
    assert old.bars == [] and [vid for _, vid in old.markers] == ["clip_a_t0001"]


def test_the_csv_has_a_byte_order_mark_for_excel_and_still_reads(tmp_path):
    import csv

    _store(tmp_path, "clip_a", "clip_a_t0001", "=cmd|' /C calc'!A0", "서울12가3456", "read")
    csv_path = rebuild(tmp_path, "test").csv_path
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfviolation_id,")  # Excel then reads UTF-8, not CP949
    assert raw.count(b"\xef\xbb\xbf") == 1 and "서울12가3456".encode() in raw
    with csv_path.open(newline="", encoding="utf-8-sig") as f:
        [row] = list(csv.DictReader(f))
    assert row["violation_id"] == "clip_a_t0001" and row["plate_text"] == "서울12가3456"
    assert row["video"] == "'=cmd|' /C calc'!A0"  # the formula guard is kept
    table = pd.read_csv(csv_path, keep_default_na=False, encoding="utf-8-sig")
    assert list(table.columns)[0] == "violation_id" and table["plate_text"][0] == "서울12가3456"
