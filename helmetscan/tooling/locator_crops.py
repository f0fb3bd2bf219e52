"""Rider crops for the head locator: each labelled person-on-a-motorcycle cut from the source image, with every head in
the crop as a ``head`` box (YOLO detection layout).

At run time the locator (:mod:`helmetscan.inference.head_locator`) sees the padded box of a ridden motorcycle (the
motorcycle and its people, cut from the source-resolution frame) and boxes the heads in it; these crops imitate that
view. A *unit* is a labelled ``rider`` box (helmet9's rider, hcmute's motorcyclist, helmonzy's motorcycle) together with
the heads attached to it (:func:`attach`); pavan has head boxes only, so a unit is made around each head
(:data:`PHOTO_BODY`). A unit without a head is *incomplete*: in hcmute a motorcyclist without a head box is, in most
cases, a bare-headed rider nobody boxed (../shared/datasets/README.md), so a crop that overlaps one is not written —
a locator must never learn a bare head as background.

Each unit is cut with every side padded by a random share of its size (:data:`PAD_RANGE`), like
``verification.crop_padding`` at run time but wider, since a stage-1 box is never the labeller's; train units are cut
``jitter`` times. The split is the stage-1 dataset's (same groups, same seed, :func:`split_groups`); ``hold_out``
sources are left out entirely, for a leave-one-source-out check.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from helmetscan.core.geometry import area, centre, intersection, union_box
from helmetscan.tooling.dataset import Sample, check_fold, split_sources
from helmetscan.tooling.paths import LABELS

#: The sources of the locator's crops: the stage-1 dataset's and helmonzy_street.
LOCATOR_SPEC = LABELS / "head_locator_sources.toml"
#: Head classes of the sources (target class names, :data:`helmetscan.tooling.labels.TARGET_CLASSES`).
HEAD_CLASSES = ("with helmet", "without helmet")
#: Random padding of each side, as a share of the unit's width or height: 0.02–0.3 covers the 0.1 of
#: ``verification.crop_padding`` and a stage-1 box that is a little too small or too large (our choice).
PAD_RANGE = (0.02, 0.3)
#: A unit made around a head in a photo: ``(left, top, right, bottom)`` in head widths / heights from the head box —
#: a seated body is about 1.2 head widths either side and 5 head heights below (our choice, checked on a contact sheet).
PHOTO_BODY = (1.2, 0.3, 1.2, 5.0)
#: Longer side of a written crop in pixels: at most this, never upscaled (the trainer resizes to its ``imgsz``).
MAX_SIDE = 320

Box = tuple[float, float, float, float]


@dataclass
class Unit:
    """A person-on-a-motorcycle (or, in photos, a person) in source pixels: ``box`` covers it and its heads;
    ``heads``: ``(xyxy, bare?)``; ``complete``: every head of it is labelled (it has at least one)."""

    box: Box
    heads: list[tuple[Box, bool]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return bool(self.heads)


def attach(head: Box, rider: Box) -> float:
    """How well ``head`` (xyxy pixels) sits on ``rider`` (a rider box or a motorcycle box): 0 when its centre is not
    over the box (0.15 of its width of margin) or not between 1.2 box heights above its top and its middle; else
    higher the closer it is to the box's horizontal centre. (helmonzy's heads sit above its motorcycle boxes, up to
    about one box height; helmet9's and hcmute's inside the top of the rider box. Our choice.)"""
    hx, hy = centre(head)
    x1, y1, x2, y2 = rider
    w, h = x2 - x1, y2 - y1
    if w <= 0 or h <= 0 or not (x1 - 0.15 * w <= hx <= x2 + 0.15 * w) or not (y1 - 1.2 * h <= hy <= y1 + 0.5 * h):
        return 0.0
    return 1.0 - min(1.0, abs(hx - (x1 + x2) / 2) / w)


def units(sample: Sample, width: int, height: int) -> list[Unit]:
    """The units of one labelled image (``width`` x ``height`` pixels): each rider box with the heads that sit best on
    it (:func:`attach`); in a source without rider boxes, one unit per head (:data:`PHOTO_BODY`)."""
    def px(b):
        return (b.xyxy[0] * width, b.xyxy[1] * height, b.xyxy[2] * width, b.xyxy[3] * height)

    heads = [(px(b), b.class_name == "without helmet") for b in sample.boxes if b.class_name in HEAD_CLASSES]
    riders = [px(b) for b in sample.boxes if b.class_name == "rider"]
    if not riders:
        out = []
        for head, bare in heads:
            w, h = head[2] - head[0], head[3] - head[1]
            left, top, right, bottom = PHOTO_BODY
            box = (max(0.0, head[0] - left * w), max(0.0, head[1] - top * h), min(float(width), head[2] + right * w),
                   min(float(height), head[3] + bottom * h))
            out.append(Unit(box, [(head, bare)]))
        return out
    found = [Unit(r) for r in riders]
    for head, bare in heads:
        scores = [attach(head, u.box) for u in found]
        best = max(range(len(found)), key=scores.__getitem__)
        if scores[best] > 0:
            found[best].heads.append((head, bare))
    for u in found:
        for head, _ in u.heads:
            u.box = union_box(u.box, head)
    return found


def pad_random(box: Box, rng: random.Random, width: int, height: int) -> tuple[int, int, int, int]:
    """``box`` with each side moved out by a random share (:data:`PAD_RANGE`) of its size, clipped to the image;
    integer pixels."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    return (max(0, int(x1 - rng.uniform(*PAD_RANGE) * w)), max(0, int(y1 - rng.uniform(*PAD_RANGE) * h)),
            min(width, int(x2 + rng.uniform(*PAD_RANGE) * w + 1)), min(height, int(y2 + rng.uniform(*PAD_RANGE) * h + 1)))


