"""Decisions: a verdict for every person on a motorcycle track, and one violation per track at most."""

from __future__ import annotations

from dataclasses import dataclass

from helmetscan.config import DecisionSettings, HelmetCheckSettings
from helmetscan.pipeline.people import Person
from helmetscan.core.status import HeadState
from helmetscan.pipeline.helmet_check import FrameVerdict


@dataclass(frozen=True)
class PersonDecision:
    """The verdict on one person of a track.

    ``verdict``: ``WITHOUT_HELMET`` (a violation), ``WITH_HELMET``, or ``UNKNOWN`` (too few judgeable frames, or
    states that disagree: never a violation); ``frames_seen``: stage-2 checks that found this person's head;
    ``frames_judged``: of those, heads large enough to judge; ``frames_without_helmet`` / ``frames_with_helmet``: of
    those, each state; ``confidence``: mean stage-2 confidence of the frames that agree with the verdict (0 for
    unknown); ``best``: the frame that shows the verdict best (highest confidence), ``None`` for unknown.
    """

    person_id: int
    position: tuple[float, float]
    verdict: HeadState
    frames_seen: int
    frames_judged: int
    frames_without_helmet: int
    frames_with_helmet: int
    confidence: float
    best: FrameVerdict | None
    verdicts: tuple[FrameVerdict, ...]

    def head_at(self, frame_index: int) -> tuple[float, float, float, float] | None:
        """This person's head box in frame ``frame_index``, when stage 2 found it there."""
        return next((v.head_xyxy for v in self.verdicts if v.frame_index == frame_index), None)


@dataclass(frozen=True)
class TrackDecision:
    """Verdict of one motorcycle track: a violation when at least one of its people is bare-headed.

    ``frames_checked``: stage-2 runs on the track; ``people``: every person seen, by ``person_id``; ``best``: the
    bare-head frame with the highest stage-2 confidence among the violating people (the evidence frame), ``None`` when
    not a violation; ``evidence_person``: whose it is.
    """

    track_id: int
    violation: bool
    frames_checked: int
    people: tuple[PersonDecision, ...]
    best: FrameVerdict | None
    evidence_person: PersonDecision | None

    @property
    def people_without_helmet(self) -> int:
        """How many of the track's people were verified bare-headed."""
        return sum(p.verdict is HeadState.WITHOUT_HELMET for p in self.people)


def decide_person(person: Person, settings: DecisionSettings) -> PersonDecision:
    """Bare-headed when at least ``min_no_helmet_frames`` judged frames show no helmet AND those are more than
    ``min_no_helmet_share`` of the judged frames; helmeted when helmeted frames are the majority of at least
    ``min_no_helmet_frames`` judged frames; otherwise unknown. Heads too small to judge never count."""
    vs = person.verdicts
    without = [v for v in vs if v.state is HeadState.WITHOUT_HELMET]
    with_ = [v for v in vs if v.state is HeadState.WITH_HELMET]
    judged = len(without) + len(with_)
    if len(without) >= settings.min_no_helmet_frames and len(without) > settings.min_no_helmet_share * judged:
        verdict, agreeing = HeadState.WITHOUT_HELMET, without
    elif len(with_) >= settings.min_no_helmet_frames and len(with_) > len(without):
        verdict, agreeing = HeadState.WITH_HELMET, with_
    else:
        verdict, agreeing = HeadState.UNKNOWN, []
    best = max(agreeing, key=lambda v: v.confidence, default=None)
    confidence = sum(v.confidence for v in agreeing) / len(agreeing) if agreeing else 0.0
    return PersonDecision(person.person_id, person.position, verdict, len(vs), judged, len(without), len(with_),
                          confidence, best, tuple(vs))


def decide(track_id: int, people: list[Person], frames_checked: int, settings: DecisionSettings) -> TrackDecision:
    """The track's decision from its people (:func:`decide_person` for each)."""
    decisions = tuple(decide_person(p, settings) for p in people)
    bare = [d for d in decisions if d.verdict is HeadState.WITHOUT_HELMET]
    evidence = max(bare, key=lambda d: d.best.confidence, default=None)
    return TrackDecision(track_id, bool(bare), frames_checked, decisions, evidence.best if evidence else None, evidence)


def is_settled(people: list[Person], frames_checked: int, settings: HelmetCheckSettings) -> bool:
    """True when a track needs no more stage-2 checks: the check budget is spent, or it has people and for each of
    them one head state leads the other by ``settle_margin`` frames."""
    if frames_checked >= settings.max_checks_per_track:
        return True

    def settled(p: Person) -> bool:
        without = sum(v.state is HeadState.WITHOUT_HELMET for v in p.verdicts)
        with_ = sum(v.state is HeadState.WITH_HELMET for v in p.verdicts)
        return abs(without - with_) >= settings.settle_margin

    return bool(people) and all(settled(p) for p in people)
