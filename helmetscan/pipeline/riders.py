"""The rider rule: which stage-1 detections are motorcycle riders."""

from __future__ import annotations

from dataclasses import dataclass

from helmetscan.config import DetectorRoles, RiderRule
from helmetscan.models.base import Detection
from helmetscan.geometry import centre, intersection, area


@dataclass(frozen=True)
class Rider:
    """A rider in one frame. ``xyxy``: the person (or rider-class) box, frame pixels; ``confidence``: stage-1 confidence
    of that box; ``motorcycle_xyxy``: the matched motorcycle box, or ``None`` when the model boxes riders directly."""

    xyxy: tuple[float, float, float, float]
    confidence: float
    motorcycle_xyxy: tuple[float, float, float, float] | None = None


def is_riding(person: Detection, motorcycle: Detection, rule: RiderRule) -> float:
    """Score 0..1 of ``person`` riding ``motorcycle`` (0 = not riding), by the geometric rule in :class:`RiderRule`.

    The score is the share of the motorcycle box covered by the person box, when all conditions hold.
    """
    if motorcycle.confidence < rule.min_motorcycle_conf:
        return 0.0
    m = motorcycle.xyxy
    share = intersection(person.xyxy, m) / area(m) if area(m) > 0 else 0.0
    if share < rule.min_overlap_of_motorcycle:
        return 0.0
    cx, _ = centre(person.xyxy)
    margin = (m[2] - m[0]) * rule.centre_margin
    if not (m[0] - margin <= cx <= m[2] + margin):
        return 0.0
    if person.xyxy[1] >= m[1]:  # the rider's head is above the motorcycle's top
        return 0.0
    return share


def find_riders(detections: list[Detection], roles: DetectorRoles, rule: RiderRule) -> list[Rider]:
    """Riders among one frame's stage-1 detections.

    Boxes of a ``rider`` role class are riders as they are. Otherwise every ``person`` box is matched to the motorcycle
    it rides best (several persons may share one motorcycle: rider and pillion).
    """
    rider_labels = {r.lower() for r in roles.rider}
    person_labels = {r.lower() for r in roles.person}
    moto_labels = {r.lower() for r in roles.motorcycle}
    riders = [Rider(d.xyxy, d.confidence) for d in detections if d.label in rider_labels]
    motorcycles = [d for d in detections if d.label in moto_labels]
    for person in (d for d in detections if d.label in person_labels):
        scored = [(is_riding(person, m, rule), m) for m in motorcycles]
        best_score, best = max(scored, key=lambda s: s[0], default=(0.0, None))
        if best is not None and best_score > 0:
            riders.append(Rider(person.xyxy, person.confidence, best.xyxy))
    return riders
