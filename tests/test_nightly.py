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
    # a truncated file is analysed as far as it decodes, and said to be incomplete: it never stops the night
    truncated = next(v for v in result.videos if v.source_path.endswith("truncated.avi"))
    assert truncated.status is VideoStatus.INCOMPLETE and truncated.counts.frames_decoded < 20
    html = (out / "report.html").read_text()
    assert "Failures" in html and "empty.mp4" in html and "notes.mp4" in html and "truncated.avi: ends early" in html
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


# ---- provenance: identical files, files that end early, one path per failure line ---------------------------------


def copy_of(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    return target


def gps_sidecar(video: Path) -> None:
    """An NMEA track beside a BlackVue-named ``video`` recorded 2026-11-21 15:30:12 KST (test_gps.T0)."""
    from datetime import timedelta

    from test_gps import T0, rmc, truth

    fixes = [rmc(T0 + timedelta(seconds=i + 0.5), *truth(i + 0.5)) for i in range(-3, 30)]
    video.with_name(video.name[:17] + ".gps").write_text("\n".join(fixes) + "\n")


def test_an_identical_file_on_two_cards_is_analysed_once_and_every_copy_is_recorded(tmp_path):
    """bus03's copy was recorded earlier but has no GPS; bus12's has its sidecar: bus12's is analysed (its violations
    get a place), bus03's is recorded beside it with its own time and vehicle, and the report says so."""
    import json

    from helmetscan.results.verify import verify_output

    card = tmp_path / "night"
    bus12 = night(card, ["bus12/Record/20261121_153012_NF.avi"]) / "bus12/Record/20261121_153012_NF.avi"
    gps_sidecar(bus12)
    bus03 = copy_of(bus12, card / "bus03/Record/20261121_152900_NF.avi")
    out = tmp_path / "out"
    result = run_night(card, out)
    assert len(result.videos) == 1
    video = result.videos[0]
    assert video.source_path == str(bus12) and video.gps_source == "sidecar:20261121_153012_N.gps"
    assert [(c.path, c.analysed) for c in video.copies] == [(str(bus12), True), (str(bus03), False)]
    other = video.copies[1]
    assert (other.recording.vehicle, other.recording.channel, other.recording.time_source) == ("bus03", "front",
                                                                                               "filename")
    assert other.recording.start == "2026-11-21T15:29:00+09:00" and other.gps_source is None
    stored = json.loads((out / video.video_key / "video.json").read_text())
    assert stored["schema_version"] == 7 and [c["path"] for c in stored["copies"]] == [str(bus12), str(bus03)]
    rows = table(out)
    assert set(rows.vehicle) == {"bus12"} and all(rows.latitude != "")  # the copy with GPS gave the place
    html = (out / "report.html").read_text()
    assert html.count("also on: ") >= 2  # the card and the list of videos
    assert f"{bus03} (vehicle bus03, front, recorded 2026-11-21 15:29:00 +09:00 from its filename, no GPS)" in html

    # a later night finds one more copy (no time in its name): recorded, not analysed again, nothing else changes
    bus07 = copy_of(bus12, tmp_path / "night2" / "bus07" / "FILE0001.avi")
    again = run_night(tmp_path / "night2", out)
    assert again.videos == [] and len(again.skipped) == 1
    db = ResultsDB(out, create=False)
    try:
        record = db.video(again.skipped[0].sha256)
        stat = bus07.stat()
        cached = db.sha256_of(bus07, stat.st_size, stat.st_mtime_ns)  # the copy's hash is not read again
    finally:
        db.close()
    assert [(c.path, c.analysed) for c in record.copies] == [(str(bus12), True), (str(bus03), False),
                                                             (str(bus07), False)]
    assert record.copies[2].recording.vehicle == "bus07" and record.copies[2].recording.start is None
    assert cached == again.skipped[0].sha256
    on_disk = json.loads((out / video.video_key / "video.json").read_text())
    assert [c["path"] for c in on_disk["copies"]] == [str(bus12), str(bus03), str(bus07)]
    assert table(out).equals(rows) and verify_output(out).ok
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    before = (out / video.video_key / "video.json").read_bytes()
    assert run_night(tmp_path / "night2", out).videos == []  # found again: nothing new, nothing rewritten
    assert (out / video.video_key / "video.json").read_bytes() == before


def test_copies_survive_a_re_analysis_and_a_rebuilt_database(tmp_path):
    from helmetscan.results.rebuild import rebuild_database

    card = night(tmp_path / "n1", ["bus12/Record/20261121_153012_NF.avi"])
    first = card / "bus12/Record/20261121_153012_NF.avi"
    copy_of(first, card / "bus03" / "FILE0001.avi")
    out = tmp_path / "out"
    run_night(card, out)
    later = copy_of(first, tmp_path / "n2" / "bus07" / "FILE0002.avi")
    forced = run_night(tmp_path / "n2", out, force=True)  # analysed again from the one copy found tonight
    assert [(Path(c.path).name, c.analysed) for c in forced.videos[0].copies] == [
        ("FILE0002.avi", True), ("20261121_153012_NF.avi", False), ("FILE0001.avi", False)]
    assert forced.videos[0].source_path == str(later)
    rebuilt = rebuild_database(out, "test", force=True)
    assert rebuilt.rebuilt and rebuilt.videos == 1
    db = ResultsDB(out, create=False)
    try:
        [video], _ = db.load()
        stat = first.stat()
        assert db.sha256_of(first, stat.st_size, stat.st_mtime_ns) == video.info.sha256
    finally:
        db.close()
    assert len(video.copies) == 3


def test_the_copy_analysed_is_the_one_with_a_recording_time_whatever_the_path_order(tmp_path):
    """The tester's night: bus03 (sorting first) holds the file as FILE0001.avi, without a time; bus12 holds it under
    its dashcam name. bus12's time and vehicle are the violations'; bus03's copy is kept beside it."""
    card = tmp_path / "night"
    bus12 = night(card, ["bus12/Record/20261121_153012_NF.avi"]) / "bus12/Record/20261121_153012_NF.avi"
    bus03 = copy_of(bus12, card / "bus03" / "DCIM" / "FILE0001.avi")
    found = discover([card])
    batch = runner(settings=Settings(recording={"time_zone": SEOUL}))
    [job] = batch.plan(found.videos, found.roots)
    assert job.path == bus12 and [c.record.path for c in job.others] == [str(bus03)]
    assert job.others[0].record.recording.vehicle == "bus03" and job.others[0].record.recording.time_source == "unknown"


def test_a_file_that_ends_early_is_analysed_as_far_as_it_decodes_and_reported_incomplete(tmp_path):
    """A CCTV-like clip of 307 frames at 15 fps (20.5 s declared) cut short: what decodes is analysed, its violations
    written; the record says incomplete with how far it decodes; only that counts as footage; the report lists it."""
    from helmetscan.results.report import totals

    card = tmp_path / "card"
    card.mkdir()
    write_video(card / "good.avi", n_frames=30, fps=10, size=(320, 240), fourcc="MJPG")
    whole = write_video(tmp_path / "whole.avi", n_frames=307, fps=15, size=(320, 240), fourcc="MJPG").read_bytes()
    cut = card / "cut.avi"
    cut.write_bytes(whole[: len(whole) // 10])  # the tail of the file is lost (a card pulled mid-copy)
    out = tmp_path / "out"
    result = run_night(card, out)
    record = next(v for v in result.videos if v.source_path == str(cut))
    assert record.status is VideoStatus.INCOMPLETE
    decoded = record.counts.frames_decoded
    assert 0 < decoded < 307 and record.violation_ids  # analysed as far as it decodes
    assert record.info.duration_s == pytest.approx(307 / 15, abs=0.01)
    assert record.info.decoded_duration_s == pytest.approx(decoded / 15, abs=0.01)
    assert record.error.startswith(f"{cut}: ends early: its frames cover ") and record.error.count(str(cut)) == 1
    assert f"of the 20.5 s its container declares ({decoded} of 307 frames)" in record.error
    assert result.failures == [record.error]  # a line on the command line, and exit 1
    footage = 3.0 + decoded / 15
    assert result.footage_s == pytest.approx(footage, abs=0.01)
    videos, violations = ResultsDB(out, create=False).load()
    assert totals(videos, violations)["duration_s"] == pytest.approx(footage, abs=0.01)
    assert totals(videos, violations)["incomplete"] == 1
    html = (out / "report.html").read_text()
    assert '<li class="incomplete">incomplete: ' + str(cut) + ": ends early" in html and "1</b> incomplete" in html
    assert f"{footage / 60:.1f} min of footage" in html  # under an hour: minutes, not "0.00 h"
    assert run_night(card, out).videos == []  # the same content would give the same: not analysed again
    db = ResultsDB(out, create=False)
    row = next(db.db.query("select status from videos where path = ?", [str(cut)]))
    db.close()
    assert row["status"] == "incomplete"


def test_a_failure_line_names_its_file_once(tmp_path):
    """Was: `<path>: <path>: cannot open as a video` in the report's Failures and in `helmetscan benchmark`."""
    import re

    from helmetscan.core.errors import HelmetscanError
    from helmetscan.tooling.benchmark import _analyse

    card = night(tmp_path / "card", ["good.avi"])
    notes = card / "notes.mp4"
    notes.write_text("not a video\n")
    out = tmp_path / "out"
    result = run_night(card, out)
    failed = next(v for v in result.videos if v.status is VideoStatus.FAILED)
    assert failed.error.startswith(f"{notes}: cannot open as a video") and failed.error.count(str(notes)) == 1
    assert result.failures == [failed.error]
    html = (out / "report.html").read_text()
    [line] = re.findall(r'<li class="failed">(.*?)</li>', html)
    assert line.startswith(f"{notes}: cannot open") and line.count(str(notes)) == 1
    row = next(r for r in re.findall(r"<tr class=\"failed\">(.*?)</tr>", html, re.S))
    assert row.count(str(notes)) == 1  # the note column gives the reason, the first column the file
    batch = runner(settings=Settings(recording={"time_zone": SEOUL}))
    with pytest.raises(HelmetscanError) as raised:
        _analyse("fake", batch, notes, tmp_path / "bench")
    assert str(raised.value).startswith(f"{notes}: cannot open") and str(raised.value).count(str(notes)) == 1
