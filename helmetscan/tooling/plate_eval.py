"""``helmetscan evaluate-plates``: score plate recognisers on a folder of labelled plate crops, so they can be compared.

The folder holds the crops and ``labels.csv`` with columns ``file`` (path relative to the folder) and ``text`` (the
plate text, any separators; it is normalised like a read). Each crop is read the way ``analyze`` reads one
(:class:`~helmetscan.plates.read.CropReader`: prepared, normalised, corrected to a format) and judged the
way ``analyze`` judges one read (below ``plates.min_plate_conf`` it is ``unread``).

Figures per recogniser and per format of the true text:

* ``exact``: share of plates whose corrected read equals the truth, whatever the confidence (reading ability);
* ``reported``: share of plates that pass the confidence floor (not ``unread``);
* ``precision``: of the reported plates, the share that is exactly right (a wrong plate is worse than ``unread``);
* ``char_acc``: 1 − edit distance / length of the truth, averaged (partial credit);
* ``ms_per_crop``: wall time of reading after one warm-up read, one crop after another (batches of
  :data:`BATCH` for a recogniser that batches).

With ``--find`` the folder holds whole photos (one plate each, e.g. ``plate_sets``' ``real_eval_photos``): the plate
detector finds the plates first and the most confident plate is the read, as ``helmetscan plate`` answers for a
photo (:func:`helmetscan.plates.photo.read_image`); a photo where no plate is found is read as nothing, and
``ms_per_crop`` is then per photo, detection included.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from helmetscan.core.errors import ConfigError
from helmetscan.core.plate_formats import plate_format
from helmetscan.core.plate_formats import normalise
from helmetscan.core.status import PlateStatus
from helmetscan.plates.fuse import fuse_reads

#: Crops read per batch by a batching recogniser (ours); the others read one at a time.
BATCH = 32


@dataclass(frozen=True)
class Outcome:
    """One crop's result: ``truth`` and ``read`` normalised, ``reported`` (passed the confidence floor);
    ``withheld``: the read is in a format the settings never report (``plates.unreported_formats``), so no floor
    reports it and the floor rules (:func:`floor_for_precision`, :func:`rule_floor`) leave it out."""

    file: str
    truth: str
    format: str
    read: str
    confidence: float
    reported: bool
    withheld: bool = False


def read_labels(folder: Path) -> list[tuple[str, str]]:
    """``(file, normalised text)`` rows of ``folder/labels.csv``.

    Raises:
        ConfigError: no labels.csv, or it lacks the ``file`` and ``text`` columns.
    """
    path = folder / "labels.csv"
    if not path.is_file():
        raise ConfigError(f"{folder}: no labels.csv (columns file,text)")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not {"file", "text"} <= set(reader.fieldnames or ()):
            raise ConfigError(f"{path}: needs columns file,text, has {reader.fieldnames}")
        return [(row["file"], normalise(row["text"])) for row in reader if normalise(row["text"])]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def confusions(truth: str, read: str) -> list[tuple[str, str]]:
    """``(true, read)`` character pairs where ``read`` differs from ``truth``, aligned by :class:`difflib.SequenceMatcher`
    (``""`` on one side for a missing or extra character)."""
    pairs = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, truth, read, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        a, b = truth[i1:i2], read[j1:j2]
        if op == "replace" and len(a) == len(b):
            pairs.extend(zip(a, b))
        else:
            pairs.append((a, b))
    return pairs


def evaluate(folder: Path, reader, settings, detector=None) -> tuple[list[Outcome], float]:
    """Read every labelled crop of ``folder`` with ``reader`` (a :class:`~helmetscan.plates.read.CropReader`);
    returns the outcomes and the mean milliseconds per crop. With ``detector`` (the plate detector) the images are
    photos: their plates are found first and the most confident one is the read (see the module doc).

    Raises:
        ConfigError: see :func:`read_labels`; a listed crop that cannot be read as an image.
    """
    import cv2

    rows = read_labels(folder)
    images = []
    for file, _ in rows:
        image = cv2.imread(str(folder / file))
        if image is None:
            raise ConfigError(f"{folder / file}: not a readable image")
        images.append(image)
    if detector is not None:
        return _evaluate_photos(rows, images, detector, reader, settings)
    step = BATCH if hasattr(reader.recognizer, "read_batch") else 1
    reader.read(images[:1])  # warm-up (first-call allocations), not timed
    reads = []
    t0 = time.perf_counter()
    for i in range(0, len(images), step):
        reads.extend(reader.read(images[i:i + step]))
    ms = (time.perf_counter() - t0) * 1000 / max(1, len(images))
    out = []
    for (file, truth), crop_read in zip(rows, reads):
        fused = fuse_reads([crop_read.read], reader.formats, 0.0, settings.plate_floor(),  # one read: the plate floor
                           unreported_formats=settings.unreported())
        out.append(Outcome(file, truth, plate_format(truth, reader.formats) or "other", crop_read.read.text,
                           crop_read.read.confidence, fused.status is not PlateStatus.UNREAD, fused.withheld))
    return out, ms


def _evaluate_photos(rows, images, detector, reader, settings) -> tuple[list[Outcome], float]:
    from helmetscan.plates.photo import read_image

    if images:
        read_image(images[0], detector, reader, settings, as_crop=False)  # warm-up, not timed
    out = []
    t0 = time.perf_counter()
    for (file, truth), image in zip(rows, images):
        found = read_image(image, detector, reader, settings, as_crop=False)
        best = found[0].plate if found else None
        read = best.best_guess if best else ""
        out.append(Outcome(file, truth, plate_format(truth, reader.formats) or "other", read,
                           best.confidence if best else 0.0, bool(best and best.status is not PlateStatus.UNREAD),
                           bool(best and best.withheld)))
    return out, (time.perf_counter() - t0) * 1000 / max(1, len(images))


def summary(outcomes: list[Outcome]) -> dict[str, float | int]:
    """``plates``, ``exact``, ``reported``, ``precision``, ``char_acc`` of a set of outcomes (see the module doc)."""
    n = len(outcomes)
    if not n:
        return {"plates": 0}
    right = [o.read == o.truth for o in outcomes]
    reported = [o for o in outcomes if o.reported]
    return {
        "plates": n,
        "exact": round(sum(right) / n, 4),
        "reported": round(len(reported) / n, 4),
        "precision": round(sum(o.read == o.truth for o in reported) / len(reported), 4) if reported else float("nan"),
        "char_acc": round(sum(max(0.0, 1 - edit_distance(o.truth, o.read) / len(o.truth)) for o in outcomes) / n, 4),
    }


def table_rows(name: str, outcomes: list[Outcome], ms: float) -> list[dict]:
    """One row per format of the true text and one ``all`` row, each with the recogniser's name and ms per crop."""
    formats = sorted({o.format for o in outcomes})
    rows = [{"recognizer": name, "format": f, **summary([o for o in outcomes if o.format == f])} for f in formats]
    rows.append({"recognizer": name, "format": "all", **summary(outcomes), "ms_per_crop": round(ms, 2)})
    return rows


