"""Pseudo-labels for the classes a dataset source lacks, and a contact sheet to review them.

Missing boxes teach a detector that the object is background, so the dataset build fills two gaps with models:

* **bare heads** in sources without a "without helmet" class (``hcmute``): for each rider box with no head box in its
  upper region, the stage-2 helmet model runs on the padded rider crop; the head that :func:`assign_head` gives that
  rider is added when it is "without helmet" with confidence >= ``min_head_confidence``. The floor is low (0.1) on
  purpose: the source labels every helmet, so a rider without a head box is bare-headed (or the head is hidden) before
  the model is asked; the model only has to place the head. On 60 hcmute images, 42 of 177 riders had no head box; at
  a 0.5 floor the model placed 1 bare head, at 0.1 it placed 7 (measured 2026-11-22);
* **riders** in head-only sources (``pavan``): the stage-1 COCO detector + the rider rule, confidence >=
  ``min_rider_confidence``; here there is no such prior, so the floor stays high.

Every box made here is flagged ``pseudo`` (``provenance.csv`` counts them per image).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from helmetscan.config import DetectorRoles, RiderRule, HelmetCheckSettings
from helmetscan.core.geometry import centre, contains, pad, shift
from helmetscan.tooling.dataset import LabelBox, Sample, to_pixels
from helmetscan.core.detections import Detection
from helmetscan.pipeline.association import assign_head, head_region
from helmetscan.pipeline.riders import find_riders


def _to_norm(box, w, h):
    return (box[0] / w, box[1] / h, box[2] / w, box[3] / h)


#: The models that make the pseudo-labels: the COCO detector + rider rule and the borrowed YOLOv12m helmet model (the
#: shipped dataset was built with them; our own models must not label their own training data).
PSEUDO_LABEL_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "coco-yolov12m.toml"


class ModelPseudoLabeller:
    """Callable ``(Sample) -> list[LabelBox]`` for :func:`helmetscan.tooling.dataset.build`.

    Args:
        head_detector: ``(image) -> list[Detection]`` with head labels (the stage-2 helmet model).
        rider_detector: ``(image) -> list[Detection]`` with person/motorcycle labels (the COCO stage-1 model).
        fill: source name → target classes to pseudo-label there (``"without helmet"``, ``"rider"``).
        min_head_confidence: confidence floor of a pseudo bare head, 0..1.
        min_rider_confidence: confidence floor of a pseudo rider, 0..1.
        verification: crop padding, head region and the head roles (``roles.head_without_helmet``) of stage 2;
            default :class:`HelmetCheckSettings`.
        detector_roles: which ``rider_detector`` classes are person / motorcycle / rider; default
            :class:`DetectorRoles`.
        rider_rule: how a person and a motorcycle make a rider; default :class:`RiderRule`.
    """

    def __init__(self, head_detector, rider_detector, fill: dict[str, list[str]], min_head_confidence: float = 0.1,
                 min_rider_confidence: float = 0.5,
                 verification: HelmetCheckSettings | None = None, detector_roles: DetectorRoles | None = None,
                 rider_rule: RiderRule | None = None):
        self.head_detector, self.rider_detector = head_detector, rider_detector
        self.fill = fill
        self.min_head_confidence, self.min_rider_confidence = min_head_confidence, min_rider_confidence
        self.verification = verification or HelmetCheckSettings()
        self.detector_roles = detector_roles or DetectorRoles()
        self.rider_rule = rider_rule or RiderRule()

    def __call__(self, sample: Sample) -> list[LabelBox]:
        """Pseudo boxes (normalised 0..1 xyxy, ``pseudo`` set) for the classes ``fill`` names for ``sample.source``;
        ``[]`` when there are none or the image cannot be decoded."""
        wanted = self.fill.get(sample.source, [])
        if not wanted:
            return []
        import cv2

        image = cv2.imread(str(sample.image))
        if image is None:
            return []
        h, w = image.shape[:2]
        out: list[LabelBox] = []
        if "without helmet" in wanted:
            out += self._bare_heads(image, sample.boxes, w, h)
        if "rider" in wanted and not any(b.class_name == "rider" for b in sample.boxes):
            for rider in find_riders(self.rider_detector(image), self.detector_roles, self.rider_rule):
                if rider.confidence >= self.min_rider_confidence:
                    out.append(LabelBox("rider", _to_norm(rider.xyxy, w, h), True))
        return out

    def _bare_heads(self, image: np.ndarray, boxes: list[LabelBox], w: int, h: int) -> list[LabelBox]:
        s = self.verification
        head_labels = ("with helmet", "without helmet")
        head_centres = [centre(to_pixels(b.xyxy, w, h)) for b in boxes if b.class_name in head_labels]
        out = []
        for rider in (b for b in boxes if b.class_name == "rider"):
            rider_px = to_pixels(rider.xyxy, w, h)
            region = head_region(rider_px, s.head_region_fraction)
            if any(contains(region, c) for c in head_centres):
                continue  # this rider's head is labelled already
            x1, y1, x2, y2 = pad(rider_px, s.crop_padding, w, h)
            found = [Detection(shift(d.xyxy, x1, y1), d.confidence, d.label)
                     for d in self.head_detector(image[y1:y2, x1:x2])]
            head = assign_head(rider_px, found, s.head_region_fraction, s.min_head_inside)
            if head and head.label in {r.lower() for r in s.roles.head_without_helmet} \
                    and head.confidence >= self.min_head_confidence:
                out.append(LabelBox("without helmet", _to_norm(head.xyxy, w, h), True))
        return out
