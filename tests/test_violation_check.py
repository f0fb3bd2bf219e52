"""Violation-level checks: judging reported riders against the labelled CCTV clip and labelled riders."""

from types import SimpleNamespace

from conftest import CCTV_CLIP as CLIP, needs_cctv_clip, needs_weights
from helmetscan.config import Settings
from helmetscan.modelling.labels import read_yolo_boxes
from helmetscan.modelling.violation_check import (
    CLIP_HELMET, CLIP_NO_HELMET, check_clip, judge_violation, labelled_riders,
)




@needs_cctv_clip
def test_reports_are_judged_by_the_labelled_head_of_their_evidence_frame():
    def report(head):  # judge_violation reads only a ViolationRecord's head_xyxy
        return SimpleNamespace(head_xyxy=head)

    labels = read_yolo_boxes(CLIP / "labels" / "frame_000100.txt", 1024, 1024)
    bare = next(box for k, box in labels if k == CLIP_NO_HELMET)
    helmeted = next(box for k, box in labels if k == CLIP_HELMET)
    assert judge_violation(report(bare), labels) == "correct"
    assert judge_violation(report(helmeted), labels) == "wrong"
    shifted = (bare[0] + 1.5 * (bare[2] - bare[0]), bare[1], bare[2] + 1.5 * (bare[2] - bare[0]), bare[3])
    assert judge_violation(report(shifted), labels) in {"unconfirmed", "wrong"}  # no longer that head
    assert judge_violation(report((0, 1000, 5, 1005)), labels) == "unconfirmed"
    assert judge_violation(report(None), labels) == "unconfirmed"
    assert read_yolo_boxes(CLIP / "labels" / "frame_999999.txt", 10, 10) == []


def test_labelled_riders_take_the_state_of_the_head_in_their_head_region():
    rider_a, rider_b, rider_c = (0, 0, 100, 200), (200, 0, 300, 200), (400, 0, 500, 200)
    boxes = [(0, rider_a), (1, (40, 10, 60, 30)),  # bare head at the top of rider a
             (0, rider_b), (2, (240, 10, 260, 30)),  # helmet on rider b
             (0, rider_c), (1, (440, 150, 460, 170)),  # a bare head low in rider c's box: not its own
             (3, (40, 180, 60, 190))]
    assert labelled_riders(boxes, 0.4) == [(rider_a, True), (rider_b, False), (rider_c, None)]


@needs_weights
@needs_cctv_clip
def test_the_cascade_charges_no_helmeted_rider_on_the_cctv_clip(tmp_path):
    score = check_clip(Settings(), CLIP / "helmet9_cctv_india_15fps.mp4", CLIP / "labels", tmp_path)
    assert score.violations == score.correct + score.wrong + score.unconfirmed
    assert score.riders_tracked >= 1 and score.wrong == 0
    assert (tmp_path / "helmet9_cctv_india_15fps" / "video.json").is_file()
