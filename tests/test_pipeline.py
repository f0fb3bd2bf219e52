"""The pipeline composed with fake models (through the injectable detector/OCR callables) on a generated video."""

import json

import pytest

from helmetscan.config import Settings
from helmetscan.detection import Detection
from helmetscan.pipeline import Analyzer, refresh_outputs, video_key

from conftest import write_video


class FakeStage2:
    """One head at the top centre of the rider crop: bare when ``bare``, else helmeted."""

    bare = True

    def __call__(self, crop):
        h, w = crop.shape[:2]
        label = "without helmet" if self.bare else "with helmet"
        return [Detection((w * 0.35, h * 0.08, w * 0.65, h * 0.25), 0.8, label)]


def stage1(image):
    return [
        Detection((100.0, 40.0, 180.0, 200.0), 0.9, "person"),
        Detection((90.0, 120.0, 190.0, 230.0), 0.8, "motorcycle"),
    ]


def plates(region):
    h, w = region.shape[:2]
    return [Detection((w * 0.3, h * 0.8, w * 0.7, h * 0.9), 0.7, "license_plate")]


def make_ocr(texts):
    calls = iter(texts)
    return lambda image: (next(calls, "TN05AT7024"), 0.8)


@pytest.fixture
def clip(tmp_path):
    return write_video(tmp_path / "clip.avi", n_frames=30, fps=10, size=(320, 240), fourcc="MJPG")


def test_one_rider_is_one_violation_with_a_fused_plate(tmp_path, clip):
    ocr = make_ocr(["TN05AT7O24", "TN05AT7024", "TNO5AT7024", "TN05AT7024"])
    analyzer = Analyzer(Settings(), detector=stage1, verifier_detector=FakeStage2(), plate_detector=plates, ocr=ocr)
    seen = []
    result = analyzer.analyze_video(clip, tmp_path / "out", "clip", progress=lambda d, n: seen.append((d, n)))
    assert result.status == "done", result.error
    assert result.counts["frames_sampled"] == 15 and seen[-1][0] == 15
    assert result.counts["riders_tracked"] == 1 and result.counts["violations"] == 1
    # stage 2 stops once settled (3 agreeing frames by default), not on all 15 frames
    assert result.counts["stage2_checks"] == 3
    record = result.violations[0]
    assert record["plate"]["text"] == "TN05AT7024" and record["plate"]["status"] == "read"
    assert record["plate"]["frames_read"] == 12  # plates.max_frames_per_track
    assert record["decision"]["frames_without_helmet"] == 3
    refresh_outputs(tmp_path / "out")
    stored = json.loads((tmp_path / "out" / "clip" / "clip_t0001" / "record.json").read_text())
    assert stored["violation_id"] == "clip_t0001" and stored["track_id"] == 1


def test_a_helmeted_rider_is_no_violation(tmp_path, clip):
    stage2 = FakeStage2()
    stage2.bare = False
    analyzer = Analyzer(Settings(), detector=stage1, verifier_detector=stage2, plate_detector=plates, ocr=make_ocr([]))
    result = analyzer.analyze_video(clip, tmp_path / "out", "clip")
    assert result.counts["violations"] == 0 and result.violations == []


def test_a_fault_inside_a_model_fails_the_video_not_the_batch(tmp_path, clip):
    def broken(image):
        raise RuntimeError("model exploded")

    analyzer = Analyzer(Settings(), detector=broken, verifier_detector=FakeStage2(), plate_detector=plates,
                        ocr=make_ocr([]))
    result = analyzer.analyze_video(clip, tmp_path / "out", "clip")
    assert result.status == "failed" and "model exploded" in result.error
    assert json.loads((tmp_path / "out" / "clip" / "video.json").read_text())["status"] == "failed"


def test_video_keys_are_unique_and_safe(tmp_path):
    from pathlib import Path

    used = set()
    keys = [video_key(Path(p), used) for p in ["/a/0001.MP4", "/b/0001.mp4", "/c/../x y<>.mov", "/d/.mp4"]]
    assert keys == ["0001", "0001-2", "x_y", "mp4"]
