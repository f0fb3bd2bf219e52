"""The training data of our plate reader (:mod:`helmetscan.tooling.plate_train`): rendered plates written once per
run to an ``.npz`` (:func:`render_set`), the real crops labelled by eye (:func:`real_set`, jittered copies), the
plates' rows (for a reader with one CTC sequence per row), and the augmentation applied to each batch.

Every image is a model input: the crop squeezed to (64, width) grey uint8
(:func:`helmetscan.plates.recognizer.to_model_input`), the size the reader is trained at.
"""

from __future__ import annotations

import random
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from helmetscan.plates.recognizer import INPUT_HEIGHT, INPUT_WIDTH, to_model_input
from helmetscan.tooling.plate_render import (EVAL_MIX, HELD_OUT_DEGRADATION, TRAINING_RECIPES, font_pools,
                                               render_plate)

#: The recipe of a training render when none is named (``plate_render.TRAINING_RECIPES``).
DEFAULT_RECIPE = "latin_separators"


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
    takes the second. Checked on the label texts of ``plate_labels_hcmute.csv`` (not on the images): each splits into
    4 + 5, 4 + 4 or 5 + 5 characters."""
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
               size: tuple[int, int] = (INPUT_HEIGHT, INPUT_WIDTH), recipe: str = DEFAULT_RECIPE) -> None:
    """Render ``n`` plates into ``path`` (``.npz``: ``images`` (n, *size) uint8 model inputs, ``texts``, ``layouts``
    and ``top_rows``, :func:`top_row` of each plate) with ``workers`` processes: a model-selection set (``held_out``)
    with the held-out fonts and degradations and the evaluation sets' layout mix (``plate_render.EVAL_MIX``), else a
    training set (training fonts; the mix and degradations of ``recipe``, a key of ``plate_render.TRAINING_RECIPES``).
    The plates depend on ``seed`` only: the same seed at another ``size`` gives the same crops, resized.

    Raises:
        KeyError: ``recipe`` is not a recipe.
    """
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
