"""Person ↔ motorcycle association and head attachment: pure geometry on pixel boxes, one table per situation."""

import numpy as np
import pytest

from helmetscan.config import DetectorRoles, RiderRule, HelmetCheckSettings
from helmetscan.core.detections import Detection
from helmetscan.pipeline.association import assign_head, attach_heads
from helmetscan.plates.region import pick_plate
from helmetscan.pipeline.riders import RiddenMotorcycle, find_riders
from helmetscan.core.status import HeadState
from helmetscan.pipeline.helmet_check import HelmetCheck, head_state

RIDER = (100.0, 100.0, 300.0, 500.0)  # front rider: 200 px wide, 400 px tall
OWN_HELMET = Detection((160, 90, 240, 170), 0.80, "with helmet")


def det(xyxy, conf, label):
    return Detection(tuple(map(float, xyxy)), conf, label)


def riders(*dets):
    return find_riders(list(dets), DetectorRoles(), RiderRule())


MOTO = det((80, 300, 320, 600), 0.8, "motorcycle")


@pytest.mark.parametrize(
    ("person", "motorcycle", "is_rider"),
    [
        ((100, 100, 300, 580), (80, 300, 320, 600), True),  # sits on it: head above, centred, feet at its bottom
        ((100, 100, 300, 580), (80, 300, 320, 600, 0.2), False),  # motorcycle too unsure
        ((400, 100, 600, 600), (80, 300, 320, 600), False),  # walks beside it
        ((100, 350, 300, 700), (80, 300, 320, 600), False),  # person's top below the motorcycle top
        ((100, 100, 300, 320), (80, 300, 320, 600), False),  # ends above the seat: someone behind, not on it
        ((100, 100, 300, 760), (80, 300, 320, 600), False),  # feet far below the wheels: standing in front of it
    ],
)
def test_rider_rule(person, motorcycle, is_rider):
    moto_conf = motorcycle[4] if len(motorcycle) == 5 else 0.8
    found = riders(det(person, 0.9, "person"), det(motorcycle[:4], moto_conf, "motorcycle"))
    assert (len(found) == 1) is is_rider
    if is_rider:
        assert found[0].motorcycle_xyxy == tuple(map(float, motorcycle[:4]))
        assert found[0].people == (tuple(map(float, person)),)


def test_rider_and_pillion_are_both_people_of_one_motorcycle():
    # rear view: the pillion (nearer, lower, larger) covers much of the motorcycle; the rider shows above
    rider = det((130, 60, 270, 560), 0.9, "person")
    pillion = det((110, 140, 290, 590), 0.9, "person")
    found = riders(rider, pillion, MOTO)
    assert len(found) == 1 and len(found[0].people) == 2
    assert found[0].xyxy == (80.0, 60.0, 320.0, 600.0)  # motorcycle ∪ people


def test_three_people_on_one_motorcycle():
    # side view: child in front, rider, pillion behind, all seated
    people = [det((90, 200, 160, 560), 0.8, "person"), det((140, 110, 230, 590), 0.9, "person"),
              det((210, 130, 300, 590), 0.85, "person")]
    found = riders(*people, MOTO)
    assert len(found) == 1 and len(found[0].people) == 3


def test_pedestrian_beside_a_parked_motorcycle_is_no_rider():
    pedestrian = det((330, 150, 420, 640), 0.9, "person")  # beside it, feet below its wheels
    assert riders(pedestrian, MOTO) == []


def test_parked_motorcycle_alone_is_not_tracked():
    assert riders(MOTO) == []


def test_rider_behind_another_motorcycle_goes_to_their_own():
    # a far motorcycle (higher, smaller) seen above a near one; its rider's box overlaps the near motorcycle's top
    near = det((60, 300, 360, 700), 0.9, "motorcycle")
    far = det((150, 200, 270, 380), 0.8, "motorcycle")
    far_rider = det((160, 90, 260, 375), 0.9, "person")
    found = riders(near, far, far_rider)
    assert len(found) == 1 and found[0].motorcycle_xyxy == far.xyxy


def test_rider_class_needs_no_motorcycle():
    found = find_riders([det((0, 0, 10, 20), 0.7, "rider")], DetectorRoles(rider=["rider"]),
                        RiderRule(confirm_rider_boxes=False))
    assert [(r.xyxy, r.motorcycle_xyxy, r.regions) for r in found] == [((0.0, 0.0, 10.0, 20.0), None,
                                                                        ((0.0, 0.0, 10.0, 20.0),))]


@pytest.mark.parametrize(
    ("heads", "expected"),
    [
        ([OWN_HELMET], [OWN_HELMET]),
        # a pillion's bare head beside the rider's, same size: a person of this motorcycle, judged on its own
        ([OWN_HELMET, det((230, 80, 300, 150), 0.9, "without helmet")],
         [OWN_HELMET, det((230, 80, 300, 150), 0.9, "without helmet")]),
        # a small bare head over the rider's shoulder: someone far behind, not a passenger
        ([OWN_HELMET, det((240, 100, 270, 130), 0.9, "without helmet")], [OWN_HELMET]),
        # a head low in the box (a false box on a knee) is nobody's head
        ([det((170, 350, 230, 410), 0.9, "without helmet")], []),
        # a head entirely beside the motorcycle (another road user)
        ([det((320, 100, 380, 160), 0.9, "without helmet")], []),
        ([], []),
    ],
)
def test_attach_heads(heads, expected):
    assert attach_heads([RIDER], heads, head_region_fraction=0.4, min_head_inside=0.6,
                        min_head_size_ratio=0.5) == expected


