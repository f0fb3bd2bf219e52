"""Build a 4-class YOLO dataset (``rider, without helmet, with helmet, number plate``) from labelled sources.

Each source is a folder of images with YOLO ``.txt`` labels (Roboflow export layout ``<split>/images``,
``<split>/labels``) or Pascal VOC ``.xml`` files as LabelImg writes them next to the images. A class-name mapping takes
each source class to a target class or drops it. The build de-duplicates images (same original frame in two export
splits, or identical bytes), checks every box (bad ones are reported with file and reason, never silently dropped),
and splits 8:2 (train+val : test) by *groups* (same source video or block of frame ids) so near-identical frames never straddle splits.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from helmetscan.tooling.labels import IMAGE_EXTENSIONS, TARGET_CLASSES, iter_yolo_file
from helmetscan.tooling.paths import LABELS, REPOSITORY

#: The sources of the shipped stage-1 dataset (``helmetscan dataset`` without ``--spec``), shipped beside this module.
DEFAULT_SPEC = LABELS / "dataset_sources.toml"
#: Roboflow's export suffix: ``<original>_<ext>.rf.<hex hash>`` (the original extension folded into the stem).
_ROBOFLOW_SUFFIX = re.compile(r"_(jpe?g|png)\.rf\.[0-9a-f]+$", re.IGNORECASE)


@dataclass(frozen=True)
class LabelBox:
    """One box: target ``class_name``; ``xyxy`` normalised to 0..1 of image width/height; ``pseudo`` when made by a
    model rather than a person."""

    class_name: str
    xyxy: tuple[float, float, float, float]
    pseudo: bool = False


@dataclass(frozen=True)
class Problem:
    """A label that was not used: the label file, the line (1-based; 0 for the whole file), and why."""

    path: Path
    line: int
    reason: str


@dataclass(frozen=True)
class SourceSpec:
    """A labelled source.

    ``mapping``: source class name → target class name (or ``None`` to drop it); a class not in the mapping is a
    problem. ``group``: ``"video"`` (Roboflow names ``..._IMG_6003_MOV-11_jpg...`` → ``IMG_6003``), ``"frame_block:N"``
    (leading frame id // N), ``"name_block:N"`` (the name's text before its last number, and that number // N:
    ``Screenshot-160-`` → ``Screenshot-1`` for N = 100), or ``"image"`` (each original image its own group).
    """

    name: str
    root: Path
    mapping: dict[str, str | None]
    group: str = "image"
    class_names: list[str] = field(default_factory=list)  # YOLO sources: id → name, in order
    pseudo: list[str] = field(default_factory=list)  # target classes this source lacks (filled by pseudo-labels)
    extra: Path | None = None  # boxes labelled in this project (CSV, :func:`read_extra`), added to the source's own
    images: str = "*"  # file-name pattern of the images that belong to this source (one camera of a shared folder)


@dataclass
class Sample:
    """One image after reading: where it came from, its group key, its target boxes."""

    source: str
    image: Path
    original: str
    group: str
    boxes: list[LabelBox]


def original_name(image: Path) -> str:
    """The name of the frame before a Roboflow export renamed it (``22306_jpg.rf.f4a5….jpg`` → ``22306``)."""
    return _ROBOFLOW_SUFFIX.sub("", image.stem)


def group_key(spec: SourceSpec, original: str) -> str:
    """Group of an image for the split (see :class:`SourceSpec`).

    Raises:
        ValueError: an unknown group rule, or a ``frame_block`` source whose name has no leading frame id.
    """
    if spec.group == "image":
        return f"{spec.name}:{original}"
    if spec.group == "video":
        match = re.search(r"IMG_\d+", original)
        return f"{spec.name}:{match.group(0) if match else original}"
    if spec.group.startswith("frame_block:"):
        size = int(spec.group.split(":", 1)[1])
        match = re.match(r"\d+", original)
        if not match:
            raise ValueError(f"{original}: no leading frame id for group rule {spec.group}")
        return f"{spec.name}:block{int(match.group(0)) // size}"
    if spec.group.startswith("name_block:"):
        size = int(spec.group.split(":", 1)[1])
        match = re.match(r"(.*?)(\d+)\D*$", original)
        if not match:
            raise ValueError(f"{original}: no frame number for group rule {spec.group}")
        return f"{spec.name}:{match.group(1)}{int(match.group(2)) // size}"
    raise ValueError(f"unknown group rule {spec.group!r} (expected image, video, frame_block:N or name_block:N)")


def _map(spec: SourceSpec, name: str, path: Path, line: int, problems: list[Problem]) -> str | None | bool:
    if name not in spec.mapping:
        problems.append(Problem(path, line, f"class {name!r} not in the mapping of source {spec.name}"))
        return False
    return spec.mapping[name]


def _check_box(x1, y1, x2, y2, path, line, problems) -> bool:
    tol = 1e-3
    if not all(-tol <= v <= 1 + tol for v in (x1, y1, x2, y2)):
        problems.append(Problem(path, line, f"box outside the image: {x1:.3f},{y1:.3f},{x2:.3f},{y2:.3f}"))
        return False
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        problems.append(Problem(path, line, "empty box (zero width or height)"))
        return False
    return True


def _label(target: str | None | bool, box, path: Path, line: int, problems: list[Problem]) -> LabelBox | None:
    """The box (normalised xyxy, clipped to 0..1) as a target-class label; ``None`` when its class is unmapped
    (``target`` False, reported by :func:`_map`), the box is bad (reported here), or the class is dropped (``None``)."""
    if target is False or not _check_box(*box, path, line, problems) or target is None:
        return None
    return LabelBox(target, tuple(min(1.0, max(0.0, v)) for v in box))


def read_yolo(path: Path, spec: SourceSpec, problems: list[Problem]) -> list[LabelBox]:
    """Boxes of a YOLO label file (``class cx cy w h``, normalised; parsed by
    :func:`helmetscan.tooling.labels.iter_yolo_file`), mapped to target classes. Malformed lines, class ids outside
    ``spec.class_names``, unmapped classes and bad boxes are appended to ``problems`` (file, line, reason), never
    silently dropped.

    Raises:
        OSError: the file cannot be read.
    """
    boxes = []
    for n, line, parsed in iter_yolo_file(path):
        if parsed is None:
            problems.append(Problem(path, n, f"not 'class cx cy w h': {line.strip()!r}"))
            continue
        cls, box = parsed
        if not 0 <= cls < len(spec.class_names):
            problems.append(Problem(path, n, f"class id {cls} outside 0..{len(spec.class_names) - 1}"))
            continue
        target = _map(spec, spec.class_names[cls], path, n, problems)
        label = _label(target, box, path, n, problems)
        if label is not None:
            boxes.append(label)
    return boxes


def read_voc(path: Path, spec: SourceSpec, problems: list[Problem]) -> list[LabelBox]:
    """Boxes of a Pascal VOC xml (LabelImg), pixel corners normalised by ``<size>`` to 0..1; an unreadable file and
    bad objects (unmapped class, no numeric box, box outside the image or empty) are appended to ``problems``."""
    try:
        root = ET.parse(path).getroot()
        width, height = float(root.findtext("size/width")), float(root.findtext("size/height"))
    except (ET.ParseError, TypeError, ValueError) as exc:
        problems.append(Problem(path, 0, f"unreadable VOC annotation ({exc})"))
        return []
    boxes = []
    for n, obj in enumerate(root.iter("object"), 1):
        target = _map(spec, (obj.findtext("name") or "").strip(), path, n, problems)
        try:
            x1, y1, x2, y2 = (float(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax"))
        except (TypeError, ValueError):
            problems.append(Problem(path, n, "object without a numeric bndbox"))
            continue
        box = (x1 / width, y1 / height, x2 / width, y2 / height)
        label = _label(target, box, path, n, problems)
        if label is not None:
            boxes.append(label)
    return boxes


def read_extra(path: Path) -> dict[str, list[LabelBox]]:
    """Boxes labelled in this project for a source whose own labels miss them (e.g. ``weights/labels/
    hcmute_bare_heads.csv``): ``image`` (the file name in the source), ``x1,y1,x2,y2`` (shares 0..1 of the image),
    ``class`` (a target class); ``#`` lines are comments. Returns image name → boxes.

    Raises:
        OSError: the file cannot be read. KeyError: a column is missing.
    """
    import csv

    out: dict[str, list[LabelBox]] = defaultdict(list)
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            box = tuple(float(row[k]) for k in ("x1", "y1", "x2", "y2"))
            out[row["image"]].append(LabelBox(row["class"], box))
    return dict(out)


def read_source(spec: SourceSpec, problems: list[Problem]) -> list[Sample]:
    """Every labelled image under ``spec.root`` whose name fits ``spec.images`` (recursively, :data:`IMAGE_EXTENSIONS`),
    with its boxes and those
    ``spec.extra`` adds (:func:`read_extra`). An image
    without a label file is a problem; a label file that exists but is empty is a background image. A progress bar
    goes to stderr when it is a terminal.

    Raises:
        ValueError: the source's group rule does not fit an image name (:func:`group_key`).
    """
    samples = []
    extra = read_extra(spec.extra) if spec.extra else {}
    images = sorted(p for p in spec.root.rglob(spec.images) if p.suffix.lower() in IMAGE_EXTENSIONS)
    for image in tqdm(images, desc=f"reading {spec.name}", unit="image", disable=None, leave=False):
        voc = image.with_suffix(".xml")
        yolo = image.parent.parent / "labels" / (image.stem + ".txt")
        if voc.is_file():
            boxes = read_voc(voc, spec, problems)
        elif yolo.is_file():
            boxes = read_yolo(yolo, spec, problems)
        else:
            problems.append(Problem(image, 0, "no label file (.xml beside it or labels/<stem>.txt)"))
            continue
        original = original_name(image)
        samples.append(Sample(spec.name, image, original, group_key(spec, original), boxes + extra.get(image.name, [])))
    return samples


def deduplicate(samples: list[Sample]) -> tuple[list[Sample], int]:
    """Drop repeats: the same original frame of a source (exported into two splits) or byte-identical images.
    The first occurrence (sorted by path) is kept. Returns (kept, number dropped).

    Raises:
        OSError: an image cannot be read (it is hashed).
    """
    seen_names: set[tuple[str, str]] = set()
    seen_bytes: set[str] = set()
    kept = []
    for s in samples:
        digest = hashlib.sha256(s.image.read_bytes()).hexdigest()
        if (s.source, s.original) in seen_names or digest in seen_bytes:
            continue
        seen_names.add((s.source, s.original))
        seen_bytes.add(digest)
        kept.append(s)
    return kept, len(samples) - len(kept)


#: The splits every built dataset has (ultralytics' names; ``test`` is the hold-out ``evaluate`` reports on).
SPLITS = ("train", "val", "test")


def split_groups(samples: list[Sample], test_share: float = 0.2, val_share: float = 0.1,
                 seed: int = 0) -> dict[str, str]:
    """Assign every group to ``train``, ``val`` or ``test``, per source, by whole groups.

    ``test_share`` of the images (the 8:2 hold-out that ``evaluate`` reports on) go to test first, then ``val_share``
    of them to val (what training monitors for early stopping and picking ``best.pt``), the rest to train.
    Deterministic for a given ``seed``. Returns ``{group: split}``.
    """
    by_source: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in samples:
        by_source[s.source][s.group] += 1
    assignment = {}
    for source in sorted(by_source):
        groups = sorted(by_source[source])
        random.Random(f"{seed}:{source}").shuffle(groups)
        total = sum(by_source[source].values())
        filled = {"test": 0, "val": 0}
        for g in groups:
            n = by_source[source][g]
            if filled["test"] < test_share * total:
                split = "test"
            elif filled["val"] < val_share * total:
                split = "val"
            else:
                split = "train"
            assignment[g] = split
            if split != "train":
                filled[split] += n
    return assignment


def check_fold(out: Path, spec_path: Path, root: Path | None, hold_out: tuple[str, ...]) -> None:
    """Before writing a leave-one-source-out fold of crops: ``out`` must not exist or be empty, and every name in
    ``hold_out`` must be a source of ``spec_path`` (relative roots resolved from ``root``, default the repository).

    Raises:
        FileExistsError: ``out`` exists and is not empty.
        FileNotFoundError: a source root is missing.
        ValueError: a name in ``hold_out`` is no source of the spec.
    """
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out}: exists and is not empty")
    names = {spec.name for spec in load_specs(spec_path, root or REPOSITORY)}
    unknown = set(hold_out) - names
    if unknown:
        raise ValueError(f"--hold-out {', '.join(sorted(unknown))}: no such source in {spec_path}")


def split_sources(spec_path: Path = DEFAULT_SPEC, root: Path | None = None, seed: int = 0) -> list[tuple[Sample, str]]:
    """Every de-duplicated sample of the sources with its split, as :func:`build` splits them (same groups, same
    seed), without building anything; relative roots are resolved from ``root`` (default: the repository root).

    Raises:
        FileNotFoundError: a source root is missing.
        ValueError: a source's group rule does not fit an image name.
    """
    root = root or REPOSITORY
    samples, _ = deduplicate([s for spec in load_specs(spec_path, root) for s in read_source(spec, [])])
    assignment = split_groups(samples, seed=seed)
    return [(s, assignment[s.group]) for s in samples]


def load_specs(path: Path, root: Path) -> list[SourceSpec]:
    """Read source specs from a TOML file (see ``dataset_sources.toml``); relative roots are resolved from ``root``.
    An empty string in a mapping drops that class. YOLO class names are read from the source's ``data.yaml``. An
    ``extra`` entry names a CSV of boxes labelled in this project (:func:`read_extra`), relative to ``root``; an
    ``images`` entry is a file-name pattern (``Screenshot-*``) that keeps one camera's images of a shared folder.

    Raises:
        FileNotFoundError: a source root is missing (message names it).
        KeyError: the file has no ``[[source]]`` list, or an entry lacks ``name``, ``root`` or ``mapping``.
        tomllib.TOMLDecodeError: the file is not TOML (a ``ValueError``).
    """
    import tomllib

    import yaml

    specs = []
    for entry in tomllib.loads(path.read_text(encoding="utf-8"))["source"]:
        src = Path(entry["root"])
        src = src if src.is_absolute() else (root / src).resolve()
        if not src.is_dir():
            raise FileNotFoundError(f"{src}: dataset source {entry['name']!r} not found")
        names: list[str] = []
        if (src / "data.yaml").is_file():
            raw = yaml.safe_load((src / "data.yaml").read_text(encoding="utf-8"))["names"]
            names = [raw[k] for k in sorted(raw)] if isinstance(raw, dict) else list(raw)
        mapping = {k: (v or None) for k, v in entry["mapping"].items()}
        extra = Path(entry["extra"]) if "extra" in entry else None
        specs.append(SourceSpec(entry["name"], src, mapping, entry.get("group", "image"), names,
                                entry.get("pseudo", []), extra if extra is None or extra.is_absolute() else root / extra,
                                entry.get("images", "*")))
    return specs


#: ``(sample) -> extra boxes`` for the classes a source lacks
#: (:class:`helmetscan.tooling.pseudo_labels.ModelPseudoLabeller`).
PseudoLabeller = Callable[[Sample], list[LabelBox]]


def build(specs: list[SourceSpec], out: Path, pseudo_labeller: PseudoLabeller | None = None, test_share: float = 0.2,
          val_share: float = 0.1, seed: int = 0) -> dict:
    """Build the dataset into ``out`` (replaced): ``images/{train,val,test}``, ``labels/{train,val,test}``, ``data.yaml``,
    ``provenance.csv`` (image, source, original, group, split, boxes, pseudo boxes), ``problems.csv`` and, when
    pseudo-labels were made, ``review_pseudo_labels.png`` (a contact sheet for a person to check them).

    ``pseudo_labeller(sample)`` may add boxes (flagged ``pseudo``) for classes a source lacks.

    Returns:
        Counts: images, duplicates dropped, problems, boxes per class, pseudo boxes, images per split.

    Raises:
        ValueError: a source's group rule does not fit an image name (:func:`group_key`).
        OSError: a source file cannot be read or ``out`` cannot be written.
    """
    import pandas as pd

    problems: list[Problem] = []
    samples = [s for spec in specs for s in read_source(spec, problems)]
    samples, duplicates = deduplicate(samples)
    if pseudo_labeller is not None:
        for s in tqdm(samples, desc="pseudo-labelling", unit="image", disable=None, leave=False):
            s.boxes = s.boxes + [LabelBox(b.class_name, b.xyxy, True) for b in pseudo_labeller(s)]
    assignment = split_groups(samples, test_share, val_share, seed)
    if out.exists():
        shutil.rmtree(out)
    rows = []
    for split in SPLITS:
        (out / "images" / split).mkdir(parents=True)
        (out / "labels" / split).mkdir(parents=True)
    for s in samples:
        split = assignment[s.group]
        name = f"{s.source}__{s.image.stem}"
        shutil.copyfile(s.image, out / "images" / split / f"{name}{s.image.suffix.lower()}")
        lines = []
        for b in s.boxes:
            x1, y1, x2, y2 = b.xyxy
            lines.append(f"{TARGET_CLASSES.index(b.class_name)} {(x1 + x2) / 2:.6f} {(y1 + y2) / 2:.6f} "
                         f"{x2 - x1:.6f} {y2 - y1:.6f}")
        (out / "labels" / split / f"{name}.txt").write_text("".join(l + "\n" for l in lines))
        rows.append({"image": f"images/{split}/{name}{s.image.suffix.lower()}", "source": s.source,
                     "original": s.original, "group": s.group, "split": split, "boxes": len(s.boxes),
                     "pseudo_boxes": sum(b.pseudo for b in s.boxes)})
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "provenance.csv", index=False)
    pd.DataFrame([{"file": str(p.path), "line": p.line, "reason": p.reason} for p in problems],
                 columns=["file", "line", "reason"]).to_csv(out / "problems.csv", index=False)
    if pseudo_labeller is not None:
        contact_sheet(samples, out / "review_pseudo_labels.png")
    names = "".join(f"  {i}: {n}\n" for i, n in enumerate(TARGET_CLASSES))
    (out / "data.yaml").write_text(f"path: {out.resolve()}\ntrain: images/train\nval: images/val\n"
                                      f"test: images/test\nnames:\n{names}")
    per_class = defaultdict(int)
    for s in samples:
        for b in s.boxes:
            per_class[b.class_name] += 1
    return {
        "images": len(samples), "duplicates_dropped": duplicates, "problems": len(problems),
        "boxes": dict(per_class), "pseudo_boxes": sum(b.pseudo for s in samples for b in s.boxes),
        "split": {k: sum(assignment[s.group] == k for s in samples) for k in SPLITS},
    }


def to_pixels(box, w: int, h: int) -> tuple[float, float, float, float]:
    """A box in image shares (0..1, xyxy) in pixels of a ``w`` x ``h`` image."""
    return (box[0] * w, box[1] * h, box[2] * w, box[3] * h)


def contact_sheet(samples: list[Sample], path: Path, max_images: int = 48, tile_px: int = 256, columns: int = 8) -> int:
    """Write a PNG grid of images that carry pseudo boxes, every box drawn (pseudo boxes thick magenta, human boxes thin
    green) so a person can review them. Tiles are ``tile_px`` square, ``columns`` per row; at most ``max_images``.
    Returns the number of tiles (0: nothing to review, no file written)."""
    import cv2

    chosen = [s for s in samples if any(b.pseudo for b in s.boxes)][:max_images]
    tiles = []
    for s in chosen:
        image = cv2.imread(str(s.image))
        if image is None:
            continue
        h, w = image.shape[:2]
        for b in s.boxes:
            x1, y1, x2, y2 = (int(v) for v in to_pixels(b.xyxy, w, h))
            colour, thick = ((255, 0, 255), 3) if b.pseudo else ((0, 200, 0), 1)
            cv2.rectangle(image, (x1, y1), (x2, y2), colour, thick)
        scale = tile_px / max(h, w)
        tile = np.zeros((tile_px, tile_px, 3), np.uint8)
        small = cv2.resize(image, (max(1, int(w * scale)), max(1, int(h * scale))))
        tile[: small.shape[0], : small.shape[1]] = small
        cv2.putText(tile, s.original[:30], (3, tile_px - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 255), 1)
        tiles.append(tile)
    if not tiles:
        return 0
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)]
    cv2.imwrite(str(path), np.vstack(rows))
    return len(chosen)
