"""Evaluation folders for ``helmetscan evaluate-plates`` (crops + ``labels.csv``), made from what the recogniser did
not train on:

* ``real_eval``: the labelled hcmute crops of the ``eval`` split (source videos the recogniser never saw), mirrored
  crops flipped back;
* ``rendered_kr``: rendered Korean plates (car and two-row region plates) with the held-out fonts, degradations and a
  seed the training set does not use.

* ``real_eval_photos`` (``--dataset``): the whole photos of the ``eval`` split that hold exactly one plate box, read
  by eye and not mirrored, for ``evaluate-plates --find`` (the plate detector finds the plate first, as
  ``helmetscan plate`` does with a photo);
* ``footage_crops`` (``--footage VIDEO --footage-text TEXT``): the plate boxes the plate detector finds in every frame
  of a real clip whose one legible plate was typed by eye (``../shared/footage/rider_pillion_no_helmet.mp4``: the
  front plate ``TN05AT7024``);

and, for tuning the confidence floor (``plates.min_plate_conf``) without touching those: ``selection`` (rendered, every
layout, the seed of the model-selection set), ``tuning`` (2,000 rendered plates of every layout, seed 5000, since
session 11) and ``real_train`` (the labelled crops the recogniser trained on).

``python -m helmetscan.tooling.plate_sets --crops /work/plate_crops --out plate_sets`` (``make plate-sets``).
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from helmetscan.tooling.plate_crops import load_crop, read_labels

#: Seed of the rendered evaluation set (training renders use seeds 0 and 1000: plate_train.main).
RENDER_SEED = 2024

#: Seed of the rendered set the confidence floor is tuned on (plate_train's model-selection seed).
SELECTION_SEED = 1000

#: Seed of the larger rendered tuning set (session 11): the floor rule "precision 0.99" needs more than the 500 plates
#: of ``selection`` to rest on more than one read. No training or evaluation render uses it.
TUNING_SEED = 5000

#: Plates in the larger rendered tuning set.
TUNING_PLATES = 2000

#: Every rendered layout.
ALL_LAYOUTS = ("kr", "kr_region", "vn", "in", "generic")

#: Layouts of the rendered Korean set.
KOREAN_LAYOUTS = ("kr", "kr_region")


def _write(folder: Path, rows: list[tuple[str, str]]) -> None:
    with (folder / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "text"])
        w.writerows(rows)


def export_real(crops_dir: Path, out: Path, split: str = "eval") -> int:
    """Write the readable labelled crops of ``split`` to ``out`` with ``labels.csv``; returns how many.

    Raises:
        FileNotFoundError: a labelled crop is not in ``crops_dir`` (cut them with ``plate_crops.cut_plate_crops``).
    """
    import cv2

    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for row in read_labels():
        if row["split"] != split or row["text"] == "?":
            continue
        crop = load_crop(crops_dir, row)
        if crop is None:
            raise FileNotFoundError(f"{crops_dir / row['crop']}: labelled crop missing")
        name = Path(row["crop"]).name
        cv2.imwrite(str(out / name), crop)
        rows.append((name, row["text"]))
    _write(out, rows)
    return len(rows)


def export_real_photos(dataset_dir: Path, out: Path, split: str = "eval") -> int:
    """Copy to ``out`` (with ``labels.csv``) the photos of ``dataset_dir`` (hcmute_helmet_lp) whose label file holds
    exactly one plate box, labelled readable in ``split`` and not mirrored by the dataset; returns how many.

    Raises:
        FileNotFoundError: a labelled photo is not in ``dataset_dir``.
    """
    import shutil

    from helmetscan.tooling.labels import IMAGE_EXTENSIONS, read_yolo_boxes
    from helmetscan.tooling.plate_crops import PLATE_CLASS

    by_photo: dict[str, list[dict]] = {}
    for row in read_labels():
        by_photo.setdefault(row["crop"].rsplit("__", 1)[0], []).append(row)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for key, labelled in sorted(by_photo.items()):
        row = labelled[0]
        if len(labelled) != 1 or row["split"] != split or row["text"] == "?" or row["mirrored"] == "1":
            continue
        folder, stem = key.split("/", 1)
        photo = next((p for p in (dataset_dir / folder / "images").glob(f"{stem}.*")
                      if p.suffix.lower() in IMAGE_EXTENSIONS), None)
        if photo is None:
            raise FileNotFoundError(f"{dataset_dir / folder / 'images' / stem}: labelled photo missing")
        boxes = read_yolo_boxes(dataset_dir / folder / "labels" / f"{stem}.txt", 1, 1)
        if sum(c == PLATE_CLASS for c, _ in boxes) != 1:  # another plate, too small to crop and label
            continue
        shutil.copyfile(photo, out / photo.name)
        rows.append((photo.name, row["text"]))
    _write(out, rows)
    return len(rows)


def export_rendered(out: Path, n: int, seed: int = RENDER_SEED, layouts: tuple[str, ...] = KOREAN_LAYOUTS) -> int:
    """Render ``n`` plates of ``layouts`` with the held-out fonts and degradations into ``out`` with ``labels.csv``."""
    import cv2

    from helmetscan.tooling.plate_render import HELD_OUT_DEGRADATION, degrade, draw_plate, font_pools, random_plate_text

    _, fonts = font_pools()
    fonts = [f for f in fonts if "DejaVu" not in f.name]  # Hangul fonts only
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    while len(rows) < n:
        plate = random_plate_text(rng)
        if plate.layout not in layouts:
            continue
        image = degrade(draw_plate(plate, rng.choice(fonts), rng), rng, HELD_OUT_DEGRADATION)
        name = f"{len(rows):05d}.png"
        cv2.imwrite(str(out / name), image)
        rows.append((name, plate.text))
    _write(out, rows)
    return len(rows)


#: Narrowest plate box (pixels) kept from footage, as for the labelled crops (``plate_crops``).
MIN_FOOTAGE_PLATE_PX = 24


def export_footage(video: Path, text: str, out: Path, detector_model: str = "license_plate_detector.pt") -> int:
    """Write the most confident plate box of every frame of ``video`` (``detector_model`` on the whole frame at the
    plate settings' size and floor; boxes narrower than :data:`MIN_FOOTAGE_PLATE_PX` left out) to ``out``, each
    labelled ``text`` (the clip's one plate, read by eye), with ``labels.csv``; returns how many.

    Raises:
        VideoError: ``video`` cannot be read; WeightsError: the detector is missing.
    """
    import cv2

    from helmetscan.config import Settings
    from helmetscan.inference.yolo import build_detector
    from helmetscan.pipeline.sampling import EVERY_FRAME_FPS, iter_sampled_frames

    settings = Settings()
    detector = build_detector(settings.plates.model_copy(update={"model": detector_model, "imgsz": 640}), settings)
    labels = {n.lower() for n in settings.plates.roles.plate}
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for frame in iter_sampled_frames(video, EVERY_FRAME_FPS):
        plates = [d for d in detector(frame.image)
                  if d.label in labels and d.xyxy[2] - d.xyxy[0] >= MIN_FOOTAGE_PLATE_PX]
        if plates:
            x1, y1, x2, y2 = (int(round(v)) for v in max(plates, key=lambda d: d.confidence).xyxy)
            name = f"frame{frame.frame_index:05d}.png"
            cv2.imwrite(str(out / name), frame.image[max(0, y1):y2, max(0, x1):x2])
            rows.append((name, text))
    _write(out, rows)
    return len(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crops", type=Path, default=Path("/work/plate_crops"), help="cut hcmute crops")
    parser.add_argument("--out", type=Path, default=Path("plate_sets"))
    parser.add_argument("--rendered", type=int, default=300, help="rendered Korean plates")
    parser.add_argument("--dataset", type=Path, help="hcmute_helmet_lp, for the whole photos (real_eval_photos)")
    parser.add_argument("--footage", type=Path, help="a real clip with one legible plate (footage_crops)")
    parser.add_argument("--footage-text", help="that plate's text, read by eye (e.g. TN05AT7024)")
    args = parser.parse_args(argv)
    if args.footage and args.footage_text:
        print("footage_crops:", export_footage(args.footage, args.footage_text, args.out / "footage_crops"))
    print("real_eval:", export_real(args.crops, args.out / "real_eval"))
    if args.dataset:
        print("real_eval_photos:", export_real_photos(args.dataset, args.out / "real_eval_photos"))
    print("rendered_kr:", export_rendered(args.out / "rendered_kr", args.rendered))
    print("selection:", export_rendered(args.out / "selection", 500, SELECTION_SEED, ALL_LAYOUTS))
    print("tuning:", export_rendered(args.out / "tuning", TUNING_PLATES, TUNING_SEED, ALL_LAYOUTS))
    print("real_train:", export_real(args.crops, args.out / "real_train", "train"))


if __name__ == "__main__":
    main()
