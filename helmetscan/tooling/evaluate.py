"""Compare detectors on a dataset split: accuracy per class, speed, size, memory, training time.

Every model is run the same way, image by image through :class:`helmetscan.inference.yolo.YoloDetector` (confidence
floor 0.001, NMS IoU 0.7: ultralytics' own validation settings), and its class names are mapped onto the 4 target
classes by the roles of the run's settings (``detector.roles``, ``verification.roles``, ``plates.roles``). So a
third-party model is scored on the classes it knows: the COCO model on ``rider`` (person + motorcycle joined by the
pipeline's rider rule, exactly as stage 1 does), the helmet model on the two head classes, the plate detector on
``number plate``. Matching predictions to labels and average precision come from ultralytics
(``DetectionValidator.match_predictions``, ``ap_per_class``), so the figures mean what ultralytics' mAP50 and mAP50-95
mean. Precision and recall are taken at the confidence that maximises the mean F1 (ultralytics' convention).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from helmetscan.config import Settings
from helmetscan.core.errors import HelmetscanError
from helmetscan.core.fielddoc import markdown_table
from helmetscan.tooling.labels import IMAGE_EXTENSIONS, TARGET_CLASSES, read_yolo_labels
from helmetscan.core.detections import Detection
from helmetscan.inference.yolo import YoloDetector
from helmetscan.pipeline.riders import find_riders

#: Ultralytics' validation settings (``DetectionValidator``: ``conf`` 0.001, ``iou`` 0.7): every model is scored so.
VALIDATION_CONF, VALIDATION_IOU = 0.001, 0.7
#: Columns of ``metrics.csv`` / ``metrics.md``, in order (one row per model and target class, plus ``all``).
COLUMNS = ["model", "class", "images", "instances", "precision", "recall", "mAP50", "mAP50-95", "ms_per_frame",
           "size_mb", "peak_memory_mb", "training_time_h"]


@dataclass
class LabelledImage:
    """One test image. ``classes``: (M,) int target class ids; ``boxes_norm``: (M, 4) float xyxy normalised 0..1."""

    path: Path
    classes: np.ndarray
    boxes_norm: np.ndarray

    def boxes_px(self, width: int, height: int) -> np.ndarray:
        """The boxes in pixels of a ``width`` x ``height`` image: (M, 4) float xyxy."""
        return self.boxes_norm * np.array([width, height, width, height], dtype=float)


def read_split(data_yaml: Path, split: str = "test") -> list[LabelledImage]:
    """Images and labels of one split of a YOLO dataset (``data.yaml`` as :func:`helmetscan.tooling.dataset.build`
    writes it; images with :data:`~helmetscan.tooling.labels.IMAGE_EXTENSIONS`). Images are not decoded here; callers
    decode each once, when they run a model on it.

    Raises:
        HelmetscanError: the yaml, the split or its images are missing, or its class names are not the 4 targets.
    """
    import yaml

    if not data_yaml.is_file():
        raise HelmetscanError(f"{data_yaml}: dataset yaml not found")
    spec = yaml.safe_load(data_yaml.read_text(encoding="utf-8"))
    names = spec.get("names", {})
    names = [names[k] for k in sorted(names)] if isinstance(names, dict) else list(names)
    if names != TARGET_CLASSES:
        raise HelmetscanError(f"{data_yaml}: classes {names} are not {TARGET_CLASSES}")
    if split not in spec:
        raise HelmetscanError(f"{data_yaml}: no {split!r} split")
    root = Path(spec.get("path") or data_yaml.parent)
    root = root if root.is_absolute() else data_yaml.parent / root
    folder = root / spec[split]
    images = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not images:
        raise HelmetscanError(f"{folder}: no images in the {split!r} split")
    labels = folder.parent.parent / "labels" / folder.name
    return [LabelledImage(path, *read_yolo_labels(labels / f"{path.stem}.txt")) for path in images]


def target_classes_of(names: dict[int, str], settings: Settings) -> dict[str, int]:
    """Map a model's class names (class id → name) to target class ids, keyed by lower-case name: a target name maps
    to itself, other names by their role in ``settings`` (``detector.roles.rider``, ``verification.roles`` for the two
    head classes, ``plates.roles.plate``); ``detector.roles`` person + motorcycle together give ``rider``, under the
    key ``"rider (rule)"``."""
    detector, verifier = settings.detector.roles, settings.verification.roles
    lower = {n.lower() for n in names.values()}
    role = {"rider": [*detector.rider, "rider"], "without helmet": verifier.head_without_helmet,
            "with helmet": verifier.head_with_helmet, "number plate": settings.plates.roles.plate}
    mapping = {}
    for target, labels in role.items():
        for label in labels:
            if label.lower() in lower:
                mapping[label.lower()] = TARGET_CLASSES.index(target)
    if lower & {p.lower() for p in detector.person} and lower & {m.lower() for m in detector.motorcycle}:
        mapping["rider (rule)"] = TARGET_CLASSES.index("rider")
    return mapping


def to_targets(detections: list[Detection], mapping: dict[str, int],
               settings: Settings) -> list[tuple[int, tuple[float, float, float, float], float]]:
    """``(target class id, xyxy pixels, confidence)`` for every detection the mapping (:func:`target_classes_of`)
    covers; COCO person and motorcycle boxes are turned into riders by :func:`helmetscan.pipeline.riders.find_riders`
    with the settings' ``detector.roles`` and ``riders`` rule, as stage 1 does."""
    out = [(mapping[d.label], d.xyxy, d.confidence) for d in detections if d.label in mapping]
    if "rider (rule)" in mapping:
        riders = find_riders(detections, settings.detector.roles, settings.riders)
        out += [(mapping["rider (rule)"], r.xyxy, r.confidence) for r in riders]
    return out


