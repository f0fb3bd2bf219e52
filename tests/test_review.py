"""Reviews: stored in the results database with who and when, exported to the reports, never touching evidence; the
review application's API (FastAPI's test client; the browser flow is in test_browser.py)."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from helmetscan.core.errors import ResultsError
from helmetscan.results.database import ResultsDB
from helmetscan.results.evidence import load_results, write_sha256sums
from helmetscan.results.report import rebuild
from helmetscan.results.reviews import ReviewStatus, clean_plate_text
from helmetscan.results.verify import verify_output
from test_report import HOSTILE_NAME, HOSTILE_OCR, _store


def results_folder(out, plates=("TN05AT7024", "", "서울12가3456"), paths=None, **record):
    """An output folder with one violation per plate, stored in a results database as `analyze` stores them;
    ``record``: more fields of every violation record (``local_time``, ``settings``)."""
    stored = [_store(out, f"clip_{i}", f"clip_{i}_t0001", (paths or {}).get(i, f"/sd/clip_{i}.mp4"), plate,
                     "read" if plate else "unread", **record)[1]
              for i, plate in enumerate(plates)]
    write_sha256sums(out, stored)
    videos, records = load_results(out)
    db = ResultsDB(out)
    run = db.start_run("test", "cfg", {}, {})
    for i, video in enumerate(videos):
        db.save_video(video, [r for r in records if r.video_key == video.video_key], sha256=f"{i:064x}", mtime_ns=0,
                      config_hash="cfg", run_id=run)
    db.close()
    rebuild(out, "test")
    return [r.violation_id for r in records]


def _evidence_hashes(out):
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in out.glob("clip_*/clip_*/*")}


def test_decisions_are_kept_with_who_and_when_and_the_latest_counts(tmp_path):
    ids = results_folder(tmp_path)
    db = ResultsDB(tmp_path, create=False, migrate=True)
    db.add_review(ids[0], ReviewStatus.CONFIRMED, "kim", "TN05AT7024")
    db.add_review(ids[0], ReviewStatus.REJECTED, "lee", "", "helmet visible in the excerpt")
    db.add_review(ids[1], ReviewStatus.CONFIRMED, "kim", "12가3456")
    latest = db.reviews()
    assert latest[ids[0]].status is ReviewStatus.REJECTED and latest[ids[0]].reviewer == "lee"
    assert latest[ids[1]].plate_text_reviewed == "12가3456" and ids[2] not in latest
    assert [h.reviewer for h in db.review_history(ids[0])] == ["kim", "lee"]
    assert latest[ids[0]].reviewed_at.endswith("+00:00")
    with pytest.raises(ResultsError, match="no such violation"):
        db.add_review("nope_t0001", ReviewStatus.CONFIRMED, "kim")
    with pytest.raises(ResultsError, match="confirmed or rejected"):
        db.add_review(ids[2], ReviewStatus.PENDING, "kim")
    db.close()


def test_reviews_are_exported_and_evidence_is_untouched(tmp_path):
    ids = results_folder(tmp_path)
    before = _evidence_hashes(tmp_path)
    db = ResultsDB(tmp_path, create=False, migrate=True)
    db.add_review(ids[1], ReviewStatus.CONFIRMED, "kim", "12가3456")
    db.add_review(ids[0], ReviewStatus.REJECTED, "lee")
    db.close()
    rebuild(tmp_path, "test")
    table = pd.read_csv(tmp_path / "violations.csv", keep_default_na=False).set_index("violation_id")
    assert table.loc[ids[0], "review_status"] == "rejected" and table.loc[ids[0], "reviewed_by"] == "lee"
    assert table.loc[ids[1], "plate_text_reviewed"] == "12가3456" and table.loc[ids[1], "plate_text"] == ""
    assert table.loc[ids[2], "review_status"] == "pending" and table.loc[ids[2], "reviewed_at"] == ""
    html = (tmp_path / "report.html").read_text()
    assert "<b>1</b> confirmed, <b>1</b> rejected, <b>1</b> pending" in html
    assert "12가3456" in (tmp_path / "sheets" / f"{ids[1]}.html").read_text()
    assert _evidence_hashes(tmp_path) == before and verify_output(tmp_path, sources=False).ok


def test_a_database_from_before_reviews_is_read_without_being_changed(tmp_path):
    ids = results_folder(tmp_path)
    db = ResultsDB(tmp_path)
    db.db["reviews"].drop()
    db.db.execute("delete from _sqlite_migrations where name = 'm002_reviews'")
    db.close()
    reader = ResultsDB(tmp_path, create=False)
    assert reader.reviews() == {} and "reviews" not in reader.db.table_names()
    reader.close()
    assert pd.read_csv(rebuild(tmp_path, "test")[0])["review_status"].eq("pending").all()
    writer = ResultsDB(tmp_path, create=False, migrate=True)  # `review` brings it up to date
    writer.add_review(ids[0], ReviewStatus.CONFIRMED, "kim")
    writer.close()


@pytest.mark.parametrize("typed, stored", [("tn 05-at.7024", "TN05AT7024"), (" 서울 12가 3456 ", "서울12가3456"),
                                           ("", "")])
def test_typed_plates_are_normalised_like_the_reader_output(typed, stored):
    assert clean_plate_text(typed) == stored


@pytest.mark.parametrize("typed", ["A\x00B", "X" * 17])
def test_bad_plate_text_is_refused(typed):
    with pytest.raises(ResultsError, match="plate text"):
        clean_plate_text(typed)


@pytest.fixture
def client(tmp_path):
    from fastapi.testclient import TestClient

    from helmetscan.review.app import create_app

    ids = results_folder(tmp_path, paths={0: HOSTILE_NAME})
    with TestClient(create_app(tmp_path, reviewer="kim"), base_url="http://127.0.0.1:8765") as c:
        yield c, ids, tmp_path


def test_the_api_stores_confirm_reject_and_plate_corrections(client):
    c, ids, out = client
    before = _evidence_hashes(out)
    answer = c.post(f"/api/violations/{ids[1]}/review",
                    json={"status": "confirmed", "reviewer": " park ", "plate_text_reviewed": "12 가 3456"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["review"]["plate_text_reviewed"] == "12가3456" and answer.json()["review"]["reviewer"] == "park"
    assert c.post(f"/api/violations/{ids[0]}/review", json={"status": "rejected", "reviewer": "park",
                                                            "note": "pedestrian"}).status_code == 200
    listed = {v["violation_id"]: v["review"] for v in c.get("/api/violations").json()}
    assert listed[ids[1]]["status"] == "confirmed" and listed[ids[0]]["note"] == "pedestrian" and listed[ids[2]] is None
    # exported at once: the CSV and the report are views of the database
    table = pd.read_csv(out / "violations.csv", keep_default_na=False).set_index("violation_id")
    assert table.loc[ids[1], "review_status"] == "confirmed" and table.loc[ids[1], "plate_text_reviewed"] == "12가3456"
    assert _evidence_hashes(out) == before


def test_the_api_refuses_bad_decisions_with_a_reason(client):
    c, ids, _ = client
    post = lambda vid, body, **kw: c.post(f"/api/violations/{vid}/review", json=body, **kw)  # noqa: E731
    assert post("nope_t0001", {"status": "confirmed", "reviewer": "kim"}).status_code == 404
    assert post(ids[0], {"status": "maybe", "reviewer": "kim"}).status_code == 422
    empty = post(ids[0], {"status": "confirmed", "reviewer": "  "})
    assert empty.status_code == 422 and "name is required" in empty.json()["detail"]
    assert post(ids[0], {"status": "confirmed", "reviewer": "kim", "plate_text_reviewed": "A\x07"}).status_code == 422
    assert post(ids[0], {"status": "confirmed", "reviewer": "kim"}, headers={"Origin": "http://evil.example"}
                ).status_code == 403
    assert c.get("/", headers={"Host": "evil.example"}).status_code == 400  # DNS rebinding
    assert c.get("/api/violations").json()[0]["review"] is None  # nothing was stored


def test_the_review_page_escapes_hostile_names_and_serves_evidence_read_only(client):
    c, ids, out = client
    c.post(f"/api/violations/{ids[0]}/review", json={"status": "rejected", "reviewer": "<b>x</b>",
                                                     "note": HOSTILE_OCR})
    page = c.get("/").text
    assert '<script>alert("x")' not in page and "<img src=x" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    for view in (out / "report.html", out / "sheets" / f"{ids[0]}.html"):  # rebuilt with the rejection and its note
        text = view.read_text()
        assert "<img src=x" not in text and "<b>x</b>" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    frame = c.get(f"/files/{ids[0].rsplit('_t', 1)[0]}/{ids[0]}/frame.png")
    assert frame.status_code == 200 and frame.content == (out / "clip_0" / ids[0] / "frame.png").read_bytes()
    assert c.put(f"/files/clip_0/{ids[0]}/frame.png", content=b"x").status_code == 405
    assert c.get("/files/..%2F..%2F..%2Fetc%2Fpasswd").status_code == 404 and c.get("/files/%2Fetc%2Fpasswd").status_code == 404


def test_review_of_a_non_results_folder_is_one_line_and_exit_1(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "helmetscan", "review", str(tmp_path)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 1 and "not a results folder" in proc.stderr and "Traceback" not in proc.stderr
    assert "Review page" not in proc.stdout  # no address announced for a page that never served


def test_review_on_a_busy_port_is_one_line_and_exit_2_before_any_address_is_announced(tmp_path):
    import socket
    import subprocess
    import sys

    from conftest import ROOT

    out = tmp_path / "out"
    results_folder(out)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "helmetscan", "review", str(out), "--port", str(port)],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
    finally:
        taken.close()
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and len(lines) == 1 and f"127.0.0.1:{port}: cannot serve there" in lines[0]
    assert "Review page" not in proc.stdout and "Traceback" not in proc.stderr


# ---- the report after review (issue #35: a report that tells the truth after review) ----------------------------

def card_of(html: str, violation_id: str) -> str:
    """The markup of one card of ``report.html``: from its opening tag to the next card or section."""
    import re

    start = html.index(f'<div class="card" id="v-{violation_id}"')
    end = re.compile(r'<div class="card" id=|<h2|<div class="cards').search(html, start + 1)
    return html[start:end.start() if end else len(html)]


def test_a_confirmed_card_and_sheet_headline_the_plate_the_reviewer_read(tmp_path):
    ids = results_folder(tmp_path)  # plates: TN05AT7024 read, unread, 서울12가3456 read
    db = ResultsDB(tmp_path, create=False, migrate=True)
    db.add_review(ids[1], ReviewStatus.CONFIRMED, "kim", "서울12가3456")
    db.add_review(ids[0], ReviewStatus.REJECTED, "lee", "TN05AT7025")  # rejected: its plate is no headline
    db.close()
    rebuild(tmp_path, "test")
    html = (tmp_path / "report.html").read_text()
    confirmed = card_of(html, ids[1])
    assert '<span class="plate-text reviewed-plate">서울12가3456</span> <small class="reviewed-by">— reviewed by kim' \
           in confirmed
    assert "plate unread" not in confirmed and "machine read: unread" in confirmed  # the machine read, secondary
    rejected = card_of(html, ids[0])
    assert '<span class="plate-text">TN05AT7024</span>' in rejected and "reviewed by lee" not in rejected
    assert "plate read by the reviewer: <b class=\"reviewed-plate\">TN05AT7025</b>" in rejected
    assert '<span class="plate-text">서울12가3456</span>' in card_of(html, ids[2])  # pending: the machine read
    sheet = (tmp_path / "sheets" / f"{ids[1]}.html").read_text()
    assert '<tr><th>Plate</th><td><span class="plate-text reviewed-plate">서울12가3456</span> — reviewed by kim<br>' \
           '<small class="machine-read">machine read: unread</small>' in sheet
    table = pd.read_csv(tmp_path / "violations.csv", keep_default_na=False).set_index("violation_id")
    assert (table.loc[ids[1], "plate_text"], table.loc[ids[1], "plate_text_reviewed"]) == ("", "서울12가3456")


def test_rejected_violations_are_counted_and_shown_apart(tmp_path):
    from typer.testing import CliRunner

    from helmetscan.cli import app

    ids = results_folder(tmp_path)
    db = ResultsDB(tmp_path, create=False, migrate=True)
    db.add_review(ids[0], ReviewStatus.REJECTED, "lee", note="helmet visible in the excerpt")
    db.close()
    rebuilt = rebuild(tmp_path, "test")
    assert (rebuilt.violations, rebuilt.rejected) == (2, 1)
    html = rebuilt.html_path.read_text()
    assert "<title>helmetscan report: 2 violation(s)</title>" in html
    assert '<b>2</b> violation(s) (1 rejected, <a href="#rejected">shown apart</a>)' in html
    apart = html.index('<div class="cards rejected" id="cards-rejected">')
    assert html.index(f'id="v-{ids[1]}"') < html.index('<h2 id="rejected">Rejected on review (1)</h2>') < apart
    assert apart < html.index(f'id="v-{ids[0]}"') and "helmet visible in the excerpt" in card_of(html, ids[0])
    assert "Rejected on review by lee" in (tmp_path / "sheets" / f"{ids[0]}.html").read_text()
    assert len(pd.read_csv(rebuilt.csv_path)) == 3  # the CSV keeps every row, with its review_status
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 0 and result.stdout.startswith("2 violation(s) (1 rejected, shown apart). Report:")


@pytest.mark.parametrize("record", [{"settings": {"recording": {"time_zone": "Asia/Seoul"}}},  # the run's zone
                                    {"local_time": "2026-11-21T15:30:12.400+09:00"}],  # else the record's offset
                         ids=["run-time-zone", "local-time-offset"])
def test_review_times_are_shown_in_the_recordings_time_zone(tmp_path, record):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from helmetscan.results.report import local_time_text

    ids = results_folder(tmp_path, plates=("TN05AT7024",), **record)
    db = ResultsDB(tmp_path, create=False, migrate=True)
    stored = db.add_review(ids[0], ReviewStatus.CONFIRMED, "kim").reviewed_at
    db.close()
    rebuild(tmp_path, "test")
    assert stored.endswith("+00:00")  # the database keeps UTC
    seoul = datetime.fromisoformat(stored).astimezone(ZoneInfo("Asia/Seoul"))
    row = pd.read_csv(tmp_path / "violations.csv", keep_default_na=False).iloc[0]
    assert row["reviewed_at"] == seoul.isoformat() and row["reviewed_at"].endswith("+09:00")
    shown = f"confirmed by kim at {local_time_text(seoul.isoformat())}"
    assert shown.endswith(" +09:00") and shown in (tmp_path / "report.html").read_text()
    assert "+00:00" not in card_of((tmp_path / "report.html").read_text(), ids[0])
    sheet = (tmp_path / "sheets" / f"{ids[0]}.html").read_text()
    assert f"<b>confirmed</b> by kim at {local_time_text(seoul.isoformat())}" in sheet and "+00:00" not in sheet


def test_the_review_note_is_in_the_csv_and_guarded(tmp_path):
    ids = results_folder(tmp_path)
    db = ResultsDB(tmp_path, create=False, migrate=True)
    db.add_review(ids[0], ReviewStatus.REJECTED, "lee", note="pedestrian, 헬멧 착용")
    db.add_review(ids[1], ReviewStatus.CONFIRMED, "kim", note="=HYPERLINK(\"http://evil\")")
    db.close()
    rebuild(tmp_path, "test")
    table = pd.read_csv(tmp_path / "violations.csv", keep_default_na=False).set_index("violation_id")
    assert list(table.columns[-5:]) == ["review_status", "plate_text_reviewed", "reviewed_by", "reviewed_at",
                                        "review_note"]
    assert table.loc[ids[0], "review_note"] == "pedestrian, 헬멧 착용" and table.loc[ids[0], "reviewed_by"] == "lee"
    assert table.loc[ids[1], "review_note"] == "'=HYPERLINK(\"http://evil\")"  # a formula stays text
    assert table.loc[ids[2], "review_note"] == ""
