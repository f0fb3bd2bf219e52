"""Box geometry on ``xyxy`` boxes in pixels: ``(x1, y1, x2, y2)`` floats, x to the right, y down, x1 <= x2, y1 <= y2."""

from __future__ import annotations

from collections.abc import Sequence

Box = tuple[float, float, float, float]


def area(box: Sequence[float]) -> float:
    """Area in square pixels (0 for degenerate boxes)."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def intersection(a: Sequence[float], b: Sequence[float]) -> float:
    """Area of the overlap of two boxes, square pixels."""
    return area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union, 0..1."""
    inter = intersection(a, b)
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def inside_share(inner: Sequence[float], outer: Sequence[float]) -> float:
    """Share of ``inner``'s area that lies inside ``outer``, 0..1 (0 for a degenerate ``inner``)."""
    a = area(inner)
    return intersection(inner, outer) / a if a > 0 else 0.0


def centre(box: Sequence[float]) -> tuple[float, float]:
    """Centre point ``(x, y)`` in pixels."""
    return (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0


def contains(box: Sequence[float], point: Sequence[float]) -> bool:
    """True if ``point`` ``(x, y)`` lies inside ``box`` or on its edge."""
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def union_box(a: Sequence[float], b: Sequence[float]) -> Box:
    """Smallest box holding both."""
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def pad(box: Sequence[float], share: float, width: int, height: int,
        share_y: float | None = None) -> tuple[int, int, int, int]:
    """Grow ``box`` by ``share`` of its width on the left and right and ``share_y`` (default ``share``) of its height
    above and below, clip to a ``width`` x ``height`` image and round outwards to integer pixels (usable as an array
    slice)."""
    dx, dy = (box[2] - box[0]) * share, (box[3] - box[1]) * (share if share_y is None else share_y)
    x1, y1 = max(0, int(box[0] - dx)), max(0, int(box[1] - dy))
    x2, y2 = min(width, int(round(box[2] + dx + 0.4999))), min(height, int(round(box[3] + dy + 0.4999)))
    return x1, y1, max(x1, x2), max(y1, y2)


def extend_down(box: Sequence[float], share: float, height: int) -> Box:
    """Extend ``box`` downwards by ``share`` of its height, clipped to an image ``height`` pixels tall."""
    return (box[0], box[1], box[2], min(float(height), box[3] + (box[3] - box[1]) * share))


def shift(box: Sequence[float], dx: float, dy: float) -> Box:
    """Translate a box by ``(dx, dy)`` pixels (crop coordinates → frame coordinates)."""
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)


def touches_border(box: Sequence[float], width: int, height: int, margin: float) -> bool:
    """Whether ``box`` (pixels) lies within ``margin`` pixels of the border of a ``width`` x ``height`` image: what it
    boxes may be cut by the image's edge. ``False`` for an image of unknown (zero) size."""
    if not width or not height:
        return False
    x1, y1, x2, y2 = box
    return x1 <= margin or y1 <= margin or x2 >= width - margin or y2 >= height - margin
