"""Per-track decision: one rider track gives at most one violation."""

from __future__ import annotations

from dataclasses import dataclass

from helmetscan.config import DecisionSettings
from helmetscan.pipeline.verification import FrameVerdict, HeadState


@dataclass(frozen=True)
class TrackDecision:
    """Verdict of one rider track.

    ``frames_checked``: stage-2 checks run; ``frames_head_seen``: checks where the rider's own head was found;
    ``frames_without_helmet`` / ``frames_with_helmet``: of those, each state; ``best``: the no-helmet frame with the
    highest stage-2 confidence (the evidence frame), ``None`` when not a violation.
    """

    track_id: int
    violation: bool
    frames_checked: int
    frames_head_seen: int
    frames_without_helmet: int
    frames_with_helmet: int
    best: FrameVerdict | None


def decide(track_id: int, verdicts: list[FrameVerdict], settings: DecisionSettings) -> TrackDecision:
    """A track is a violation when at least ``min_no_helmet_frames`` frames were verified without helmet AND those are
    more than ``min_no_helmet_share`` of the frames in which the rider's head was seen at all."""
    without = [v for v in verdicts if v.state is HeadState.WITHOUT_HELMET]
    with_ = sum(v.state is HeadState.WITH_HELMET for v in verdicts)
    seen = len(without) + with_
    violation = len(without) >= settings.min_no_helmet_frames and len(without) > settings.min_no_helmet_share * seen
    best = max(without, key=lambda v: v.confidence) if violation else None
    return TrackDecision(track_id, violation, len(verdicts), seen, len(without), with_, best)
