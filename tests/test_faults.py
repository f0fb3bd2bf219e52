"""Nights that go wrong: OUT inside the folder analysed, a file system that fills up, two runs into one OUT, and a
re-run with nothing to do. Fake models through the real runner, database and reports, except where the command line
itself is the subject (real weights)."""

import errno
import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

from helmetscan.config import Settings
from helmetscan.core.errors import OutputBusy, OutputFull
from helmetscan.results.database import ResultsDB
from helmetscan.results.verify import verify_output
from helmetscan.results.evidence import LOCK
from helmetscan.runner.batch import BatchRunner
from helmetscan.runner.discovery import discover

from conftest import BIKES, ROOT, needs_bikes, needs_weights
from test_nightly import night, table
from test_pipeline import runner

SEOUL = {"recording": {"time_zone": "Asia/Seoul"}}


def run(folder, out, settings=None, **kwargs):
    found = discover([folder], out)
    return runner(settings=settings or Settings(**SEOUL)).run(found.videos, out, roots=found.roots, **kwargs)


def stored_videos(out):
    db = ResultsDB(out, create=False)
    try:
        return db.load()[0]
    finally:
        db.close()


def test_out_inside_the_card_is_never_taken_for_footage(tmp_path):
    card = night(tmp_path / "card", ["Record/a.avi", "Record/b.avi"])
    out = card / "out"  # helmetscan analyze /mnt/card --out /mnt/card/out, every night
    first = run(card, out)
    assert len(first.videos) == 2 and list(out.glob("*/*/excerpt.*"))  # evidence excerpts now lie in the card
    found = discover([card], out)
    assert sorted(p.name for p in found.videos) == ["a.avi", "b.avi"]
    assert found.left_out == {out: "the output folder of this run (--out)"}
    again = run(card, out)
    assert again.videos == [] and len(again.skipped) == 2
    assert len(stored_videos(out)) == 2 and len(table(out)) == 2  # no excerpt analysed, no violation twice


def test_an_earlier_output_folder_anywhere_in_the_input_is_left_out(tmp_path):
    card = night(tmp_path / "card", ["Record/a.avi"])
    run(card, card / "last_night")  # yesterday's OUT, now inside today's input
    (card / "last_night" / ".partial" / "x").mkdir(parents=True)
    (card / "last_night" / ".partial" / "x" / "half.mp4").write_bytes(b"")  # a killed run's leftover
    found = discover([card], tmp_path / "tonight")
    assert [p.name for p in found.videos] == ["a.avi"]
    assert "helmetscan.db" in found.left_out[card / "last_night"]
    named = discover([next((card / "last_night").glob("*/*/excerpt.*"))], tmp_path / "tonight")
    assert named.videos == [] and list(named.left_out) == [card / "last_night"]


def test_a_card_copied_with_its_own_checksums_is_still_footage(tmp_path):
    card = night(tmp_path / "card", ["Record/a.avi"])
    (card / "SHA256SUMS").write_text("0" * 64 + "  Record/a.avi\n")  # chain of custody of the copy, not our OUT
    assert [p.name for p in discover([card]).videos] == ["a.avi"]


def test_too_little_free_space_stops_the_batch_before_a_video(tmp_path):
    card = night(tmp_path / "card", ["a.avi"])
    out = tmp_path / "out"
    settings = Settings(**SEOUL, evidence={"min_free_mb": 1 << 40})  # more than any disk has
    with pytest.raises(OutputFull, match=r"OUT is full: \d+ MiB free, \d+ MiB needed .*analysed 0 of 1 video\(s\): "
                                         r"free space and re-run to resume"):
        run(card, out, settings)
    assert stored_videos(out) == [] and not list(out.glob("*/video.json"))


