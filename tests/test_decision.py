import pytest

from helmetscan.config import DecisionSettings, VerificationSettings
from helmetscan.pipeline.decision import decide
from helmetscan.pipeline.verification import FrameVerdict, HeadState, is_settled

W, H, N = HeadState.WITHOUT_HELMET, HeadState.WITH_HELMET, HeadState.NOT_SEEN


def verdicts(states, confs=None):
    confs = confs or [0.5] * len(states)
    return [FrameVerdict(i, i * 0.2, s, c if s is not N else 0.0, 0.8, (0, 0, 10, 10)) for i, (s, c) in
            enumerate(zip(states, confs))]


@pytest.mark.parametrize(
    ("states", "violation"),
    [
        ([W, W], True),
        ([W], False),  # one frame is never enough (the prototype's false reports)
        ([W, W, H, H], False),  # no majority
        ([W, W, H], True),
        ([W, N, N, N, W], True),  # frames where the head is not seen do not count against
        ([N, N, N], False),
        ([H, H, H, W, W], False),
    ],
)
def test_decide(states, violation):
    assert decide(7, verdicts(states), DecisionSettings()).violation is violation


def test_best_frame_is_the_most_confident_no_helmet_frame():
    d = decide(3, verdicts([W, H, W, W], [0.6, 0.99, 0.9, 0.7]), DecisionSettings())
    assert d.violation and d.best.frame_index == 2
    assert (d.frames_checked, d.frames_head_seen, d.frames_without_helmet, d.frames_with_helmet) == (4, 4, 3, 1)


def test_threshold_is_a_setting():
    assert not decide(1, verdicts([W, W]), DecisionSettings(min_no_helmet_frames=3)).violation


@pytest.mark.parametrize(
    ("states", "settled"),
    [([W, W], False), ([W, W, W], True), ([W, H, W, W], False), ([H, H, H], True), ([N] * 8, True)],
)
def test_is_settled(states, settled):
    assert is_settled(verdicts(states), VerificationSettings(max_checks_per_track=8, settle_margin=3)) is settled
