"""Head crops for the stage-2 head classifier, cut from the labelled sources of the stage-1 dataset.

Every ``with helmet`` / ``without helmet`` box of the sources in ``head_locator_sources.toml`` (the stage-1 dataset's and
helmonzy_street, less the ``hold_out`` ones) becomes a square crop around
the head (``context`` × the head's longer side, so some hair, collar or helmet rim shows), resized to ``size`` px and
written in ultralytics' classification layout ``OUT/{train,val,test}/{with_helmet,without_helmet}/*.png``. The split is
the stage-1 dataset's own (:func:`helmetscan.tooling.dataset.split_groups`, same seed), so no head of the stage-1
test split — nor of the CCTV test clip, removed from the sources — is ever trained on. Train crops are cut ``jitter``
times with the box shifted and scaled at random, as a head locator's boxes are never the labeller's. ``crops.csv``
records every crop's source image, split, class and head size in source pixels (for figures by head size).

``helmetscan head-crops OUT`` cuts them with the defaults of :func:`build_head_crops`.
"""

from __future__ import annotations

import random
from pathlib import Path

from helmetscan.inference.head_classifier import CropGeometry, square_crop
from helmetscan.tooling.dataset import check_fold, split_sources
from helmetscan.tooling.locator_crops import LOCATOR_SPEC

#: Class folder names (ultralytics sorts them: index 0 = with_helmet, 1 = without_helmet).
CLASSES = {"with helmet": "with_helmet", "without helmet": "without_helmet"}


def located_heads(image, sample, locator, padding: float = 0.15) -> dict[int, tuple[float, float, float, float]]:
    """The locator's box for each labelled head of ``sample`` it finds: index of the head among the sample's head boxes
    → xyxy pixels. The locator runs as ``analyze`` runs it, on each rider unit's crop padded by ``padding`` of its size
    (``verification.crop_padding``); a head takes the locator box that overlaps it most, at IoU ≥ 0.3, each box once.

    Args:
        image: the sample's image, (H, W, 3) uint8 BGR.
        locator: ``(crop) -> [Detection]`` (:class:`~helmetscan.inference.onnx_yolo.OnnxYoloDetector`).
    """
    from helmetscan.core.geometry import iou, pad, shift
    from helmetscan.tooling.locator_crops import units

    h, w = image.shape[:2]
    found = []
    for unit in units(sample, w, h):
        x1, y1, x2, y2 = pad(unit.box, padding, w, h)
        found += [shift(d.xyxy, x1, y1) for d in locator(image[y1:y2, x1:x2])]
    heads = [b for b in sample.boxes if b.class_name in CLASSES]
    labelled = [(b.xyxy[0] * w, b.xyxy[1] * h, b.xyxy[2] * w, b.xyxy[3] * h) for b in heads]
    pairs = sorted(((iou(box, f), k, j) for k, box in enumerate(labelled) for j, f in enumerate(found)), reverse=True)
    out: dict[int, tuple] = {}
    used: set[int] = set()
    for overlap, k, j in pairs:
        if overlap >= 0.3 and k not in out and j not in used:
            out[k] = tuple(map(float, found[j]))
            used.add(j)
    return out


def build_head_crops(out: Path, spec_path: Path = LOCATOR_SPEC, root: Path | None = None,
                     geometry: CropGeometry = CropGeometry(), jitter: int = 2, min_head_px: float = 6.0,
                     seed: int = 0, hold_out: tuple[str, ...] = (), locator: Path | None = None) -> dict:
    """Cut the head crops into ``out`` (must not exist or be empty); return counts per split and class.

    Args:
        out: output folder.
        spec_path: the dataset sources (default: the head locator's, the stage-1 dataset's and helmonzy_street).
        root: folder relative source roots are resolved from (default: the repository root).
        geometry: crop context and size.
        jitter: crops per train head (1 = the labelled box only); val and test get the labelled box once.
        min_head_px: heads whose longer side is below this (source pixels) are skipped: nothing to classify.
        seed: the split seed (0 = the stage-1 dataset's) and the jitter seed.
        hold_out: source names left out entirely (a leave-one-source-out fold).
        locator: a head locator (``.onnx``): each head it finds is cut from the locator's box, as ``analyze`` cuts it
            (:func:`located_heads`), the others from the labelled box; ``None``: every head from its labelled box.

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
    if locator is not None:
        from helmetscan.inference.onnx_yolo import OnnxYoloDetector

        locate = OnnxYoloDetector(locator, conf=0.3, iou=0.5, threads=2, agnostic=True, imgsz=160)
    for sample, split in split_sources(spec_path, root, seed):
        if sample.source in hold_out:
            continue
        heads = [b for b in sample.boxes if b.class_name in CLASSES]
        if not heads:
            continue
        image = cv2.imread(str(sample.image))
        if image is None:
            continue
        h, w = image.shape[:2]
        located = located_heads(image, sample, locate) if locator is not None else {}
        for k, box in enumerate(heads):
            xyxy = located.get(k) or (box.xyxy[0] * w, box.xyxy[1] * h, box.xyxy[2] * w, box.xyxy[3] * h)
            head_px = max(xyxy[2] - xyxy[0], xyxy[3] - xyxy[1])
            if head_px < min_head_px:
                continue
            folder = out / split / CLASSES[box.class_name]
            folder.mkdir(parents=True, exist_ok=True)
            variants = [((0.0, 0.0), 1.0)]
            if split == "train":
                variants += [((rng.uniform(-0.12, 0.12), rng.uniform(-0.12, 0.12)), rng.uniform(0.8, 1.3))
                             for _ in range(jitter - 1)]
            for v, (shift, scale) in enumerate(variants):
                name = f"{sample.source}__{sample.image.stem}__{k}_{v}.png"
                cv2.imwrite(str(folder / name), square_crop(image, xyxy, geometry, shift, scale))
                rows.append({"crop": f"{split}/{CLASSES[box.class_name]}/{name}", "source": sample.source,
                             "image": sample.image.name, "group": sample.group, "split": split,
                             "class": CLASSES[box.class_name], "head_px": round(head_px, 1), "variant": v,
                             "located": k in located})
    table = pd.DataFrame(rows)
    table.to_csv(out / "crops.csv", index=False)
    return table[table.variant == 0].groupby(["split", "class"]).size().to_dict()
