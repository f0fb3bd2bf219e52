"""The people of one motorcycle track: keeping rider, pillion and children apart across frames.

Stage 2 returns the heads on a ridden motorcycle frame by frame, without identities. Within a track the people sit
still relative to their motorcycle, so a head is matched to the person whose head lay at the same place in the
motorcycle's box (normalised to its width and height) in earlier frames: an optimal one-to-one assignment per frame
(scipy's ``linear_sum_assignment``), a new person when no earlier one is near enough.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from helmetscan.core.geometry import centre
from helmetscan.pipeline.helmet_check import FrameVerdict


def relative_position(head_xyxy, box_xyxy) -> tuple[float, float]:
    """The head's centre in ``box_xyxy`` as shares of its width and height (0,0 top left; 1,1 bottom right)."""
    hx, hy = centre(head_xyxy)
    x1, y1, x2, y2 = box_xyxy
    return (hx - x1) / max(1.0, x2 - x1), (hy - y1) / max(1.0, y2 - y1)


@dataclass
class Person:
    """One person on a tracked motorcycle: ``person_id`` (1-based within the track, in order of first sight),
    ``position`` (mean head centre relative to the motorcycle's box, :func:`relative_position`) and every stage-2
    verdict of their head."""

    person_id: int
    position: tuple[float, float]
    verdicts: list[FrameVerdict] = field(default_factory=list)

    def add(self, verdict: FrameVerdict, position: tuple[float, float]) -> None:
        """Append a verdict and move the mean position."""
        n = len(self.verdicts)
        self.position = tuple((p * n + q) / (n + 1) for p, q in zip(self.position, position))
        self.verdicts.append(verdict)


class PeopleTracker:
    """Matches each frame's heads on one motorcycle to its people.

    Args:
        max_distance: farthest a head may lie from a person's mean position (in shares of the box,
            :func:`relative_position`) and still be that person. Default 0.25: heads of a rider and a pillion lie
            about a third of a rider-and-motorcycle box apart side by side (side views) or vertically (front/rear
            views, where the rear head shows over the front one); our heuristic, set from those views.
    """

    def __init__(self, max_distance: float = 0.25):
        self.max_distance = max_distance
        self.people: list[Person] = []

    def add(self, verdicts: list[FrameVerdict]) -> list[Person]:
        """Assign one frame's head verdicts (each with its ``head_xyxy`` and ``rider_xyxy``) to people; returns the
        person of each verdict, in order."""
        from scipy.optimize import linear_sum_assignment

        positions = [relative_position(v.head_xyxy, v.rider_xyxy) for v in verdicts]
        owners: list[Person | None] = [None] * len(verdicts)
        if self.people and verdicts:
            cost = np.array([[np.hypot(p[0] - q.position[0], p[1] - q.position[1]) for q in self.people]
                             for p in positions])
            for i, j in zip(*linear_sum_assignment(cost)):
                if cost[i, j] <= self.max_distance:
                    owners[i] = self.people[j]
        for i, (verdict, position) in enumerate(zip(verdicts, positions)):
            if owners[i] is None:
                owners[i] = Person(len(self.people) + 1, position)
                self.people.append(owners[i])
            owners[i].add(verdict, position)
        return owners


def seat_positions(positions: dict[int, tuple[float, float]]) -> dict[int, str]:
    """Where each person sits in the picture relative to the others, from their mean head positions
    (``person_id → (x share, y share)``, :func:`relative_position`): ``only`` when alone; else along the axis the heads
    spread most — ``upper``/``lower`` (front and rear views: the farther head shows above the nearer one) or
    ``left``/``right`` (side views) — with ``middle`` for anyone between the two ends."""
    if len(positions) == 1:
        return {k: "only" for k in positions}
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    axis, names = (1, ("upper", "lower")) if max(ys) - min(ys) >= max(xs) - min(xs) else (0, ("left", "right"))
    order = sorted(positions, key=lambda k: positions[k][axis])
    return {k: names[0] if i == 0 else names[1] if i == len(order) - 1 else "middle" for i, k in enumerate(order)}
