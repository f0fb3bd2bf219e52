"""Train our plate reader (:mod:`helmetscan.plates.recognizer`) on rendered plates plus the real crops labelled by
eye, in plain PyTorch, and export it to ONNX (``helmetscan train-plates``).

The network is the CRNN of :func:`~helmetscan.tooling.plate_network.build_ctc_model` over the grey crop squeezed to
64 × ``input_width`` pixels, trained with a CTC loss (``torch.nn.CTCLoss``, blank = class 0; with ``rows`` one loss
per plate row, the renders' ``top_rows`` and :func:`~helmetscan.tooling.plate_train_data.real_top_row` giving each
plate's rows), AdamW (weight decay 1e-4) under a one-cycle learning-rate schedule, gradients clipped at norm 5 (CTC's
early gradients spike; common CRNN practice), each batch augmented
(:func:`~helmetscan.tooling.plate_train_data.augment`). The epoch kept is the one whose reads of a held-out rendered set (held-out fonts and degradations) are
most often exactly right; the real ``eval`` crops are never read here.

Resumable: the state after each epoch is ``<run>/last.pt``; running again continues. A run usually starts from the
reader before it (``init``: a ``best.pt`` or a CRNN reader's ``.onnx`` such as ``weights/plate_reader.onnx``); the
shipped reader's chain of runs, with their options and times, is in ``weights/PLATE_READER.md``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helmetscan.core.errors import ConfigError, HelmetscanError
from helmetscan.plates.recognizer import INPUT_HEIGHT, INPUT_WIDTH
from helmetscan.tooling.plate_crops import DEFAULT_CROPS
from helmetscan.tooling.plate_render import ALPHABET, TRAINING_RECIPES
from helmetscan.tooling.plate_train_data import DEFAULT_RECIPE


@dataclass(frozen=True)
class ReaderTraining:
    """One training run (each field is the option of ``helmetscan train-plates`` of the same name).

    Raises:
        ConfigError: options that do not go together, or an unknown ``recipe``.
    """

    run: Path = Path("runs/plate_reader")
    crops: Path = DEFAULT_CROPS
    train_size: int = 60_000
    held_out_size: int = 3_000
    epochs: int = 12
    batch: int = 128
    real_copies: int = 12
    threads: int = 2
    seed: int = 0
    init: Path | None = None
    fresh_rnn: bool = False
    lr: float = 2e-3
    rendered: tuple[Path, ...] = field(default=())
    held_out: Path | None = None
    epoch_size: int = 0
    warmup: float = 0.15
    input_width: int = INPUT_WIDTH
    bands: int = 2
    forward_only: bool = False
    rows: bool = False
    recipe: str = DEFAULT_RECIPE

    def __post_init__(self) -> None:
        if self.fresh_rnn and self.init is None:
            raise ConfigError("--fresh-rnn keeps the conv blocks of --init: give --init")
        if self.bands not in (2, 4):
            raise ConfigError(f"--bands {self.bands}: 2 or 4")
        if self.rows and self.bands != 2:
            raise ConfigError("--rows reads one row per band: give --bands 2")
        if self.recipe not in TRAINING_RECIPES:
            raise ConfigError(f"--recipe {self.recipe!r}: one of {', '.join(TRAINING_RECIPES)}")

    @property
    def size(self) -> tuple[int, int]:
        """The network's input (height, width) in pixels."""
        return INPUT_HEIGHT, self.input_width


def encode(text: str, alphabet: str = ALPHABET) -> np.ndarray:
    """Class ids (len(text),) int64 of ``text``: alphabet index + 1 per character (0 is the CTC blank).

    Raises:
        ValueError: a character outside ``alphabet``.
    """
    ids = np.zeros(len(text), np.int64)
    for i, ch in enumerate(text):
        k = alphabet.find(ch)
        if k < 0:
            raise ValueError(f"{text!r}: {ch!r} is not in the alphabet")
        ids[i] = k + 1
    return ids


def ctc_targets(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """CTC targets of ``texts``: the concatenated class ids (alphabet index + 1) and the length of each text."""
    ids = [encode(t) for t in texts]
    return (np.concatenate(ids) if ids else np.zeros(0, np.int64)), np.array([len(t) for t in texts], np.int64)


def ctc_batch_loss(ctc_loss, logits, texts: list[str]):
    """``ctc_loss`` (``torch.nn.CTCLoss``, blank 0) of ``logits`` (N, steps, classes) against ``texts`` (N; "" is
    allowed: all blank)."""
    import torch

    targets, lengths = ctc_targets(texts)
    log_probs = logits.log_softmax(-1).permute(1, 0, 2)  # (T, N, C)
    steps = torch.full((len(texts),), log_probs.shape[0], dtype=torch.long)
    return ctc_loss(log_probs, torch.from_numpy(targets), steps, torch.from_numpy(lengths))


def exact_accuracy(model, images: np.ndarray, texts: list[str], batch: int = 512) -> float:
    """Share of ``images`` ((N, H, W) uint8 model inputs) whose greedy CTC read (one view, no format constraint)
    equals ``texts`` exactly: the model-selection figure of a run."""
    import torch

    from helmetscan.plates.recognizer import decode_ctc

    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i:i + batch]).float().unsqueeze(1) / 255.0
            probs = model(x).numpy()
            right += sum(decode_ctc(p, ALPHABET).text == t for p, t in zip(probs, texts[i:i + batch]))
    return right / max(1, len(images))


