"""Violation-level checks of a configuration: does the whole pipeline charge the right people?

Model metrics (``evaluate``) score boxes; what matters to an authority is whether a *reported rider* was really
bare-headed. Two checks, both run with the full stage 1 → rider rule → stage 2 chain of a :class:`Settings`:

* :func:`check_clip`: the whole pipeline (tracking, decision; run by the batch runner, as ``analyze`` runs it) on a
  clip with a YOLO label file per frame (the helmet9 CCTV clip in ``../shared/footage``). Every person a violation
  charges is looked up in the labels of their most confident bare-head frame: their head box matched (IoU >= 0.2) to
  a labelled ``no_helmet`` head is *correct*, to a labelled ``helmet`` head *wrong*, to no labelled head
  *unconfirmed*.
* per person on the labelled heads of the stage-1 test split, frame by frame: :mod:`helmetscan.tooling.person_check`.

Per-person precision comes first: a false report is the worst outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helmetscan.config import Settings
from helmetscan.core.errors import VideoError
from helmetscan.core.geometry import iou
from helmetscan.tooling.labels import Box, read_yolo_boxes
from helmetscan.results.records import ViolationRecord

#: class ids of the helmet9 CCTV clip labels (../shared/footage/helmet9_cctv_clip/data.yaml)
CLIP_HELMET, CLIP_NO_HELMET = 1, 3
#: minimum IoU between a reported head box and a labelled head for the label to decide (heads are small boxes; our
#: choice, see the module docstring)
HEAD_MATCH_IOU = 0.2


@dataclass
class ClipScore:
    """Outcome of :func:`check_clip`: violations reported, and the people they charge (every person verified
    bare-headed, judged at their most confident bare-head frame) counted by what the labels say."""

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


def judge_head(head: Box | None, labels: list[tuple[int, Box]]) -> str:
    """``correct``, ``wrong`` or ``unconfirmed`` for one reported bare head (frame pixels, or ``None`` when no head
    box was kept) against the labelled heads of its frame (``(clip class id, xyxy pixels)``, :func:`read_yolo_boxes`).
    """
    heads = [(k, box) for k, box in labels if k in (CLIP_HELMET, CLIP_NO_HELMET)]
    if not head or not heads:
        return "unconfirmed"
    k, box = max(heads, key=lambda kb: iou(head, kb[1]))
    if iou(head, box) < HEAD_MATCH_IOU:
        return "unconfirmed"
    return "correct" if k == CLIP_NO_HELMET else "wrong"


def judge_violation(record: ViolationRecord, labels: list[tuple[int, Box]]) -> str:
    """:func:`judge_head` on a violation's evidence head (``record.head_xyxy``, evidence frame pixels); any object with
    that attribute will do."""
    return judge_head(record.head_xyxy, labels)


def bare_people(record: ViolationRecord) -> list[tuple[int, int, Box | None]]:
    """``(person id, frame index, head box)`` for each person of a violation verified bare-headed, at their most
    confident bare-head verdict (schema 4 records; an older record gives its evidence head)."""
    if not record.people:
        return [(0, record.frame_index, record.head_xyxy)]
    out = []
    for person in record.people:
        if person.verdict != "without_helmet":
            continue
        bare = [v for v in record.decision.verdicts if v.person_id == person.person_id and v.state == "without_helmet"]
        best = max(bare, key=lambda v: v.confidence)
        out.append((person.person_id, best.frame_index, best.head_xyxy))
    return out


def check_clip(settings: Settings, video: Path, labels_dir: Path, out: Path) -> ClipScore:
    """Run the pipeline on ``video`` into ``out / video.stem`` (as ``analyze`` writes it) and judge every violation
    against ``labels_dir/frame_{N:06d}.txt`` (N = frame index + 1, as in the helmet9 clip).

    Raises:
        VideoError: the clip could not be analysed (its one-line reason).
        ConfigError: the device or a model's classes do not fit the settings
            (:func:`~helmetscan.pipeline.loading.load_models`).
        WeightsError: a weight file is missing, corrupt or unloadable.
        ResultsError: a written record cannot be read back.
    """
    import time

    from helmetscan.pipeline.loading import load_models
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
        for _, frame_index, head in bare_people(record):
            labels = read_yolo_boxes(labels_dir / f"frame_{frame_index + 1:06d}.txt", record.source.width,
                                     record.source.height)
            verdicts.append(judge_head(head, labels))
    return ClipScore(len(video_record.violation_ids), verdicts.count("correct"), verdicts.count("wrong"),
                     verdicts.count("unconfirmed"), video_record.counts.riders_tracked, round(wall, 1))


def summary_rows(name: str, clip: ClipScore | None, people=None) -> dict:
    """One flat row for the comparison table: ``config`` = ``name``, then the clip columns and the per-person columns
    (``people``: :func:`helmetscan.tooling.person_check.summarise` of the test split) of the checks that ran
    (precision and recall rounded to 3 places, ``None`` when undefined)."""
    row: dict = {"config": name}
    if clip:
        row.update({"clip riders tracked": clip.riders_tracked, "clip violations": clip.violations,
                    "clip people correct": clip.correct, "clip people wrong": clip.wrong,
                    "clip people unconfirmed": clip.unconfirmed,
                    "clip precision": None if clip.precision is None else round(clip.precision, 3),
                    "clip wall s": clip.wall_s})
    if people is not None:
        first = people.iloc[0]
        row.update({"test bare heads": int(first["bare heads"]), "test TP": int(first["TP"]),
                    "test FP known": int(first["FP known"]), "test FP unlabelled": int(first["FP unlabelled"]),
                    "test precision": round(float(first["precision"]), 3),
                    "test recall": round(float(first["recall"]), 3)})
    return row