def crop_labels(crop: tuple[int, int, int, int], heads: list[Box]) -> list[tuple[float, float, float, float]] | None:
    """YOLO ``cx cy w h`` (0..1 of the crop) of the heads whose centre lies in ``crop``, clipped to it; ``None`` when a
    head is cut so that less than half of it is inside (the crop would teach half a head)."""
    x1, y1, x2, y2 = crop
    w, h = x2 - x1, y2 - y1
    out = []
    for head in heads:
        cx, cy = centre(head)
        if not (x1 <= cx < x2 and y1 <= cy < y2):
            continue
        if intersection(head, crop) < 0.5 * area(head):
            return None
        a, b = max(head[0], x1) - x1, max(head[1], y1) - y1
        c, d = min(head[2], x2) - x1, min(head[3], y2) - y1
        out.append(((a + c) / 2 / w, (b + d) / 2 / h, (c - a) / w, (d - b) / h))
    return out


def build_locator_crops(out: Path, spec_path: Path = LOCATOR_SPEC, root: Path | None = None,
                        hold_out: tuple[str, ...] = (), jitter: int = 2, min_unit_px: float = 24.0,
                        seed: int = 0) -> dict:
    """Write the rider crops into ``out`` (must not exist or be empty): ``images/{train,val,test}``,
    ``labels/{train,val,test}`` (one class, ``head``), ``data.yaml`` (absolute path) and ``crops.csv`` (crop, source,
    image, split, heads, bare heads). Returns crops per source and split.

    Args:
        hold_out: source names left out entirely (a leave-one-source-out fold).
        jitter: cuts per train unit (val and test: one).
        min_unit_px: units whose longer side is below this (source pixels) are skipped: no head to find.
        seed: the split seed (0 = the stage-1 dataset's) and the padding seed.

    Raises:
        FileExistsError: ``out`` exists and is not empty.
        FileNotFoundError: a source root is missing.
        ValueError: a name in ``hold_out`` is no source of the spec.
    """
    import cv2
    import pandas as pd

    check_fold(out, spec_path, root, hold_out)
    rng = random.Random(seed)
    rows = []
    for sample, split in split_sources(spec_path, root, seed):
        if sample.source in hold_out:
            continue
        image = cv2.imread(str(sample.image))
        if image is None:
            continue
        height, width = image.shape[:2]
        found = units(sample, width, height)
        all_heads = [head for u in found for head, _ in u.heads]
        bare = {head for u in found for head, is_bare in u.heads if is_bare}
        incomplete = [u.box for u in found if not u.complete]
        for k, unit in enumerate(found):
            if not unit.complete or max(unit.box[2] - unit.box[0], unit.box[3] - unit.box[1]) < min_unit_px:
                continue
            for v in range(jitter if split == "train" else 1):
                crop = pad_random(unit.box, rng, width, height)
                if any(intersection(box, crop) > 0.2 * area(box) for box in incomplete):
                    continue
                labels = crop_labels(crop, all_heads)
                if not labels:
                    continue
                x1, y1, x2, y2 = crop
                piece = image[y1:y2, x1:x2]
                scale = min(1.0, MAX_SIDE / max(piece.shape[:2]))
                if scale < 1.0:
                    piece = cv2.resize(piece, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                name = f"{sample.source}__{sample.image.stem}__{k}_{v}"
                (out / "images" / split).mkdir(parents=True, exist_ok=True)
                (out / "labels" / split).mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(out / "images" / split / f"{name}.jpg"), piece, [cv2.IMWRITE_JPEG_QUALITY, 92])
                (out / "labels" / split / f"{name}.txt").write_text(
                    "".join(f"0 {a:.6f} {b:.6f} {c:.6f} {d:.6f}\n" for a, b, c, d in labels))
                inside = [h for h in all_heads if x1 <= centre(h)[0] < x2 and y1 <= centre(h)[1] < y2]
                rows.append({"crop": f"{split}/{name}.jpg", "source": sample.source, "image": sample.image.name,
                             "split": split, "heads": len(labels), "bare_heads": sum(h in bare for h in inside),
                             "variant": v})
    out.mkdir(parents=True, exist_ok=True)
    (out / "data.yaml").write_text(f"path: {out.resolve()}\ntrain: images/train\nval: images/val\ntest: images/test\n"
                                   "names:\n  0: head\n", encoding="utf-8")
    table = pd.DataFrame(rows)
    table.to_csv(out / "crops.csv", index=False)
    return table.groupby(["source", "split"]).size().to_dict() if len(table) else {}