def test_assign_head_still_picks_one_head_per_box():
    behind = det((250, 60, 330, 140), 0.95, "without helmet")
    assert assign_head(RIDER, [behind, OWN_HELMET]) == OWN_HELMET


def test_verifier_judges_every_head_on_the_motorcycle():
    """End to end through the HelmetCheck: stage 2 sees rider and pillion in the padded crop and each gets a verdict."""
    crop_seen = {}

    def fake_stage2(crop):
        crop_seen["shape"] = crop.shape
        # boxes in crop pixels: the crop starts at (70, 40) for RIDER padded by 0.15 in a 640x640 frame
        return [det((90, 50, 170, 130), 0.8, "with helmet"), det((150, 55, 220, 125), 0.9, "without helmet")]

    verdicts = HelmetCheck(fake_stage2, HelmetCheckSettings(heads_from="stage2")).check(
        np.zeros((640, 640, 3), np.uint8), RiddenMotorcycle(RIDER, 0.7), frame_index=3, timestamp_s=0.6)
    assert crop_seen["shape"] == (520, 260, 3)
    assert [(v.state, v.head_xyxy) for v in verdicts] == [(HeadState.WITH_HELMET, (160, 90, 240, 170)),
                                                         (HeadState.WITHOUT_HELMET, (220, 95, 290, 165))]
    assert verdicts[1].confidence == pytest.approx(0.9) and verdicts[1].rider_confidence == pytest.approx(0.7)


@pytest.mark.parametrize(("side", "state"), [(15.9, HeadState.UNKNOWN), (16.0, HeadState.WITHOUT_HELMET)])
def test_heads_below_the_size_floor_are_unknown(side, state):
    assert head_state(det((0, 0, side, side * 0.8), 0.9, "without helmet"), HelmetCheckSettings(min_head_px=16)) \
        is state


def test_unknown_stage2_label_is_an_error():
    with pytest.raises(ValueError, match="neither head role"):
        head_state(det((160, 90, 240, 170), 0.8, "cap"), HelmetCheckSettings())


def test_pick_plate_takes_the_most_confident_plate_inside_the_region():
    region = (0, 0, 300, 600)
    plates = [det((50, 500, 150, 540), 0.6, "plate"), det((100, 520, 200, 560), 0.8, "plate"),
              det((400, 520, 500, 560), 0.99, "plate")]
    assert pick_plate(plates, region).confidence == pytest.approx(0.8)
    assert pick_plate([plates[2]], region) is None


def test_a_rider_box_inside_a_rider_and_pillion_box_is_the_same_motorcycle():
    both = det((500, 330, 640, 590), 0.8, "rider")  # rider, pillion and motorcycle
    front = det((548, 335, 640, 585), 0.6, "rider")  # the pillion's rider boxed again on their own
    beside = det((300, 330, 440, 590), 0.7, "rider")  # another motorcycle alongside
    found = find_riders([front, both, beside], DetectorRoles(rider=["rider"]), RiderRule(confirm_rider_boxes=False))
    assert sorted(r.xyxy for r in found) == [(300.0, 330.0, 440.0, 590.0), (500.0, 330.0, 640.0, 590.0)]


def test_heads_from_stage1_are_judged_by_the_classifier():
    """No second detector: the frame's stage-1 head boxes (above the confidence floor) on this motorcycle, each judged
    by the classifier on a crop of the frame; an unsure judgement is unknown."""
    frame_heads = [det((160, 90, 240, 170), 0.8, "with helmet"), det((220, 95, 290, 165), 0.6, "without helmet"),
                   det((150, 300, 170, 320), 0.9, "number plate"), det((200, 100, 230, 130), 0.1, "with helmet")]
    seen = []

    def classifier(crops):
        seen.extend(c.shape for c in crops)
        return [("without helmet", 0.93), ("with helmet", 0.55)]

    settings = HelmetCheckSettings(heads_from="stage1", conf=0.25, classifier_conf=0.6)
    verdicts = HelmetCheck(None, settings, classifier).check(np.zeros((640, 640, 3), np.uint8),
                                                           RiddenMotorcycle(RIDER, 0.7), 0, 0.0, frame_heads)
    assert seen == [(64, 64, 3), (64, 64, 3)]  # the plate and the 0.1 head never reach the classifier
    assert [(v.state, v.confidence) for v in verdicts] == [(HeadState.WITHOUT_HELMET, 0.93), (HeadState.UNKNOWN, 0.55)]