def model_label(path: Path) -> str:
    """A model's name in tables: ``run/best.pt`` for a checkpoint inside an ultralytics run folder, else the file name."""
    if path.parent.name == "weights" and (path.parent.parent / "args.yaml").is_file():
        return f"{path.parent.parent.name}/{path.name}"
    return path.name


def checkpoint_imgsz(path: Path, default: int = 640) -> int:
    """The image size (px) a ``.pt`` checkpoint was trained at (its ``train_args``), else ``default``.

    Raises:
        Exception: whatever torch raises for a file that is not a checkpoint.
    """
    if path.suffix != ".pt":
        return default
    from ultralytics.nn.tasks import torch_safe_load  # handles checkpoints pickled by older ultralytics versions

    ckpt, _ = torch_safe_load(str(path))
    return int((ckpt.get("train_args") or {}).get("imgsz", default))


def training_time_h(path: Path) -> float | None:
    """Training wall time in hours, from ``train_time.json`` of the run folder (``<run>/weights/best.pt``) or from
    ``<model stem>.train_time.json`` beside the model; ``None`` when neither exists (a third-party model)."""
    for log in (path.parent.parent / "train_time.json", path.with_name(f"{path.stem}.train_time.json")):
        if log.is_file():
            return round(json.loads(log.read_text())["total_s"] / 3600, 2)
    return None


def peak_memory_mb(path: Path, imgsz: int, image: Path) -> float:
    """Peak resident memory (MiB) of a fresh process that loads the model and runs it 5 times on ``image``: what
    stage 1 would cost a machine (Python, torch and the model together). Read from ``VmHWM`` in ``/proc/self/status``,
    which starts afresh at ``exec``; ``ru_maxrss`` would not, it keeps the forking parent's size (Linux getrusage(2)).

    Raises:
        subprocess.CalledProcessError: the measuring process failed.
    """
    code = ("import sys,cv2; from pathlib import Path; from helmetscan.inference.yolo import YoloDetector;"
            "d=YoloDetector(Path(sys.argv[1]),int(sys.argv[2])); im=cv2.imread(sys.argv[3]);"
            "[d(im) for _ in range(5)];"
            "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))")
    done = subprocess.run([sys.executable, "-c", code, str(path), str(imgsz), str(image)], capture_output=True,
                          text=True, check=True)
    return round(int(done.stdout.split()[-1]) / 1024, 1)  # VmHWM is in kB


