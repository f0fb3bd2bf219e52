"""Per-person decisions, the people of a track kept apart across frames, and one violation per track."""

import pytest

from helmetscan.config import DecisionSettings, HelmetCheckSettings
from helmetscan.pipeline.decision import decide, decide_person, is_settled
from helmetscan.pipeline.people import PeopleTracker, Person, seat_positions
from helmetscan.core.status import HeadState
from helmetscan.pipeline.helmet_check import FrameVerdict

W, H, U = HeadState.WITHOUT_HELMET, HeadState.WITH_HELMET, HeadState.UNKNOWN
BOX = (100.0, 100.0, 300.0, 500.0)
FRONT_HEAD, BACK_HEAD = (150.0, 100.0, 200.0, 150.0), (210.0, 80.0, 260.0, 130.0)


def verdict(i, state, conf=0.5, head=FRONT_HEAD, box=BOX):
    return FrameVerdict(i, i * 0.2, state, conf, 0.8, box, head)


def person(states, confs=None, person_id=1):
    confs = confs or [0.5] * len(states)
    return Person(person_id, (0.5, 0.1), [verdict(i, s, c) for i, (s, c) in enumerate(zip(states, confs))])


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([W, W], W),
        ([W], U),  # one frame is never enough (the prototype's false reports)
        ([W, W, H, H], U),  # no majority: unknown, not a violation
        ([W, W, H], W),
        ([W, U, U, U, W], W),  # heads too small to judge do not count against
        ([U, U, U], U),  # never judged: unknown
        ([H, H, H, W, W], H),
    ],
)
def test_decide_person(states, expected):
    assert decide_person(person(states), DecisionSettings()).verdict is expected


def test_threshold_is_a_setting():
    assert decide_person(person([W, W]), DecisionSettings(min_no_helmet_frames=3)).verdict is U


def test_helmeted_rider_with_bare_headed_pillion_is_one_violation_charged_to_the_pillion():
    rider = person([H, H, H], person_id=1)
    pillion = person([W, W, H], [0.6, 0.9, 0.4], person_id=2)
    d = decide(5, [rider, pillion], frames_checked=3, settings=DecisionSettings())
    assert d.violation and d.people_without_helmet == 1
    assert [p.verdict for p in d.people] == [H, W]
    assert d.evidence_person.person_id == 2 and d.best.frame_index == 1
    assert d.people[1].confidence == pytest.approx(0.75) and d.people[0].confidence == pytest.approx(0.5)


def test_three_bare_heads_on_one_motorcycle_are_one_violation_with_three_people():
    people = [person([W, W], person_id=k) for k in (1, 2, 3)]
    d = decide(1, people, 2, DecisionSettings())
    assert d.violation and d.people_without_helmet == 3


def test_everyone_helmeted_or_unknown_is_no_violation():
    d = decide(1, [person([H, H]), person([U, U, W], person_id=2)], 3, DecisionSettings())
    assert not d.violation and d.best is None and d.people_without_helmet == 0


def test_people_tracker_keeps_rider_and_pillion_apart():
    tracker = PeopleTracker(max_distance=0.25)
    for i in range(3):  # both heads every frame, the box drifting right as the motorcycle moves
        dx = 10.0 * i
        box = (BOX[0] + dx, BOX[1], BOX[2] + dx, BOX[3])
        heads = [(FRONT_HEAD[0] + dx, FRONT_HEAD[1], FRONT_HEAD[2] + dx, FRONT_HEAD[3]),
                 (BACK_HEAD[0] + dx, BACK_HEAD[1], BACK_HEAD[2] + dx, BACK_HEAD[3])]
        order = heads if i % 2 == 0 else heads[::-1]  # stage 2 lists heads in any order
        owners = tracker.add([verdict(i, W if h == heads[1] else H, head=h, box=box) for h in order])
        assert len(owners) == 2
    assert len(tracker.people) == 2
    assert [[v.state for v in p.verdicts] for p in tracker.people] == [[H, H, H], [W, W, W]]


def test_people_tracker_starts_a_new_person_for_a_head_elsewhere():
    tracker = PeopleTracker(max_distance=0.25)
    tracker.add([verdict(0, H)])
    tracker.add([verdict(1, W, head=(250.0, 300.0, 290.0, 340.0))])  # far from the first head
    assert [p.person_id for p in tracker.people] == [1, 2]


@pytest.mark.parametrize(
    ("positions", "expected"),
    [
        ({1: (0.5, 0.1)}, {1: "only"}),
        ({1: (0.5, 0.1), 2: (0.52, 0.3)}, {1: "upper", 2: "lower"}),
        ({1: (0.3, 0.1), 2: (0.5, 0.12), 3: (0.7, 0.1)}, {1: "left", 2: "middle", 3: "right"}),
    ],
)
def test_seat_positions(positions, expected):
    assert seat_positions(positions) == expected


@pytest.mark.parametrize(
    ("people_states", "checks", "settled"),
    [
        ([[W, W]], 2, False),
        ([[W, W, W]], 3, True),
        ([[W, W, W], [H, H]], 3, False),  # the pillion is not settled yet
        ([[W, W, W], [H, H, H]], 3, True),
        ([], 7, False),  # nobody seen yet: keep looking
        ([], 8, True),  # until the budget is spent
        ([[U] * 4], 4, False),
    ],
)
def test_is_settled(people_states, checks, settled):
    people = [person(states, person_id=k + 1) for k, states in enumerate(people_states)]
    assert is_settled(people, checks, HelmetCheckSettings(max_checks_per_track=8, settle_margin=3)) is settled
