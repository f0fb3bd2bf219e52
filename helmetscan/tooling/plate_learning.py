"""Learning from reviewed plates (``helmetscan learn-plates``): fine-tune our plate reader on plates people have read,
and keep the result only when it reads a held-out share of them no worse.

Sources: a folder of plate images with ``labels.csv`` (``file,text``; as ``evaluate-plates`` reads), or an ``analyze``
output folder, whose review decisions carry the plates analysts confirmed or corrected (the evidence ``plate.png`` of
each confirmed violation with the plate text the reviewer typed). Texts are normalised like reads; a text with a
character our reader has no class for is left out (with the reason).

The run: a seeded share of the plates is held out, grouped by text so one plate is never on both sides; the current
reader reads it (exact reads, and the plates reported at the reader's confidence floor and how many of those are
right, as ``analyze`` judges one read); the reader is rebuilt in PyTorch from its ONNX file
(:func:`~helmetscan.tooling.plate_reader_weights.crnn_state_dict`), trained on the rest (each crop jittered as
``train-plates`` does, AdamW, a small learning rate: the reader already reads) and read again. ``out`` is written only
when it is no worse (:func:`not_worse`): as many held-out plates read exactly, and what it reports at least as often
right. The floors stay those measured for the shipped reader; a learnt reader is not recalibrated.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helmetscan.core.errors import ConfigError

#: A Korean two-row plate's text split into its rows: the region (and district, or the old layout's number) above,
#: the usage syllable and four digits below (서울마포 / 자6553, 서울12 / 가3456).
KR_TWO_ROWS = re.compile(r"^(.+?)([가-힣]\d{4})$")


#: Rendered plates drawn beside each learnt plate in every pass (our choice: without them, 200 openalpr car plates
#: took the reader's exact reads of rendered Korean plates from 81 % to 25 %; the card has the figures).
REPLAY_PER_PLATE = 3

#: The render recipe of the replayed plates: the shipped reader's (``weights/PLATE_READER.md``).
REPLAY_RECIPE = "vn_face"

#: Rendered plates rendered once for the replay (cached; about 40 s on 2 cores), and held-out renders (held-out fonts
#: and degradations) that check the learnt reader still reads the kinds of plate it was not shown.
REPLAY_PLATES = 4000
CHECK_PLATES = 400

#: How much lower (share of the check renders read exactly) the learnt reader may read them: 2 points, about the
#: standard error of a share near 0.6 on 400 plates (our choice).
RENDERED_TOLERANCE = 0.025


@dataclass(frozen=True)
class Rendered:
    """Rendered plates as model inputs: ``images`` (N, H, W) uint8, ``texts``, ``tops`` (each plate's top row)."""

    images: np.ndarray
    texts: list[str]
    tops: list[str]


def rendered(n: int, seed: int, held_out: bool, threads: int, log: Callable[[str], None]) -> Rendered | None:
    """``n`` rendered plates (training fonts and the shipped recipe, or with ``held_out`` the held-out fonts and
    degradations), cached in the user cache; ``None``, with a line to ``log``, when no Hangul font is installed."""
    import os

    from helmetscan.plates.recognizer import INPUT_HEIGHT, INPUT_WIDTH
    from helmetscan.tooling.plate_train_data import render_set

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "helmetscan" / "learn"
    path = cache / f"{'held_out' if held_out else REPLAY_RECIPE}-{n}-{seed}.npz"
    if not path.is_file():
        try:
            render_set(path, n, seed=seed, held_out=held_out, workers=threads, size=(INPUT_HEIGHT, INPUT_WIDTH),
                       recipe=REPLAY_RECIPE)
        except FileNotFoundError as exc:  # no Hangul font: the renders cannot be drawn here
            log(f"no rendered plates ({exc}): learning without them")
            return None
    data = np.load(path)
    return Rendered(data["images"], data["texts"].tolist(), data["top_rows"].tolist())


@dataclass(frozen=True)
class Plate:
    """One labelled plate crop: ``image`` (h, w, 3) uint8 BGR, ``text`` normalised, ``source`` (file or violation)."""

    image: np.ndarray
    text: str
    source: str


@dataclass
class Reading:
    """How a reader reads a set of plates: ``plates``, ``exact`` (best guess right), ``reported`` (at the floor) and
    ``wrong`` (reported but not right)."""

    plates: int
    exact: int
    reported: int
    wrong: int

    @property
    def precision(self) -> float | None:
        """Right share of the reported plates (``None`` when none is reported)."""
        return (self.reported - self.wrong) / self.reported if self.reported else None

    def line(self) -> str:
        p = "–" if self.precision is None else f"{self.precision:.3f}"
        return (f"exact {self.exact}/{self.plates} ({self.exact / max(1, self.plates):.1%}), reported "
                f"{self.reported} ({self.wrong} wrong, precision {p})")


@dataclass
class Learning:
    """What a :func:`learn_plates` run did: plates used for training and held out, those left out (source → why),
    the reading of the held-out plates before and after, and whether ``out`` was written."""

    trained_on: int
    held_out: int
    left_out: dict[str, str] = field(default_factory=dict)
    before: Reading | None = None
    after: Reading | None = None
    rendered_before: float | None = None
    rendered_after: float | None = None
    written: bool = False


def folder_plates(folder: Path) -> list[tuple[str, np.ndarray | None, str]]:
    """``(source, image or None, text)`` for every row of ``folder/labels.csv`` (``file,text``).

    Raises:
        ConfigError: no ``labels.csv``, or it lacks the ``file`` or ``text`` column.
    """
    import cv2

    labels = folder / "labels.csv"
    if not labels.is_file():
        raise ConfigError(f"{folder}: no labels.csv (file,text) and no helmetscan.db: not a source of plates")
    with labels.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if rows and not {"file", "text"} <= set(rows[0]):
        raise ConfigError(f"{labels}: needs the columns file and text")
    return [(str(folder / r["file"]), cv2.imread(str(folder / r["file"])), r["text"]) for r in rows]


def reviewed_plates(out: Path) -> list[tuple[str, np.ndarray | None, str]]:
    """``(violation id, plate crop or None, reviewed text)`` for every violation of an ``analyze`` output folder whose
    latest review confirms it with a plate text typed (a rejected violation's plate is not learnt from).

    Raises:
        ResultsError: the results database cannot be read.
    """
    import cv2

    from helmetscan.results.database import read_results
    from helmetscan.results.reviews import ReviewStatus

    _, records, reviews = read_results(out)
    found = []
    for record in records:
        review = reviews.get(record.violation_id)
        if review is None or review.status is not ReviewStatus.CONFIRMED or not review.plate_text_reviewed:
            continue
        crop = out / record.evidence_dir / "plate.png"
        found.append((record.violation_id, cv2.imread(str(crop)) if crop.is_file() else None,
                      review.plate_text_reviewed))
    return found


def collect(sources: list[Path], alphabet: str) -> tuple[list[Plate], dict[str, str]]:
    """The labelled plates of ``sources`` (folders with ``labels.csv``, or ``analyze`` output folders) and those left
    out (source → why).

    Raises:
        ConfigError: a source is neither kind.
    """
    from helmetscan.core.plate_formats import normalise
    from helmetscan.results.database import DB_NAME

    plates, left_out = [], {}
    for source in sources:
        rows = reviewed_plates(source) if (source / DB_NAME).is_file() else folder_plates(source)
        for name, image, text in rows:
            text = normalise(text)
            missing = sorted({ch for ch in text if ch not in alphabet})
            if image is None or not image.size:
                left_out[name] = "no readable plate image"
            elif not text:
                left_out[name] = "no plate text"
            elif missing:
                left_out[name] = f"characters the reader has no class for: {''.join(missing)}"
            else:
                plates.append(Plate(image, text, name))
    return plates, left_out


def top_row(text: str, image: np.ndarray, two_row_max_aspect: float) -> str:
    """The top row of a labelled plate for a reader with one sequence per row: the Vietnamese or Korean top row of a
    two-row crop (width / height under ``two_row_max_aspect``, as the runtime decides) whose text splits so; ``""``
    otherwise, a one-row plate (car plates, and any text of no known two-row layout)."""
    from helmetscan.tooling.plate_train_data import real_top_row

    h, w = image.shape[:2]
    if w / max(1, h) >= two_row_max_aspect:
        return ""
    if top := real_top_row(text):
        return top
    m = KR_TWO_ROWS.match(text)
    return m.group(1) if m else ""


def split(plates: list[Plate], holdout: float, seed: int) -> tuple[list[Plate], list[Plate]]:
    """``(train, held out)``: about ``holdout`` of the distinct texts held out (seeded), every crop of a text on one
    side."""
    texts = sorted({p.text for p in plates})
    random.Random(seed).shuffle(texts)
    held = set(texts[:max(1, round(len(texts) * holdout))])
    return [p for p in plates if p.text not in held], [p for p in plates if p.text in held]


def read_plates(model_path: Path, plates: list[Plate], settings) -> Reading:
    """Read ``plates`` with the reader in ``model_path`` as ``analyze`` reads and judges one crop (the plates
    settings' formats, confidence floor and unreported formats)."""
    from helmetscan.core.status import PlateStatus
    from helmetscan.pipeline.loading import build_crop_reader
    from helmetscan.plates.fuse import fuse_reads

    plates_settings = settings.plates.model_copy(update={"reader_model": str(model_path), "recognizer": "helmetscan"})
    reader, section = build_crop_reader(settings.model_copy(update={"plates": plates_settings}), "helmetscan")
    reads = reader.read([p.image for p in plates])
    exact = reported = wrong = 0
    for plate, crop_read in zip(plates, reads):
        fused = fuse_reads([crop_read.read], reader.formats, 0.0, section.plate_floor(),
                           unreported_formats=section.unreported())
        exact += crop_read.read.text == plate.text
        if fused.status is not PlateStatus.UNREAD:
            reported += 1
            wrong += fused.text != plate.text
    return Reading(len(plates), exact, reported, wrong)


def rendered_exact(model_path: Path, plates: Rendered, batch: int = 256) -> float:
    """Share of rendered ``plates`` whose greedy read (one view, no format) by the ONNX reader in ``model_path`` equals
    the text: a check that learning one kind of plate did not unlearn the others."""
    from helmetscan.inference.onnx_session import cpu_session
    from helmetscan.plates.recognizer import PlateRecognizer, decode_ctc
    from helmetscan.tooling.line_reader_learning import is_line_reader
    from helmetscan.tooling.plate_render import ALPHABET

    if is_line_reader(model_path):  # two readings of each plate: the runtime's choice, one view, no format
        reader = PlateRecognizer(model_path, threads=2, views=1)
        reads = [r.text for i in range(0, len(plates.texts), 64)
                 for r in reader.read_batch(list(plates.images[i:i + 64]))]
        return sum(read == text for read, text in zip(reads, plates.texts)) / max(1, len(plates.texts))
    session = cpu_session(model_path, threads=2)
    right = 0
    for i in range(0, len(plates.texts), batch):
        x = plates.images[i:i + batch, None].astype(np.float32) / 255.0
        probabilities = session.run(None, {session.get_inputs()[0].name: x})[0]
        right += sum(decode_ctc(p, ALPHABET).text == text for p, text in zip(probabilities, plates.texts[i:i + batch]))
    return right / max(1, len(plates.texts))


def fine_tune(base: Path, plates: list[Plate], tops: list[str], out: Path, epochs: int, seed: int, threads: int,
              lr: float, log: Callable[[str], None], replay: Rendered | None = None) -> Path:
    """Train the reader of ``base`` (a CRNN ``.onnx`` exported by ``train-plates``, or a line reader of
    ``train-line-reader``: :func:`helmetscan.tooling.line_reader_learning.learn`, Adam) on ``plates`` for ``epochs``
    passes (batches of 16, each crop jittered; AdamW at ``lr``, gradients clipped at norm 5 as ``train-plates`` does)
    and export it to ``out`` with ``base``'s metadata plus what it learnt from. ``replay``: rendered plates of the
    shipped reader's recipe, :data:`REPLAY_PER_PLATE` of them drawn anew each pass beside every plate, so the reader
    keeps reading the kinds of plate it is not shown here."""
    import torch
    from torch import nn

    from helmetscan.plates.recognizer import INPUT_HEIGHT, INPUT_WIDTH, to_model_input
    from helmetscan.tooling.line_reader_learning import is_line_reader, learn
    from helmetscan.tooling.plate_network import build_ctc_model, export_onnx, train_with_frozen_batch_norm
    from helmetscan.tooling.plate_reader_weights import reader_metadata, crnn_state_dict, reader_bands, reader_rows
    from helmetscan.tooling.plate_render import ALPHABET
    from helmetscan.tooling.plate_train import ctc_batch_loss
    from helmetscan.tooling.plate_train_data import augment

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    own = np.stack([to_model_input(p.image, (INPUT_HEIGHT, INPUT_WIDTH)) for p in plates])
    learnt_from = (f"{len(plates)} reviewed plates (+ {REPLAY_PER_PLATE} rendered each, redrawn per pass), "
                   f"{epochs} epochs from {base.name}" if replay is not None else
                   f"{len(plates)} reviewed plates, {epochs} epochs from {base.name}")
    if is_line_reader(base):
        def draw():
            drawn = rng.permutation(len(replay.texts))[:REPLAY_PER_PLATE * len(plates)]
            return replay.images[drawn], [replay.texts[k] for k in drawn], [replay.tops[k] for k in drawn]

        metadata = reader_metadata(base) | {"learnt_from": learnt_from}
        return learn(base, own, [p.text for p in plates], list(tops), out, epochs, lr, rng, metadata, log,
                     draw if replay is not None and len(replay.texts) else None)
    rows = reader_rows(base)
    model = build_ctc_model(len(ALPHABET) + 1, reader_bands(base), True, rows)
    stats = own if replay is None else np.concatenate([own, replay.images[:REPLAY_PER_PLATE * len(own)]])
    model.load_state_dict(crnn_state_dict(base, stats[rng.permutation(len(stats))[:512]]), strict=False)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    ctc_loss = nn.CTCLoss(blank=0, zero_infinity=True)
    for epoch in range(epochs):
        images, texts, rows_top = own, [p.text for p in plates], list(tops)
        if replay is not None and len(replay.texts):
            drawn = rng.permutation(len(replay.texts))[:REPLAY_PER_PLATE * len(plates)]
            images = np.concatenate([own, replay.images[drawn]])
            texts += [replay.texts[k] for k in drawn]
            rows_top += [replay.tops[k] for k in drawn]
        train_with_frozen_batch_norm(model)
        total = 0.0
        order = rng.permutation(len(images))
        for i in range(0, len(order), 16):
            idx = order[i:i + 16]
            x = augment(torch.from_numpy(images[idx]).float().unsqueeze(1) / 255.0, rng)
            if rows:
                top = [rows_top[k] for k in idx]
                bottom = [texts[k][len(t):] for k, t in zip(idx, top)]
                loss = sum(ctc_batch_loss(ctc_loss, band, batch) for band, batch in zip(model.row_logits(x), (top, bottom)))
            else:
                loss = ctc_batch_loss(ctc_loss, model.logits(x), [texts[k] for k in idx])
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
            total += loss.item() * len(idx)
        log(f"epoch {epoch + 1}/{epochs}: loss {total / len(order):.3f}")
    info = {k: v for k, v in reader_metadata(base).items() if k not in ("alphabet", "pad")}
    info["learnt_from"] = learnt_from
    export_onnx(model, out, info, (INPUT_HEIGHT, INPUT_WIDTH))
    return out


def not_worse(before: Reading, after: Reading) -> bool:
    """Whether a learnt reader may replace the one it learnt from: at least as many held-out plates read exactly, and
    the reported ones at least as often right (a reader that reported nothing counts as always right, so the new
    one must then be right on 99 % of what it reports: the project's floor rule, ``weights/PLATE_READER.md``)."""
    floor = before.precision if before.precision is not None else 0.99
    return after.exact >= before.exact and (after.precision is None or after.precision >= min(floor, 0.99))


def learn_plates(sources: list[Path], out: Path, settings, holdout: float = 0.25, epochs: int = 12, seed: int = 0,
                 threads: int = 2, lr: float = 3e-4, limit: int = 0, replay_plates: bool = True,
                 log: Callable[[str], None] = print) -> Learning:
    """Fine-tune the settings' plate reader (``plates.reader_model``) on the labelled plates of ``sources``; write
    the result to ``out`` only when it reads the held-out share no worse (see the module docstring). ``limit``: train
    on at most this many of the plates not held out (seeded; 0: all), the same held-out share whatever it is, so runs
    with several limits give a learning curve.

    Raises:
        ConfigError: a source is not a plate folder or an output folder, fewer than 10 usable plates, or ``out``
            is the reader being learnt from.
        WeightsError: the reader's weight file is missing or not one of ours.
    """
    import shutil
    import tempfile

    from helmetscan.tooling.plate_render import ALPHABET

    base = settings.model_path(settings.plates.reader_model)
    if out.resolve() == base.resolve():
        raise ConfigError(f"{out}: that is the reader being learnt from; write the new one elsewhere")
    plates, left_out = collect(sources, ALPHABET)
    if len(plates) < 10:
        raise ConfigError(f"{len(plates)} usable labelled plate(s) in {', '.join(map(str, sources))}: at least 10 are "
                          "needed (a share is held out to judge the result)")
    train, held = split(plates, holdout, seed)
    if limit:
        train = [train[i] for i in sorted(random.Random(seed).sample(range(len(train)), min(limit, len(train))))]
    learning = Learning(len(train), len(held), left_out)
    learning.before = read_plates(base, held, settings)
    log(f"{base.name} on {len(held)} held-out plates: {learning.before.line()}")
    replay = rendered(REPLAY_PLATES, seed, False, threads, log) if replay_plates else None
    check = rendered(CHECK_PLATES, seed, True, threads, log) if replay_plates else None
    if check is not None:
        learning.rendered_before = rendered_exact(base, check)
    with tempfile.TemporaryDirectory() as tmp:
        tops = [top_row(p.text, p.image, settings.plates.two_row_max_aspect) for p in train]
        candidate = fine_tune(base, train, tops, Path(tmp) / "reader.onnx", epochs, seed, threads, lr, log, replay)
        learning.after = read_plates(candidate, held, settings)
        log(f"learnt reader on the same plates: {learning.after.line()}")
        if check is not None:
            learning.rendered_after = rendered_exact(candidate, check)
            log(f"rendered held-out plates (other kinds), greedy exact: {learning.rendered_before:.1%} before, "
                f"{learning.rendered_after:.1%} after")
        learning.written = not_worse(learning.before, learning.after) and (
            check is None or learning.rendered_after >= learning.rendered_before - RENDERED_TOLERANCE)
        if learning.written:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(candidate, out)
    return learning
