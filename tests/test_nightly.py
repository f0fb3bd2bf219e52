"""Nightly batches: identity by content, nothing overwritten, resume (also after SIGKILL), failures isolated, time and
place on every violation. Fake models (plain callables) through the real runner, results database and reports."""

import signal
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from helmetscan.config import Settings
from helmetscan.core.errors import ResultsError
from helmetscan.results.database import DB_NAME, ResultsDB
from helmetscan.results.records import VideoStatus
from helmetscan.runner.discovery import discover

from conftest import ROOT, write_video
from test_pipeline import runner

SEOUL = "Asia/Seoul"


def night(folder: Path, names: list[str], n_frames: int = 20, shade: int = 0) -> Path:
    """An SD-card dump: one generated video per name (content differs by ``shade``)."""
    for i, name in enumerate(names):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_video(path, n_frames=n_frames + shade + i, fps=10, size=(320, 240), fourcc="MJPG")
    return folder


def run_night(folder: Path, out: Path, **kwargs):
    found = discover([folder])
    batch = runner(settings=Settings(recording={"time_zone": SEOUL}))
    return batch.run(found.videos, out, roots=found.roots, **kwargs)


def table(out: Path) -> pd.DataFrame:
    return (pd.read_csv(out / "violations.csv", keep_default_na=False, encoding="utf-8-sig")  # it has a BOM
            .sort_values("violation_id").reset_index(drop=True))


def test_two_nights_with_the_same_file_names_are_both_kept(tmp_path):
    out = tmp_path / "out"
    first = run_night(night(tmp_path / "n1", ["bus12/Record/FILE0001.avi"]), out)
    second = run_night(night(tmp_path / "n2", ["bus12/Record/FILE0001.avi"], shade=3), out)
    assert len(first.videos) == len(second.videos) == 1
    keys = {first.videos[0].video_key, second.videos[0].video_key}
    assert len(keys) == 2 and all(k.startswith("FILE0001-") for k in keys)
    rows = table(out)
    assert len(rows) == 2 and rows.violation_id.is_unique
    for key in keys:  # both evidence folders are still there and verify
        assert (out / key / "video.json").is_file()
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    assert set(rows.vehicle) == {"bus12"}


def test_a_re_run_analyses_nothing_and_force_redoes_without_deleting(tmp_path):
    folder = night(tmp_path / "card", ["a.avi", "b.avi"])
    out = tmp_path / "out"
    run_night(folder, out)
    before = table(out)
    again = run_night(folder, out)
    assert again.videos == [] and len(again.skipped) == 2
    assert table(out).equals(before)
    forced = run_night(folder, out, force=True)
    assert len(forced.videos) == 2 and table(out).equals(before)
    assert len(list((out / ".superseded").iterdir())) == 2  # the earlier folders are kept aside, not deleted


def test_changed_settings_analyse_again(tmp_path):
    folder = night(tmp_path / "card", ["a.avi"])
    out = tmp_path / "out"
    run_night(folder, out)
    batch = runner(settings=Settings(recording={"time_zone": SEOUL}, decision={"min_no_helmet_frames": 3}))
    found = discover([folder])
    assert len(batch.run(found.videos, out, roots=found.roots).videos) == 1


