"""Head crops for the stage-2 head classifier, cut from the labelled sources of the stage-1 dataset.

Every ``with helmet`` / ``without helmet`` box of the sources in ``dataset_sources.toml`` becomes a square crop around
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
from helmetscan.tooling.dataset import DEFAULT_SPEC, split_sources

#: Class folder names (ultralytics sorts them: index 0 = with_helmet, 1 = without_helmet).
CLASSES = {"with helmet": "with_helmet", "without helmet": "without_helmet"}


def build_head_crops(out: Path, spec_path: Path = DEFAULT_SPEC, root: Path | None = None,
                     geometry: CropGeometry = CropGeometry(), jitter: int = 2, min_head_px: float = 6.0,
                     seed: int = 0) -> dict:
    """Cut the head crops into ``out`` (must not exist or be empty); return counts per split and class.

    Args:
        out: output folder.
        spec_path: the dataset sources (default: the stage-1 dataset's).
        root: folder relative source roots are resolved from (default: the repository root).
        geometry: crop context and size.
        jitter: crops per train head (1 = the labelled box only); val and test get the labelled box once.
        min_head_px: heads whose longer side is below this (source pixels) are skipped: nothing to classify.
        seed: the split seed (0 = the stage-1 dataset's) and the jitter seed.

    Raises:
        FileExistsError: ``out`` exists and is not empty.
        FileNotFoundError: a source root is missing.
    """
    import cv2
    import pandas as pd

    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out}: exists and is not empty")
    rng = random.Random(seed)
    rows = []
    for sample, split in split_sources(spec_path, root, seed):
        heads = [b for b in sample.boxes if b.class_name in CLASSES]
        if not heads:
            continue
        image = cv2.imread(str(sample.image))
        if image is None:
            continue
        h, w = image.shape[:2]
        for k, box in enumerate(heads):
            xyxy = (box.xyxy[0] * w, box.xyxy[1] * h, box.xyxy[2] * w, box.xyxy[3] * h)
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
                             "class": CLASSES[box.class_name], "head_px": round(head_px, 1), "variant": v})
    table = pd.DataFrame(rows)
    table.to_csv(out / "crops.csv", index=False)
    return table[table.variant == 0].groupby(["split", "class"]).size().to_dict()
