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
layout, the seed of the model-selection set), ``tuning`` (2,000 rendered plates of every layout, seed 5000) and
``real_train`` (the labelled crops the recogniser trained on).

``helmetscan plate-sets --out plate_sets`` (the crops cut by ``helmetscan plate-crops``) writes them all
(:func:`export_sets`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
import random
from pathlib import Path

from helmetscan.tooling.plate_crops import DEFAULT_CROPS, load_crop, read_labels

#: Seed of the rendered evaluation set (a training run renders with its seed and its seed + 1000, 0 and 1000 by
#: default: ``plate_train``).
RENDER_SEED = 2024

#: Seed of the rendered set the confidence floor is tuned on (plate_train's model-selection seed).
SELECTION_SEED = 1000

#: Seed of the larger rendered tuning set: the floor rule "precision 0.99" needs more than the 500 plates of
#: ``selection`` to rest on more than one read. No training or evaluation render uses it.
TUNING_SEED = 5000

#: Plates in the rendered ``selection`` set and in the larger rendered tuning set.
SELECTION_PLATES, TUNING_PLATES = 500, 2000

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


def export_sets(crops: Path = DEFAULT_CROPS, out: Path = Path("plate_sets"), rendered: int = 300,
                dataset: Path | None = None, footage: Path | None = None, footage_text: str | None = None,
                log: Callable[[str], None] = print) -> dict[str, int]:
    """``helmetscan plate-sets``: write every evaluation and tuning folder of the module docstring into ``out`` from
    the cut crops in ``crops`` (``real_eval``, ``real_train``), ``rendered`` rendered Korean plates
    (``rendered_kr``), ``selection`` and ``tuning``; the whole photos of ``dataset`` (``real_eval_photos``) and the
    plate boxes of ``footage``, whose one plate reads ``footage_text`` (``footage_crops``), when given. Each folder's
    name and count goes to ``log`` as it is written; returns them.

    Raises:
        FileNotFoundError: a labelled crop or photo is missing; VideoError, WeightsError: as :func:`export_footage`.
    """
    crops = crops.expanduser()
    counts: dict[str, int] = {}

    def done(name: str, n: int) -> None:
        counts[name] = n
        log(f"{name}: {n}")

    if footage and footage_text:
        done("footage_crops", export_footage(footage, footage_text, out / "footage_crops"))
    done("real_eval", export_real(crops, out / "real_eval"))
    if dataset:
        done("real_eval_photos", export_real_photos(dataset, out / "real_eval_photos"))
    done("rendered_kr", export_rendered(out / "rendered_kr", rendered))
    done("selection", export_rendered(out / "selection", SELECTION_PLATES, SELECTION_SEED, ALL_LAYOUTS))
    done("tuning", export_rendered(out / "tuning", TUNING_PLATES, TUNING_SEED, ALL_LAYOUTS))
    done("real_train", export_real(crops, out / "real_train", "train"))
    return counts
