"""Which head and which plate belong to a rider. Pure functions on ``xyxy`` pixel boxes."""

from __future__ import annotations

from collections.abc import Sequence

from helmetscan.models.base import Detection
from helmetscan.geometry import centre, contains, inside_share


def head_region(rider_xyxy: Sequence[float], head_region_fraction: float) -> tuple[float, float, float, float]:
    """The part of a rider box where that rider's own head lies: the top ``head_region_fraction`` of its height
    (plus the same share above the box, since helmets often stick out of a tight person box)."""
    x1, y1, x2, y2 = rider_xyxy
    h = y2 - y1
    return (x1, y1 - 0.1 * h, x2, y1 + head_region_fraction * h)


def assign_head(
    rider_xyxy: Sequence[float],
    heads: list[Detection],
    head_region_fraction: float = 0.4,
    min_head_inside: float = 0.6,
) -> Detection | None:
    """Pick the head that belongs to the rider in ``rider_xyxy``, or ``None`` when no head qualifies.

    A head qualifies when its centre lies in the rider's head region (:func:`head_region`) and at least
    ``min_head_inside`` of its area lies inside the rider box. Among qualifying heads the one nearest the rider box's
    horizontal centre wins (ties: the higher one), so a head *behind* the rider — a pillion's, seen beside or above the
    front rider's shoulder — is not charged to the front rider. The pillion is judged on their own rider box.
    """
    region = head_region(rider_xyxy, head_region_fraction)
    rx, _ = centre(rider_xyxy)
    width = max(1.0, rider_xyxy[2] - rider_xyxy[0])
    best: tuple[float, float, Detection] | None = None
    for head in heads:
        hx, hy = centre(head.xyxy)
        if not contains(region, (hx, hy)):
            continue
        if inside_share(head.xyxy, rider_xyxy) < min_head_inside:
            continue
        key = (abs(hx - rx) / width, hy)
        if best is None or key < best[:2]:
            best = (*key, head)
    return best[2] if best else None


def pick_plate(plates: list[Detection], region_xyxy: Sequence[float]) -> Detection | None:
    """The plate of a rider's vehicle: among plate boxes whose centre lies in ``region_xyxy`` (the rider/motorcycle
    box extended downwards), the most confident; ``None`` if there is none."""
    inside = [p for p in plates if contains(region_xyxy, centre(p.xyxy))]
    return max(inside, key=lambda p: p.confidence, default=None)
