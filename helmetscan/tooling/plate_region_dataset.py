"""A YOLO dataset of plate regions, to fine-tune the plate detector on what ``analyze`` shows it.

``analyze`` runs the plate detector only on each rider's plate region (rider box extended down and padded,
:func:`helmetscan.plates.region.plate_region`), and the whole-image detector was measured to miss most labelled plates
there (recall 0.30 on the test split, ``weights/PLATE_DETECTOR.md``). This
cuts the same regions from the **train** and **val** splits of the stage-1 sources
(:func:`helmetscan.tooling.dataset.split_sources`; the test split stays for measuring recall): every labelled
rider whose region holds a labelled plate becomes one image, every labelled plate overlapping it one box of class
``number plate`` (clipped to the region; a plate less than half inside is left out of the labels and blanked out of the
image, so the detector is never taught to ignore a plate).

The plate detector we ship (``rider_plate_detector.pt``, ``weights/PLATE_DETECTOR.md``)::

    helmetscan plate-region-dataset ~/data/plate_regions
    helmetscan train ~/data/plate_regions/data.yaml --run runs/plate_det --start license_plate_detector.pt
        --preset cpu --imgsz 480 --epochs 8
"""

from __future__ import annotations

from pathlib import Path

#: A plate with less than this share of its box inside a region is masked out of that region (our choice).
MIN_INSIDE = 0.5


def region_labels(region_size: tuple[int, int], plates: list[tuple[float, float, float, float]]
                  ) -> tuple[list[tuple[float, float, float, float]], list[tuple[int, int, int, int]]]:
    """Split the plates of one region ((x1, y1, x2, y2) in region pixels, possibly outside it) into YOLO boxes
    (normalised cx, cy, w, h of the part inside) and boxes to blank out (region pixels, int), by :data:`MIN_INSIDE`.
    ``region_size`` is (width, height) in pixels."""
    rw, rh = region_size
    keep, blank = [], []
    for x1, y1, x2, y2 in plates:
        cx1, cy1, cx2, cy2 = max(0.0, x1), max(0.0, y1), min(float(rw), x2), min(float(rh), y2)
        if cx2 <= cx1 or cy2 <= cy1:
            continue
        inside = (cx2 - cx1) * (cy2 - cy1) / max(1e-9, (x2 - x1) * (y2 - y1))
        if inside >= MIN_INSIDE:
            keep.append(((cx1 + cx2) / 2 / rw, (cy1 + cy2) / 2 / rh, (cx2 - cx1) / rw, (cy2 - cy1) / rh))
        else:
            blank.append((int(cx1), int(cy1), int(round(cx2)), int(round(cy2))))
    return keep, blank


def build(out: Path, splits: tuple[str, ...] = ("train", "val")) -> dict[str, int]:
    """Write ``out/images/<split>/*.jpg``, ``out/labels/<split>/*.txt`` and ``out/data.yaml``; returns regions per
    split.

    Raises:
        FileNotFoundError: a source of ``dataset_sources.toml`` is missing from ``../shared/datasets``.
    """
    import cv2

    from helmetscan.config import Settings
    from helmetscan.tooling.dataset import split_sources
    from helmetscan.plates.region import plate_region

    settings = Settings()
    counts = dict.fromkeys(splits, 0)
    for sample, split in split_sources():
        if split not in splits or not any(b.class_name == "number plate" for b in sample.boxes):
            continue
        image = cv2.imread(str(sample.image))
        if image is None:
            continue
        h, w = image.shape[:2]
        plates = [(b.xyxy[0] * w, b.xyxy[1] * h, b.xyxy[2] * w, b.xyxy[3] * h) for b in sample.boxes
                  if b.class_name == "number plate"]
        riders = [(b.xyxy[0] * w, b.xyxy[1] * h, b.xyxy[2] * w, b.xyxy[3] * h) for b in sample.boxes
                  if b.class_name == "rider"]
        for k, rider in enumerate(riders):
            candidate = plate_region(image, rider, None, 0, settings.plates)
            ox, oy = candidate.offset_xy
            region = candidate.region
            rh, rw = region.shape[:2]
            local = [(p[0] - ox, p[1] - oy, p[2] - ox, p[3] - oy) for p in plates]
            keep, blank = region_labels((rw, rh), local)
            if not keep:
                continue
            for x1, y1, x2, y2 in blank:
                if x2 > x1 and y2 > y1:
                    region[y1:y2, x1:x2] = region[y1:y2, x1:x2].mean(axis=(0, 1))
            name = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{sample.group}_{sample.image.stem}_{k}")
            (out / "images" / split).mkdir(parents=True, exist_ok=True)
            (out / "labels" / split).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out / "images" / split / f"{name}.jpg"), region, [cv2.IMWRITE_JPEG_QUALITY, 95])
            (out / "labels" / split / f"{name}.txt").write_text(
                "".join(f"0 {cx:.6f} {cy:.6f} {bw:.6f} {bh:.6f}\n" for cx, cy, bw, bh in keep))
            counts[split] += 1
    (out / "data.yaml").write_text(f"path: {out.resolve()}\ntrain: images/train\nval: images/val\n"
                                   "names:\n  0: number plate\n")
    return counts
