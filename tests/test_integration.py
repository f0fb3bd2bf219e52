"""`helmetscan analyze` end to end with the real weights on real footage (slow: loads all models per run)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from conftest import BIKES, FOOTAGE, needs_bikes, needs_footage, needs_weights
from helmetscan.results.records import SCHEMA_VERSION

pytestmark = pytest.mark.integration


def analyze(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "helmetscan", "analyze", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=1200)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@needs_weights
@needs_footage
def test_rider_and_pillion_clip_gives_a_violation_with_the_plate(tmp_path):
    # EasyOCR reads this Latin plate too (our reader since session 15: the next test); its default floor (1.0 since
    # session 16, config.DEFAULT_PLATE_FLOORS) keeps EasyOCR's plates unread, so the floor it had before is set here
    config = tmp_path / "easyocr.toml"
    config.write_text('[plates]\nrecognizer = "easyocr"\nmin_plate_conf = 0.5\n')
    out = tmp_path / "out"
    proc = analyze(FOOTAGE, "--out", out, "--config", config)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    table = pd.read_csv(out / "violations.csv", keep_default_na=False)
    assert len(table) >= 1
    assert "TN05AT7024" in set(table["plate_text"]), table[["violation_id", "plate_text"]]
    row = table[table["plate_text"] == "TN05AT7024"].iloc[0]
    assert row["plate_status"] == "read" and row["plate_frames_agreeing"] >= 2
    assert row["frames_without_helmet"] >= 2 and row["frames_without_helmet"] * 2 > row["frames_judged"]
    assert row["people_without_helmet"] >= 1

    folder = out / row["evidence_dir"]
    record = json.loads((folder / "record.json").read_text())
    assert record["source"]["sha256"] == __import__("hashlib").sha256(FOOTAGE.read_bytes()).hexdigest()
    assert record["plate"]["votes"]["TN05AT7024"] > 0
    assert record["schema_version"] == SCHEMA_VERSION and record["decision"]["verdicts"][0]["state"] in {"without_helmet",
                                                                                          "with_helmet", "unknown"}
    assert set(record["models"]) == {"helmet4n.onnx", "yolov8n-coco-416-int8.onnx", "head_locator.onnx", "helmet_cls.pt",
                                     "rider_plate_detector.pt",
                                     "yolov12n-face.pt",
                                     "easyocr/craft_mlt_25k.pth", "easyocr/english_g2.pth"}
    for name in ("frame.png", "annotated.jpg", "rider.png", "plate.png", "plate_upscaled.png", "excerpt.mp4"):
        assert (folder / name).is_file(), name
    assert record["excerpt"]["file"] == "excerpt.mp4" and record["excerpt"]["end_s"] > record["timestamp_s"]
    import cv2

    frame = cv2.imread(str(folder / "frame.png"))
    assert frame.shape == (1280, 720, 3)
    # uncompressed PNG (IMWRITE_PNG_COMPRESSION 0): about the raw size of the pixels
    assert (folder / "frame.png").stat().st_size >= frame.size

    [video_json] = out.glob("rider_pillion_no_helmet-*/video.json")
    video = json.loads(video_json.read_text())
    assert video["counts"]["frames_decoded"] == 66  # the container declares 96; the stream holds 66
    assert any("decoded 66 of 96" in w for w in video["warnings"])
    # the timeline: every track's span, the violation's among them
    spans = {t["track_id"]: t for t in video["tracks"]}
    assert len(spans) == video["counts"]["riders_tracked"] and spans[record["track_id"]]["violation"]
    assert spans[record["track_id"]]["first_s"] <= record["timestamp_s"] <= spans[record["track_id"]]["last_s"]

    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    # reports rebuild from the stored results alone
    (out / "violations.csv").unlink()
    (out / "report.html").unlink()
    rebuilt = subprocess.run([sys.executable, "-m", "helmetscan", "report", str(out)], capture_output=True, text=True)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert pd.read_csv(out / "violations.csv", keep_default_na=False).equals(table)
    assert "TN05AT7024" in (out / "report.html").read_text()


@needs_weights
@needs_footage
def test_the_default_reader_reads_the_clip_plate_and_never_a_wrong_one(tmp_path):
    out = tmp_path / "out"
    proc = analyze(FOOTAGE, "--out", out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = pd.read_csv(out / "violations.csv", keep_default_na=False)
    assert len(table) >= 1
    assert set(table["plate_text"]) <= {"", "TN05AT7024"}  # unread rather than wrong
    read = table[table["plate_text"] == "TN05AT7024"]  # session 16's reader: fused 0.62 from 5 agreeing reads
    assert len(read) == 1 and read.iloc[0]["plate_status"] == "read" and read.iloc[0]["plate_format"] == "in"
    record = json.loads((out / table.iloc[0]["evidence_dir"] / "record.json").read_text())
    assert "plate_reader.onnx" in record["models"]


@needs_weights
@needs_bikes
def test_bad_files_are_reported_and_the_good_one_is_still_analysed(tmp_path):
    """bikes.mp4 has cyclists and a parked motorcycle but no rider: 0 violations. Next to it: a corrupt video and a
    non-video; each gets one line, the batch goes on, exit code 1."""
    inbox = tmp_path / "sdcard"
    inbox.mkdir()
    shutil.copy(BIKES, inbox / "bikes.mp4")
    (inbox / "broken.mp4").write_bytes(BIKES.read_bytes()[:20000])  # truncated copy: no moov atom
    (inbox / "notes.txt").write_text("not a video\n")
    out = tmp_path / "out"
    proc = analyze(inbox, inbox / "notes.txt", "--out", out)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    errors = error_lines(proc.stderr)
    assert len(errors) == 2, proc.stderr
    assert any("broken.mp4: cannot open as a video: corrupt" in e for e in errors)
    assert any("notes.txt: cannot open as a video: not a video file" in e for e in errors)

    [bikes_json] = out.glob("bikes-*/video.json")
    bikes = json.loads(bikes_json.read_text())
    assert bikes["status"] == "done" and bikes["counts"]["frames_sampled"] == 50
    assert bikes["counts"]["violations"] == 0
    [broken_json] = out.glob("broken-*/video.json")
    broken = json.loads(broken_json.read_text())
    assert broken["status"] == "failed" and "corrupt" in broken["error"]
    assert len(pd.read_csv(out / "violations.csv")) == 0
    html = (out / "report.html").read_text()
    assert "No violation found" in html and "broken.mp4" in html


@needs_weights
@needs_bikes
def test_bikes_sample_alone_exits_zero_with_no_violation(tmp_path):
    out = tmp_path / "out"
    proc = analyze(BIKES, "--out", out, "--fps", "5")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert list(pd.read_csv(out / "violations.csv").columns)[:3] == ["violation_id", "video", "video_sha256"]
    assert len(pd.read_csv(out / "violations.csv")) == 0
    settings = json.loads((out / "settings.json").read_text())
    assert settings["sampling"]["fps"] == 5.0 and settings["decision"]["min_no_helmet_frames"] == 2


def test_usage_errors_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sampling]\nfsp = 3\n")
    proc = analyze(tmp_path, "--config", bad)
    assert proc.returncode == 2
    assert error_lines(proc.stderr) == [l for l in proc.stderr.splitlines() if l.strip()]
    assert "sampling.fsp" in proc.stderr
    assert analyze("--fps", "x", tmp_path).returncode == 2


@needs_bikes
def test_missing_weight_file_names_the_file_and_the_fix(tmp_path):
    (tmp_path / "v").mkdir()
    shutil.copy(BIKES, tmp_path / "v" / "a.mp4")
    proc = analyze(tmp_path / "v", "--out", tmp_path / "o", "--weights-dir", tmp_path / "empty")
    assert proc.returncode == 1
    assert "weight file missing" in proc.stderr and "make weights" in proc.stderr
    assert "Traceback" not in proc.stderr


@needs_bikes
def test_an_unusable_out_folder_is_one_line_and_exit_2(tmp_path):
    not_a_folder = tmp_path / "out.txt"
    not_a_folder.write_text("a file\n")
    proc = analyze(BIKES, "--out", not_a_folder)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert error_lines(proc.stderr) == [f"error: {not_a_folder}: --out exists and is not a folder"]
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        if __import__("os").access(read_only, __import__("os").W_OK):
            pytest.skip("running as a user who can write anywhere (permission bits are not enforced)")
        proc = analyze(BIKES, "--out", read_only / "sub")
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert len(error_lines(proc.stderr)) == 1 and "--out cannot be created" in proc.stderr
    finally:
        read_only.chmod(0o700)


@needs_weights
@needs_bikes
def test_a_model_whose_classes_do_not_fit_its_stage_fails_before_the_first_video(tmp_path):
    """The plate detector as the only stage-1 model has no person, motorcycle or rider class: a configuration error,
    exit 2."""
    out = tmp_path / "out"
    alone = tmp_path / "alone.toml"
    alone.write_text('[assist]\nmodel = ""\n')
    proc = analyze(BIKES, "--out", out, "--detector-model", "license_plate_detector.pt", "--config", alone)
    assert proc.returncode == 2, proc.stderr[-2000:]
    [line] = error_lines(proc.stderr)
    assert "license_plate_detector.pt: stage-1 model has classes ['license_plate']" in line
    assert "detector.roles.person" in line
    assert not list(out.glob("bikes*"))  # no video was started


def test_a_bad_device_is_a_configuration_error(tmp_path):
    proc = analyze(tmp_path, "--device", "gpu0")
    assert proc.returncode == 2
    assert error_lines(proc.stderr) == [l for l in proc.stderr.splitlines() if l.strip()]
    assert "device" in proc.stderr and "not a torch device" in proc.stderr


@needs_bikes
def test_cuda_on_a_machine_without_it_fails_before_loading_models(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    proc = analyze(BIKES, "--out", tmp_path / "o", "--device", "cuda")
    assert proc.returncode == 2 and "CUDA is not available" in proc.stderr and "Traceback" not in proc.stderr
