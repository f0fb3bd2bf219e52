"""Violation-level checks of a stage-1 choice: does the whole pipeline charge the right riders?

Model metrics (``evaluate``) score boxes; what matters to an authority is whether a *reported rider* was really
bare-headed. Two checks, both run with the full stage 1 → rider rule → stage 2 chain of a :class:`Settings`:

* :func:`check_clip`: the whole pipeline (tracking, decision; run by the batch runner, as ``analyze`` runs it) on a
  clip with a YOLO label file per frame (the helmet9 CCTV clip in ``../shared/footage``). Each reported violation
  is looked up in the labels of its evidence frame: its head box matched (IoU >= 0.2) to a labelled ``no_helmet``
  head is *correct*, to a labelled ``helmet`` head *wrong*, to no labelled head *unconfirmed*.
* :func:`check_riders`: single-frame verdicts on the labelled riders of a dataset split. A labelled rider is positive
  when a labelled "without helmet" head lies in its head region, negative with a "with helmet" head, and left out
  otherwise. A "without helmet" verdict on a detected rider matched (IoU >= 0.5) to a positive is a true positive; on a
  negative, or on a detection that matches no labelled rider, a false positive.

Per-rider precision comes first: a false report is the worst outcome.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from helmetscan.config import Settings
from helmetscan.errors import VideoError
from helmetscan.geometry import centre, contains, iou
from helmetscan.modelling.labels import TARGET_CLASSES, Box, read_yolo_boxes
from helmetscan.pipeline.association import head_region
from helmetscan.pipeline.riders import find_riders
from helmetscan.pipeline.verification import HeadState
from helmetscan.results.records import ViolationRecord

#: class ids of the helmet9 CCTV clip labels (../shared/footage/helmet9_cctv_clip/data.yaml)
CLIP_HELMET, CLIP_NO_HELMET = 1, 3
#: class ids of the 4-class dataset labels (:data:`~helmetscan.modelling.labels.TARGET_CLASSES`)
RIDER, WITHOUT_HELMET, WITH_HELMET = (TARGET_CLASSES.index(n) for n in ("rider", "without helmet", "with helmet"))
#: minimum IoU between a reported head box and a labelled head for the label to decide (heads are small boxes; our
#: choice, see the module docstring)
HEAD_MATCH_IOU = 0.2
#: minimum IoU between a detected and a labelled rider box (the usual detection-matching threshold)
RIDER_MATCH_IOU = 0.5


@dataclass
class ClipScore:
    """Outcome of :func:`check_clip`: counts of reported violations by what the labels say."""

    violations: int
    correct: int
    wrong: int
    unconfirmed: int
    riders_tracked: int
    wall_s: float

    @property
    def precision(self) -> float | None:
        """Correct / (correct + wrong); unconfirmed reports are counted apart."""
        judged = self.correct + self.wrong
        return self.correct / judged if judged else None


def judge_violation(record: ViolationRecord, labels: list[tuple[int, Box]]) -> str:
    """``correct``, ``wrong`` or ``unconfirmed`` for one violation against the labelled heads of its evidence frame.

    Args:
        record: the violation; only its ``head_xyxy`` (frame pixels, or ``None`` when no head was kept) is read, so
            any object with that attribute will do.
        labels: ``(clip class id, xyxy pixels)`` of the evidence frame (:func:`read_yolo_boxes`).
    """
    head = record.head_xyxy
    heads = [(k, box) for k, box in labels if k in (CLIP_HELMET, CLIP_NO_HELMET)]
    if not head or not heads:
        return "unconfirmed"
    k, box = max(heads, key=lambda kb: iou(head, kb[1]))
    if iou(head, box) < HEAD_MATCH_IOU:
        return "unconfirmed"
    return "correct" if k == CLIP_NO_HELMET else "wrong"


def check_clip(settings: Settings, video: Path, labels_dir: Path, out: Path) -> ClipScore:
    """Run the pipeline on ``video`` into ``out / video.stem`` (as ``analyze`` writes it) and judge every violation
    against ``labels_dir/frame_{N:06d}.txt`` (N = frame index + 1, as in the helmet9 clip).

    Raises:
        VideoError: the clip could not be analysed (its one-line reason).
        ConfigError: the device or a model's classes do not fit the settings
            (:func:`~helmetscan.models.loader.load_models`).
        WeightsError: a weight file is missing, corrupt or unloadable.
        ResultsError: a written record cannot be read back.
    """
    import time

    from helmetscan.models.loader import load_models
    from helmetscan.results.evidence import RECORD_JSON, read_record
    from helmetscan.runner.batch import BatchRunner

    runner = BatchRunner(settings, load_models(settings))
    t0 = time.perf_counter()
    video_record = runner.run_video(video, out, video.stem)
    wall = time.perf_counter() - t0
    if video_record.error:
        raise VideoError(video_record.error)
    verdicts = []
    for violation_id in video_record.violation_ids:
        record = read_record(out / video_record.video_key / violation_id / RECORD_JSON, ViolationRecord)
        labels = read_yolo_boxes(labels_dir / f"frame_{record.frame_index + 1:06d}.txt", record.source.width,
                                 record.source.height)
        verdicts.append(judge_violation(record, labels))
    return ClipScore(len(verdicts), verdicts.count("correct"), verdicts.count("wrong"), verdicts.count("unconfirmed"),
                     video_record.counts.riders_tracked, round(wall, 1))


@dataclass
class RiderScore:
    """Outcome of :func:`check_riders` over ``images`` images."""

    images: int
    positives: int
    negatives: int
    true_positives: int
    false_on_helmeted: int
    false_on_unlabelled: int

    @property
    def precision(self) -> float | None:
        """True positives / "without helmet" reports on detected riders; ``None`` when nothing was reported."""
        reported = self.true_positives + self.false_on_helmeted + self.false_on_unlabelled
        return self.true_positives / reported if reported else None

    @property
    def recall(self) -> float | None:
        """True positives / labelled bare-headed riders; ``None`` when there are none."""
        return self.true_positives / self.positives if self.positives else None


def labelled_riders(boxes: list[tuple[int, Box]], head_fraction: float) -> list[tuple[Box, bool | None]]:
    """``(rider xyxy, bare-headed?)`` for the rider boxes of a 4-class label set (``(class id, xyxy)``, ids as
    :data:`~helmetscan.modelling.labels.TARGET_CLASSES`, any one unit for all boxes): bare-headed when a "without
    helmet" head centre lies in the rider's head region (top ``head_fraction`` 0..1 of its box), ``False`` with only
    "with helmet" heads there, ``None`` when no labelled head lies there."""
    out = []
    for k, rider in boxes:
        if k != RIDER:
            continue
        region = head_region(rider, head_fraction)
        states = {kh for kh, head in boxes if kh in (WITHOUT_HELMET, WITH_HELMET) and contains(region, centre(head))}
        out.append((rider, None if not states else (WITHOUT_HELMET in states)))
    return out


def check_riders(settings: Settings, images: list, sample: int | None = 150, seed: int = 0) -> RiderScore:
    """Single-frame stage 1 + rider rule + stage 2 on (a seeded sample of) ``images``
    (:class:`helmetscan.modelling.evaluate.LabelledImage`, 4-class labels).

    Args:
        settings: detector and verifier are built from its ``detector`` and ``verification`` sections
            (:func:`~helmetscan.models.yolo.build_detector`), riders found with its ``detector.roles`` and ``riders``.
        images: the labelled images.
        sample: how many images to draw (seeded by ``seed``); ``None`` or 0, or not fewer than ``len(images)``: all.

    Raises:
        WeightsError: a weight file is missing or cannot be loaded.
    """
    import cv2

    from helmetscan.models.yolo import build_detector
    from helmetscan.pipeline.verification import Verifier

    s = settings
    chosen = sorted(random.Random(seed).sample(images, sample), key=lambda i: i.path) if sample and sample < len(
        images) else images
    detector = build_detector(s.detector, s)
    verifier = Verifier(build_detector(s.verification, s), s.verification)
    score = RiderScore(len(chosen), 0, 0, 0, 0, 0)
    for item in tqdm(chosen, desc="checking riders", unit="image", disable=None, leave=False):
        frame = cv2.imread(str(item.path))
        boxes = item.boxes_px(frame.shape[1], frame.shape[0])
        truth = labelled_riders([(int(k), tuple(map(float, b))) for k, b in zip(item.classes, boxes)],
                                s.verification.head_region_fraction)
        score.positives += sum(t is True for _, t in truth)
        score.negatives += sum(t is False for _, t in truth)
        for rider in find_riders(detector(frame), s.detector.roles, s.riders):
            verdict = verifier.verify(frame, rider.xyxy, rider.confidence, 0, 0.0)
            if verdict.state is not HeadState.WITHOUT_HELMET:
                continue
            overlaps = [(iou(rider.xyxy, box), bare) for box, bare in truth]
            best = max(overlaps, key=lambda o: o[0], default=(0.0, None))
            if best[0] < RIDER_MATCH_IOU:
                score.false_on_unlabelled += 1
            elif best[1] is True:
                score.true_positives += 1
            elif best[1] is False:
                score.false_on_helmeted += 1
            # a matched rider whose head is not labelled cannot be judged: neither counted nor charged
    return score


def summary_rows(name: str, clip: ClipScore | None, riders: RiderScore | None) -> dict:
    """One flat row for the comparison table: ``stage 1`` = ``name``, then the clip columns and the test-split columns
    of the checks that ran (precision and recall rounded to 3 places, ``None`` when undefined)."""
    row: dict = {"stage 1": name}
    if clip:
        row.update({"clip riders tracked": clip.riders_tracked, "clip violations": clip.violations,
                    "clip correct": clip.correct, "clip wrong": clip.wrong, "clip unconfirmed": clip.unconfirmed,
                    "clip precision": None if clip.precision is None else round(clip.precision, 3),
                    "clip wall s": clip.wall_s})
    if riders:
        row.update({"test images": riders.images, "test bare-headed riders": riders.positives,
                    "test TP": riders.true_positives, "test FP on helmeted": riders.false_on_helmeted,
                    "test FP unlabelled": riders.false_on_unlabelled,
                    "test precision": None if riders.precision is None else round(riders.precision, 3),
                    "test recall": None if riders.recall is None else round(riders.recall, 3)})
    return row

