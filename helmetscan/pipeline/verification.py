"""Stage 2: the larger helmet model re-examines each rider's padded crop, with a bounded number of checks per track."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from helmetscan.pipeline.association import assign_head
from helmetscan.config import VerificationSettings
from helmetscan.models.base import Detection
from helmetscan.geometry import pad, shift


class HeadState(StrEnum):
    """What stage 2 saw of a rider's own head in one frame."""

    WITHOUT_HELMET = "without_helmet"
    WITH_HELMET = "with_helmet"
    NOT_SEEN = "not_seen"


@dataclass(frozen=True)
class FrameVerdict:
    """Stage-2 result for one rider in one frame.

    ``confidence``: stage-2 confidence of the assigned head box (0 when not seen); ``head_xyxy``: that box in frame
    pixels; ``rider_confidence``: stage-1 confidence of the rider box.
    """

    frame_index: int
    timestamp_s: float
    state: HeadState
    confidence: float
    rider_confidence: float
    rider_xyxy: tuple[float, float, float, float]
    head_xyxy: tuple[float, float, float, float] | None = None


def classify_heads(
    heads: list[Detection], rider_xyxy, settings: VerificationSettings
) -> tuple[HeadState, Detection | None]:
    """Decide a rider's head state from head boxes in frame pixels (see :func:`assign_head` for which head counts).

    Raises:
        ValueError: the assigned head's label is in neither the with- nor the without-helmet role.
    """
    head = assign_head(rider_xyxy, heads, settings.head_region_fraction, settings.min_head_inside)
    if head is None:
        return HeadState.NOT_SEEN, None
    if head.label in {r.lower() for r in settings.roles.head_without_helmet}:
        return HeadState.WITHOUT_HELMET, head
    if head.label in {r.lower() for r in settings.roles.head_with_helmet}:
        return HeadState.WITH_HELMET, head
    raise ValueError(f"stage-2 label {head.label!r} is in neither head role {settings.roles}")


class Verifier:
    """Runs the stage-2 head detector on a padded rider crop and maps the result back to frame pixels.

    Args:
        detector: callable ``(image (H, W, 3) uint8 BGR) -> list[Detection]`` (a :class:`YoloDetector` in production,
            a fake in tests).
        settings: the verification section of the settings.
    """

    def __init__(self, detector, settings: VerificationSettings):
        self.detector = detector
        self.settings = settings

    def verify(
        self, image: np.ndarray, rider_xyxy, rider_confidence: float, frame_index: int, timestamp_s: float
    ) -> FrameVerdict:
        """Stage-2 verdict for the rider at ``rider_xyxy`` (frame pixels) in ``image`` ((H, W, 3) uint8 BGR)."""
        h, w = image.shape[:2]
        x1, y1, x2, y2 = pad(rider_xyxy, self.settings.crop_padding, w, h)
        crop = image[y1:y2, x1:x2]
        heads = []
        if crop.size:
            heads = [Detection(shift(d.xyxy, x1, y1), d.confidence, d.label) for d in self.detector(crop)]
        state, head = classify_heads(heads, rider_xyxy, self.settings)
        return FrameVerdict(
            frame_index=frame_index,
            timestamp_s=timestamp_s,
            state=state,
            confidence=head.confidence if head else 0.0,
            rider_confidence=rider_confidence,
            rider_xyxy=tuple(map(float, rider_xyxy)),
            head_xyxy=head.xyxy if head else None,
        )


def is_settled(verdicts: list[FrameVerdict], settings: VerificationSettings) -> bool:
    """True when a track needs no more stage-2 checks: the check budget is spent, or one head state leads the other by
    ``settle_margin`` frames."""
    if len(verdicts) >= settings.max_checks_per_track:
        return True
    without = sum(v.state is HeadState.WITHOUT_HELMET for v in verdicts)
    with_ = sum(v.state is HeadState.WITH_HELMET for v in verdicts)
    return abs(without - with_) >= settings.settle_margin
