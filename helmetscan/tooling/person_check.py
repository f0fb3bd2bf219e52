"""Per-person check: every labelled head on a motorcycle, judged by the pipeline frame by frame.

The unit an authority cares about is a person: was *this* person, reported bare-headed, really bare-headed, and how many
bare-headed people were missed? On every image of a dataset split (default: the stage-1 test split, never trained on),
stage 1 → rider rule → stage 2 run as ``analyze`` runs them on one frame, giving a verdict per head. Each labelled head
(``with helmet`` / ``without helmet``, any head in these sources is a rider's or a passenger's) is matched one to one
to a verdict head (most overlapping pairs first, IoU >= ``violation_check.HEAD_MATCH_IOU``); a bare verdict that matches no
labelled head is a report on an unlabelled head. Every row carries the head size and, when a view label exists (``view_labels.csv``,
labelled by eye), the view, so precision and recall come out by head size and by view.

Sources differ in what they label: ``hcmute`` has no bare-head class (a bare verdict on an unlabelled head there may be
right), so its rows count only against helmeted heads; the summary reports sources apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helmetscan.config import Settings
from helmetscan.core.geometry import centre, contains, iou
from helmetscan.tooling.dataset import DEFAULT_SPEC, LabelBox, Sample, split_sources
from helmetscan.tooling.violation_check import CLIP_HELMET, CLIP_NO_HELMET, HEAD_MATCH_IOU, check_clip, summary_rows
from helmetscan.tooling.paths import LABELS

#: The labelled view classes (``view_labels.csv``).
VIEWS = ("front", "rear", "side")
#: Labels kept with the repository: the view of a seeded sample of test-split heads, labelled by eye.
VIEW_LABELS = LABELS / "view_labels.csv"
#: Head-size bins (longer side, source pixels) of the by-size table.
SIZE_BINS = (0, 16, 24, 32, 48, 10_000)


def split_samples(split: str = "test", spec_path: Path = DEFAULT_SPEC, root: Path | None = None,
                  seed: int = 0) -> list[Sample]:
    """The samples of one split of the stage-1 dataset, computed from the sources as ``helmetscan dataset`` splits
    them (same groups, same seed), without building it.

    Raises:
        FileNotFoundError: a source root is missing.
    """
    return [s for s, where in split_sources(spec_path, root, seed) if where == split]


def head_key(sample: Sample, index: int) -> str:
    """A stable name for the ``index``-th head box of a sample (the key of ``view_labels.csv``)."""
    return f"{sample.source}/{sample.image.stem}/{index}"


def labelled_heads(sample: Sample, width: int, height: int) -> list[tuple[str, tuple[float, ...], bool]]:
    """``(head key, xyxy pixels, bare?)`` for the labelled heads of ``sample``."""
    out = []
    for k, box in enumerate(sample.boxes):
        if box.class_name in ("with helmet", "without helmet"):
            x1, y1, x2, y2 = box.xyxy
            out.append((head_key(sample, k), (x1 * width, y1 * height, x2 * width, y2 * height),
                        box.class_name == "without helmet"))
    return out


@dataclass(frozen=True)
class PersonRow:
    """One row of the check: a labelled head and what the pipeline said of it (``state``: ``without_helmet``,
    ``with_helmet``, ``unknown``, or missed — ``no rider`` when stage 1 found no ridden motorcycle around it, ``no
    head`` when it did but stage 2 gave that head no verdict), or (``truth`` ``None``) a bare verdict on an unlabelled
    head. ``xyxy``: the labelled head box, or the verdict's head box for an unlabelled one (pixels)."""

    source: str
    image: str
    head: str | None
    truth: bool | None
    state: str
    head_px: float
    xyxy: tuple[float, float, float, float] | None = None


def build_pipeline(settings: Settings):
    """``(stage 1, HelmetCheck)`` as ``analyze`` builds them from ``settings``.

    Raises:
        WeightsError, ConfigError: as :func:`helmetscan.pipeline.loading.load_models`.
    """
    from helmetscan.pipeline.loading import build_stage1, build_helmet_check
    from helmetscan.pipeline.helmet_check import HelmetCheck

    detector = build_stage1(settings)
    head_detector, head_classifier = build_helmet_check(settings, detector.names)
    return detector, HelmetCheck(head_detector, settings.verification, head_classifier)