def test_a_disk_that_fills_up_mid_night_loses_nothing_and_resumes_to_the_clean_result(tmp_path, monkeypatch):
    import helmetscan.results.evidence as evidence

    card = night(tmp_path / "card", ["a.avi", "b.avi", "c.avi"])
    clean = tmp_path / "clean"
    run(card, clean)
    out = tmp_path / "out"
    real_write, first = evidence.write_atomically, []

    def full_after_the_first_video(path, data):
        """Writes of the results being assembled (under OUT/.partial/<video>/) fail once a second video starts."""
        parts = path.parts
        video = parts[parts.index(".partial") + 1] if ".partial" in parts else None
        if video is not None and not first:
            first.append(video)
        if video is not None and video != first[0]:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write(path, data)

    monkeypatch.setattr(evidence, "write_atomically", full_after_the_first_video)
    with pytest.raises(OutputFull, match=r"OUT is full while writing the results of .*b\.avi .*analysed 1 of 3"):
        run(card, out)
    done = stored_videos(out)
    assert [v.status.value for v in done] == ["done"]  # the video being written is not recorded failed
    assert not list((out / ".partial").glob("*")) and verify_output(out, sources=False).ok
    monkeypatch.setattr(evidence, "write_atomically", real_write)
    resumed = run(card, out)
    assert len(resumed.videos) == 2 and len(resumed.skipped) == 1
    keep = ["violation_id", "video_sha256", "frame_index", "track_id", "plate_text", "plate_status"]
    assert table(out)[keep].equals(table(clean)[keep])
    assert verify_output(out, sources=False).ok


def _hold_lock(path):
    code = ("import sys, time; from filelock import FileLock; lock = FileLock(sys.argv[1]); lock.acquire(); "
            "print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_run_into_the_same_out_refuses_and_a_killed_runs_lock_blocks_nothing(tmp_path):
    card = night(tmp_path / "card", ["a.avi"])
    out = tmp_path / "out"
    out.mkdir()
    holder = _hold_lock(out / LOCK)  # another process, as a cron job still running
    try:
        with pytest.raises(OutputBusy, match="another helmetscan analyze is writing into OUT"):
            run(card, out)
        assert not (out / "helmetscan.db").exists()  # refused before anything was written
    finally:
        holder.send_signal(signal.SIGKILL)  # killed, never released
        holder.wait()
    assert len(run(card, out).videos) == 1


@needs_weights
@needs_bikes
def test_the_command_line_says_one_line_and_exits_3_for_a_full_or_busy_out(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    config = tmp_path / "small_disk.toml"
    config.write_text("[evidence]\nmin_free_mb = 1099511627776\n")
    cmd = [sys.executable, "-m", "helmetscan", "analyze", str(BIKES), "--out", str(out)]
    full = subprocess.run([*cmd, "--config", str(config)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    lines = [line for line in full.stderr.splitlines() if line.startswith("error:")]
    assert full.returncode == 3 and len(lines) == 1 and "Traceback" not in full.stderr
    assert "OUT is full" in lines[0] and "re-run to resume" in lines[0]
    holder = _hold_lock(out / LOCK)
    try:
        busy = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    finally:
        holder.kill()
        holder.wait()
    assert busy.returncode == 3 and "another helmetscan analyze is writing into OUT" in busy.stderr
    assert "Traceback" not in busy.stderr


@needs_weights
@needs_bikes
def test_a_re_run_with_nothing_to_do_loads_no_model(tmp_path):
    settings = Settings()
    out = tmp_path / "out"
    assert len(BatchRunner(settings).run([BIKES], out).videos) == 1  # the real models, loaded once

    def no_model(settings):
        raise AssertionError("a model was loaded although every video is done")

    again = BatchRunner(settings, loader=no_model).run([BIKES], out)
    assert again.videos == [] and len(again.skipped) == 1
    assert pd.read_csv(out / "violations.csv").empty  # the reports are still rewritten
    assert os.path.isfile(out / "SHA256SUMS")


def test_a_lost_database_is_never_silently_replaced(tmp_path):
    """Results without their database: analyze and a report from the records would drop the review decisions that
    live on in violations.csv, so both point to rebuild-db instead."""
    from helmetscan.core.errors import ResultsError
    from helmetscan.results.database import DB_NAME
    from helmetscan.results.report import rebuild
    from helmetscan.results.reviews import ReviewStatus

    card = night(tmp_path / "card", ["a.avi"])
    out = tmp_path / "out"
    run(card, out)
    db = ResultsDB(out, create=False, migrate=True)
    db.add_review(table(out).violation_id[0], ReviewStatus.CONFIRMED, "kim", "서울12가3456")
    db.close()
    rebuild(out, "test")  # the CSV now carries the decision
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
        (out / name).unlink(missing_ok=True)
    with pytest.raises(ResultsError, match="rebuild-db"):
        run(card, out)
    with pytest.raises(ResultsError, match=r"reviewed results but no helmetscan\.db.*rebuild-db"):
        rebuild(out, "test")
    assert table(out).review_status[0] == "confirmed"  # nothing was rewritten
