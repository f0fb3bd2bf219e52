"""Korean motorcycle plates where the pipeline looks for plates, at the sizes real frames show them.

No labelled Korean footage is available (``../shared/README.md``), so this puts rendered Korean two-row motorcycle
plates into real frames: for every labelled rider's plate region of a stage-1 split (exactly as
:mod:`helmetscan.modelling.plate_region_recall` cuts it; the stage-1 model and the plate detector never trained on
the ``test`` split), each labelled plate box is covered by a plate drawn by
:func:`helmetscan.modelling.plate_render.draw_plate` (layout ``kr_region_moto``: region and district over one
syllable and four digits; the held-out fonts and a seed no training set used), resized to the labelled box (so its
size and aspect are the real plate's), softened and the region JPEG-compressed as the held-out rendered set is
(:data:`MAX_BLUR_SIGMA_PX`, :data:`JPEG_QUALITY`). Then, as ``analyze`` does: the plate detector runs on the
region, the one plate it keeps (:func:`~helmetscan.pipeline.association.pick_plate`) is cut without padding, not
read if it touches the frame border, else read by the recogniser with the shipped floors (one read: the plate floor).

Counted per plate width (source pixels; plate-region pairs, as ``plate_region_recall`` counts): *found*/*picked* as
in ``plate_region_recall``, *reported*, *right* (the reported plate equals the rendered text) and *wrong* (reported,
but not the rendered text: the figure that must stay near zero), *best guess right* (reported or not).
``--original`` also runs the detector on the untouched regions (JPEG-compressed alike), so the effect of the Korean
plate face on detection is seen on the same plates. ``--save DIR`` writes each picked crop and ``labels.csv`` into one
folder per width bucket, for ``helmetscan evaluate-plates DIR/24-48 DIR/48-96 --recognizer ...`` (compare
recognisers on the same crops).

This measures the Korean reading path on real backgrounds and real plate sizes; the plates themselves are still
rendered (clean font strokes, no real wear), so it is not a substitute for real Korean footage.

    python -m helmetscan.modelling.plate_composite --split test --original --save ~/data/plate_sets/composite_kr
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helmetscan.modelling.plate_detection_recall import BUCKETS, bucket
from helmetscan.modelling.plate_render import PlateMix, PlateText, draw_plate, fonts_for, random_plate_text

#: The seed of the composite plates (no training, selection or held-out render set uses it: they use 0–26, 1000,
#: 1015, 2024, 3200).
COMPOSITE_SEED = 4040

#: Only Korean two-row motorcycle plates (the plate a Korean motorcycle carries, at the rear).
MOTO_MIX = PlateMix((("kr_region_moto", 1),))

#: Gaussian blur and JPEG as the held-out rendered set draws them (``plate_render.HELD_OUT_DEGRADATION``:
#: ``max_blur=1.0``, ``jpeg_quality=(40, 90)``; ``plate_render.degrade`` scales the blur by ``min(1, width / 80)``,
#: :data:`BLUR_FULL_WIDTH_PX`, so a small plate is not blurred more than its few pixels can take).
MAX_BLUR_SIGMA_PX = 1.0
BLUR_FULL_WIDTH_PX = 80
JPEG_QUALITY = (40, 90)


@dataclass(frozen=True)
class CompositeRegion:
    """One rider's plate region with its plates replaced: ``region`` ((H, W, 3) uint8 BGR), ``plates`` as
    ``(xyxy, plate text)`` (the labelled boxes, region pixels, not clipped: a box may reach past the region, the
    plate is pasted into its part inside), ``jpeg_quality`` the quality the region was compressed at."""

    region: np.ndarray
    plates: tuple[tuple[tuple[float, float, float, float], PlateText], ...]
    jpeg_quality: int


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """``image`` ((H, W, 3) uint8 BGR) encoded as JPEG at ``quality`` (0–100) and decoded."""
    import cv2

    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def paste_plate(region: np.ndarray, xyxy, plate: np.ndarray, blur_sigma_px: float = 0.0) -> None:
    """Cover ``xyxy`` (region pixels, rounded to whole pixels) of ``region`` ((H, W, 3) uint8 BGR, changed
    in place) with ``plate`` ((h, w, 3) uint8 BGR) resized to the box (``cv2.INTER_AREA``), then blurred with a Gaussian
    of ``blur_sigma_px`` (pixels at the pasted size; none up to 0.3, where OpenCV's smallest kernel changes nothing
    visible, as in ``plate_render.degrade``).

    Raises:
        ValueError: the box is empty once clipped to the region.
    """
    import cv2

    h, w = region.shape[:2]
    x1, y1 = max(0, int(round(xyxy[0]))), max(0, int(round(xyxy[1])))
    x2, y2 = min(w, int(round(xyxy[2]))), min(h, int(round(xyxy[3])))
    if x2 <= x1 or y2 <= y1:
        raise ValueError(f"plate box {tuple(xyxy)} is empty in a {w}x{h} region")
    small = cv2.resize(plate, (x2 - x1, y2 - y1), interpolation=cv2.INTER_AREA)
    if blur_sigma_px > 0.3:
        small = cv2.GaussianBlur(small, (0, 0), blur_sigma_px)
    region[y1:y2, x1:x2] = small


def composite(region: np.ndarray, boxes, fonts: list[Path], rng: random.Random) -> CompositeRegion:
    """``region`` ((H, W, 3) uint8 BGR, not changed) with a Korean motorcycle plate drawn over each of ``boxes``
    (xyxy, region pixels), in one of ``fonts``, blurred by up to :data:`MAX_BLUR_SIGMA_PX` times
    ``min(1, width / BLUR_FULL_WIDTH_PX)``, then JPEG-compressed at a quality drawn from :data:`JPEG_QUALITY`."""
    out = region.copy()
    plates = []
    for xyxy in boxes:
        text = random_plate_text(rng, MOTO_MIX)
        clean = draw_plate(text, rng.choice(fonts_for(text, fonts)), rng)
        width = xyxy[2] - xyxy[0]
        paste_plate(out, xyxy, clean, rng.uniform(0, MAX_BLUR_SIGMA_PX) * min(1.0, width / BLUR_FULL_WIDTH_PX))
        plates.append((tuple(float(v) for v in xyxy), text))
    quality = rng.randint(*JPEG_QUALITY)
    return CompositeRegion(jpeg(out, quality), tuple(plates), quality)


def count_region(counts: dict[str, Counter], plates, found: list, picked, at_edge: bool, read,
                 iou_min: float, original: list | None = None, picked_original=None) -> int | None:
    """Add one region's outcome to ``counts`` (by width bucket of the labelled plate and ``all``) and return the
    index in ``plates`` of the plate the picked box is on, or ``None``.

    Args:
        plates: ``(xyxy, PlateText)`` of the region (:attr:`CompositeRegion.plates`).
        found: the detector's plate boxes (objects with ``xyxy``, region pixels); ``picked`` the one kept, or ``None``.
        at_edge: the picked box touches the frame border (``plate_stage.touches_edge``): ``analyze`` does not read it.
        read: the :class:`~helmetscan.pipeline.plate_text.FusedPlate` of the picked crop (``None``: not read).
        iou_min: IoU at which a box is on a labelled plate; the picked box is on the one it overlaps most.
        original, picked_original: the same for the untouched region (``None``: not measured).

    Counters: ``labelled``; ``found`` (a detected box on the plate); ``picked`` (the kept box is on it);
    ``at_edge`` (picked, but touching the border, so not read); ``reported`` (picked and its plate reported,
    status ``read``); ``right`` / ``wrong`` (reported and equal / not equal to the rendered text); ``text_right``
    (the reader's best guess, reported or not, equals it); ``found_original``, ``picked_original``. A reported
    plate whose box is on no labelled plate counts in ``counts["detected"]["wrong_box"]``.
    """
    from helmetscan.geometry import iou
    from helmetscan.pipeline.plate_text import PlateStatus

    def on(box, xyxy) -> bool:
        return box is not None and iou(box.xyxy, xyxy) >= iou_min

    overlaps = [iou(picked.xyxy, xyxy) if picked is not None else 0.0 for xyxy, _ in plates]
    best = max(range(len(plates)), key=overlaps.__getitem__, default=None)
    assigned = best if best is not None and overlaps[best] >= iou_min else None
    reported = read is not None and not at_edge and read.status == PlateStatus.READ
    for i, (xyxy, text) in enumerate(plates):
        for key in (bucket(xyxy[2] - xyxy[0]), "all"):
            c = counts[key]
            c["labelled"] += 1
            c["found"] += any(on(d, xyxy) for d in found)
            if original is not None:
                c["found_original"] += any(on(d, xyxy) for d in original)
                c["picked_original"] += on(picked_original, xyxy)
            if i != assigned:
                continue
            c["picked"] += 1
            c["at_edge"] += at_edge
            if read is not None and not at_edge:
                c["reported"] += reported
                c["right"] += reported and read.text == text.text
                c["wrong"] += reported and read.text != text.text
                c["text_right"] += read.best_guess == text.text
    if assigned is None and reported:
        counts["detected"]["wrong_box"] += 1
    return assigned


def measure(detector, reader, settings, fonts: list[Path], split: str = "test", iou_min: float = 0.3,
            seed: int = COMPOSITE_SEED, limit: int | None = None, original: bool = False,
            save: Path | None = None) -> dict[str, Counter]:
    """Composite every labelled plate of the riders' plate regions of ``split`` and count what the pipeline does
    (:func:`count_region`). A plate inside two riders' regions (driver and pillion) is counted in each, as
    ``plate_region_recall`` counts it: the units are plate-region pairs.

    Args:
        detector: the plate detector (:func:`helmetscan.models.yolo.build_detector`).
        reader: a :class:`~helmetscan.pipeline.plate_reading.CropReader`.
        settings: the settings (plates section: plate class names, floors).
        fonts: fonts to draw with (the held-out pool of :func:`plate_render.font_pools`).
        split: stage-1 split (:func:`helmetscan.modelling.dataset.split_sources`).
        iou_min: IoU at which a detected box is on a labelled plate.
        seed: seed of the plates, blur and JPEG.
        limit: the first ``limit`` images with a labelled plate only.
        original: also run the detector on each untouched region, JPEG-compressed at the same quality.
        save: write each picked crop on a plate as ``BUCKET/NNNNN.png``, one folder per plate width bucket
            (``24-48``...) with its ``labels.csv`` (``file,text``), for ``evaluate-plates``.

    Returns:
        Counters by width bucket, ``all`` and ``detected`` (``wrong_box``).
    """
    import cv2

    from helmetscan.geometry import pad, shift
    from helmetscan.modelling.plate_region_recall import labelled_regions
    from helmetscan.pipeline.association import pick_plate
    from helmetscan.pipeline.plate_photo import read_image
    from helmetscan.pipeline.plate_stage import touches_edge

    labels = {n.lower() for n in settings.plates.roles.plate}
    rng = random.Random(seed)
    counts: dict[str, Counter] = defaultdict(Counter)
    rows: dict[str, list[tuple[str, str]]] = defaultdict(list)  # width bucket -> (file, text) saved
    for (ox, oy), region, truth, frame_size in labelled_regions(settings, split, limit):
        made = composite(region, truth, fonts, rng)
        rh, rw = region.shape[:2]
        found = [d for d in detector(made.region) if d.label.lower() in labels]
        picked = pick_plate(found, (0, 0, rw, rh))
        before = picked_before = None
        if original:
            before = [d for d in detector(jpeg(region, made.jpeg_quality)) if d.label.lower() in labels]
            picked_before = pick_plate(before, (0, 0, rw, rh))
        at_edge = picked is not None and touches_edge(shift(picked.xyxy, ox, oy), frame_size)
        read = crop = None
        if picked is not None and not at_edge:
            x1, y1, x2, y2 = pad(picked.xyxy, 0.0, rw, rh)  # as PlateStage.locate cuts it
            crop = made.region[y1:y2, x1:x2]
            if crop.size:  # one read: fused as analyze fuses a single read (the plate floor decides)
                read = read_image(crop, None, reader, settings.plates, as_crop=True)[0].plate
        on = count_region(counts, made.plates, found, picked, at_edge, read, iou_min, before, picked_before)
        if save is not None and on is not None and read is not None:
            xyxy, text = made.plates[on]
            key = bucket(xyxy[2] - xyxy[0])
            name = f"{sum(map(len, rows.values())):05d}.png"
            (save / key).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(save / key / name), crop)
            rows[key].append((name, text.text))
    for key, written in rows.items():
        with open(save / key / "labels.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["file", "text"])
            writer.writerows(written)
    return counts


def table(counts: dict[str, Counter], original: bool) -> tuple[list[str], list[list]]:
    """``(header, rows)`` of the figures by width bucket and ``all`` (:func:`count_region`'s counters): shares of
    the labelled plates, counts of reported plates, and their precision (right / reported; in ``all`` a reported
    plate on no labelled plate, ``wrong_box``, counts as wrong too)."""
    header = ["plate width px", "plates", "found", "picked"]
    header += ["found (real plate)", "picked (real plate)"] if original else []
    header += ["at frame edge", "best guess right", "reported", "reported right", "reported wrong", "precision"]
    rows = []
    for key in [k for k in (bucket(lo) for lo, _ in BUCKETS) if counts[k]["labelled"]] + ["all"]:
        c = counts[key]
        n = max(1, c["labelled"])
        row = [key, c["labelled"], round(c["found"] / n, 3), round(c["picked"] / n, 3)]
        if original:
            row += [round(c["found_original"] / n, 3), round(c["picked_original"] / n, 3)]
        wrong = c["wrong"] + (counts["detected"]["wrong_box"] if key == "all" else 0)
        reported = c["reported"] + (counts["detected"]["wrong_box"] if key == "all" else 0)
        row += [c["at_edge"], round(c["text_right"] / n, 3), reported, c["right"], wrong,
                round(c["right"] / reported, 3) if reported else ""]
        rows.append(row)
    return header, rows


def main(argv: list[str] | None = None) -> None:
    from helmetscan.cli import _crop_reader
    from helmetscan.config import load_settings
    from helmetscan.fielddoc import markdown_table
    from helmetscan.modelling.plate_render import font_pools
    from helmetscan.models.yolo import build_detector

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="test", choices=("train", "val", "test"), help="stage-1 split")
    ap.add_argument("--recognizer", help="helmetscan (default), easyocr or tesseract")
    ap.add_argument("--seed", type=int, default=COMPOSITE_SEED)
    ap.add_argument("--iou", type=float, default=0.3)
    ap.add_argument("--limit", type=int, help="first N images only")
    ap.add_argument("--original", action="store_true", help="also run the detector on the untouched regions")
    ap.add_argument("--save", type=Path, help="write the picked crops and labels.csv here")
    ap.add_argument("--config", type=Path, help="a helmetscan config file (TOML), e.g. another reader")
    args = ap.parse_args(argv)
    settings = load_settings(args.config)
    detector = build_detector(settings.plates, settings)
    reader, plates = _crop_reader(settings, args.recognizer)
    settings = settings.model_copy(update={"plates": plates})
    _, held_out = font_pools()
    counts = measure(detector, reader, settings, held_out, args.split, args.iou, args.seed, args.limit,
                     args.original, args.save)
    header, rows = table(counts, args.original)
    print(f"rendered Korean motorcycle plates in the plate regions of labelled riders, {args.split} split, seed "
          f"{args.seed}; detector {settings.plates.model} (imgsz {settings.plates.imgsz}, "
          f"conf {settings.plates.conf}), reader {plates.recognizer} (floor {plates.plate_floor()}); "
          f"IoU ≥ {args.iou}; reported plates on no labelled plate: {counts['detected']['wrong_box']}")
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