def test_a_folder_mixing_good_truncated_empty_and_non_video_files(tmp_path):
    card = night(tmp_path / "card", ["good.avi"])
    good = (card / "good.avi").read_bytes()
    (card / "truncated.avi").write_bytes(good[: len(good) // 3])
    (card / "empty.mp4").write_bytes(b"")
    (card / "notes.mp4").write_text("not a video\n")
    (card / "readme.txt").write_text("ignored\n")
    out = tmp_path / "out"
    result = run_night(card, out)
    status = {Path(v.source_path).name: v.status for v in result.videos}
    assert status["good.avi"] is VideoStatus.DONE
    assert status["empty.mp4"] is VideoStatus.FAILED and status["notes.mp4"] is VideoStatus.FAILED
    assert "readme.txt" not in status
    # a truncated file either decodes what it holds (with a warning) or fails: never stops the night
    truncated = next(v for v in result.videos if v.source_path.endswith("truncated.avi"))
    assert truncated.status is VideoStatus.FAILED or truncated.counts.frames_decoded < 20
    html = (out / "report.html").read_text()
    assert "Failures" in html and "empty.mp4" in html and "notes.mp4" in html
    db = ResultsDB(out, create=False)
    rows = {Path(r["path"]).name: r for r in db.db.query("select path, status, error from videos")}
    db.close()
    assert rows["empty.mp4"]["status"] == "failed" and rows["empty.mp4"]["error"]


def test_videos_run_in_recording_order_and_carry_local_time(tmp_path):
    card = night(tmp_path / "sd" / "van3", ["Record/20261121_153512_NF.avi", "Record/20261121_153012_ER.avi"])
    out = tmp_path / "out"
    result = run_night(card.parent, out)
    assert [Path(v.source_path).name for v in result.videos] == ["20261121_153012_ER.avi", "20261121_153512_NF.avi"]
    rows = table(out)
    first = rows[rows.video.str.endswith("20261121_153012_ER.avi")].iloc[0]
    assert first.local_time.startswith("2026-11-21T15:30:12") and first.local_time.endswith("+09:00")
    assert (first.vehicle, first.channel) == ("van3", "rear")
    since = run_night(card.parent, tmp_path / "out2", since=pd.Timestamp("2026-11-21T15:33", tz=SEOUL).to_pydatetime())
    assert [Path(v.source_path).name for v in since.videos] == ["20261121_153512_NF.avi"]


def test_report_filters_by_date_and_vehicle_and_refuses_other_folders(tmp_path):
    from helmetscan.core.errors import ResultsError
    from helmetscan.results.report import rebuild

    out = tmp_path / "out"
    run_night(night(tmp_path / "sd", ["van3/20261121_153012_NF.avi"]), out)
    run_night(night(tmp_path / "sd2", ["bus12/20261122_080000_NF.avi"], shade=2), out)
    csv, html, n, _ = rebuild(out, "t", date="2026-11-22")
    assert n == 1 and csv.name == "violations-2026-11-22.csv" and html.name == "report-2026-11-22.html"
    assert set(pd.read_csv(csv, encoding="utf-8-sig").vehicle) == {"bus12"}
    assert rebuild(out, "t", vehicle="van3")[2] == 1 and rebuild(out, "t")[2] == 2
    stranger = tmp_path / "photos"
    stranger.mkdir()
    with pytest.raises(ResultsError, match="not a results folder"):
        rebuild(stranger, "t")
    assert list(stranger.iterdir()) == []  # nothing written into it


KILLABLE = """
import sys, time
from pathlib import Path
from zoneinfo import ZoneInfo
sys.path[:0] = [{tests!r}, {root!r}]
from test_pipeline import runner
from helmetscan.config import Settings
from helmetscan.runner.discovery import discover

slow = float(sys.argv[3])
def stage1(image, _inner=__import__("test_pipeline").stage1):
    time.sleep(slow)
    return _inner(image)
found = discover([Path(sys.argv[1])])
runner(detector=stage1, settings=Settings(recording={{"time_zone": "Asia/Seoul"}})).run(
    found.videos, Path(sys.argv[2]), roots=found.roots)
"""


def test_a_run_killed_with_sigkill_resumes_to_the_uninterrupted_result(tmp_path):
    card = night(tmp_path / "card", [f"2026112{i}_120000_NF.avi" for i in range(1, 6)])
    script = tmp_path / "night.py"
    script.write_text(KILLABLE.format(tests=str(ROOT / "tests"), root=str(ROOT)))
    reference = tmp_path / "reference"
    done = subprocess.run([sys.executable, str(script), str(card), str(reference), "0"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]

    out = tmp_path / "out"
    log = open(tmp_path / "killed.log", "w")
    proc = subprocess.Popen([sys.executable, str(script), str(card), str(out), "0.2"], stderr=log, stdout=log)
    deadline, committed = time.time() + 60, 0
    while time.time() < deadline:  # kill once two videos are committed and the next one is in progress
        assert proc.poll() is None, (tmp_path / "killed.log").read_text()[-2000:]  # still running
        try:
            db = ResultsDB(out, create=False)
        except ResultsError:  # not created yet
            time.sleep(0.02)
            continue
        committed = next(db.db.query("select count(*) as n from videos"))["n"]
        db.close()
        if committed >= 2 and any((out / ".partial").glob("*")):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 2 <= committed < 5 and any((out / ".partial").glob("*"))  # killed part-way, mid-video
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout  # verifies right after the kill

    resumed = subprocess.run([sys.executable, str(script), str(card), str(out), "0"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert table(out).equals(table(reference))
    for name in (reference, out):
        db = ResultsDB(name, create=False)
        videos = sorted((r["sha256"], r["status"], r["video_key"]) for r in db.db.query("select * from videos"))
        violations = sorted(r["violation_id"] for r in db.db.query("select violation_id from violations"))
        db.close()
        if name == reference:
            expected = (videos, violations)
    assert (videos, violations) == expected and len(videos) == 5
    assert not any((out / ".partial").glob("*"))
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_violations_get_the_place_of_the_gps_track_at_their_time(tmp_path):
    """A BlackVue-named clip with its .gps sidecar (an NMEA track written here): the violation's coordinates are the
    track's at the evidence frame's time (recording start 15:30:12 KST = 06:30:12 UTC, plus timestamp_s)."""
    from datetime import timedelta

    from test_gps import T0, rmc, truth

    card = night(tmp_path / "sd", ["bus7/Record/20261121_153012_NF.avi"])
    # fixes half a second off the frames' times, so the place must be interpolated between two fixes
    fixes = [rmc(T0 + timedelta(seconds=i + 0.5), *truth(i + 0.5)) for i in range(-3, 30)]
    (card / "bus7" / "Record" / "20261121_153012_N.gps").write_text("\n".join(fixes) + "\n")
    write_video(card / "bus7" / "Record" / "20261121_170000_NF.avi", n_frames=23, fps=10, size=(320, 240),
                fourcc="MJPG")  # no GPS for this one: place unknown
    out = tmp_path / "out"
    result = run_night(card, out)
    assert [v.gps_source for v in result.videos] == ["sidecar:20261121_153012_N.gps", None]
    rows = table(out)
    with_gps = rows[rows.video.str.endswith("153012_NF.avi")].iloc[0]
    lat, lon, speed = truth(with_gps.timestamp_s)
    assert float(with_gps.latitude) == pytest.approx(lat, abs=1e-6)
    assert float(with_gps.longitude) == pytest.approx(lon, abs=1e-6)
    assert float(with_gps.speed_kmh) == pytest.approx(speed, abs=0.1)
    assert with_gps.local_time.startswith((T0.astimezone(ZoneInfo(SEOUL))).strftime("%Y-%m-%dT%H:%M"))
    without = rows[rows.video.str.endswith("170000_NF.avi")].iloc[0]
    assert without.latitude == "" and without.local_time.startswith("2026-11-21T17:00:0")
    html = (out / "report.html").read_text()
    assert "openstreetmap.org/?mlat=" in html and "place unknown" in html


def test_a_reader_never_writes_to_a_database_being_created(tmp_path):
    """`report` (or anything opening OUT read-only) while `analyze` has just created the file must not race it."""
    (tmp_path / DB_NAME).write_bytes(b"")
    with pytest.raises(ResultsError, match="still being created"):
        ResultsDB(tmp_path, create=False)
    assert (tmp_path / DB_NAME).read_bytes() == b"" and not (tmp_path / f"{DB_NAME}-wal").exists()