def top_confusions(outcomes: list[Outcome], k: int = 10) -> list[tuple[str, str, int]]:
    """The ``k`` most frequent ``(true, read, count)`` character confusions."""
    counts = Counter(p for o in outcomes for p in confusions(o.truth, o.read))
    return [(a, b, c) for (a, b), c in counts.most_common(k)]


def floor_for_precision(outcomes: list[Outcome], target: float) -> tuple[float, float, float] | None:
    """The lowest confidence floor at which the reads at or above it are exactly right at least ``target`` of the time:
    ``(floor, precision, share reported)``, or ``None`` if no floor reaches it. Use it on sets the figures are not
    reported on (``plate_sets``: ``selection``, ``real_train``). Withheld reads (:class:`Outcome`) are left out."""
    ranked = sorted((o for o in outcomes if not o.withheld), key=lambda o: -o.confidence)
    total = len(outcomes)
    best = None
    right = 0
    for k, o in enumerate(ranked, 1):
        right += o.read == o.truth
        if right / k >= target and (k == len(ranked) or ranked[k].confidence < o.confidence):
            best = (o.confidence, right / k, k / total)
    return best


@dataclass(frozen=True)
class RuleFloor:
    """A confidence floor chosen by the rule of ``weights/PLATE_READER.md`` (its sections *the rule a new reader must
    pass, fixed before reading any candidate* and *a floor for plates fused over a track*): ``lowest`` is the lowest
    confidence from which ``target`` of the reads are exactly right; ``floor`` is that rounded up to a multiple of
    ``step`` or, where the reads from the rounded value are less precise than ``target`` (precision is not monotonic in
    the floor), the next multiple that is; ``reported`` of ``plates`` reads reach it and ``wrong`` of them are wrong."""

    lowest: float
    floor: float
    reported: int
    wrong: int
    plates: int