def check_image(sample: Sample, frame: np.ndarray, detector, helmet_check, settings: Settings) -> list[PersonRow]:
    """The rows of one image (``frame``: (H, W, 3) uint8 BGR): stage 1, the rider rule and stage 2 as the pipeline
    runs them, each labelled head matched to a verdict."""
    from helmetscan.pipeline.association import share_out_heads
    from helmetscan.pipeline.riders import find_riders

    h, w = frame.shape[:2]
    s = settings
    detections = detector(frame)
    ridden = find_riders(detections, s.detector.roles, s.riders)
    claims = {k: (r.regions, helmet_check.check(frame, r, 0, 0.0, detections)) for k, r in enumerate(ridden)}
    verdicts = [v for kept in share_out_heads(claims).values() for v in kept]
    labelled = labelled_heads(sample, w, h)
    # one-to-one: the most overlapping (labelled head, verdict) pairs first, each side used once
    pairs = sorted(((iou(box, v.head_xyxy), li, vi) for li, (_, box, _) in enumerate(labelled)
                    for vi, v in enumerate(verdicts)), reverse=True)
    match: dict[int, int] = {}
    used: set[int] = set()
    for overlap, li, vi in pairs:
        if overlap >= HEAD_MATCH_IOU and li not in match and vi not in used:
            match[li] = vi
            used.add(vi)
    rows = []
    for li, (key, box, bare) in enumerate(labelled):
        on_a_rider = any(contains(region, centre(box)) for r in ridden for region in r.regions)
        state = str(verdicts[match[li]].state) if li in match else "no head" if on_a_rider else "no rider"
        rows.append(PersonRow(sample.source, sample.image.name, key, bare, state,
                              max(box[2] - box[0], box[3] - box[1]), tuple(round(v, 1) for v in box)))
    for i, v in enumerate(verdicts):
        if i not in used and v.state == "without_helmet":
            rows.append(PersonRow(sample.source, sample.image.name, None, None, str(v.state), v.head_px,
                                  tuple(round(c, 1) for c in v.head_xyxy)))
    return rows


def check_people(settings: Settings, samples: list[Sample], sample: int | None = None, seed: int = 0):
    """Rows (pandas) for (a seeded sample of) ``samples``, with a ``view`` column from :data:`VIEW_LABELS`.

    Raises:
        WeightsError, ConfigError: as :func:`helmetscan.pipeline.loading.load_models`.
    """
    import cv2
    import pandas as pd
    from tqdm import tqdm

    chosen = sorted(random.Random(seed).sample(samples, sample), key=lambda s: s.image) if sample and sample < len(
        samples) else samples
    detector, helmet_check = build_pipeline(settings)
    rows = []
    for item in tqdm(chosen, desc="checking people", unit="image", disable=None, leave=False):
        frame = cv2.imread(str(item.image))
        if frame is not None:
            rows += check_image(item, frame, detector, helmet_check, settings)
    table = pd.DataFrame([r.__dict__ for r in rows])
    views = pd.read_csv(VIEW_LABELS, comment="#") if VIEW_LABELS.is_file() else pd.DataFrame(columns=["head", "view"])
    return table.merge(views[["head", "view"]], on="head", how="left")


