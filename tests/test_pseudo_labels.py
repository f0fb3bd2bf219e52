import numpy as np
import pytest

from helmetscan.tooling.dataset import LabelBox, Sample
from helmetscan.core.detections import Detection
from helmetscan.tooling.dataset import contact_sheet
from helmetscan.tooling.pseudo_labels import ModelPseudoLabeller


@pytest.fixture
def image(tmp_path):
    import cv2

    path = tmp_path / "frame.jpg"
    cv2.imwrite(str(path), np.full((400, 400, 3), 90, np.uint8))
    return path


def stage2(conf, label="without helmet"):
    calls = []

    def detect(crop):
        calls.append(crop.shape)
        h, w = crop.shape[:2]
        return [Detection((w * 0.4, h * 0.1, w * 0.6, h * 0.25), conf, label)]

    detect.calls = calls
    return detect


RIDER = LabelBox("rider", (0.25, 0.25, 0.5, 0.75))  # 100x200 px at (100, 100)


@pytest.mark.parametrize(
    ("boxes", "conf", "label", "added", "runs"),
    [
        ([RIDER], 0.8, "without helmet", 1, 1),  # bare head found, flagged pseudo
        ([RIDER], 0.3, "without helmet", 0, 1),  # below the confidence floor
        ([RIDER], 0.9, "with helmet", 0, 1),  # the model sees a helmet: nothing to fill
        ([RIDER, LabelBox("with helmet", (0.34, 0.25, 0.41, 0.32))], 0.9, "without helmet", 0, 0),  # head labelled
    ],
)
def test_bare_heads_are_filled_only_where_missing(image, boxes, conf, label, added, runs):
    detect = stage2(conf, label)
    labeller = ModelPseudoLabeller(detect, lambda img: [], {"hcmute": ["without helmet"]}, min_head_confidence=0.5)
    out = labeller(Sample("hcmute", image, "frame", "g", list(boxes)))
    assert len(out) == added and len(detect.calls) == runs
    assert all(b.pseudo and b.class_name == "without helmet" for b in out)
    if out:
        x1, y1, x2, y2 = out[0].xyxy
        assert 0.25 <= (x1 + x2) / 2 <= 0.5 and 0.25 <= (y1 + y2) / 2 <= 0.45  # in the rider's upper region


def test_riders_are_filled_from_the_coco_detector_and_other_sources_untouched(image):
    coco = lambda img: [Detection((100.0, 50.0, 200.0, 300.0), 0.9, "person"),  # noqa: E731
                        Detection((90.0, 180.0, 210.0, 380.0), 0.8, "motorcycle")]
    labeller = ModelPseudoLabeller(stage2(0.9), coco, {"pavan": ["rider"]})
    out = labeller(Sample("pavan", image, "frame", "g", [LabelBox("without helmet", (0.3, 0.13, 0.45, 0.25))]))
    assert [(b.class_name, b.pseudo) for b in out] == [("rider", True)]
    assert out[0].xyxy == pytest.approx((0.225, 0.125, 0.525, 0.95))  # person ∪ motorcycle, as the rider class
    assert labeller(Sample("helmet9", image, "frame", "g", [RIDER])) == []


def test_contact_sheet_shows_pseudo_labelled_images(tmp_path, image):
    samples = [Sample("s", image, f"f{i}", "g", [RIDER, LabelBox("without helmet", (0.3, 0.25, 0.4, 0.3), True)])
               for i in range(3)] + [Sample("s", image, "plain", "g", [RIDER])]
    assert contact_sheet(samples, tmp_path / "sheet.png", tile_px=64, columns=2) == 3
    import cv2

    sheet = cv2.imread(str(tmp_path / "sheet.png"))
    assert sheet.shape == (128, 128, 3)
    assert (sheet == (255, 0, 255)).all(axis=2).any()  # magenta pseudo boxes are drawn