@dataclass
class _Data:
    """What a run trains on (model inputs (N, H, W) uint8, texts, top rows when ``rows``) and selects with."""

    images: np.ndarray
    texts: list[str]
    tops: list[str]
    held_images: np.ndarray
    held_texts: list[str]
    rendered: int
    real_crops: int


def _data(t: ReaderTraining, log: Callable[[str], None]) -> _Data:
    """Render the run's sets once (``<run>/rendered_train.npz``, ``rendered_held_out.npz``), read the extra renders
    and the real training crops."""
    from helmetscan.tooling.plate_train_data import real_set, render_set

    if t.real_copies and not t.crops.expanduser().is_dir():
        raise FileNotFoundError(f"{t.crops}: no crops folder (cut the labelled crops with `helmetscan plate-crops`, "
                                "or train on renders alone with --real-copies 0)")
    train_npz, held_npz = t.run / "rendered_train.npz", t.run / "rendered_held_out.npz"
    if not train_npz.exists():
        started = time.time()
        render_set(train_npz, t.train_size, seed=t.seed, held_out=False, workers=t.threads, size=t.size,
                   recipe=t.recipe)
        log(f"rendered {t.train_size} training plates in {time.time() - started:.0f} s")
    if t.held_out:
        held_npz = t.held_out
    elif not held_npz.exists():
        render_set(held_npz, t.held_out_size, seed=t.seed + 1_000, held_out=True, workers=t.threads, size=t.size)
    rendered = [train_npz, *t.rendered]
    if len({path.resolve() for path in rendered}) < len(rendered):
        raise ConfigError(f"--rendered names {train_npz} (the run's own renders, always read) or a file twice: each "
                          "set would count twice against the real crops")
    sets = [np.load(p) for p in rendered]
    if t.rows:
        for name, d in zip(rendered, sets):
            if "top_rows" not in d:
                raise ConfigError(f"{name}: rendered without top_rows: --rows cannot split its texts")
    held = np.load(held_npz)
    for name, array in [*zip(rendered, (d["images"] for d in sets)), (held_npz, held["images"])]:
        if array.shape[1:] != t.size:
            raise ConfigError(f"{name}: rendered at {array.shape[1:]}, not the input size {t.size} (--input-width)")
    real_x, real_t = real_set(t.crops.expanduser(), "train", t.real_copies, t.seed, t.size)
    texts = [*np.concatenate([d["texts"] for d in sets]).tolist(), *real_t]
    tops: list[str] = []
    if t.rows:
        from helmetscan.tooling.plate_train_data import real_top_row

        tops = [*np.concatenate([d["top_rows"] for d in sets]).tolist(), *map(real_top_row, real_t)]
        bad = next((text for text, top in zip(texts, tops) if not text.startswith(top)), None)
        if bad is not None:
            raise HelmetscanError(f"{bad!r} does not start with its top row: cannot split it into rows")
    n_rendered = sum(len(d["images"]) for d in sets)
    data = _Data(np.concatenate([*(d["images"] for d in sets), real_x]), texts, tops, held["images"],
                 held["texts"].tolist(), n_rendered, len(real_t) // max(1, t.real_copies))
    log(f"training on {n_rendered} rendered + {len(real_x)} real ({data.real_crops} crops × {t.real_copies}); model "
        f"selection on {len(data.held_images)} rendered plates ({held_npz}); the real eval crops are never read here")
    return data


def _start(model, t: ReaderTraining, images: np.ndarray, log: Callable[[str], None]) -> None:
    """Load into ``model`` every tensor of ``t.init`` whose name and shape fit (``fresh_rnn``: the conv blocks only)."""
    import torch

    from helmetscan.tooling.plate_network import forward_only_state

    own = model.state_dict()
    if t.init.suffix == ".onnx":  # a shipped reader: its weights rebuilt from the ONNX file
        from helmetscan.tooling.plate_reader_weights import crnn_state_dict

        start = crnn_state_dict(t.init, images[np.random.default_rng(t.seed).permutation(len(images))[:512]])
    else:
        start = torch.load(t.init)
    if t.forward_only and any(k.endswith("_reverse") for k in start):
        start = forward_only_state(start)
    if t.rows and not any(k.startswith("rnn_top.") for k in start):  # both rows' LSTMs from the one LSTM
        start = {**start, **{"rnn_top." + k[4:]: v.clone() for k, v in start.items() if k.startswith("rnn.")}}
    fitting = {k: v for k, v in start.items() if k in own and own[k].shape == v.shape
               and not (t.fresh_rnn and k.startswith(("rnn.", "rnn_top.", "head.")))}
    model.load_state_dict(fitting, strict=False)
    log(f"started from {t.init}: {len(fitting)} of {len(own)} tensors")


def _fit(model, t: ReaderTraining, data: _Data, log: Callable[[str], None]) -> list[dict]:
    """Train the remaining epochs (resuming from ``<run>/last.pt``), saving ``best.pt`` and ``last.pt`` after each;
    returns the history (per epoch: mean loss, held-out rendered exact share, seconds)."""
    import torch
    from torch import nn

    from helmetscan.tooling.plate_train_data import augment

    optimiser = torch.optim.AdamW(model.parameters(), lr=t.lr, weight_decay=1e-4)
    epoch_size = t.epoch_size or len(data.images)
    steps_per_epoch = (epoch_size + t.batch - 1) // t.batch
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=t.lr, total_steps=t.epochs * steps_per_epoch,
                                                    pct_start=t.warmup)
    start_epoch, best, history = 0, -1.0, []
    last = t.run / "last.pt"
    if last.exists():
        state = torch.load(last, weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best, history = state["epoch"] + 1, state["best"], state["history"]
        log(f"resumed after epoch {start_epoch}")
    ctc_loss = nn.CTCLoss(blank=0, zero_infinity=True)
    for epoch in range(start_epoch, t.epochs):
        started = time.time()
        rng = np.random.default_rng(t.seed * 1_000 + epoch)  # per epoch, so a resumed run draws the same samples
        model.train()
        order = rng.permutation(len(data.images))[:epoch_size]
        total = 0.0
        for i in range(0, len(order), t.batch):
            idx = order[i:i + t.batch]
            x = augment(torch.from_numpy(data.images[idx]).float().unsqueeze(1) / 255.0, rng)
            if t.rows:  # each band's CTC loss on its own row; a one-row plate's top row is empty
                tops = [data.tops[k] for k in idx]
                bottoms = [data.texts[k][len(top):] for k, top in zip(idx, tops)]
                loss = sum(ctc_batch_loss(ctc_loss, band, texts)
                           for band, texts in zip(model.row_logits(x), (tops, bottoms)))
            else:
                loss = ctc_batch_loss(ctc_loss, model.logits(x), [data.texts[k] for k in idx])
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
            scheduler.step()
            total += loss.item() * len(idx)
        held_acc = exact_accuracy(model, data.held_images, data.held_texts)
        history.append({"epoch": epoch, "loss": total / len(order), "held_out_rendered_exact": held_acc,
                        "seconds": time.time() - started})
        log(json.dumps(history[-1]))
        if held_acc > best:
            best = held_acc
            torch.save(model.state_dict(), t.run / "best.pt")
        torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": epoch, "best": best, "history": history}, last)
    return history


def train_reader(t: ReaderTraining, log: Callable[[str], None] = print) -> Path:
    """Render (once), train, checkpoint every epoch, and export the best epoch by held-out rendered accuracy to
    ``<run>/plate_reader.onnx`` (its metadata: decoder, bands, rows, training set sizes, history); returns that path.
    Progress lines go to ``log``.

    Raises:
        ConfigError: the rendered sets do not fit the options (a set named twice, another input size, no top rows).
        HelmetscanError: a text that does not split into its rows (``rows``).
        FileNotFoundError: no crops folder (unless ``real_copies`` is 0), no Hangul font installed (rendering), or
            ``init`` is missing.
    """
    import torch

    from helmetscan.tooling.plate_network import build_ctc_model, export_onnx

    t.run.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(t.threads)
    torch.manual_seed(t.seed)
    data = _data(t, log)
    model = build_ctc_model(len(ALPHABET) + 1, t.bands, not t.forward_only, t.rows)
    if t.init:
        _start(model, t, data.images, log)
    history = _fit(model, t, data, log)
    model.load_state_dict(torch.load(t.run / "best.pt"))
    path = t.run / "plate_reader.onnx"
    export_onnx(model, path, {"decoder": "ctc", "bands": t.bands, "bidirectional": not t.forward_only,
                              "rows": t.rows, "train_rendered": data.rendered, "train_real_crops": data.real_crops,
                              "history": history}, t.size)
    (t.run / "history.json").write_text(json.dumps(history, indent=1))
    return path