def summarise(table, by: str | None = None):
    """Per-person precision and recall of bare-head reports (pandas), overall or per value of column ``by``.

    ``reported``: bare verdicts; ``TP`` on labelled (or reviewed, :func:`apply_reviews`) bare heads; ``FP known`` on
    labelled helmeted heads or reports reviewed wrong; ``FP unlabelled`` on heads nobody labelled or reviewed (not
    counted for sources without a bare-head class); ``precision`` = TP / (TP + FP known + FP unlabelled); ``recall`` = TP / labelled bare heads; ``unknown``:
    labelled heads the pipeline abstained on; ``no rider`` / ``no head``: labelled heads with no verdict, because stage
    1 found no ridden motorcycle around them, or because stage 2 found no head there.
    """
    import pandas as pd

    def one(part) -> dict:
        bare_said = part.state == "without_helmet"
        labelled = ~part["head"].fillna("").str.startswith("reviewed:") & part["head"].notna()
        tp = int((bare_said & (part.truth == True)).sum())  # noqa: E712 (a column of True/False/None)
        fp_known = int((bare_said & (part.truth == False)).sum())  # noqa: E712
        fp_u = int((bare_said & part.truth.isna() & (part.source != "hcmute")).sum())
        positives = labelled & (part.truth == True)  # noqa: E712
        reported = tp + fp_known + fp_u
        return {"bare heads": int(positives.sum()), "helmeted heads": int((labelled & (part.truth == False)).sum()),  # noqa: E712
                "reported": reported, "TP": tp, "FP known": fp_known, "FP unlabelled": fp_u,
                "precision": tp / reported if reported else float("nan"),
                "recall": int((positives & bare_said).sum()) / positives.sum() if positives.sum() else float("nan"),
                "unknown": int((labelled & (part.state == "unknown")).sum()),
                "no rider": int((labelled & (part.state == "no rider")).sum()),
                "no head": int((labelled & (part.state == "no head")).sum())}

    if by is None:
        return pd.DataFrame([one(table)])
    return pd.DataFrame([{by: key, **one(part)} for key, part in table.groupby(by, observed=True, dropna=False)])


def size_bins(table):
    """``table`` with a ``head px`` column of :data:`SIZE_BINS` intervals."""
    import pandas as pd

    return table.assign(**{"head px": pd.cut(table.head_px, SIZE_BINS, right=False).astype(str)})


#: Bare-head reports on heads the datasets do not label, reviewed by eye (``review``: bare, helmet, pedestrian, not_head,
#: unclear);
#: key: image name and the reported head box, pixels rounded to 0.1 (:class:`PersonRow`).
REVIEWS = LABELS / "unlabelled_reviews.csv"


#: A review applies to a report whose box overlaps the reviewed one by at least this IoU in the same image: another
#: model version (an INT8 copy, another input size) moves the same head's box by a pixel or two (our choice).
REVIEW_MATCH_IOU = 0.5


def apply_reviews(table, reviews: Path = REVIEWS):
    """``table`` with the reviewed truth of bare-head reports on unlabelled heads: a report reviewed ``bare`` counts as
    a true positive (``truth`` True, ``head`` ``reviewed:bare``); ``helmet``, ``pedestrian`` (not on a motorcycle) or
    ``not_head`` as a false report (``truth`` False, counted with "FP known"); ``unclear`` and unreviewed ones stay
    unlabelled (counted false). A review matches the report in the same image whose box overlaps its box most, by at
    least :data:`REVIEW_MATCH_IOU`."""
    import ast

    import pandas as pd

    from helmetscan.core.geometry import iou

    if not reviews.is_file() or table.empty or "xyxy" not in table.columns:
        return table
    done: dict[str, list] = {}
    for r in pd.read_csv(reviews, comment="#").itertuples():
        done.setdefault(r.image, []).append((ast.literal_eval(r.xyxy), r.review))
    table = table.copy()
    for i, row in table[table.truth.isna()].iterrows():
        box = ast.literal_eval(row.xyxy) if isinstance(row.xyxy, str) else tuple(row.xyxy)
        scored = [(iou(box, reviewed), review) for reviewed, review in done.get(row.image, [])]
        overlap, review = max(scored, default=(0.0, None))
        if overlap >= REVIEW_MATCH_IOU and review in ("bare", "helmet", "pedestrian", "not_head"):
            table.at[i, "truth"] = review == "bare"
            table.at[i, "head"] = f"reviewed:{review}"
    return table


#: Class ids of the helmet9 CCTV clip's labels that are heads, by target class.
CLIP_HEADS = {CLIP_HELMET: "with helmet", CLIP_NO_HELMET: "without helmet"}


