"""Plate-detector recall where the pipeline looks for plates: in each labelled rider's plate region.

``analyze`` never runs the plate detector on the whole frame: it cuts the rider's region (rider box extended down by
``plates.below_fraction``, padded; :func:`helmetscan.pipeline.plate_stage.plate_region`) and keeps one plate per
region (:func:`helmetscan.pipeline.association.pick_plate`). This measures exactly that on the **test split** of the
stage-1 sources (:func:`helmetscan.modelling.dataset.split_sources`; the stage-1 model ``helmet4n`` never trained on
it): for every labelled rider whose region holds a labelled plate (plate centre inside the region), each model runs
on the region, and the plate counts as *found* when a detected plate has IoU ≥ ``--iou`` with it, *picked* when the
one plate the pipeline keeps is that plate. Precision: detected plate boxes that match a labelled plate in the
region; picked precision: the same for the one box per region the pipeline keeps. Reported per plate width (source
pixels), since a dashcam sees most plates small. ``--split val`` measures the val split (choose settings there).

    python -m helmetscan.modelling.plate_region_recall license_plate_detector.pt helmet4n.onnx rider_plate_detector.pt
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path

from helmetscan.modelling.plate_detection_recall import BUCKETS, bucket


def rider_regions(sample, image, settings) -> list[tuple[tuple[int, int], object, list[tuple[float, ...]]]]:
    """``[(offset_xy, region image, plate boxes in region pixels)]`` for each labelled rider of ``sample`` whose
    region holds at least one labelled plate."""
    from helmetscan.pipeline.plate_stage import plate_region

    h, w = image.shape[:2]

    def pixels(b):
        return (b.xyxy[0] * w, b.xyxy[1] * h, b.xyxy[2] * w, b.xyxy[3] * h)

    plates = [pixels(b) for b in sample.boxes if b.class_name == "number plate"]
    out = []
    for rider in (pixels(b) for b in sample.boxes if b.class_name == "rider"):
        candidate = plate_region(image, rider, None, 0, settings.plates)
        ox, oy = candidate.offset_xy
        rh, rw = candidate.region.shape[:2]
        inside = [p for p in plates if ox <= (p[0] + p[2]) / 2 < ox + rw and oy <= (p[1] + p[3]) / 2 < oy + rh]
        if inside:
            out.append(((ox, oy), candidate.region, [(p[0] - ox, p[1] - oy, p[2] - ox, p[3] - oy) for p in inside]))
    return out


def labelled_regions(settings, split: str = "test", limit: int | None = None):
    """Every labelled rider's plate region of the stage-1 ``split`` (:func:`helmetscan.modelling.dataset.split_sources`;
    images with a labelled plate, the first ``limit`` of them): yields ``(offset_xy, region, plate boxes in region
    pixels, frame_size)`` as :func:`rider_regions` gives them, ``frame_size`` the image's ``(width, height)``;
    an image OpenCV cannot read is skipped."""
    import cv2

    from helmetscan.modelling.dataset import split_sources

    samples = [s for s, where in split_sources() if where == split and any(b.class_name == "number plate"
                                                                              for b in s.boxes)]
    for sample in samples[:limit]:
        image = cv2.imread(str(sample.image))
        if image is None:
            continue
        for offset, region, truth in rider_regions(sample, image, settings):
            yield offset, region, truth, (image.shape[1], image.shape[0])


def measure(models: dict[str, object], settings, iou_min: float, split: str = "test",
            limit: int | None = None) -> dict[str, dict[str, Counter]]:
    """Per model: ``{"labelled", "found", "picked"}`` counters by width bucket and in ``all``, and ``detected``
    (``all`` boxes, ``matched`` ones, ``picked`` boxes, ``picked_matched`` ones: the pipeline reads only the picked box
    of a region, so a picked box on no labelled plate is where a wrong plate would come from); plate boxes are the
    classes in ``settings.plates.roles.plate``, regions cut with ``settings``."""
    from helmetscan.geometry import iou
    from helmetscan.pipeline.association import pick_plate

    labels = {n.lower() for n in settings.plates.roles.plate}
    results = {name: defaultdict(Counter) for name in models}
    for _, region, truth, _ in labelled_regions(settings, split, limit):
        rh, rw = region.shape[:2]
        for name, detector in models.items():
            r = results[name]
            found = [d for d in detector(region) if d.label.lower() in labels]
            picked = pick_plate(found, (0, 0, rw, rh))
            r["detected"]["all"] += len(found)
            r["detected"]["matched"] += sum(any(iou(d.xyxy, t) >= iou_min for t in truth) for d in found)
            r["detected"]["picked"] += picked is not None
            r["detected"]["picked_matched"] += picked is not None and any(iou(picked.xyxy, t) >= iou_min
                                                                          for t in truth)
            for t in truth:
                for key in (bucket(t[2] - t[0]), "all"):
                    r["labelled"][key] += 1
                    r["found"][key] += any(iou(d.xyxy, t) >= iou_min for d in found)
                    r["picked"][key] += picked is not None and iou(picked.xyxy, t) >= iou_min
    return results


def main(argv: list[str] | None = None) -> None:
    from helmetscan.config import Settings
    from helmetscan.fielddoc import markdown_table
    from helmetscan.models.yolo import build_detector

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", help="plate detector weight files (in the weights folder)")
    ap.add_argument("--iou", type=float, default=0.3)
    ap.add_argument("--limit", type=int, help="first N test images only")
    ap.add_argument("--imgsz", type=int, help="inference size (default: the settings' plates.imgsz)")
    ap.add_argument("--conf", type=float, help="plate confidence floor (default: the settings' plates.conf)")
    ap.add_argument("--split", default="test", choices=("train", "val", "test"),
                    help="stage-1 split; choose settings on val, report on test")
    args = ap.parse_args(argv)
    settings = Settings()
    update = {k: v for k, v in (("imgsz", args.imgsz), ("conf", args.conf)) if v is not None}
    if update:
        settings = settings.model_copy(update={"plates": settings.plates.model_copy(update=update)})
    models = {m: build_detector(settings.plates.model_copy(update={"model": m}), settings) for m in args.models}
    results = measure(models, settings, args.iou, split=args.split, limit=args.limit)
    rows = []
    for name, r in results.items():
        for key in [k for k in (bucket(lo) for lo, _ in BUCKETS) if r["labelled"][k]] + ["all"]:
            n = r["labelled"][key]
            d = r["detected"]
            precision = round(d["matched"] / max(1, d["all"]), 3) if key == "all" else ""
            picked_precision = round(d["picked_matched"] / max(1, d["picked"]), 3) if key == "all" else ""
            rows.append([name, key, n, round(r["found"][key] / max(1, n), 3), round(r["picked"][key] / max(1, n), 3),
                         precision, picked_precision])
    print(f"plate regions of labelled riders, {args.split} split; imgsz {settings.plates.imgsz}, "
          f"conf {settings.plates.conf}, "
          f"IoU ≥ {args.iou}")
    print(markdown_table(["model", "plate width px", "plates", "found", "picked", "precision", "picked precision"],
                         rows))


if __name__ == "__main__":
    main()
