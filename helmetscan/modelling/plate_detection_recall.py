"""Plate-detector recall on the labelled plates of ../shared/datasets, by plate width.

For every image of the given YOLO exports, the detector runs on the whole image (``--imgsz``); a labelled plate counts
as found when a detected plate box has IoU ≥ ``--iou`` with it. Recall is reported per width bucket (pixels in the
export's image), since a dashcam sees most plates small; precision is the share of detected boxes that match a label.

``python -m helmetscan.modelling.plate_detection_recall ../shared/datasets/hcmute_helmet_lp:1
../shared/datasets/helmet9_rider_plate:2 --model license_plate_detector.pt``

``--clip VIDEO:LABELS_DIR:PLATE_CLASS_ID`` measures every frame of a labelled clip instead
(``LABELS_DIR/frame_{N:06d}.txt``, N = frame index + 1): the helmet9 CCTV clip of ``../shared/footage`` is in no training set, so it checks the detector on
whole frames as the privacy blur runs it (``--imgsz 960``, ``models.loader.FRAME_PLATE_IMGSZ``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

#: Width buckets (pixels): under 24 no person reads the plate either (plate_crops.MIN_WIDTH_PX).
BUCKETS = ((0, 24), (24, 48), (48, 96), (96, 10_000))


def bucket(width: float) -> str:
    """The width bucket of a plate ``width`` pixels wide, e.g. ``24-48``."""
    lo, hi = next(b for b in BUCKETS if b[0] <= width < b[1])
    return f"{lo}-{hi}" if hi < 10_000 else f"{lo}+"


def measure(dataset: Path, plate_class: int, detector, plate_labels: set[str], iou_min: float) -> dict[str, Counter]:
    """``{"labelled": per bucket, "found": per bucket, "detected": {"all", "matched"}}`` over every split of
    ``dataset``."""
    import cv2

    from helmetscan.modelling.labels import IMAGE_EXTENSIONS, read_yolo_boxes

    counts = {"labelled": Counter(), "found": Counter(), "detected": Counter()}
    for split in sorted(d for d in dataset.iterdir() if (d / "images").is_dir()):
        for path in sorted(p for p in (split / "images").iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS):
            image = cv2.imread(str(path))
            if image is None:
                continue
            h, w = image.shape[:2]
            truth = [b for c, b in read_yolo_boxes(split / "labels" / f"{path.stem}.txt", w, h) if c == plate_class]
            _count(image, truth, detector, plate_labels, iou_min, counts)
    return counts


def _count(image, truth: list, detector, plate_labels: set[str], iou_min: float, counts: dict[str, Counter]) -> None:
    """Run ``detector`` on one image ((H, W, 3) uint8 BGR) and add its plates against ``truth`` (xyxy pixels) to
    ``counts``."""
    from helmetscan.geometry import iou

    boxes = [d.xyxy for d in detector(image) if d.label in plate_labels]
    counts["detected"]["all"] += len(boxes)
    counts["detected"]["matched"] += sum(any(iou(b, t) >= iou_min for t in truth) for b in boxes)
    for t in truth:
        key = bucket(t[2] - t[0])
        counts["labelled"][key] += 1
        counts["found"][key] += any(iou(b, t) >= iou_min for b in boxes)


def measure_clip(video: Path, labels_dir: Path, plate_class: int, detector, plate_labels: set[str],
                 iou_min: float) -> dict[str, Counter]:
    """As :func:`measure`, over every frame of ``video`` with its labels in ``labels_dir`` (frames without a label file
    are skipped).

    Raises:
        VideoError: ``video`` cannot be read.
    """
    from helmetscan.modelling.labels import read_yolo_boxes
    from helmetscan.pipeline.sampling import EVERY_FRAME_FPS, iter_sampled_frames

    counts = {"labelled": Counter(), "found": Counter(), "detected": Counter()}
    for frame in iter_sampled_frames(video, EVERY_FRAME_FPS):
        label_file = labels_dir / f"frame_{frame.frame_index + 1:06d}.txt"
        if not label_file.is_file():
            continue
        h, w = frame.image.shape[:2]
        truth = [b for c, b in read_yolo_boxes(label_file, w, h) if c == plate_class]
        _count(frame.image, truth, detector, plate_labels, iou_min, counts)
    return counts


def main(argv: list[str] | None = None) -> None:
    from helmetscan.config import Settings
    from helmetscan.fielddoc import markdown_table
    from helmetscan.models.yolo import YoloDetector

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("datasets", nargs="*", help="DATASET_DIR:PLATE_CLASS_ID")
    ap.add_argument("--clip", action="append", default=[], help="VIDEO:LABELS_DIR:PLATE_CLASS_ID, a labelled clip")
    ap.add_argument("--model", default="license_plate_detector.pt")
    ap.add_argument("--plate-label", action="append", help="class names that are plates (default: the settings')")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--conf", type=float, default=0.25)
    ap.add_argument("--iou", type=float, default=0.3)
    args = ap.parse_args(argv)
    settings = Settings()
    labels = {n.lower() for n in (args.plate_label or settings.plates.roles.plate)}
    detector = YoloDetector(settings.model_path(args.model), args.imgsz, args.conf, 0.5, "cpu")
    rows = []
    specs = [(spec.rpartition(":")[0], None, spec.rpartition(":")[2]) for spec in args.datasets]
    specs += [tuple(spec.rsplit(":", 2)) for spec in args.clip]
    for folder, labels_dir, cls in specs:
        r = (measure(Path(folder), int(cls), detector, labels, args.iou) if labels_dir is None
             else measure_clip(Path(folder), Path(labels_dir), int(cls), detector, labels, args.iou))
        for key in sorted(r["labelled"], key=lambda k: int(k.split("-")[0].rstrip("+"))):
            rows.append([Path(folder).name, key, r["labelled"][key], round(r["found"][key] / r["labelled"][key], 3), ""])
        total = sum(r["labelled"].values())
        precision = r["detected"]["matched"] / max(1, r["detected"]["all"])
        rows.append([Path(folder).name, "all", total, round(sum(r["found"].values()) / max(1, total), 3),
                     round(precision, 3)])
    print(f"{args.model} at {args.imgsz} px, conf {args.conf}, IoU ≥ {args.iou}")
    print(markdown_table(["dataset", "plate width px", "plates", "recall", "precision"], rows))


if __name__ == "__main__":
    main()