#: Heads labelled by eye on the film clip ``../shared/footage/rider_pillion_no_helmet.mp4`` (see the file's header).
FILM_LABELS = LABELS / "film_people.csv"


def yolo_clip_heads(labels_dir: Path):
    """``heads_of(frame_index, width, height)`` for a clip with a YOLO label file per frame (``labels_dir/
    frame_{N:06d}.txt``, N = frame index + 1, classes as :data:`CLIP_HEADS`); ``None`` for a frame without a file."""
    from helmetscan.tooling.labels import read_yolo_labels

    def heads_of(frame_index: int, width: int, height: int) -> list[LabelBox] | None:
        path = labels_dir / f"frame_{frame_index + 1:06d}.txt"
        if not path.is_file():
            return None
        classes, boxes = read_yolo_labels(path)
        return [LabelBox(CLIP_HEADS[int(k)], tuple(map(float, b))) for k, b in zip(classes, boxes)
                if int(k) in CLIP_HEADS]

    return heads_of


def csv_clip_heads(path: Path = FILM_LABELS):
    """``heads_of(frame_index, width, height)`` from a CSV of pixel head boxes (``frame_index,x1,y1,x2,y2,state``,
    ``#`` comment lines; state ``with helmet`` or ``without helmet``); ``None`` for a frame the CSV does not list
    (not labelled)."""
    import pandas as pd

    table = pd.read_csv(path, comment="#")

    def heads_of(frame_index: int, width: int, height: int) -> list[LabelBox] | None:
        rows = table[table.frame_index == frame_index]
        if rows.empty:
            return None
        return [LabelBox(r.state, (r.x1 / width, r.y1 / height, r.x2 / width, r.y2 / height)) for r in rows.itertuples()]

    return heads_of


def check_clip_people(settings: Settings, video: Path, heads_of, fps: float = 5.0):
    """The per-person rows (as :func:`check_people`) of a clip whose heads are labelled frame by frame
    (``heads_of(frame_index, width, height) -> [LabelBox]``, ``None`` for a frame nobody labelled:
    :func:`yolo_clip_heads`, :func:`csv_clip_heads`), on the frames ``analyze`` samples at ``fps``: each labelled
    frame judged on its own (no tracking), so a person counts once per sampled frame.

    Raises:
        VideoError: the clip cannot be opened.
    """
    import pandas as pd

    from helmetscan.pipeline.sampling import DecodeStats, iter_sampled_frames

    detector, helmet_check = build_pipeline(settings)
    rows = []
    for sampled in iter_sampled_frames(video, fps, DecodeStats()):
        h, w = sampled.image.shape[:2]
        heads = heads_of(sampled.frame_index, w, h)
        if heads is None:
            continue
        sample = Sample("clip", Path(f"frame_{sampled.frame_index + 1:06d}.png"), str(sampled.frame_index), "clip",
                        heads)
        rows += check_image(sample, sampled.image, detector, helmet_check, settings)
    return pd.DataFrame([r.__dict__ for r in rows])


def _markdown(frame) -> str:
    from helmetscan.core.fielddoc import markdown_table

    frame = frame.round(3)
    return markdown_table(list(frame.columns), frame.astype(object).where(frame.notna(), None).values.tolist())


def _publish(folder: Path, name: str, rows, parts, show) -> None:
    """Write ``rows`` as ``folder/name.csv`` and the ``(heading, summary)`` tables as ``folder/name.md``; ``show``
    gets the tables' text."""
    folder.mkdir(parents=True, exist_ok=True)
    rows.to_csv(folder / f"{name}.csv", index=False)
    text = "".join(f"### {heading}\n\n{_markdown(frame)}\n" for heading, frame in parts)
    (folder / f"{name}.md").write_text(text, encoding="utf-8")
    show(text)


