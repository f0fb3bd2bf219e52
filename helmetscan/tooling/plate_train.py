"""Train our plate recogniser (:mod:`helmetscan.plates.recognizer`) on rendered plates plus the real crops
labelled by eye, in plain PyTorch, and export it to ONNX.

Two networks over the grey crop squeezed to 64 × ``--input-width`` pixels (192; the first readers took 128)
(``--arch``):

* ``ctc`` (the default, the shipped reader since session 8): a CRNN (Shi et al. 2015): the same five conv blocks down
  to a 2 × (width / 8) feature map, its top row of columns followed by its bottom row as one sequence (48 steps at
  width 192, so a two-row plate is read top row first, and a one-row plate may use either half), a bidirectional
  LSTM, and a CTC loss (``torch.nn.CTCLoss``, blank = class 0), gradients clipped at norm 5. The conv and LSTM
  weights do not depend on the width, so a reader trained at one width starts one at another (``--init``).
  ``--rows`` (session 14): the two halves are read as two sequences by two LSTMs, the top row from the top half and
  the bottom row (a one-row plate's whole text) from the bottom half, each with its own CTC loss; the renders'
  ``top_rows`` and :func:`real_top_row` give each plate's rows (``build_ctc_model``).
* ``slots``: fast-plate-ocr's fixed-slot design (five conv blocks, one linear layer per output slot; its own trainer
  needs TensorFlow to export ONNX, ../shared/README.md §4), cross-entropy per slot with the pad class. The first
  shipped reader; it learned slowly here, and its conv blocks start the CRNN (``--init``; ``weights/PLATE_READER.md``).

Resumable: the state after each epoch is ``<run>/last.pt``; running again continues.

    python -m helmetscan.tooling.plate_train --run runs/plate_reader --arch slots --epochs 10   # conv blocks
    python -m helmetscan.tooling.plate_train --run runs/plate_ctc --init runs/plate_reader/best.pt --epochs 14 \
        --epoch-size 40000 --lr 1e-3 --warmup 0.1 --real-copies 30                                  # the CRNN

(the shipped reader's full chain, with its times, is in ``weights/PLATE_READER.md``).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from helmetscan.plates.recognizer import INPUT_HEIGHT, INPUT_WIDTH, PAD, to_model_input
from helmetscan.tooling.plate_render import (ALPHABET, EVAL_MIX, HELD_OUT_DEGRADATION, TRAINING_RECIPES, font_pools,
                                               render_plate)

#: Output slots: the longest plate text we read is 10 characters (``서울동대문자6553``: 2 + 3 + 1 + 4; Vietnamese
#: ``34MD148129``); one spare.
SLOTS = 11


def encode(text: str, alphabet: str = ALPHABET, slots: int = SLOTS) -> np.ndarray:
    """Class ids (slots,) int64 of ``text``: alphabet index + 1 per character, 0 (pad) after the text.

    Raises:
        ValueError: a character outside ``alphabet`` or text longer than ``slots``.
    """
    if len(text) > slots:
        raise ValueError(f"{text!r}: longer than {slots} slots")
    ids = np.zeros(slots, np.int64)
    for i, ch in enumerate(text):
        k = alphabet.find(ch)
        if k < 0:
            raise ValueError(f"{text!r}: {ch!r} is not in the alphabet")
        ids[i] = k + 1
    return ids


def top_row(rows: tuple[str, ...]) -> str:
    """The normalised text of a drawn plate's top row (``plate_render.PlateText.rows``), "" for a one-row plate: with
    the full text it splits a two-row plate's text into its rows (for a reader with one output per row)."""
    from helmetscan.core.plate_formats import normalise

    return normalise(rows[0]) if len(rows) == 2 else ""


