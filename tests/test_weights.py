"""Our own trained weights live in the repository and are pinned by SHA-256 in the manifest."""

import shutil

import pytest

from conftest import ROOT
from helmetscan.core.errors import WeightsError
from helmetscan.weights.registry import read_manifest, verify_trained

REPO_WEIGHTS = ROOT / "weights"  # our own trained weights live in the repository


def test_the_shipped_models_match_their_pinned_hashes_and_have_a_card():
    trained = read_manifest().trained
    assert [t.name for t in trained] == ["helmet4n.pt", "helmet4n.onnx", "plate_reader.onnx", "head_locator.onnx",
                                         "helmet_cls.pt", "yolov8n-coco-416-int8.onnx", "rider_plate_detector.pt"]
    assert verify_trained(trained, REPO_WEIGHTS) == [REPO_WEIGHTS / t.name for t in trained]
    for t in trained:
        card = (REPO_WEIGHTS / t.card).read_text(encoding="utf-8")
        assert t.sha256 in card and "CC BY 4.0" in card


def test_a_changed_or_missing_trained_file_is_one_clear_error(tmp_path):
    trained = read_manifest().trained
    shutil.copyfile(REPO_WEIGHTS / "helmet4n.pt", tmp_path / "helmet4n.pt")
    with open(tmp_path / "helmet4n.pt", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(WeightsError, match=r"helmet4n.pt: sha256 [0-9a-f]{64}, manifest pins"):
        verify_trained(trained, tmp_path)
    (tmp_path / "helmet4n.pt").unlink()
    with pytest.raises(WeightsError, match="weight file missing"):
        verify_trained(trained, tmp_path)
