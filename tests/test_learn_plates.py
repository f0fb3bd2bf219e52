"""Learning from reviewed plates: the sources it reads, the rule that keeps a learnt reader, and a real fine-tune of
the shipped reader on real plates it reads badly (openalpr's car plates)."""

import subprocess
import sys

import cv2
import numpy as np
import pytest

from helmetscan.config import Settings
from helmetscan.results.database import ResultsDB
from helmetscan.results.reviews import ReviewStatus
from helmetscan.tooling.plate_learning import (
    Reading, collect, learn_plates, not_worse, reviewed_plates, split, top_row,
)
from helmetscan.tooling.plate_render import ALPHABET

from conftest import DATASETS, ROOT, WEIGHTS, write_video
from test_pipeline import make_ocr, runner

OPENALPR = DATASETS / "openalpr_plates"
needs_openalpr = pytest.mark.skipif(not (OPENALPR / "labels.csv").is_file() or
                                    not (WEIGHTS / "plate_reader.onnx").is_file(),
                                    reason="needs ../shared/datasets/openalpr_plates and the fetched weights")


def test_a_learnt_reader_is_kept_only_when_no_worse():
    shipped = Reading(plates=200, exact=26, reported=4, wrong=1)
    assert not_worse(shipped, Reading(200, 132, 76, 2))  # more read, and what it reports more often right
    assert not not_worse(shipped, Reading(200, 25, 0, 0))  # fewer read exactly
    assert not not_worse(Reading(100, 10, 2, 0), Reading(100, 70, 60, 2))  # 0.967 right against always right
    assert not_worse(Reading(100, 10, 0, 0), Reading(100, 70, 100, 1))  # nothing reported before: 99 % is the bar


def test_rows_of_a_plate_and_a_split_that_keeps_a_plate_on_one_side():
    wide, tall = np.zeros((40, 200, 3), np.uint8), np.zeros((100, 160, 3), np.uint8)
    assert top_row("서울마포자6553", tall, 2.2) == "서울마포" and top_row("서울12가3456", tall, 2.2) == "서울12"
    assert top_row("29B178476", tall, 2.2) == "29B1" and top_row("AYO9034", tall, 2.2) == ""
    assert top_row("서울마포자6553", wide, 2.2) == ""  # a one-row crop
    from helmetscan.tooling.plate_learning import Plate

    plates = [Plate(wide, text, f"{text}{i}") for text in ("AB1", "CD2", "EF3", "GH4") for i in range(3)]
    train, held = split(plates, 0.25, seed=0)
    assert len(held) == 3 and not {p.text for p in train} & {p.text for p in held}


def test_reviewed_plates_are_the_confirmed_ones_with_a_typed_text(tmp_path):
    clip = write_video(tmp_path / "clip.avi", n_frames=30, fps=10, size=(320, 240), fourcc="MJPG")
    out = tmp_path / "out"
    runner(ocr=make_ocr(["TN05AT7024"] * 4)).run([clip], out)
    db = ResultsDB(out, create=False, migrate=True)
    [violation] = [v.violation_id for v in db.load()[1]]
    db.add_review(violation, ReviewStatus.CONFIRMED, "kim", "서울12가 3456")
    db.close()
    [(name, crop, text)] = reviewed_plates(out)
    assert name == violation and crop is not None and crop.size and text == "서울12가 3456"
    plates, left_out = collect([out], ALPHABET)
    assert [p.text for p in plates] == ["서울12가3456"] and left_out == {}
    db = ResultsDB(out, create=False, migrate=True)
    db.add_review(violation, ReviewStatus.REJECTED, "lee")  # the latest decision counts: nothing to learn from
    db.close()
    assert reviewed_plates(out) == []


def test_too_few_plates_is_one_line_and_exit_2(tmp_path):
    folder = tmp_path / "plates"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((40, 160, 3), 255, np.uint8))
    (folder / "labels.csv").write_text("file,text\na.png,AB1234\n")
    proc = subprocess.run([sys.executable, "-m", "helmetscan", "learn-plates", str(folder), "--out",
                           str(tmp_path / "r.onnx")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "at least 10 are needed" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r.onnx").exists()


@needs_openalpr
def test_the_reader_learns_real_plates_it_read_badly(tmp_path):
    """60 of openalpr's car plates (the shipped reader reads about 1 in 7 of them), 3 passes: it reads more of the
    held-out ones; the file is written exactly when the rule says so, and it loads as a reader."""
    sample = tmp_path / "alpr"
    sample.mkdir()
    lines = (OPENALPR / "labels.csv").read_text().splitlines()
    (sample / "labels.csv").write_text("\n".join([lines[0], *lines[1::7][:60]]) + "\n")
    (sample / "crops").symlink_to(OPENALPR / "crops")
    out = tmp_path / "learnt.onnx"
    learning = learn_plates([sample], out, Settings(), holdout=0.3, epochs=3, replay_plates=False, log=lambda s: None)
    assert learning.trained_on + learning.held_out == 60 and learning.held_out >= 15
    assert learning.after.exact > learning.before.exact
    assert learning.written == not_worse(learning.before, learning.after) == out.is_file()
    if out.is_file():
        from helmetscan.plates.recognizer import PlateRecognizer

        assert PlateRecognizer(out).read_batch([np.full((40, 160, 3), 200, np.uint8)])
