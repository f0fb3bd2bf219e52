"""Stage 2: on the padded crop of each ridden motorcycle (cut from the source frame), every head is found — by our head
locator by default, else by a second detector or taken from stage 1 — and judged with or without a helmet (by our head
classifier when one is set), with a bounded number of checks per track."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helmetscan.config import HelmetCheckSettings
from helmetscan.core.geometry import pad, shift, touches_border
from helmetscan.core.detections import UNSURE, Detection
from helmetscan.core.status import HeadState
from helmetscan.pipeline.association import attach_heads
from helmetscan.pipeline.riders import RiddenMotorcycle


@dataclass(frozen=True)
class FrameVerdict:
    """Stage-2 result for one head on a ridden motorcycle in one frame.

    ``confidence``: the classifier's probability of the head's class, or without a classifier (or for a head cut by
    the frame's edge, never judged) the head box's detection confidence; ``head_xyxy``: the head box in frame pixels;
    ``rider_xyxy``: the ridden motorcycle's box (motorcycle and people); ``rider_confidence``: its stage-1 confidence.
    """

    frame_index: int
    timestamp_s: float
    state: HeadState
    confidence: float
    rider_confidence: float
    rider_xyxy: tuple[float, float, float, float]
    head_xyxy: tuple[float, float, float, float] | None = None

    @property
    def head_px(self) -> float:
        """The head box's longer side in pixels (0 without a head box)."""
        if self.head_xyxy is None:
            return 0.0
        x1, y1, x2, y2 = self.head_xyxy
        return max(x2 - x1, y2 - y1)


#: A head box within this many pixels of the frame's edge is cut by it: part of the head is not in the frame, so
#: whether it wears a helmet cannot be seen (9 of 26 reviewed bare-head reports on unlabelled heads of the stage-1 test
#: split and the CCTV clip were heads cut by the frame's top edge, weights/HEAD_LOCATOR.md). Our choice: 1 px.
EDGE_PX = 1.0


def is_cut(xyxy, width: int, height: int) -> bool:
    """True when the box ``xyxy`` (pixels) touches the edge of a ``width`` x ``height`` frame (:data:`EDGE_PX`)."""
    return touches_border(xyxy, width, height, EDGE_PX)


def head_state(head: Detection, settings: HelmetCheckSettings) -> HeadState:
    """The state of one stage-2 head box: its class, or ``UNKNOWN`` when its longer side is below
    ``settings.min_head_px`` or the head classifier was unsure (label :data:`~helmetscan.core.detections.UNSURE`).

    Raises:
        ValueError: the label is in neither the with- nor the without-helmet role.
    """
    if head.label == UNSURE:
        return HeadState.UNKNOWN
    if head.label in {r.lower() for r in settings.roles.head_without_helmet}:
        state = HeadState.WITHOUT_HELMET
    elif head.label in {r.lower() for r in settings.roles.head_with_helmet}:
        state = HeadState.WITH_HELMET
    else:
        raise ValueError(f"stage-2 label {head.label!r} is in neither head role {settings.roles}")
    x1, y1, x2, y2 = head.xyxy
    return HeadState.UNKNOWN if max(x2 - x1, y2 - y1) < settings.min_head_px else state


class HelmetCheck:
    """Stage 2: finds the heads of a ridden motorcycle's people and judges each.

    Head boxes come from the stage-2 ``detector`` run on the motorcycle's padded crop of the source frame (the head
    locator with ``settings.heads_from = "locator"``, whose boxes the classifier must judge), or — with
    ``settings.heads_from = "stage1"`` — from the stage-1 model's own head boxes on the whole frame at or above
    ``settings.conf`` (no second detector run). When a ``classifier`` is given, it re-judges every attached head on a crop of the source frame
    (:class:`~helmetscan.inference.head_classifier.HeadClassifier`); a head it is less than ``settings.classifier_conf``
    sure of is unknown. Otherwise the head boxes' own classes decide.

    Args:
        detector: ``(image (H, W, 3) uint8 BGR) -> list[Detection]`` of head boxes labelled with a head role (a
            :class:`~helmetscan.inference.yolo.YoloDetector`, a fake in tests); ``None`` when heads come from stage 1.
        settings: the verification section of the settings.
        classifier: ``(list of crops) -> [(label, probability)]``, or ``None``.
    """

    def __init__(self, detector, settings: HelmetCheckSettings, classifier=None):
        self.detector = detector
        self.settings = settings
        self.classifier = classifier
        self._head_labels = {r.lower() for r in (*settings.roles.head_with_helmet, *settings.roles.head_without_helmet)}

    def heads(self, image: np.ndarray, motorcycle: RiddenMotorcycle,
              frame_heads: list[Detection] | None = None) -> list[Detection]:
        """The heads of ``motorcycle``'s people in ``image`` ((H, W, 3) uint8 BGR), in frame pixels
        (:func:`~helmetscan.pipeline.association.attach_heads`), labelled by the classifier when there is one; a head
        cut by the frame's edge (:func:`is_cut`) is :data:`~helmetscan.core.detections.UNSURE`, never judged.

        Args:
            frame_heads: stage-1 detections of this frame (frame pixels); used instead of the stage-2 detector when
                ``settings.heads_from`` is ``stage1``.
        """
        s = self.settings
        if s.heads_from == "stage1":
            found = [d for d in frame_heads or [] if d.label in self._head_labels and d.confidence >= s.conf]
        else:
            h, w = image.shape[:2]
            x1, y1, x2, y2 = pad(motorcycle.xyxy, s.crop_padding, w, h)
            crop = image[y1:y2, x1:x2]
            if not crop.size:
                return []
            # a multi-class model's riders and plates are not heads; every box of the locator is one
            found = [Detection(shift(d.xyxy, x1, y1), d.confidence, d.label) for d in self.detector(crop)
                     if s.heads_from == "locator" or d.label in self._head_labels]
        heads = attach_heads(motorcycle.regions, found, s.head_region_fraction, s.min_head_inside,
                             s.min_head_size_ratio)
        h, w = image.shape[:2]
        cut = [is_cut(head.xyxy, w, h) for head in heads]
        whole = [head for head, c in zip(heads, cut) if not c]
        if self.classifier is None or not whole:
            return [Detection(head.xyxy, head.confidence, UNSURE) if c else head for head, c in zip(heads, cut)]
        from helmetscan.inference.head_classifier import square_crop

        judged = iter(self.classifier([square_crop(image, head.xyxy) for head in whole]))
        out = []
        for head, c in zip(heads, cut):
            if c:
                out.append(Detection(head.xyxy, head.confidence, UNSURE))
            else:
                label, p = next(judged)
                out.append(Detection(head.xyxy, p, label if p >= s.classifier_conf else UNSURE))
        return out

    def check(self, image: np.ndarray, motorcycle: RiddenMotorcycle, frame_index: int, timestamp_s: float,
               frame_heads: list[Detection] | None = None) -> list[FrameVerdict]:
        """One verdict per head on ``motorcycle`` in ``image`` ((H, W, 3) uint8 BGR); empty when none is found.
        ``frame_heads``: as in :meth:`heads`.

        Raises:
            ValueError: the model returned a label in neither head role.
        """
        return [
            FrameVerdict(frame_index=frame_index, timestamp_s=timestamp_s, state=head_state(head, self.settings),
                         confidence=head.confidence, rider_confidence=motorcycle.confidence,
                         rider_xyxy=tuple(map(float, motorcycle.xyxy)), head_xyxy=tuple(map(float, head.xyxy)))
            for head in self.heads(image, motorcycle, frame_heads)
        ]