def real_top_row(text: str) -> str:
    """The top row of a labelled real plate's ``text`` (the hcmute crops are Vietnamese two-row motorcycle plates,
    ``29-B1 / 784.76`` = ``29B178476``): the province's two digits and the series' letters, plus the series' digit
    when the series has one letter (``B1``) or the rest would be longer than the five digits of the bottom row (``MD1``;
    Circular 58/2020/TT-BCA's layouts). ``""`` when ``text`` is not such a plate. From the text alone two letters and
    a digit over four digits (``29-MD1 / 1234``) cannot be told from two letters over five (``29-MD / 11234``): it
    takes the second. Checked in session 14 on the label texts of ``plate_labels_hcmute.csv`` (not on the images):
    each splits into 4 + 5, 4 + 4 or 5 + 5 characters."""
    import re

    m = re.fullmatch(r"(\d{2}[A-Z]+)(\d{4,6})", text)
    if m is None:
        return ""
    head, digits = m.groups()
    return head + digits[0] if len(head) == 3 or len(digits) > 5 else head


def _render_chunk(args: tuple[int, int, bool, tuple[int, int], str]) -> tuple[np.ndarray, list[str], list[str],
                                                                             list[str]]:
    seed, n, held_out, size, recipe = args
    train_fonts, held_fonts = font_pools()
    mix, degradation = TRAINING_RECIPES[recipe]
    rng = random.Random(seed)
    images, texts, layouts, tops = [], [], [], []
    for _ in range(n):
        crop, plate = render_plate(rng, held_fonts if held_out else train_fonts,
                                   HELD_OUT_DEGRADATION if held_out else degradation,
                                   EVAL_MIX if held_out else mix)
        images.append(to_model_input(crop, size))
        texts.append(plate.text)
        layouts.append(plate.layout)
        tops.append(top_row(plate.rows))
    return np.stack(images), texts, layouts, tops