def rule_floor(outcomes: list[Outcome], target: float = 0.99, step: float = 0.05) -> RuleFloor | None:
    """The floor by the reader and track rule (:class:`RuleFloor`), or ``None`` when no confidence reaches ``target``.
    ``outcomes`` are the reads of sets the figures are not reported on."""
    import math

    found = floor_for_precision(outcomes, target)
    if found is None:
        return None
    plates, outcomes = len(outcomes), [o for o in outcomes if not o.withheld]
    floor = round(math.ceil(round(found[0] / step, 6)) * step, 4)
    while True:
        kept = [o for o in outcomes if o.confidence >= floor]
        right = sum(o.read == o.truth for o in kept)
        if not kept or right / len(kept) >= target:
            return RuleFloor(found[0], floor, len(kept), len(kept) - right, plates)
        floor = round(floor + step, 4)


@dataclass
class Comparison:
    """What :func:`compare` found: ``rows`` (one per set, recogniser and format: the figures of :func:`table_rows`
    with ``set``), ``reads`` (every crop's :class:`Outcome` with its set and recogniser) and ``notes`` (one line each:
    the most frequent confusions per set, and the floors asked for with ``target_precision``)."""

    rows: list[dict]
    reads: list[dict]
    notes: list[str]


def compare(folders: list[Path], recognizers: list[str], settings, find: bool = False,
            target_precision: float | None = None, log=lambda line: None) -> Comparison:
    """Score each recogniser on each folder of labelled crops (or photos with ``find``).

    Every folder's labels are read before the first model loads, so a bad folder fails at once. With
    ``target_precision``, per recogniser over all folders pooled: the lowest floor reaching that precision
    (:func:`floor_for_precision`) and the floor by the rule of ``weights/PLATE_READER.md`` (:func:`rule_floor`).
    Each note is also given to ``log`` as soon as it is known.

    Raises:
        ConfigError: a folder without a readable ``labels.csv``, or an unknown recogniser.
        WeightsError: a recogniser's or the detector's weights are missing or corrupt.
    """
    from helmetscan.pipeline.loading import build_crop_reader, build_photo_plate_detector

    for folder in folders:
        read_labels(folder)
    result = Comparison([], [], [])
    detector = None
    for name in recognizers:
        reader, plates = build_crop_reader(settings, name)
        if find and detector is None:
            detector = build_photo_plate_detector(plates, settings)
        pooled = []
        for folder in folders:
            outcomes, ms = evaluate(folder, reader, plates, detector)
            result.rows += [{"set": folder.name, **r} for r in table_rows(name, outcomes, ms)]
            result.reads += [{"set": folder.name, "recognizer": name, **vars(o)} for o in outcomes]
            pairs = ", ".join(f"{a or '∅'}→{b or '∅'} {c}" for a, b, c in top_confusions(outcomes))
            result.notes.append(f"{name} on {folder.name}: top confusions (true→read count): {pairs or 'none'}")
            log(result.notes[-1])
            pooled += outcomes
        if target_precision is not None:
            floor = floor_for_precision(pooled, target_precision)
            rule = rule_floor(pooled, target_precision)
            result.notes.append(f"{name}: " + (
                f"floor {floor[0]:.4f} gives precision {floor[1]:.3f}, reporting {floor[2]:.1%} of {len(pooled)} "
                f"plates; by the rule of weights/PLATE_READER.md the floor is {rule.floor:.2f}: {rule.reported} "
                f"reported, {rule.wrong} wrong" if floor else f"no floor reaches precision {target_precision}"))
            log(result.notes[-1])
    return result
