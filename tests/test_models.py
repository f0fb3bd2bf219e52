"""The weight registry (which folder, which hash) and the load-time checks of class roles and device."""

import shutil

import pytest

from conftest import WEIGHTS, needs_weights
from helmetscan.config import DetectorRoles, Settings
from helmetscan.core.errors import ConfigError, WeightsError
from helmetscan.pipeline.loading import check_classes, check_detector_roles, check_device
from helmetscan.weights.registry import WEIGHTS_ENV, checked_sha256, default_weights_dir, read_manifest, sha256_file
from helmetscan.weights.fetch import install_trained

COCO = {0: "person", 1: "bicycle", 3: "motorcycle"}
OURS = {0: "rider", 1: "without helmet", 2: "with helmet", 3: "number plate"}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({WEIGHTS_ENV: "/srv/w", "XDG_CACHE_HOME": "/c"}, "/srv/w"),  # the variable beats the cache
        ({"XDG_CACHE_HOME": "/c"}, "/c/helmetscan/weights"),
        ({}, "~/.cache/helmetscan/weights"),
    ],
)
def test_weights_folder_order(monkeypatch, env, expected):
    for name in (WEIGHTS_ENV, "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from pathlib import Path

    assert default_weights_dir() == Path(expected).expanduser()
    assert Settings().weights_dir == Path(expected).expanduser()
    assert Settings(weights_dir="/given").weights_dir == Path("/given")  # --weights-dir beats both


def test_a_pinned_file_with_another_hash_is_refused_a_foreign_file_only_hashed(tmp_path):
    (tmp_path / "easyocr").mkdir()
    fake = tmp_path / "easyocr" / "english_g2.pth"  # a name the manifest pins
    fake.write_bytes(b"not the model")
    with pytest.raises(WeightsError, match=r"english_g2.pth: sha256 [0-9a-f]{64}, manifest pins e2272681"):
        checked_sha256(fake, tmp_path)
    own = tmp_path / "my-detector.pt"
    own.write_bytes(b"anything")
    assert checked_sha256(own, tmp_path) == sha256_file(own)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-x" / "english_g2.pth"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"a user's file outside the weights folder")
    assert checked_sha256(elsewhere, tmp_path) == sha256_file(elsewhere)
    with pytest.raises(WeightsError, match="weight file missing"):
        checked_sha256(tmp_path / "yolov8n-coco.onnx", tmp_path)


def test_trained_weights_are_installed_from_the_repository_and_checked(tmp_path):
    from conftest import ROOT

    trained = read_manifest().trained
    done, notes = install_trained(trained, ROOT / "weights", tmp_path / "cache")
    assert done == [tmp_path / "cache" / t.name for t in trained] and notes == []
    assert (tmp_path / "cache" / "helmet4n.train_time.json").is_file()  # evaluate reads the training time there
    assert [sha256_file(d) for d in done] == [t.sha256 for t in trained]
    done, notes = install_trained(trained, tmp_path / "no-checkout", tmp_path / "elsewhere")
    assert done == [] and "helmet4n.pt: not installed" in notes[0] and len(notes) == len(trained)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "helmet4n.pt").write_bytes(b"tampered")
    with pytest.raises(WeightsError, match="manifest pins"):
        install_trained(trained, bad, tmp_path / "third")


@pytest.mark.parametrize(
    ("names", "roles", "ok"),
    [
        (COCO, DetectorRoles(), True),  # person + motorcycle: the rider rule
        (OURS, DetectorRoles(rider=["rider"]), True),
        (OURS, DetectorRoles(rider=[]), False),  # a rider class the settings do not name, no person/motorcycle
        ({0: "person"}, DetectorRoles(), False),  # a person alone is not a rider
        ({0: "license_plate"}, DetectorRoles(), False),
    ],
)
def test_stage1_classes_must_yield_riders(names, roles, ok):
    if ok:
        check_detector_roles("m.pt", names, roles)
    else:
        with pytest.raises(ConfigError, match=r"m.pt: stage-1 model has classes .* detector.roles"):
            check_detector_roles("m.pt", names, roles)


def test_confirming_rider_boxes_needs_a_motorcycle_class():
    check_detector_roles("m.pt", {**OURS, 9: "motorcycle"}, DetectorRoles(), confirm_rider_boxes=True)
    with pytest.raises(ConfigError, match="confirm_rider_boxes"):
        check_detector_roles("m.pt", OURS, DetectorRoles(), confirm_rider_boxes=True)


def test_a_verifier_needs_both_head_states():
    needs = {"verification.roles.head_with_helmet": ["with helmet"],
             "verification.roles.head_without_helmet": ["without helmet"]}
    check_classes("stage-2", "v.pt", {0: "With Helmet", 1: "Without Helmet"}, needs)
    with pytest.raises(ConfigError, match="head_without_helmet"):
        check_classes("stage-2", "v.pt", {0: "With Helmet", 1: "Head"}, needs)


def test_devices():
    check_device("cpu")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        for device in ("cuda", "cuda:0", "0"):
            with pytest.raises(ConfigError, match="CUDA is not available"):
                check_device(device)
    with pytest.raises(Exception, match="not a torch device"):
        Settings(device="gpu")


@needs_weights
def test_loading_a_corrupted_pinned_weight_fails_before_any_video(tmp_path):
    from helmetscan.pipeline.loading import load_models

    for name in ("helmet4n.onnx", "yolov8n-coco-416-int8.onnx", "head_locator.onnx", "helmet_cls.pt",
                 "rider_plate_detector.pt"):
        shutil.copyfile(WEIGHTS / name, tmp_path / name)
    with open(tmp_path / "helmet_cls.pt", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(WeightsError, match="helmet_cls.pt: sha256 .* manifest pins eefa85e8"):
        load_models(Settings(weights_dir=tmp_path))
