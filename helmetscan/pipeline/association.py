"""Which heads and which plate belong to a ridden motorcycle. Pure functions on ``xyxy`` pixel boxes."""

from __future__ import annotations

from collections.abc import Sequence

from helmetscan.core.detections import Detection
from helmetscan.core.geometry import centre, contains, inside_share, iou


def head_region(rider_xyxy: Sequence[float], head_region_fraction: float) -> tuple[float, float, float, float]:
    """The part of a person (or rider-class) box where heads lie: the top ``head_region_fraction`` of its height
    (plus the same share above the box, since helmets often stick out of a tight person box)."""
    x1, y1, x2, y2 = rider_xyxy
    h = y2 - y1
    return (x1, y1 - 0.1 * h, x2, y1 + head_region_fraction * h)


def one_box_per_head(heads: list[Detection], max_iou: float = 0.5) -> list[Detection]:
    """Class-agnostic non-maximum suppression: of head boxes overlapping by more than ``max_iou``, only the most
    confident stays. A detector run without agnostic NMS (our stage 1) can box one head twice, once per head class;
    two boxes would make two people of one. 0.5: the usual NMS threshold (ultralytics' default ``iou`` is 0.7 for
    same-class boxes; two head classes on one head overlap far more than two neighbouring heads do). The boxes kept
    stay in the order given."""
    kept: list[int] = []
    for k in sorted(range(len(heads)), key=lambda i: -heads[i].confidence):
        if all(iou(heads[k].xyxy, heads[j].xyxy) <= max_iou for j in kept):
            kept.append(k)
    return [heads[k] for k in sorted(kept)]


def attach_heads(
    regions: Sequence[Sequence[float]],
    heads: list[Detection],
    head_region_fraction: float = 0.4,
    min_head_inside: float = 0.6,
    min_head_size_ratio: float = 0.5,
) -> list[Detection]:
    """The heads of the people on one motorcycle, among stage-2 head boxes (frame pixels).

    ``regions`` are the boxes where those people's heads lie (each person box, or the rider-class box that holds
    rider, passengers and motorcycle: :attr:`~helmetscan.pipeline.riders.RiddenMotorcycle.regions`). A head belongs
    when its centre lies in a region's head region (:func:`head_region`) and at least ``min_head_inside`` of its area
    lies inside that region; a head low in the box (a false box on a knee or the fuel tank) or beside the motorcycle
    does not. A child standing in front of the rider has their head at the rider's chest, inside the head region.

    The defence against charging a stranger: a head much smaller than the largest head on the motorcycle (below
    ``min_head_size_ratio`` of its longer side) is a person *behind* the motorcycle, further from the camera, seen
    over the rider's shoulder — not a passenger, whose head is at the same distance and about the same size. 0.5 is our
    heuristic: people on one seat differ in head size by far less (children's heads are about 80 % of an adult's);
    someone two motorcycle lengths further away appears at about half the size at dashcam distances.

    Overlapping boxes of one head are one head first (:func:`one_box_per_head`). Returns the attached heads, in the
    order given.
    """
    attached = []
    for h in one_box_per_head(heads):
        c = centre(h.xyxy)
        if any(contains(head_region(r, head_region_fraction), c) and inside_share(h.xyxy, r) >= min_head_inside
               for r in regions):
            attached.append(h)
    if len(attached) > 1:
        largest = max(_side(h.xyxy) for h in attached)
        attached = [h for h in attached if _side(h.xyxy) >= min_head_size_ratio * largest]
    return attached


def _side(box: Sequence[float]) -> float:
    return max(box[2] - box[0], box[3] - box[1])


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
    front rider's shoulder — is not charged to the front rider. Used where one head per box is wanted (the
    pseudo-labels of the stage-1 dataset); the pipeline judges every head on a motorcycle (:func:`attach_heads`).
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


def head_fit(head_xyxy: Sequence[float], regions: Sequence[Sequence[float]]) -> float:
    """How well a head sits in one of a motorcycle's person regions: the share of the head inside the region minus how
    far its centre lies from the region's centre line (in region widths); the best region counts."""
    hx, _ = centre(head_xyxy)
    return max((inside_share(head_xyxy, r) - abs(hx - centre(r)[0]) / max(1.0, r[2] - r[0]) for r in regions),
               default=float("-inf"))


def share_out_heads(claims: dict, same_head_iou: float = 0.5) -> dict:
    """Give each head to one motorcycle per frame.

    Args:
        claims: motorcycle key → ``(regions, verdicts)``, the person regions of that motorcycle
            (:attr:`~helmetscan.pipeline.riders.RiddenMotorcycle.regions`) and its stage-2 verdicts of this frame
            (each with a ``head_xyxy``).
        same_head_iou: head boxes of two motorcycles overlapping more than this are one head (as
            :func:`one_box_per_head`).

    Returns:
        key → the verdicts it keeps. A head claimed by neighbouring motorcycles (boxes side by side in dense traffic
        both reach it) stays with the one it fits best (:func:`head_fit`), so one person is never charged twice.
    """
    kept = {key: list(verdicts) for key, (_, verdicts) in claims.items()}
    keys = list(claims)
    for a_pos, a in enumerate(keys):
        for b in keys[a_pos + 1:]:
            for va in list(kept[a]):
                for vb in list(kept[b]):
                    if va in kept[a] and vb in kept[b] and iou(va.head_xyxy, vb.head_xyxy) > same_head_iou:
                        if head_fit(va.head_xyxy, claims[a][0]) >= head_fit(vb.head_xyxy, claims[b][0]):
                            kept[b].remove(vb)
                        else:
                            kept[a].remove(va)
    return kept