def evaluate_model(path: Path, images: list[LabelledImage], settings: Settings | None = None,
                   imgsz: int | None = None) -> dict:
    """Run one model over ``images`` and score it.

    Args:
        path: the weight file (``.pt`` or ``.onnx``).
        images: the labelled images (:func:`read_split`); at least one.
        settings: the run's settings: class roles of all three stages, the rider rule and the torch device
            (default :class:`Settings`).
        imgsz: inference size in px (default: the checkpoint's training size, else 640).

    Returns:
        ``{"rows": [...], "curves": {class name: (recall (1000,), precision (1000,))}}``: one row per target class
        the model covers plus an ``all`` row (means over those classes), with the :data:`COLUMNS` fields.

    Raises:
        HelmetscanError: the model knows none of the target classes.
        WeightsError: the weight file is missing or cannot be loaded (a :class:`HelmetscanError`).
        subprocess.CalledProcessError: the peak-memory measurement failed (:func:`peak_memory_mb`).
    """
    import torch
    from ultralytics.models.yolo.detect import DetectionValidator
    from ultralytics.utils.metrics import ap_per_class, box_iou

    settings = settings or Settings()
    imgsz = imgsz or checkpoint_imgsz(path)
    detector = YoloDetector(path, imgsz, conf=VALIDATION_CONF, iou=VALIDATION_IOU, device=settings.device)
    mapping = target_classes_of(detector.names, settings)
    covered = sorted(set(mapping.values()))
    if not covered:
        raise HelmetscanError(f"{path}: none of its classes {list(detector.names.values())} maps to {TARGET_CLASSES}")
    matcher = DetectionValidator()
    import cv2

    first = cv2.imread(str(images[0].path))
    for _ in range(2):
        detector(first)  # warm-up, not timed
    stats, times = [], []
    for item in tqdm(images, desc=model_label(path), unit="image", disable=None, leave=False):
        frame = cv2.imread(str(item.path))
        t0 = time.perf_counter()
        found = to_targets(detector(frame), mapping, settings)
        times.append((time.perf_counter() - t0) * 1000)
        keep = np.isin(item.classes, covered)
        true_cls, true_box = item.classes[keep], item.boxes_px(frame.shape[1], frame.shape[0])[keep]
        found.sort(key=lambda f: -f[2])
        pred_cls = np.array([f[0] for f in found], dtype=int)
        conf = np.array([f[2] for f in found], dtype=float)
        correct = np.zeros((len(found), 10), dtype=bool)
        if len(found) and len(true_cls):
            iou = box_iou(torch.tensor(true_box, dtype=torch.float32),
                          torch.tensor(np.array([f[1] for f in found]), dtype=torch.float32))
            correct = matcher.match_predictions(torch.from_numpy(pred_cls), torch.from_numpy(true_cls), iou).numpy()
        stats.append((correct, conf, pred_cls, true_cls))
    tp = np.concatenate([s[0] for s in stats]) if stats else np.zeros((0, 10), bool)
    conf = np.concatenate([s[1] for s in stats])
    pred_cls = np.concatenate([s[2] for s in stats])
    target_cls = np.concatenate([s[3] for s in stats])
    _, _, p, r, _, ap, classes, _, _, _, x, prec = ap_per_class(tp, conf, pred_cls, target_cls)
    common = {"model": model_label(path), "images": len(images), "ms_per_frame": round(statistics.median(times), 1),
              "size_mb": round(path.stat().st_size / 2**20, 1),
              "peak_memory_mb": peak_memory_mb(path, imgsz, images[0].path), "training_time_h": training_time_h(path)}
    rows, curves = [], {}
    for i, c in enumerate(classes):
        name = TARGET_CLASSES[c]
        rows.append({**common, "class": name, "instances": int((target_cls == c).sum()), "precision": p[i],
                     "recall": r[i], "mAP50": ap[i, 0], "mAP50-95": ap[i].mean()})
        curves[name] = (x, prec[i])
    if rows:
        rows.append({**common, "class": "all", "instances": int(len(target_cls)), "precision": p.mean(),
                     "recall": r.mean(), "mAP50": ap[:, 0].mean(), "mAP50-95": ap.mean()})
    for row in rows:
        for k in ("precision", "recall", "mAP50", "mAP50-95"):
            row[k] = round(float(row[k]), 3)
    return {"rows": rows, "curves": curves}


def write_outputs(results: dict[str, dict], out: Path, title: str) -> tuple[Path, Path, Path]:
    """Write ``metrics.csv``, ``metrics.md`` (``# title`` and a Markdown table, missing values as ``–``) and
    ``pr_curves.png`` (one panel per class, one line per model, IoU 0.5) into ``out``.

    Args:
        results: table name of a model → what :func:`evaluate_model` returned for it.
        out: the folder (created when missing).
        title: heading of ``metrics.md``.

    Returns:
        The paths of ``metrics.csv``, ``metrics.md`` and ``pr_curves.png``.

    Raises:
        OSError: ``out`` cannot be written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    rows = [row for r in results.values() for row in r["rows"]]
    csv, md, png = out / "metrics.csv", out / "metrics.md", out / "pr_curves.png"
    pd.DataFrame(rows, columns=COLUMNS).to_csv(csv, index=False)
    table = markdown_table(COLUMNS, [[row.get(c) for c in COLUMNS] for row in rows])
    md.write_text(f"# {title}\n\n{table}", encoding="utf-8")
    fig, axes = plt.subplots(1, len(TARGET_CLASSES), figsize=(4 * len(TARGET_CLASSES), 4), sharey=True)
    for ax, name in zip(axes, TARGET_CLASSES):
        for model, r in results.items():
            if name in r["curves"]:
                x, prec = r["curves"][name]
                ax.plot(x, prec, label=model)
        ax.set(title=name, xlabel="recall", xlim=(0, 1), ylim=(0, 1.02))
        if ax.lines:
            ax.legend(fontsize=7)
    axes[0].set_ylabel("precision (IoU 0.5)")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return csv, md, png
