"""Track-level plate figures: what the fusion of a track's reads (``plates.fuse.fuse_reads``) reports under a
confidence floor, to choose the floor of plates fused from two or more reads (``plates.min_track_conf``) on data we
may tune on and check it on data we did not.

The reader's floor (``plates.min_plate_conf``) was chosen on single crops, but ``analyze`` reports a track's plate
fused over up to ``plates.max_reads_per_track`` reads, and a wrong read is diluted by the others. Three kinds of
track: rendered (:func:`simulate`: one plate drawn once, one font, colours and layout, degraded per frame
independently with the held-out fonts and degradations and the evaluation mix of the model-selection sets, from a seed
no evaluation set uses); real (:func:`real_tracks`: the labelled hcmute plates, legible or not, each cut five times
from its one photo with a jittered box: frames as alike as a real track's, so a misread repeats); and a clip's plate
crops in windows of five (:func:`footage_tracks`). Independent degradations overstate how independent real reads are,
which is why the real tracks are there.

Tuning, then the held-out check (one command line each; ``--tracks`` and ``--frames`` are repeated, in pairs)::

    helmetscan plate-tracks --tracks 300 --frames 2 --tracks 300 --frames 3 --tracks 400 --frames 5
        --tracks 300 --frames 10 --real train
    helmetscan plate-tracks --tracks 300 --frames 2 --tracks 300 --frames 3 --tracks 400 --frames 5
        --tracks 300 --frames 10 --seed 3200 --real eval --footage-crops plate_sets/footage_crops
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from helmetscan.core.errors import ConfigError

#: Seed of the simulated tracks (plate_sets uses 1000 and 2024, plate_train's selection set 1000).
TRACK_SEED = 3000


def simulate(n: int, frames: int, seed: int = TRACK_SEED) -> list[tuple[str, list]]:
    """``n`` tracks of ``frames`` crops each: ``[(plate text, [(h, w, 3) uint8 BGR crop, ...])]``."""
    from helmetscan.tooling.plate_render import (EVAL_MIX, HELD_OUT_DEGRADATION, degrade, draw_plate, font_pools,
                                                   fonts_for, random_plate_text)

    _, fonts = font_pools()
    rng = random.Random(seed)
    tracks = []
    for _ in range(n):
        plate = random_plate_text(rng, EVAL_MIX)
        clean = draw_plate(plate, rng.choice(fonts_for(plate, fonts)), rng)
        tracks.append((plate.text, [degrade(clean, rng, HELD_OUT_DEGRADATION) for _ in range(frames)]))
    return tracks


#: Seed of the jittered real tracks (:func:`real_tracks`).
REAL_TRACK_SEED = 3100


def real_tracks(dataset_dir: Path, split: str, frames: int, seed: int = REAL_TRACK_SEED) -> list[tuple[str, list]]:
    """Tracks made from the labelled real plates of ``hcmute_helmet_lp``: each labelled box of our ``split`` (``train``
    or ``eval``, :data:`~helmetscan.tooling.plate_crops.LABELS_CSV`), unreadable ones (``?``) included, cut
    ``frames`` times from its photo with the box jittered as a tracker's detections of one plate vary from frame to
    frame, each cut rescaled and JPEG-compressed anew: ``[(plate text or "?", [(h, w, 3) uint8 BGR crop, ...])]``.

    Unlike :func:`simulate`, the frames of such a track share the one real photo, so a reader that misreads it tends to
    misread every cut the same way: these tracks test whether agreement between frames is evidence (our assumption
    of how much a track's crops vary: centre moved by N(0, 4 %) of the box size, sides scaled by U(0.9, 1.15), the
    crop rescaled by U(0.75, 1.25) and saved as JPEG of quality U(70, 95); detectors' boxes move by a few per cent
    of their size between frames, dashcam distance changes by tens of per cent in a second).

    Raises:
        FileNotFoundError: a labelled photo is not in ``dataset_dir``.
    """
    import cv2

    from helmetscan.tooling.labels import read_yolo_boxes
    from helmetscan.tooling.plate_crops import PLATE_CLASS, read_labels

    rng = random.Random(seed)
    tracks = []
    for row in read_labels():
        if row["split"] != split:
            continue
        folder, name = row["crop"].split("/", 1)
        stem, k = name.rsplit("__", 1)
        image_path = dataset_dir / folder / "images" / f"{stem}.jpg"
        image = cv2.imread(str(image_path))
        if image is None:
            raise FileNotFoundError(f"{image_path}: labelled photo missing")
        h, w = image.shape[:2]
        plates = [b for c, b in read_yolo_boxes(dataset_dir / folder / "labels" / f"{stem}.txt", w, h)
                  if c == PLATE_CLASS]
        mirrored = row.get("mirrored") == "1"  # the dataset flipped this photo: the plate is flipped back
        crops = [_jittered_cut(image, plates[int(Path(k).stem)], rng, mirrored) for _ in range(frames)]
        tracks.append((row["text"], crops))
    return tracks


def _jittered_cut(image, box, rng: random.Random, mirrored: bool = False):
    """One frame's crop of a plate ``box`` (xyxy pixels) of ``image`` ((H, W, 3) uint8 BGR): the box jittered, padded
    as the labelled crops are (``plate_crops.PAD``), flipped left-right if ``mirrored``, rescaled and JPEG-compressed
    (amounts in :func:`real_tracks`)."""
    import cv2

    from helmetscan.tooling.plate_crops import PAD

    x1, y1, x2, y2 = box
    h, w = image.shape[:2]
    bw, bh = (x2 - x1) * rng.uniform(0.9, 1.15), (y2 - y1) * rng.uniform(0.9, 1.15)
    cx = (x1 + x2) / 2 + rng.gauss(0, 0.04) * (x2 - x1)
    cy = (y1 + y2) / 2 + rng.gauss(0, 0.04) * (y2 - y1)
    bw, bh = bw * (1 + 2 * PAD), bh * (1 + 2 * PAD)
    crop = image[max(0, int(cy - bh / 2)): min(h, int(cy + bh / 2) + 1),
                 max(0, int(cx - bw / 2)): min(w, int(cx + bw / 2) + 1)]
    if mirrored:
        crop = crop[:, ::-1]
    f = rng.uniform(0.75, 1.25)
    crop = cv2.resize(crop, (max(8, round(crop.shape[1] * f)), max(8, round(crop.shape[0] * f))),
                      interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(70, 95)])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else crop


def fuse_tracks(tracks: list[tuple[str, list]], settings) -> list[dict]:
    """Read every crop of every track as ``analyze`` does (``CropReader``) and fuse each track with no floor: per track
    ``truth``, ``text`` (fused), ``confidence``, ``frames_read``, ``frames_agreeing``."""
    from helmetscan.pipeline.loading import build_recognizer
    from helmetscan.plates.read import CropReader
    from helmetscan.plates.fuse import fuse_reads

    recognizer, _ = build_recognizer(settings, settings.plates.recognizer)
    reader = CropReader(recognizer, settings.plates)
    rows = []
    for truth, crops in tracks:
        reads = [r.read for r in reader.read(crops, list(range(len(crops))))]
        fused = fuse_reads(reads, reader.formats, settings.plates.min_ocr_conf, 0.0,
                           unreported_formats=settings.plates.unreported())
        rows.append({"truth": truth, "text": fused.text, "confidence": fused.confidence,
                     "frames_read": fused.frames_read, "frames_agreeing": fused.frames_agreeing})
    return rows


def rule_table(rows: list[dict], floors: tuple[float, ...], agreeing: tuple[int, ...]) -> list[list]:
    """Per (least agreeing frames, floor): tracks reported, share of all tracks, precision (fused text = truth)."""
    table = []
    for k in agreeing:
        for floor in floors:
            kept = [r for r in rows if r["text"] and r["frames_agreeing"] >= k and r["confidence"] >= floor]
            right = sum(r["text"] == r["truth"] for r in kept)
            table.append([k, floor, len(kept), round(len(kept) / max(1, len(rows)), 3),
                          round(right / len(kept), 3) if kept else ""])
    return table


def footage_tracks(folder: Path, frames: int = 5) -> list[tuple[str, list]]:
    """Tracks of ``frames`` consecutive crops (file-name order) from a folder of one plate's crops cut from a clip
    (``plate_sets.export_footage``; ``labels.csv``: ``file,text``): ``[(plate text, [(h, w, 3) uint8 BGR crop, ...])]``;
    a last, shorter window is dropped."""
    import csv

    import cv2

    with (folder / "labels.csv").open(newline="", encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["file"])
    return [(rows[i]["text"], [cv2.imread(str(folder / r["file"])) for r in rows[i:i + frames]])
            for i in range(0, len(rows) - frames + 1, frames)]


#: Floors tabulated (fused confidence).
FLOORS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def track_floor(rows: list[dict], target_precision: float = 0.99, step: float = 0.05) -> tuple[float | None, float | None]:
    """The track floor by the track rule of ``weights/PLATE_READER.md``: over the tracks whose plate was
    fused from two or more voting reads, the lowest fused confidence from which at least ``target_precision`` of the
    reported plates are right, and the floor :func:`~helmetscan.tooling.plate_eval.rule_floor` makes of it (rounded
    up to a multiple of ``step``, or the next multiple that is that precise): ``(lowest, floor)``, both ``None`` when
    no confidence reaches the precision."""
    from helmetscan.tooling.plate_eval import Outcome, rule_floor

    fused = [Outcome("", r["truth"], "", r["text"], r["confidence"], True)
             for r in rows if r["text"] and r["frames_read"] >= 2]
    found = rule_floor(fused, target_precision, step)
    return (None, None) if found is None else (found.lowest, found.floor)


def floor_table(sets: dict[str, list[dict]], floors: tuple[float, ...] = FLOORS) -> list[list]:
    """Per set and floor, over the tracks fused from two or more voting reads: ``[set, floor, tracks, reported, share
    of tracks, wrong among reported]`` (a plate nobody can read, truth ``?``, counts as wrong when reported)."""
    table = []
    for name, rows in sets.items():
        multi = [r for r in rows if r["frames_read"] >= 2]
        for floor in floors:
            kept = [r for r in multi if r["text"] and r["confidence"] >= floor]
            table.append([name, floor, len(multi), len(kept), round(len(kept) / max(1, len(rows)), 3),
                          sum(r["text"] != r["truth"] for r in kept)])
    return table


def default_dataset() -> Path:
    """``../shared/datasets/hcmute_helmet_lp`` beside the checkout."""
    from helmetscan.tooling.paths import SHARED

    return SHARED / "datasets" / "hcmute_helmet_lp"


def track_report(settings, tracks: Sequence[int] = (300,), frames: Sequence[int] = (5,), seed: int = TRACK_SEED,
                 real: str | None = None, dataset: Path | None = None, footage_crops: Path | None = None,
                 target_precision: float = 0.99) -> list[str]:
    """``helmetscan plate-tracks``: fuse rendered tracks (``tracks[i]`` tracks of ``frames[i]`` frames, or
    ``tracks[0]`` of each ``frames`` value; ``seed``), and, when given, the jittered tracks of the labelled hcmute
    plates of the ``real`` split (5 frames, photos in ``dataset``) and 5-crop windows of ``footage_crops``, with
    ``settings`` (the reader and fusion ``analyze`` would use); returns the report's lines: exact share per set,
    :func:`floor_table`, the floor by :func:`track_floor` for ``target_precision``, and :func:`rule_table` over the
    5-frame rendered sets.

    Raises:
        ConfigError: ``tracks`` is neither one value nor one per ``frames`` value, or ``real`` is not ``train`` or
            ``eval``.
        FileNotFoundError: a labelled photo or the footage crops are missing.
    """
    from helmetscan.core.fielddoc import markdown_table

    tracks, frames = list(tracks), list(frames)
    if len(tracks) not in (1, len(frames)):
        raise ConfigError("give one --tracks value, or one per --frames value")
    if real not in (None, "train", "eval"):
        raise ConfigError(f"--real {real!r}: train or eval")
    counts = tracks * len(frames) if len(tracks) == 1 else tracks
    rendered = {f"rendered {n}x{k} (seed {seed})": (n, k) for n, k in zip(counts, frames)}
    sets = {name: fuse_tracks(simulate(n, k, seed), settings) for name, (n, k) in rendered.items()}
    if real:
        sets[f"real {real} jittered x5"] = fuse_tracks(real_tracks(dataset or default_dataset(), real, 5), settings)
    if footage_crops:
        sets[f"footage {footage_crops.name} x5"] = fuse_tracks(footage_tracks(footage_crops), settings)
    lines = []
    for name, rows in sets.items():
        exact = sum(r["text"] == r["truth"] for r in rows) / max(1, len(rows))
        lines.append(f"{name}: {len(rows)} tracks; fused text exact, no floor: {exact:.3f}")
    lines.append(markdown_table(["set", "floor", "tracks of 2+ reads", "reported", "share of all tracks", "wrong"],
                                floor_table(sets)))
    lowest, floor = track_floor([r for rows in sets.values() for r in rows], target_precision)
    lines.append(f"all sets together: {target_precision:.0%} of reported plates right from {lowest}; "
                 f"rounded up to 0.05: {floor}")
    five = [name for name, (_, k) in rendered.items() if k == 5]
    agreeing = [r for name in five or sets for r in sets[name]]
    lines.append(f"agreeing frames, over {', '.join(five) if five else 'all sets'}:")
    lines.append(markdown_table(["least agreeing frames", "floor", "tracks reported", "share", "precision"],
                                rule_table(agreeing, (0.3, 0.4, 0.5, 0.6), (1, 3, 5))))
    return lines
