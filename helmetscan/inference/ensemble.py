"""Two stage-1 detectors as one: their boxes on the same frame, together.

Our 4-class model finds small and distant riders (and their heads) that the COCO detector misses, while the COCO
detector finds close-up riders (a whole frame of one motorcycle) that the 4-class model, trained on street and CCTV
views, barely scores. Run together, the rider rule (:func:`helmetscan.pipeline.riders.find_riders`) turns both
kinds of boxes into ridden motorcycles and merges the ones that are the same motorcycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from helmetscan.core.detections import Detection


@dataclass
class DetectorEnsemble:
    """Runs each of ``detectors`` (callables ``(image (H, W, 3) uint8 BGR) -> list[Detection]``) on a frame and returns
    all their boxes (frame pixels), in order. ``names``: every detector's class names (id → name; ids renumbered
    after the first detector's, as only the names matter to the roles)."""

    detectors: list
    names: dict[int, str] = field(init=False)

    def __post_init__(self) -> None:
        labels = [name for d in self.detectors for name in getattr(d, "names", {}).values()]
        self.names = dict(enumerate(labels))

    def __call__(self, image: np.ndarray) -> list[Detection]:
        """Every detector's boxes on ``image``."""
        return [box for detector in self.detectors for box in detector(image)]
