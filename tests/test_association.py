import pytest

from helmetscan.pipeline.association import assign_head, pick_plate
from helmetscan.config import DetectorRoles, RiderRule, VerificationSettings
from helmetscan.models.base import Detection
from helmetscan.pipeline.riders import find_riders
from helmetscan.pipeline.verification import HeadState, Verifier, classify_heads

RIDER = (100.0, 100.0, 300.0, 500.0)  # front rider: 200 px wide, 400 px tall
OWN_HELMET = Detection((160, 90, 240, 170), 0.80, "with helmet")


def head(xyxy, conf, label):
    return Detection(tuple(map(float, xyxy)), conf, label)


@pytest.mark.parametrize(
    ("heads", "expected"),
    [
        ([OWN_HELMET], OWN_HELMET),
        # bare head of a pillion behind the front rider: up and to the side, partly outside the rider box
        ([OWN_HELMET, head((250, 60, 330, 140), 0.9, "without helmet")], OWN_HELMET),
        # same, listed first and more confident: still not charged to the front rider
        ([head((250, 60, 330, 140), 0.95, "without helmet"), OWN_HELMET], OWN_HELMET),
        # a head low in the box (a child in front, a knee) is not the rider's head
        ([head((170, 350, 230, 410), 0.9, "without helmet")], None),
        # a head entirely beside the rider (another road user) is not theirs
        ([head((320, 100, 380, 160), 0.9, "without helmet")], None),
        ([], None),
    ],
)
def test_assign_head(heads, expected):
    assert assign_head(RIDER, heads, head_region_fraction=0.4, min_head_inside=0.6) == expected


def test_bare_head_behind_helmeted_rider_gives_with_helmet_verdict():
    """End to end through the Verifier: the stage-2 model sees both heads in the padded crop."""
    import numpy as np

    crop_seen = {}

    def fake_stage2(crop):
        crop_seen["shape"] = crop.shape
        # boxes in crop pixels: the crop starts at (70, 40) for RIDER padded by 0.15 in a 640x640 frame
        return [head((90, 50, 170, 130), 0.8, "with helmet"), head((180, 20, 260, 100), 0.9, "without helmet")]

    verifier = Verifier(fake_stage2, VerificationSettings())
    verdict = verifier.verify(np.zeros((640, 640, 3), np.uint8), RIDER, 0.7, frame_index=3, timestamp_s=0.6)
    assert crop_seen["shape"] == (520, 260, 3)
    assert verdict.state is HeadState.WITH_HELMET
    assert verdict.head_xyxy == (160, 90, 240, 170)
    assert verdict.confidence == pytest.approx(0.8)


def test_unknown_stage2_label_is_an_error():
    with pytest.raises(ValueError, match="neither head role"):
        classify_heads([head((160, 90, 240, 170), 0.8, "cap")], RIDER, VerificationSettings())


def test_pick_plate_takes_the_most_confident_plate_inside_the_region():
    region = (0, 0, 300, 600)
    plates = [head((50, 500, 150, 540), 0.6, "plate"), head((100, 520, 200, 560), 0.8, "plate"),
              head((400, 520, 500, 560), 0.99, "plate")]
    assert pick_plate(plates, region).confidence == pytest.approx(0.8)
    assert pick_plate([plates[2]], region) is None


@pytest.mark.parametrize(
    ("person", "motorcycle", "is_rider"),
    [
        ((100, 100, 300, 500), (80, 300, 320, 600), True),  # sits on it: head above, centred, covers its top
        ((100, 100, 300, 500), (80, 300, 320, 600, 0.2), False),  # motorcycle too unsure
        ((400, 100, 600, 500), (80, 300, 320, 600), False),  # walks beside it
        ((100, 350, 300, 700), (80, 300, 320, 600), False),  # person's top below the motorcycle top
        ((100, 100, 300, 320), (80, 300, 320, 600), False),  # overlaps a sliver only
    ],
)
def test_rider_rule(person, motorcycle, is_rider):
    moto_conf = motorcycle[4] if len(motorcycle) == 5 else 0.8
    dets = [Detection(tuple(map(float, person)), 0.9, "person"),
            Detection(tuple(map(float, motorcycle[:4])), moto_conf, "motorcycle")]
    riders = find_riders(dets, DetectorRoles(), RiderRule())
    assert (len(riders) == 1) is is_rider
    if is_rider:
        assert riders[0].motorcycle_xyxy == tuple(map(float, motorcycle[:4]))


def test_rider_class_needs_no_motorcycle():
    roles = DetectorRoles(rider=["rider"])
    riders = find_riders([Detection((0.0, 0.0, 10.0, 20.0), 0.7, "rider")], roles, RiderRule())
    assert [(r.xyxy, r.motorcycle_xyxy) for r in riders] == [((0.0, 0.0, 10.0, 20.0), None)]
