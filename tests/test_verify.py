"""`helmetscan verify`: evidence and source videos re-hashed against what was recorded when they were written."""

import shutil
import subprocess
import sys

import pytest

from conftest import write_video
from helmetscan.results.verify import verify_output
from test_pipeline import runner


@pytest.fixture
def analysed(tmp_path):
    clip = write_video(tmp_path / "clip.avi", n_frames=30, fps=10, size=(320, 240), fourcc="MJPG")
    out = tmp_path / "out"
    result = runner().run([clip], out)
    assert [v.counts.violations for v in result.videos] == [1]
    return out, clip


def verify(out, *args):
    return subprocess.run([sys.executable, "-m", "helmetscan", "verify", str(out), *args], capture_output=True,
                          text=True, timeout=300)


def test_fresh_output_verifies(analysed):
    out, clip = analysed
    report = verify_output(out)
    assert report.ok and report.checked >= 5 and report.sources_checked == 1 and not report.unlisted
    proc = verify(out)
    assert proc.returncode == 0 and proc.stdout.startswith("OK:"), proc.stdout + proc.stderr


def test_one_changed_byte_of_one_evidence_file_fails(analysed):
    out, _ = analysed
    [frame] = out.glob("*/*/frame.png")
    data = bytearray(frame.read_bytes())
    data[len(data) // 2] ^= 0x01
    frame.write_bytes(bytes(data))
    report = verify_output(out)
    assert not report.ok and report.changed == [frame.relative_to(out).as_posix()]
    proc = verify(out)
    assert proc.returncode == 1 and f"changed: {frame}" in proc.stderr and proc.stdout.startswith("FAILED:")


def test_a_deleted_evidence_file_and_a_changed_source_fail_and_a_moved_source_is_said(analysed):
    out, clip = analysed
    [record] = out.glob("*/*/rider.png")
    record.unlink()
    with open(clip, "ab") as fh:
        fh.write(b"\0")
    report = verify_output(out)
    assert report.missing == [record.relative_to(out).as_posix()] and report.sources_changed == [str(clip)]
    shutil.move(clip, clip.with_suffix(".moved"))
    report = verify_output(out)
    assert report.sources_missing == [str(clip)] and report.sources_checked == 0
    assert verify_output(out, sources=False).sources_missing == []


def test_a_folder_that_is_no_output_is_one_error_line(tmp_path):
    proc = verify(tmp_path)
    assert proc.returncode == 1 and proc.stderr.startswith("error:") and "not a results folder" in proc.stderr
    assert "Traceback" not in proc.stderr