def test_a_rider_box_counts_only_with_a_motorcycle_under_it():
    rider = det((100, 100, 200, 400), 0.8, "rider")
    pedestrian = det((300, 100, 360, 400), 0.6, "rider")  # the 4-class model boxes a walker as a rider
    under = det((110, 250, 190, 400), 0.5, "motorcycle")  # centre (150, 325): in the rider box's lower 60 %
    beside = det((370, 300, 450, 400), 0.5, "motorcycle")  # a parked motorcycle next to the walker
    found = find_riders([rider, pedestrian, under, beside], DetectorRoles(), RiderRule())
    assert [r.xyxy for r in found] == [(100.0, 100.0, 200.0, 400.0)]
    assert len(find_riders([rider, pedestrian], DetectorRoles(), RiderRule(confirm_rider_boxes=False))) == 2


def test_a_confident_rider_box_counts_without_a_motorcycle_under_it():
    """A rider seen from behind hides the motorcycle: a rider box at least ``unconfirmed_rider_conf`` confident counts
    without one, a fainter one (the walker boxed as a rider, 0.6) still needs it."""
    from_behind = det((100, 100, 200, 400), 0.75, "rider")
    walker = det((300, 100, 360, 400), 0.6, "rider")
    found = find_riders([from_behind, walker], DetectorRoles(), RiderRule())
    assert RiderRule().unconfirmed_rider_conf == 0.7 and [r.xyxy for r in found] == [(100.0, 100.0, 200.0, 400.0)]
    assert find_riders([from_behind], DetectorRoles(), RiderRule(unconfirmed_rider_conf=1.0)) == []


def test_one_head_boxed_twice_is_one_person():
    # stage 1 runs without class-agnostic NMS: one head can come back once per head class
    bare = det((160, 90, 240, 170), 0.7, "without helmet")
    helmeted = det((162, 92, 242, 172), 0.4, "with helmet")
    pillion = det((230, 95, 300, 165), 0.6, "without helmet")
    assert attach_heads([RIDER], [helmeted, bare, pillion]) == [bare, pillion]


def test_a_head_two_motorcycles_reach_goes_to_the_one_it_sits_on():
    from helmetscan.pipeline.association import share_out_heads
    from helmetscan.pipeline.helmet_check import FrameVerdict

    def verdict(head):
        return FrameVerdict(0, 0.0, HeadState.WITHOUT_HELMET, 0.9, 0.8, (0, 0, 1, 1), head)

    left, right = (100.0, 100.0, 300.0, 500.0), (250.0, 100.0, 450.0, 500.0)  # side by side, overlapping
    shared = (260.0, 90.0, 320.0, 150.0)  # the right rider's head, inside the left box's edge too
    own = (150.0, 90.0, 210.0, 150.0)
    kept = share_out_heads({1: ((left,), [verdict(own), verdict(shared)]),
                            2: ((right,), [verdict((261.0, 91.0, 321.0, 151.0))])})
    assert [v.head_xyxy for v in kept[1]] == [own]
    assert [v.head_xyxy for v in kept[2]] == [(261.0, 91.0, 321.0, 151.0)]


def test_heads_from_the_locator_are_found_on_the_source_frame_crop_and_judged_by_the_classifier():
    """The locator sees the padded crop of the motorcycle cut from the frame (its boxes shifted back to frame pixels),
    every box it gives is a head whatever its label, and only the classifier says helmet or not."""
    seen_crops, judged = [], []

    def locator(crop):
        seen_crops.append(crop.shape)
        return [det((70, 60, 150, 140), 0.7, "head"),  # crop pixels: (140, 100, 220, 180) in the frame
                det((70, 380, 90, 400), 0.5, "head")]  # low in the person box: no one's head

    def classifier(crops):
        judged.extend(c.shape for c in crops)
        return [("without helmet", 0.91)]

    settings = HelmetCheckSettings(heads_from="locator", crop_padding=0.15, classifier_conf=0.8)
    frame = np.zeros((640, 640, 3), np.uint8)
    verdicts = HelmetCheck(locator, settings, classifier).check(frame, RiddenMotorcycle(RIDER, 0.7), 3, 0.6)
    assert seen_crops == [(520, 260, 3)]  # RIDER padded by 15 % of 200 x 400 px: x 70..330, y 40..560
    assert judged == [(64, 64, 3)]
    assert [(v.state, v.head_xyxy) for v in verdicts] == [(HeadState.WITHOUT_HELMET, (140.0, 100.0, 220.0, 180.0))]


def test_a_head_cut_by_the_frame_edge_is_never_judged():
    """The locator boxes the half of a head the frame still shows; the classifier never sees it, the head is unknown."""
    judged = []

    def locator(crop):
        return [det((70, 0, 150, 60), 0.8, "head")]  # crop from y = 0: the head's box starts at the frame's top

    def classifier(crops):
        judged.extend(crops)
        return [("without helmet", 0.99)] * len(crops)

    top_rider = (100.0, 0.0, 300.0, 400.0)
    verdicts = HelmetCheck(locator, HelmetCheckSettings(heads_from="locator"), classifier).check(
        np.zeros((640, 640, 3), np.uint8), RiddenMotorcycle(top_rider, 0.7), 0, 0.0)
    assert judged == [] and [v.state for v in verdicts] == [HeadState.UNKNOWN]
