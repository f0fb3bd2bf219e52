"""Real plate crops for the recogniser: cut the ``licenseplate`` boxes of ``hcmute_helmet_lp`` and join them with the
text labels kept in the repository (``plate_labels_hcmute.csv``).

The crops stay outside the repository (they are cut from ``../shared/datasets``, CC BY 4.0); only the labels, typed by
eye, are ours. A crop is named ``<split>/<image stem>__<k>.png``, ``k`` the index of the box among the image's plate
boxes in label-file order, so a label row names one crop whatever machine cut it.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from helmetscan.tooling.labels import IMAGE_EXTENSIONS, read_yolo_boxes
from helmetscan.tooling.paths import LABELS

#: The labels typed by eye (``crop,text,split,mirrored``): ``text`` normalised (no spaces or dashes), ``?`` when the
#: plate cannot be read by a person at the crop's resolution; ``split`` is ``train`` or ``eval`` by source video (no
#: video gives crops to both); ``mirrored`` is 1 for crops the dataset flipped left-right (its augmentation).
LABELS_CSV = LABELS / "plate_labels_hcmute.csv"

#: Where ``helmetscan plate-crops`` cuts the crops, and ``train-plates`` and ``plate-sets`` read them, unless told
#: otherwise (``~`` is the user's home; outside the repository, as the crops are not ours to ship).
DEFAULT_CROPS = Path("~/.cache/helmetscan/plate_crops")

#: Class id of ``licenseplate`` in ``hcmute_helmet_lp/data.yaml``.
PLATE_CLASS = 1

#: Crops narrower than this (pixels, in the 640×640 export) are not cut: no person reads them either (our choice,
#: from looking at the crops).
MIN_WIDTH_PX = 24

#: Padding around the labelled box, as a share of its size: the dataset's boxes are tight, our detector's are not.
PAD = 0.08

_VIDEO = re.compile(r"IMG_(\d+)", re.IGNORECASE)


def source_video(name: str) -> str:
    """The source phone video of an hcmute file name (``..._IMG_6003_MOV-11_jpg...`` → ``IMG_6003``), or the name."""
    m = _VIDEO.search(name)
    return f"IMG_{m.group(1)}" if m else name


def cut_plate_crops(dataset_dir: Path, out_dir: Path, min_width_px: int = MIN_WIDTH_PX,
                    only: set[str] | None = None) -> list[Path]:
    """Cut every plate box of ``dataset_dir`` (a YOLO export with ``<split>/images`` and ``<split>/labels``) at least
    ``min_width_px`` wide into ``out_dir/<split>/<stem>__<k>.png``; with ``only`` (crop names as in the labels CSV,
    ``<split>/<stem>__<k>.png``), just those.

    Returns:
        The crops written, in file-name order.

    Raises:
        FileNotFoundError: ``dataset_dir`` has no split folders.
    """
    import cv2

    splits = [d for d in sorted(dataset_dir.iterdir()) if (d / "images").is_dir()] if dataset_dir.is_dir() else []
    if not splits:
        raise FileNotFoundError(f"{dataset_dir}: no <split>/images folders")
    wanted_images = {n.rsplit("__", 1)[0] for n in only or ()}
    written = []
    for split in splits:
        for image_path in sorted(p for p in (split / "images").iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS):
            if only is not None and f"{split.name}/{image_path.stem}" not in wanted_images:
                continue
            image = cv2.imread(str(image_path))
            if image is None:
                continue
            h, w = image.shape[:2]
            boxes = read_yolo_boxes(split / "labels" / f"{image_path.stem}.txt", w, h)
            for k, (x1, y1, x2, y2) in enumerate(b for c, b in boxes if c == PLATE_CLASS):
                bw, bh = x2 - x1, y2 - y1
                if bw < min_width_px:
                    continue
                px, py = PAD * bw, PAD * bh
                crop = image[max(0, int(y1 - py)): min(h, int(y2 + py) + 1),
                             max(0, int(x1 - px)): min(w, int(x2 + px) + 1)]
                name = f"{split.name}/{image_path.stem}__{k}.png"
                if crop.size == 0 or (only is not None and name not in only):
                    continue
                target = out_dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(target), crop)
                written.append(target)
    return written


def cut_labelled_crops(dataset: Path, out: Path = DEFAULT_CROPS, every_box: bool = False) -> list[Path]:
    """``helmetscan plate-crops``: cut the crops :data:`LABELS_CSV` names (``every_box``: every plate box at least
    :data:`MIN_WIDTH_PX` wide, to label more) from ``dataset`` (``hcmute_helmet_lp``) into ``out``.

    Returns:
        The crops written, in file-name order.

    Raises:
        FileNotFoundError: ``dataset`` has no split folders.
    """
    only = None if every_box else {r["crop"] for r in read_labels()}
    return cut_plate_crops(dataset, out.expanduser(), only=only)


def load_crop(crops_dir: Path, row: dict[str, str]):
    """The crop a labels row names ((h, w, 3) uint8 BGR, from ``crops_dir``), flipped back left-right when the dataset
    mirrored it (its flip augmentation), so the plate reads as it was; ``None`` when the crop is not there."""
    import cv2

    crop = cv2.imread(str(crops_dir / row["crop"]))
    if crop is not None and row.get("mirrored") == "1":
        crop = crop[:, ::-1].copy()
    return crop


def read_labels(path: Path = LABELS_CSV) -> list[dict[str, str]]:
    """Rows of the labels CSV (``crop``, ``text``, ``split``, ``mirrored``), unreadable (``?``) rows included."""
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