def source_samples(name: str, spec_path: Path | None = None) -> list[Sample]:
    """Every de-duplicated image of one source of the head locator's sources (``head_locator_sources.toml``), all
    splits: a source held out of every training run is checked whole.

    Raises:
        FileNotFoundError: the source root is missing. ValueError: no source of that name.
    """
    from helmetscan.tooling.dataset import deduplicate, load_specs, read_source
    from helmetscan.tooling.locator_crops import LOCATOR_SPEC
    from helmetscan.tooling.paths import REPOSITORY

    spec_path = spec_path or LOCATOR_SPEC
    specs = [s for s in load_specs(spec_path, REPOSITORY) if s.name == name]
    if not specs:
        raise ValueError(f"--held-out {name}: no such source in {spec_path}")
    return deduplicate(read_source(specs[0], []))[0]


def check_configs(configs: list[tuple[Path, Settings]], clip: Path | None, labels: Path | None, film: Path | None,
                  people: bool, sample: int, out: Path, show=print, held_out: tuple[str, ...] = ()) -> str:
    """Judge each ``(settings file, settings)`` at violation level and per person; write every table under
    ``out/<settings file stem>/`` and the comparison as ``out/violations.csv`` and ``out/violations.md``.

    Args:
        clip, labels: the clip with a YOLO label file per frame, and the folder of those labels (tracked as
            ``analyze`` runs, and every sampled frame on its own, by head size).
        film: the film clip, checked per person against its heads labelled by eye (``weights/labels/film_people.csv``).
        people: also check every labelled head of the stage-1 test split (by source, head size and view).
        sample: test images sampled (seeded) for the per-person check; 0: all.
        show: called with each table's markdown as it is written.
        held_out: sources (``head_locator_sources.toml``) checked per person on every image (:func:`source_samples`),
            by head size: the figures that predict an unseen camera when no model of the configuration trained on them.

    Returns:
        The comparison table, markdown.

    Raises:
        FileNotFoundError: a labelled set is missing. VideoError: a clip cannot be decoded.
    """
    import pandas as pd

    from helmetscan.core.fielddoc import markdown_table

    samples = split_samples("test") if people else None
    rows = []
    for config, settings in configs:
        stem = config.stem
        folder = out / stem
        clip_score = check_clip(settings, clip, labels, folder) if clip else None
        if clip:
            frames = apply_reviews(check_clip_people(settings, clip, yolo_clip_heads(labels), settings.sampling.fps))
            _publish(folder, "clip_people", frames, [
                (f"{stem}: clip, every sampled frame on its own, all", summarise(frames)),
                (f"{stem}: clip, every sampled frame on its own, by head size", summarise(size_bins(frames), "head px"))],
                show)
        if film:
            frames = apply_reviews(check_clip_people(settings, film, csv_clip_heads(FILM_LABELS),
                                                     settings.sampling.fps))
            _publish(folder, "film_people", frames,
                     [(f"{stem}: film clip, every labelled frame on its own", summarise(frames))], show)
        summary = None
        if samples:
            table = apply_reviews(check_people(settings, samples, sample or None))
            summary = summarise(table)
            _publish(folder, "people", table, [
                (f"{stem}: all", summary), (f"{stem}: by source", summarise(table, "source")),
                (f"{stem}: by head size", summarise(size_bins(table), "head px")),
                (f"{stem}: by view (heads labelled by eye)", summarise(table[table.view.notna()], "view"))], show)
        row = summary_rows(stem, clip_score, summary)
        for name in held_out:
            table = check_people(settings, source_samples(name))
            part = summarise(table).iloc[0]
            row.update({f"{name} bare heads": int(part["bare heads"]), f"{name} reported": int(part["reported"]),
                        f"{name} precision": round(float(part["precision"]), 3),
                        f"{name} recall": round(float(part["recall"]), 3)})
            _publish(folder, f"held_out_{name}", table, [
                (f"{stem}: {name}, every image", summarise(table)),
                (f"{stem}: {name}, by head size", summarise(size_bins(table), "head px"))], show)
        rows.append(row)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "violations.csv", index=False)
    keys = list(rows[0])
    table = markdown_table(keys, [[r.get(k) for k in keys] for r in rows])
    (out / "violations.md").write_text(table, encoding="utf-8")
    return table
