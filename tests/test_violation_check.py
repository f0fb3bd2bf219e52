"""Violation-level checks: judging the people a violation charges against the labelled CCTV clip."""

from types import SimpleNamespace

from conftest import CCTV_CLIP as CLIP, needs_cctv_clip, needs_weights
from helmetscan.config import Settings
from helmetscan.tooling.labels import read_yolo_boxes
from helmetscan.tooling.violation_check import (
    CLIP_HELMET, CLIP_NO_HELMET, bare_people, check_clip, judge_violation,
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


def test_every_bare_person_is_judged_at_their_most_confident_bare_frame():
    verdict = lambda frame, person, state, conf, head: SimpleNamespace(  # noqa: E731
        frame_index=frame, person_id=person, state=state, confidence=conf, head_xyxy=head)
    record = SimpleNamespace(
        frame_index=4, head_xyxy=(1, 1, 2, 2),
        people=[SimpleNamespace(person_id=1, verdict="without_helmet"), SimpleNamespace(person_id=2, verdict="with_helmet"),
                SimpleNamespace(person_id=3, verdict="without_helmet")],
        decision=SimpleNamespace(verdicts=[
            verdict(2, 1, "without_helmet", 0.6, (0, 0, 10, 10)), verdict(4, 1, "without_helmet", 0.9, (1, 0, 11, 10)),
            verdict(4, 2, "with_helmet", 0.95, (20, 0, 30, 10)), verdict(6, 3, "without_helmet", 0.7, (40, 0, 50, 10)),
            verdict(8, 3, "with_helmet", 0.99, (40, 0, 50, 10))]))
    assert bare_people(record) == [(1, 4, (1, 0, 11, 10)), (3, 6, (40, 0, 50, 10))]
    old = SimpleNamespace(frame_index=4, head_xyxy=(1, 1, 2, 2), people=[])  # a record before schema 4
    assert bare_people(old) == [(0, 4, (1, 1, 2, 2))]


@needs_weights
@needs_cctv_clip
def test_the_cascade_charges_no_helmeted_rider_on_the_cctv_clip(tmp_path):
    score = check_clip(Settings(), CLIP / "helmet9_cctv_india_15fps.mp4", CLIP / "labels", tmp_path)
    assert score.correct + score.wrong + score.unconfirmed >= score.violations  # every violation charges someone
    assert score.riders_tracked >= 1 and score.wrong == 0
    assert (tmp_path / "helmet9_cctv_india_15fps" / "video.json").is_file()