def render_set(path: Path, n: int, seed: int, held_out: bool, workers: int = 2,
               size: tuple[int, int] = (INPUT_HEIGHT, INPUT_WIDTH), recipe: str = "session9") -> None:
    """Render ``n`` plates into ``path`` (``.npz``: ``images`` (n, *size) uint8 model inputs, ``texts``, ``layouts``,
    and since session 13 ``top_rows``, :func:`top_row` of each plate):
    a model-selection set (``held_out``) with the held-out fonts and degradations and the evaluation sets' layout mix
    (``plate_render.EVAL_MIX``), else a training set (training fonts; the mix and degradations of ``recipe``, a key
    of ``plate_render.TRAINING_RECIPES``).
    The plates depend on ``seed`` only: the same seed at another ``size`` gives the same crops, resized."""
    chunk = 500
    jobs = [(seed * 100_003 + i, min(chunk, n - i * chunk), held_out, size, recipe)
            for i in range((n + chunk - 1) // chunk)]
    with Pool(workers) as pool:
        parts = pool.map(_render_chunk, jobs)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, images=np.concatenate([p[0] for p in parts]),
                        texts=np.array(sum((p[1] for p in parts), [])), layouts=np.array(sum((p[2] for p in parts), [])),
                        top_rows=np.array(sum((p[3] for p in parts), [])))


def real_set(crops_dir: Path, split: str, copies: int, seed: int,
             size: tuple[int, int] = (INPUT_HEIGHT, INPUT_WIDTH)) -> tuple[np.ndarray, list[str]]:
    """The labelled real crops of ``split`` (``train`` / ``eval``) as model inputs, each ``copies`` times (jittered
    crop box, blur and brightness on all but the first copy). Unreadable (``?``) rows are skipped."""
    import cv2

    from helmetscan.tooling.plate_crops import load_crop, read_labels

    rng = random.Random(seed)
    images, texts = [], []
    for row in read_labels():
        if row["split"] != split or row["text"] == "?":
            continue
        crop = load_crop(crops_dir, row)
        if crop is None:
            continue
        for c in range(copies):
            im = crop
            if c:
                h, w = crop.shape[:2]
                x1, y1 = rng.randint(0, max(0, w // 10)), rng.randint(0, max(0, h // 10))
                x2, y2 = w - rng.randint(0, max(0, w // 10)), h - rng.randint(0, max(0, h // 10))
                im = crop[y1:y2, x1:x2]
                if rng.random() < 0.5:
                    im = cv2.GaussianBlur(im, (0, 0), rng.uniform(0.3, 1.0))
                im = cv2.convertScaleAbs(im, alpha=rng.uniform(0.7, 1.3), beta=rng.uniform(-25, 25))
            images.append(to_model_input(im, size))
            texts.append(row["text"])
    return (np.stack(images) if images else np.zeros((0, *size), np.uint8)), texts


def augment(x, rng: np.random.Generator):
    """Batch augmentation on model inputs ((N, 1, H, W) float 0..1 torch tensor): stroke width (grey dilation or
    erosion, so bold and light typefaces look alike; the first run generalised poorly to the held-out bold fonts),
    a small random zoom and shift (detector boxes differ in looseness), contrast and brightness."""
    import torch
    import torch.nn.functional as F

    n = x.shape[0]
    u = rng.random()
    if u < 0.25:
        x = F.max_pool2d(x, 3, 1, 1)
    elif u < 0.5:
        x = -F.max_pool2d(-x, 3, 1, 1)
    scale = torch.from_numpy(rng.uniform(0.9, 1.12, n)).float()
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1] = scale, scale * torch.from_numpy(rng.uniform(0.9, 1.1, n)).float()
    theta[:, 0, 2] = torch.from_numpy(rng.uniform(-0.06, 0.06, n)).float()
    theta[:, 1, 2] = torch.from_numpy(rng.uniform(-0.08, 0.08, n)).float()
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, padding_mode="border", align_corners=False)
    if rng.random() < 0.5:
        x = (x - 0.5) * float(rng.uniform(0.7, 1.3)) + 0.5 + float(rng.uniform(-0.1, 0.1))
    return x.clamp(0, 1)


#: Output channels of the five conv blocks both readers share.
CONV_CHANNELS = (16, 32, 64, 96, 128)


def conv_blocks(pools: tuple):
    """The conv stack of both plate readers (torch ``nn.Sequential``): five blocks of 3×3 conv (no bias), batch norm
    and ReLU with :data:`CONV_CHANNELS` outputs, each followed by a max-pool of ``pools[i]`` (kernel = stride; ``None``:
    no pool). Both readers get the same layer indices, so a slot model's conv weights load into a CRNN."""
    from torch import nn

    layers: list[nn.Module] = []
    for cin, cout, pool in zip((1, *CONV_CHANNELS), CONV_CHANNELS, pools):
        layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        if pool is not None:
            layers.append(nn.MaxPool2d(pool))
    return nn.Sequential(*layers)


def build_model(classes: int, slots: int = SLOTS, width: int = 128):
    """The fixed-slot plate CNN (torch ``nn.Module``, about 3.4 M parameters, 30 M multiply-adds per crop at width
    128): input (N, 1, 64, width) float 0..1, output (N, slots, classes) probabilities (softmax applied, so the exported ONNX
    returns probabilities)."""
    import torch
    from torch import nn

    class PlateNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = conv_blocks((2, 2, 2, 2, None))        # 4 × 8
            self.neck = nn.Sequential(nn.Flatten(), nn.Dropout(0.1), nn.Linear(128 * 4 * (width // 16), 512), nn.ReLU(inplace=True))
            self.head = nn.Linear(512, slots * classes)
            self.slots, self.classes = slots, classes

        def logits(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.neck(self.features(x))).view(-1, self.slots, self.classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.logits(x), dim=-1)

    return PlateNet()


def build_ctc_model(classes: int, bands: int = 2, bidirectional: bool = True, rows: bool = False):
    """The CRNN plate reader (torch ``nn.Module``, 0.50 M parameters, 0.77 M with ``rows``; 40 M multiply-adds per
    crop at width 128, 60 M at 192): input (N, 1, 64, W) float 0..1, output (N, bands · W / 8, classes; with ``rows``
    2 · W / 8 + 1 steps) probabilities (softmax applied,
    so the exported ONNX returns probabilities; class 0 is the CTC blank). The sequence is the feature columns of the
    top horizontal band of the crop, left to right, then those of the next band down.

    ``bands`` 2 (the readers up to session 12): the top and bottom half. On a two-row plate the top half also holds the
    upper part of the bottom row, so in that half the reader must emit the top row's right end before the bottom
    row's left end, against the column order; every 2-band reader read the older region layout (``울산 93 / 바
    8364``) in 1 % of the tuning plates, and 300 steps of fine-tuning on half such plates did not move it (session
    13). ``bands`` 4: quarters, so a two-row plate's top row has a band to itself; the last pool is dropped, every
    weight keeps its shape and a 2-band reader starts a 4-band one (``--init``).

    ``bidirectional`` False: a forward-only LSTM, which cannot emit a character before its columns are read; a
    bidirectional reader's forward direction and the forward half of its head start it (``forward_only_state``).

    ``rows`` True (2 bands only, session 14): **one CTC sequence per band**. The top band is read by its own LSTM
    (``rnn_top``) into the plate's top row (nothing on a one-row plate), the bottom band by ``rnn`` into the bottom
    row (the whole text of a one-row plate), each trained with its own CTC loss (:meth:`row_logits`), so no alignment
    across the rows has to be learnt. The output keeps the shape the runtime decodes, the top band's steps, one step
    that is certainly blank, then the bottom band's (``2 · W / 8 + 1`` steps), so the joined text decodes as before
    and a character ending the top row is not merged with the same one starting the bottom row.

    The conv blocks are those of the fixed-slot model (:func:`build_model`, same layer indices and shapes), with the
    last pooling steps halving only the height, so a trained slot model's conv weights start a CRNN (``--init``): from
    random weights the CTC loss stalled at ~3.2 per character for 4 epochs on this CPU (``weights/PLATE_READER.md``).

    Raises:
        ValueError: ``bands`` is not 2 or 4, or ``rows`` with 4 bands.
    """
    import torch
    from torch import nn

    if bands not in (2, 4):
        raise ValueError(f"bands must be 2 or 4, not {bands}")
    if rows and bands != 2:
        raise ValueError("rows needs 2 bands (one per plate row)")
    last_pool = (2, 1) if bands == 2 else None

    class PlateCRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = conv_blocks((2, 2, 2, (2, 1), last_pool))  # bands × W / 8
            self.dropout = nn.Dropout(0.1)
            self.rnn = nn.LSTM(128, 128, batch_first=True, bidirectional=bidirectional)
            if rows:
                self.rnn_top = nn.LSTM(128, 128, batch_first=True, bidirectional=bidirectional)
            self.head = nn.Linear(256 if bidirectional else 128, classes)
            self.rows = rows

        def row_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """``rows`` only: the top band's and the bottom band's logits, each (N, W / 8, classes)."""
            f = self.dropout(self.features(x).permute(0, 2, 3, 1))  # (N, 2, W / 8, C)
            top, _ = self.rnn_top(f[:, 0])
            bottom, _ = self.rnn(f[:, 1])
            return self.head(top), self.head(bottom)

        def logits(self, x: torch.Tensor) -> torch.Tensor:
            if self.rows:
                top, bottom = self.row_logits(x)
                blank = torch.zeros_like(top[:, :1])
                blank[..., 0] = 100.0                              # softmax: blank with probability 1
                return torch.cat([top, blank, bottom], dim=1)      # (N, 2 · W / 8 + 1, classes)
            f = self.features(x)                                   # (N, C, bands, W / 8)
            seq = f.permute(0, 2, 3, 1).flatten(1, 2)              # (N, bands · W / 8, C): top band first
            out, _ = self.rnn(self.dropout(seq))
            return self.head(out)                                  # (N, bands · W / 8, classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.logits(x), dim=-1)

    return PlateCRNN()


def forward_only_state(state: dict) -> dict:
    """A bidirectional CRNN's state dict (``build_ctc_model``) cut to a forward-only one: the backward LSTM direction
    dropped and the head's weights on its outputs (the second half of the 256 inputs) with it."""
    out = {k: v for k, v in state.items() if not k.endswith("_reverse")}
    out["head.weight"] = state["head.weight"][:, :128].clone()
    return out


def exact_accuracy(model, images: np.ndarray, texts: list[str], decoder: str = "ctc", batch: int = 512) -> float:
    """Share of ``images`` whose greedy read (``decoder``: ``ctc`` or ``slots``) equals ``texts`` exactly."""
    import torch

    from helmetscan.plates.recognizer import DECODERS

    decode = DECODERS[decoder]
    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i:i + batch]).float().unsqueeze(1) / 255.0
            probs = model(x).numpy()
            right += sum(decode(p, ALPHABET).text == t for p, t in zip(probs, texts[i:i + batch]))
    return right / max(1, len(images))


def ctc_targets(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """CTC targets of ``texts``: the concatenated class ids (alphabet index + 1) and the length of each text."""
    return np.concatenate([encode(t, slots=len(t)) for t in texts]), np.array([len(t) for t in texts], np.int64)


def ctc_batch_loss(ctc_loss, logits, texts: list[str]):
    """``ctc_loss`` (``torch.nn.CTCLoss``, blank 0) of ``logits`` (N, steps, classes) against ``texts`` (N; "" is
    allowed: all blank)."""
    import torch

    targets, lengths = ctc_targets(texts)
    log_probs = logits.log_softmax(-1).permute(1, 0, 2)  # (T, N, C)
    steps = torch.full((len(texts),), log_probs.shape[0], dtype=torch.long)
    return ctc_loss(log_probs, torch.from_numpy(targets), steps, torch.from_numpy(lengths))


def export_onnx(model, path: Path, info: dict, size: tuple[int, int] = (INPUT_HEIGHT, INPUT_WIDTH)) -> None:
    """Write ``model`` as ONNX (opset 17, dynamic batch, input (N, 1, *size)) with ``alphabet`` and ``info`` in its
    metadata."""
    import onnx
    import torch

    model.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, torch.zeros(1, 1, *size), str(path), input_names=["image"],
                      output_names=["probabilities"], dynamic_axes={"image": {0: "batch"}, "probabilities": {0: "batch"}},
                      opset_version=17, dynamo=False)
    proto = onnx.load(str(path))
    meta = {"alphabet": ALPHABET, "pad": PAD, **{k: v if isinstance(v, str) else json.dumps(v) for k, v in info.items()}}
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))


def main(argv: list[str] | None = None) -> None:
    """Render (once), train, checkpoint every epoch, export the best epoch by held-out rendered accuracy."""
    import torch
    from torch import nn

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=Path("runs/plate_reader"))
    ap.add_argument("--crops", type=Path, default=Path("/work/plate_crops"), help="output of plate_crops.cut_plate_crops")
    ap.add_argument("--train-size", type=int, default=60_000)
    ap.add_argument("--held-out-size", type=int, default=3_000)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--real-copies", type=int, default=12)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", type=Path, help="start from these weights (a best.pt of an earlier run, or a CRNN "
                                             "reader's .onnx such as weights/plate_reader.onnx) instead of random "
                                             "ones: a second, annealed run continues a first")
    ap.add_argument("--fresh-rnn", action="store_true",
                    help="with --init: take only the conv blocks, and start the LSTM and the head from random weights "
                         "(a new CTC alignment; the inherited one emits a two-row plate's top row at the first steps)")
    ap.add_argument("--lr", type=float, default=2e-3, help="peak learning rate of the one-cycle schedule")
    ap.add_argument("--arch", choices=("slots", "ctc"), default="ctc", help="ctc: the CRNN (shipped); slots: the first "
                                                                            "reader, whose convs start the CRNN")
    ap.add_argument("--rendered", type=Path, nargs="*", default=[],
                    help="extra rendered training sets (.npz of render_set) used with the run's own")
    ap.add_argument("--held-out", type=Path, help="the model-selection set (.npz of render_set) instead of rendering one")
    ap.add_argument("--epoch-size", type=int, default=0, help="samples per epoch, drawn anew each epoch (0: all)")
    ap.add_argument("--warmup", type=float, default=0.15, help="share of the steps spent raising the learning rate")
    ap.add_argument("--input-width", type=int, default=INPUT_WIDTH, help="network input width in pixels (height 64; "
                                                                         "a multiple of 16)")
    ap.add_argument("--bands", type=int, choices=(2, 4), default=2,
                    help="CRNN only: horizontal bands read one after the other (build_ctc_model)")
    ap.add_argument("--forward-only", action="store_true",
                    help="CRNN only: a forward-only LSTM (build_ctc_model); --init from a bidirectional reader keeps "
                         "its forward direction")
    ap.add_argument("--rows", action="store_true",
                    help="CRNN, 2 bands: one CTC sequence per band, the top row from the top band and the bottom row "
                         "(a one-row plate's whole text) from the bottom one (build_ctc_model); needs renders with "
                         "top_rows; --init from a one-sequence reader starts both LSTMs from its LSTM")
    ap.add_argument("--recipe", choices=sorted(TRAINING_RECIPES), default="session9",
                    help="layout mix and degradations of the training renders (plate_render.TRAINING_RECIPES)")
    args = ap.parse_args(argv)
    if args.fresh_rnn and not args.init:
        ap.error("--fresh-rnn keeps the conv blocks of --init: give --init")
    if args.rows and (args.arch != "ctc" or args.bands != 2):
        ap.error("--rows reads one row per band: --arch ctc with 2 bands")
    size = (INPUT_HEIGHT, args.input_width)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    run = args.run
    train_npz, held_npz = run / "rendered_train.npz", run / "rendered_held_out.npz"
    if not train_npz.exists():
        t = time.time()
        render_set(train_npz, args.train_size, seed=args.seed, held_out=False, workers=args.threads, size=size,
                   recipe=args.recipe)
        print(f"rendered {args.train_size} training plates in {time.time() - t:.0f} s", flush=True)
    if args.held_out:
        held_npz = args.held_out
    elif not held_npz.exists():
        render_set(held_npz, args.held_out_size, seed=args.seed + 1_000, held_out=True, workers=args.threads, size=size)
    rendered = [train_npz, *args.rendered]
    if len({path.resolve() for path in rendered}) < len(rendered):
        raise SystemExit(f"--rendered names {train_npz} (the run's own renders, always read) or a file twice: each "
                         "set would count twice against the real crops (session 15's rows3 was trained so)")
    sets = [np.load(p) for p in rendered]
    if args.rows:
        for name, d in zip(rendered, sets):
            if "top_rows" not in d:
                raise SystemExit(f"{name}: rendered before session 13, without top_rows: --rows cannot split its texts")
    train = {"images": np.concatenate([d["images"] for d in sets]),
             "texts": np.concatenate([d["texts"] for d in sets])}
    held = np.load(held_npz)
    for name, array in [*zip(rendered, (d["images"] for d in sets)), (held_npz, held["images"])]:
        if array.shape[1:] != size:
            raise SystemExit(f"{name}: rendered at {array.shape[1:]}, not the input size {size} (--input-width)")
    real_x, real_t = real_set(args.crops, "train", args.real_copies, args.seed, size)
    images = np.concatenate([train["images"], real_x])
    all_texts = [*train["texts"].tolist(), *real_t]
    all_tops: list[str] = []
    if args.rows:
        all_tops = [*np.concatenate([d["top_rows"] for d in sets]).tolist(), *map(real_top_row, real_t)]
        bad = next((t for t, top in zip(all_texts, all_tops) if not t.startswith(top)), None)
        if bad is not None:
            raise SystemExit(f"{bad!r} does not start with its top row: cannot split it into rows")
    labels = np.stack([encode(t) for t in all_texts]) if args.arch == "slots" else None
    held_x, held_t = held["images"], held["texts"].tolist()
    print(f"training on {len(train['images'])} rendered + {len(real_x)} real ({len(real_t) // max(1, args.real_copies)} "
          f"crops × {args.real_copies}); model selection on {len(held_x)} rendered plates ({held_npz}); the real "
          f"eval crops are never read here", flush=True)

    classes = len(ALPHABET) + 1
    model = (build_model(classes, width=args.input_width) if args.arch == "slots"
             else build_ctc_model(classes, args.bands, not args.forward_only, args.rows))
    if args.init:  # every tensor whose name and shape fit: a slot model's conv blocks start a CRNN
        own = model.state_dict()
        if args.init.suffix == ".onnx":  # the shipped reader: its weights rebuilt from the ONNX file
            from helmetscan.tooling.plate_reader_weights import crnn_state_dict

            start = crnn_state_dict(args.init, images[np.random.default_rng(args.seed).permutation(len(images))[:512]])
        else:
            start = torch.load(args.init)
        if args.forward_only and any(k.endswith("_reverse") for k in start):
            start = forward_only_state(start)
        if args.rows and not any(k.startswith("rnn_top.") for k in start):  # both rows' LSTMs from the one LSTM
            start = {**start, **{"rnn_top." + k[4:]: v.clone() for k, v in start.items() if k.startswith("rnn.")}}
        fitting = {k: v for k, v in start.items() if k in own and own[k].shape == v.shape
                   and not (args.fresh_rnn and k.startswith(("rnn.", "rnn_top.", "head.")))}
        model.load_state_dict(fitting, strict=False)
        print(f"started from {args.init}: {len(fitting)} of {len(own)} tensors", flush=True)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    epoch_size = args.epoch_size or len(images)
    steps_per_epoch = (epoch_size + args.batch - 1) // args.batch
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch,
                                                    pct_start=args.warmup)
    start_epoch, best, history = 0, -1.0, []
    last = run / "last.pt"
    if last.exists():
        state = torch.load(last, weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best, history = state["epoch"] + 1, state["best"], state["history"]
        print(f"resumed after epoch {start_epoch}", flush=True)
    slot_loss = nn.CrossEntropyLoss(label_smoothing=0.05)
    ctc_loss = nn.CTCLoss(blank=0, zero_infinity=True)
    for epoch in range(start_epoch, args.epochs):
        t = time.time()
        rng = np.random.default_rng(args.seed * 1_000 + epoch)  # per epoch, so a resumed run draws the same samples
        model.train()
        order = rng.permutation(len(images))[:epoch_size]
        total = 0.0
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            x = augment(torch.from_numpy(images[idx]).float().unsqueeze(1) / 255.0, rng)
            if args.arch == "slots":
                loss = slot_loss(model.logits(x).reshape(-1, classes), torch.from_numpy(labels[idx]).reshape(-1))
            elif args.rows:  # each band's CTC loss on its own row; a one-row plate's top row is empty
                tops = [all_tops[k] for k in idx]
                loss = sum(ctc_batch_loss(ctc_loss, band, texts) for band, texts in zip(
                    model.row_logits(x), (tops, [all_texts[k][len(top):] for k, top in zip(idx, tops)])))
            else:
                loss = ctc_batch_loss(ctc_loss, model.logits(x), [all_texts[k] for k in idx])
            optimiser.zero_grad()
            loss.backward()
            if args.arch == "ctc":  # CTC's early gradients spike (common CRNN practice); the slot recipe has no clip
                nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
            scheduler.step()
            total += loss.item() * len(idx)
        held_acc = exact_accuracy(model, held_x, held_t, args.arch)
        history.append({"epoch": epoch, "loss": total / len(order), "held_out_rendered_exact": held_acc,
                        "seconds": time.time() - t})
        print(json.dumps(history[-1]), flush=True)
        if held_acc > best:
            best = held_acc
            torch.save(model.state_dict(), run / "best.pt")
        torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(),
                    "scheduler": scheduler.state_dict(), "epoch": epoch, "best": best, "history": history}, last)
    model.load_state_dict(torch.load(run / "best.pt"))
    export_onnx(model, run / "plate_reader.onnx",
                {"decoder": args.arch, "bands": args.bands, "bidirectional": not args.forward_only, "rows": args.rows,
                 "train_rendered": len(train["images"]),
                 "train_real_crops": len(real_t) // max(1, args.real_copies), "history": history}, size)
    (run / "history.json").write_text(json.dumps(history, indent=1))
    print(f"exported {run / 'plate_reader.onnx'}", flush=True)


if __name__ == "__main__":
    main()
