"""Rendered plates for training and evaluating the plate recogniser: Korean, Vietnamese, Indian and generic Latin
layouts, drawn with free Debian fonts and degraded like dashcam crops.

Layouts (the normalised text a reader must return is in brackets):

* ``kr``: Korean private-car plates, one row. ``12가 3456`` (7 characters, 2006–2019) and ``123가 4567`` (8, since
  2019): 「자동차 등록번호판 등의 기준에 관한 고시」 (Ministry of Land, Infrastructure and Transport, MOLIT).
* ``kr_region``: two-row region plates. Motorcycles (이륜자동차, 「자동차관리법 시행규칙」 별표 / MOLIT notice): region
  and district in Hangul over one Hangul syllable and four digits, e.g. ``서울 마포 / 자 6553`` [서울마포자6553]; the
  district is one of that region's 시·군·구 names without its suffix (1–3 syllables, ``KR_DISTRICTS_BY_REGION``).
  Older car and commercial plates, ``서울 12 / 가 3456``, are drawn under this layout name too (``kr_region_car`` in
  the mixes); their format is ``kr_old``.
* ``vn``: Vietnamese two-row motorcycle plates, ``29-Y2 / 123.45`` [29Y212345] (like the real crops we label).
* ``in``: Indian plates, ``TN 05 AT 7024`` in one or two rows.
* ``generic``: 2–3 letters and 3–4 digits in one row (European/US style).

The real plate typeface (Korean 번호판 전용 서체) is not freely available, so the fonts, stroke weights, spacing and
aspect vary instead. Fonts are split into a training pool and a held-out pool: the evaluation set is drawn with fonts,
a seed and degradation strengths the training set never saw.

Training renders follow a recipe (:data:`TRAINING_RECIPES`, ``helmetscan train-plates --recipe``): a layout mix and
degradations, each recipe the one before it plus one change. A recipe added later draws nothing more in the renders
of the earlier ones, so an earlier recipe renders exactly the plates it rendered before (tested).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from helmetscan.core.plate_formats import KR_DISTRICTS, KR_DISTRICTS_BY_REGION, KR_MOTO_USAGE, KR_REGIONS, KR_USAGE

#: Every Hangul syllable the recogniser can output.
HANGUL = sorted(set("".join(KR_REGIONS) + "".join(KR_DISTRICTS) + KR_USAGE + KR_MOTO_USAGE))

DIGITS = "0123456789"
LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: The recogniser's alphabet: digits, Latin capitals, the Hangul above; index 0 of the model's classes is the pad.
ALPHABET = DIGITS + LATIN + "".join(HANGUL)

#: Indian state codes (Motor Vehicles Act registration marks; a sample).
IN_STATES = "AP AR AS BR CG GA GJ HR HP JH KA KL MP MH MN ML MZ NL OD PB RJ SK TN TS TR UP UK WB DL CH JK LA PY".split()

_FONT_DIRS = [Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype")]

#: Fonts kept out of training: the held-out rendered set is drawn only with these.
HELD_OUT_FONTS = ("NotoSansCJK-Bold.ttc", "dotum.ttf", "UnDotumBold.ttf", "UnGraphicBold.ttf", "NanumBarunpenB.ttf",
                  "DejaVuSansCondensed-Bold.ttf")

_SKIP_FONTS = ("Brush", "Pen", "YetHangul", "Light", "UltraLight", "Math", "Oblique", "Italic", "Pilgi", "Gungseo",
               "EcoR", "Serif")


def hangul_fonts() -> list[Path]:
    """Installed fonts that draw every character of :data:`ALPHABET` (Debian fonts-nanum, fonts-unfonts-core,
    fonts-baekmuk, fonts-noto-cjk), plain weights only."""
    from PIL import ImageFont

    found = []
    for root in _FONT_DIRS:
        for path in sorted(root.rglob("*.tt[fc]")) + sorted(root.rglob("*.otf")):
            if any(s in path.name for s in _SKIP_FONTS):
                continue
            try:
                font = ImageFont.truetype(str(path), 32)
            except OSError:
                continue
            tofu = np.asarray(font.getmask("\u0378"))  # an unassigned code point: the font's missing-glyph box
            if all(font.getbbox(ch)[2] > 0 and not np.array_equal(np.asarray(font.getmask(ch)), tofu)
                   for ch in ALPHABET):
                found.append(path)
    return found


#: Fonts of the held-out pool without Hangul glyphs: used for Latin plates only.
LATIN_ONLY_FONTS = frozenset({"DejaVuSansCondensed-Bold.ttf"})

#: Latin-only sans fonts for the Latin plates of the ``latin_fonts`` training recipe and those after it
#: (:attr:`PlateMix.latin_font_share`), from Debian fonts-liberation, fonts-croscore, fonts-crosextra-carlito,
#: fonts-freefont-ttf, fonts-urw-base35, fonts-roboto-unhinted, fonts-open-sans, fonts-lato, fonts-b612 and
#: fonts-cantarell: regular to heavy weights, narrow and condensed cuts like the Indian and European plate faces.
#: Before it a Latin plate was drawn only with the Latin glyphs of the Hangul fonts (:func:`hangul_fonts`), and the
#: reader trained so read the footage plate's series ``AT`` as ``47`` in every crop
#: (``weights/PLATE_READER.md``). No DejaVu cut is here: the held-out pool's Latin-only font is DejaVu Sans Condensed
#: Bold, and its family stays unseen in training.
LATIN_TRAINING_FONTS = (
    "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "LiberationSansNarrow-Regular.ttf",
    "LiberationSansNarrow-Bold.ttf", "Arimo-Regular.ttf", "Arimo-Bold.ttf", "Carlito-Regular.ttf", "Carlito-Bold.ttf",
    "FreeSans.ttf", "FreeSansBold.ttf", "NimbusSans-Regular.otf", "NimbusSans-Bold.otf",
    "NimbusSansNarrow-Regular.otf", "NimbusSansNarrow-Bold.otf", "URWGothic-Book.otf", "URWGothic-Demi.otf",
    "Roboto-Regular.ttf", "Roboto-Medium.ttf", "Roboto-Bold.ttf", "Roboto-Black.ttf", "RobotoCondensed-Regular.ttf",
    "RobotoCondensed-Medium.ttf", "RobotoCondensed-Bold.ttf", "OpenSans-Regular.ttf", "OpenSans-Semibold.ttf",
    "OpenSans-Bold.ttf", "OpenSans-ExtraBold.ttf", "OpenSans-CondBold.ttf", "Lato-Regular.ttf", "Lato-Semibold.ttf",
    "Lato-Bold.ttf", "Lato-Black.ttf", "B612-Regular.otf", "B612-Bold.otf", "Cantarell-Regular.otf",
    "Cantarell-Bold.otf")


@functools.cache
def latin_training_fonts() -> tuple[Path, ...]:
    """The installed fonts of :data:`LATIN_TRAINING_FONTS`, in that order (looked up once per process).

    Raises:
        FileNotFoundError: not one of them is installed (the ``apt-get`` line is in the message).
    """
    by_name: dict[str, Path] = {}
    for root in _FONT_DIRS:  # sorted, first found kept: the same file name in two packages picks one font every time
        for path in sorted(root.rglob("*")) if root.exists() else ():
            if path.is_file():
                by_name.setdefault(path.name, path)
    found = tuple(by_name[name] for name in LATIN_TRAINING_FONTS if name in by_name)
    if not found:
        raise FileNotFoundError("no Latin training font installed: apt-get install fonts-liberation fonts-croscore "
                                "fonts-crosextra-carlito fonts-freefont-ttf fonts-urw-base35 fonts-roboto-unhinted "
                                "fonts-open-sans fonts-lato fonts-b612 fonts-cantarell")
    return found


def font_pools() -> tuple[list[Path], list[Path]]:
    """``(training fonts, held-out fonts)``.

    Raises:
        FileNotFoundError: no Hangul font is installed (``apt-get install fonts-nanum fonts-unfonts-core``).
    """
    fonts = hangul_fonts()
    if not fonts:
        raise FileNotFoundError("no Hangul font installed: apt-get install fonts-nanum fonts-unfonts-core fonts-noto-cjk")
    held = [f for f in fonts if f.name in HELD_OUT_FONTS]
    latin_held = [p for p in (Path("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf"),) if p.exists()]
    return [f for f in fonts if f.name not in HELD_OUT_FONTS], held + latin_held


@dataclass(frozen=True)
class PlateText:
    """What is written on a plate: ``rows`` as drawn, ``text`` normalised (what a reader returns), ``layout``."""

    rows: tuple[str, ...]
    text: str
    layout: str


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(DIGITS) for _ in range(n))


@dataclass(frozen=True)
class PlateMix:
    """What :func:`random_plate_text` draws: ``layouts`` as (layout, weight) pairs, and the ``latin_separators``
    written between the groups of Indian and generic plates (one is drawn per plate; a single one draws nothing, so
    the random stream stays that of the first renderer)."""

    layouts: tuple[tuple[str, int], ...]
    latin_separators: tuple[str, ...] = (" ",)
    #: Share of the plates without Hangul drawn with a font of :func:`latin_training_fonts` instead of the pool given
    #: to :func:`render_plate` (one more draw per such plate when above 0; 0 keeps the earlier random stream).
    latin_font_share: float = 0.0
    #: Share of the Vietnamese plates drawn with :data:`VN_FACE` (the face of the real crops) instead of
    #: :data:`DEFAULT_FACE` (one more draw per Vietnamese plate when above 0; 0 keeps the earlier random stream).
    vn_face_share: float = 0.0


#: The mix of every rendered evaluation set (``plate_sets``) and of the first training sets: Korean plates the most
#: frequent, groups of Latin plates separated by a space.
EVAL_MIX = PlateMix((("kr", 3), ("kr_region_moto", 4), ("kr_region_car", 1), ("vn", 2), ("in", 1), ("generic", 1)))

#: The training mix of the ``latin_separators`` recipe: one-row Latin plates (Indian, generic) twice as often, and
#: their groups also separated by a dot, a hyphen or nothing (``TN.05.AT.7024``), because the reader shipped before it
#: dropped the first letters of the real Indian footage plate (read as ``05AT7024``; ``weights/PLATE_READER.md``).
#: Evaluation sets keep :data:`EVAL_MIX`, so their plates do not change.
TRAIN_MIX = PlateMix((("kr", 3), ("kr_region_moto", 4), ("kr_region_car", 1), ("vn", 2), ("in", 2), ("generic", 2)),
                     (" ", " ", ".", "-", ""))

#: The training mix of the ``loose_two_row`` recipe: :data:`TRAIN_MIX` with twice the two-row motorcycle plates,
#: whose top row (region and district in small Hangul) the reader misses most (two-row 18 % exact against 68 % for
#: car plates, ``weights/PLATE_READER.md``).
KOREAN_TRAIN_MIX = replace(TRAIN_MIX, layouts=(("kr", 3), ("kr_region_moto", 8), ("kr_region_car", 1), ("vn", 2),
                                               ("in", 2), ("generic", 2)))

#: The training mix of the ``latin_fonts`` recipe: :data:`KOREAN_TRAIN_MIX` with half the Latin plates (Vietnamese,
#: Indian, generic) drawn in a Latin-only sans font (:data:`LATIN_TRAINING_FONTS`). Half, not all, so the Hangul
#: fonts' Latin glyphs (the Korean car plates' own face is closer to them) stay in the mix.
LATIN_FONTS_TRAIN_MIX = replace(KOREAN_TRAIN_MIX, latin_font_share=0.5)

#: The training mix of the ``vn_face`` recipe: :data:`LATIN_FONTS_TRAIN_MIX` with 60 % of the Vietnamese plates drawn
#: with the face of the real ones (:data:`VN_FACE`). The reader trained on ``latin_fonts`` read 59 of the 60
#: real training crops it was trained on and 11 of the 31 it never saw: the renders taught it little about real
#: Vietnamese plates (the real ones are dark text on a light face in thin strokes, two rows of nearly equal height;
#: the renders were any colour, bold, with a small top row).
VN_FACE_TRAIN_MIX = replace(LATIN_FONTS_TRAIN_MIX, vn_face_share=0.6)


def random_plate_text(rng: random.Random, mix: PlateMix = EVAL_MIX) -> PlateText:
    """One plate's text drawn from ``mix`` (:data:`EVAL_MIX`)."""
    layout = rng.choices([name for name, _ in mix.layouts], weights=[w for _, w in mix.layouts])[0]
    if layout == "kr":
        head, usage, tail = _digits(rng, rng.choice([2, 3])), rng.choice(KR_USAGE), _digits(rng, 4)
        return PlateText((f"{head}{usage} {tail}",), f"{head}{usage}{tail}", "kr")
    if layout == "kr_region_moto":
        region = rng.choice(KR_REGIONS)
        districts = KR_DISTRICTS_BY_REGION[region]  # a plate's district is one of its region's (세종: none)
        district = rng.choice(districts) if districts else ""
        usage, tail = rng.choice(KR_MOTO_USAGE), _digits(rng, 4)
        return PlateText((f"{region} {district}".strip(), f"{usage} {tail}"), f"{region}{district}{usage}{tail}",
                         "kr_region")
    if layout == "kr_region_car":
        region, num, usage, tail = rng.choice(KR_REGIONS), _digits(rng, 2), rng.choice(KR_USAGE), _digits(rng, 4)
        return PlateText((f"{region} {num}", f"{usage} {tail}"), f"{region}{num}{usage}{tail}", "kr_region")
    if layout == "vn":
        province = _digits(rng, 2)
        series = rng.choice([rng.choice(LATIN) + rng.choice(DIGITS), rng.choice(LATIN) + rng.choice(LATIN),
                             rng.choice(LATIN) + rng.choice(LATIN) + rng.choice(DIGITS)])
        tail = _digits(rng, rng.choice([4, 5]))
        shown = f"{tail[:3]}.{tail[3:]}" if len(tail) == 5 else tail
        return PlateText((f"{province}-{series}", shown), f"{province}{series}{tail}", "vn")
    if layout == "in":
        state, district = rng.choice(IN_STATES), _digits(rng, 2)
        series = "".join(rng.choice(LATIN) for _ in range(rng.choice([1, 2])))
        num = _digits(rng, 4)
        two_rows = rng.random() < 0.4
        sep = _separator(rng, mix)
        rows = ((f"{state}{sep}{district}", f"{series}{sep}{num}") if two_rows
                else (sep.join((state, district, series, num)),))
        return PlateText(rows, f"{state}{district}{series}{num}", "in")
    letters = "".join(rng.choice(LATIN) for _ in range(rng.choice([2, 3])))
    num = _digits(rng, rng.choice([3, 4]))
    letters_first = rng.random() < 0.5
    sep = _separator(rng, mix)
    rows = (f"{letters}{sep}{num}",) if letters_first else (f"{num}{sep}{letters}",)
    return PlateText(rows, f"{letters}{num}" if letters_first else f"{num}{letters}", "generic")


def _separator(rng: random.Random, mix: PlateMix) -> str:
    """The separator between the groups of one Latin plate (no draw when the mix has one)."""
    return mix.latin_separators[0] if len(mix.latin_separators) == 1 else rng.choice(mix.latin_separators)


#: (background, text) colours, BGR-free RGB: white/black (private), Korean green/white (old), yellow/black
#: (commercial), white/blue-green (Korean motorcycle), blue/white (electric).
_COLOURS = [((245, 245, 240), (20, 20, 20)), ((40, 110, 70), (240, 240, 235)), ((240, 200, 40), (25, 25, 25)),
            ((235, 240, 240), (20, 70, 90)), ((70, 130, 200), (245, 245, 245)), ((215, 220, 225), (30, 30, 35))]


@dataclass(frozen=True)
class PlateFace:
    """How :func:`draw_plate` draws a plate: ``colours`` as (face, text) RGB pairs, one drawn per plate; the text
    rows' extents as (low, high) ranges drawn per plate, as shares of the plate's height (``top_share``: the top row
    of a two-row plate) and of the width inside the margins (``*_width``); ``strokes``: the stroke widths (pixels at
    64 px glyph size) one is drawn from per row."""

    colours: tuple[tuple[tuple[int, int, int], tuple[int, int, int]], ...]
    top_share: tuple[float, float] = (0.3, 0.42)
    top_width: tuple[float, float] = (0.45, 0.75)
    bottom_width: tuple[float, float] = (0.8, 0.9)
    one_row_width: tuple[float, float] = (0.8, 0.92)
    strokes: tuple[int, ...] = (0, 0, 1, 2)


#: The face of every plate of the recipes before ``vn_face``, and of most after it (the same draws, so those renders
#: are unchanged): any of :data:`_COLOURS`, a small top row, any stroke weight.
DEFAULT_FACE = PlateFace(tuple(_COLOURS))

#: The face of the real Vietnamese motorcycle plates (the hcmute crops, ``plate_labels_hcmute.csv``): dark text on a
#: white, cream or pale-yellow face (private plates white with black characters, commercial ones yellow since 2020,
#: state ones blue: Ministry of Public Security, Circular 58/2020/TT-BCA), thin strokes, the top row (``29-B1``)
#: nearly as tall and as wide as the bottom one (``784.76``; the 190 × 140 mm plate has two rows of equal height).
VN_FACE = PlateFace(colours=(((238, 238, 232), (20, 20, 24)), ((226, 228, 222), (35, 35, 42)),
                             ((244, 238, 214), (28, 28, 30)), ((212, 216, 216), (16, 26, 56)),
                             ((236, 214, 120), (24, 24, 24)), ((190, 196, 200), (12, 12, 16))),
                    top_share=(0.4, 0.48), top_width=(0.7, 0.92), bottom_width=(0.82, 0.96), strokes=(0, 0, 0, 1))


def _row_image(text: str, font_path: Path, height: int, width: int, rng: random.Random,
               strokes: tuple[int, ...] = DEFAULT_FACE.strokes) -> np.ndarray:
    """``text`` drawn white on black, stretched to ``height`` x ``width`` (a mask, (h, w) uint8), in a stroke width
    drawn from ``strokes``."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), 64)
    spacing = rng.uniform(0.0, 0.25)
    pieces = [(ch, font.getbbox(ch)) for ch in text]
    gap = int(64 * spacing)
    stroke = rng.choice(strokes)
    total = sum((b[2] - b[0]) if ch != " " else 20 for ch, b in pieces) + gap * (len(pieces) - 1)
    canvas = Image.new("L", (max(1, total + 8), 96), 0)
    draw = ImageDraw.Draw(canvas)
    x = 4
    for ch, b in pieces:
        if ch == " ":
            x += 20 + gap
            continue
        draw.text((x - b[0], 8), ch, font=font, fill=255, stroke_width=stroke, stroke_fill=255)
        x += b[2] - b[0] + gap
    mask = np.asarray(canvas)
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return np.zeros((height, width), np.uint8)
    tight = mask[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    import cv2

    return cv2.resize(tight, (width, height), interpolation=cv2.INTER_AREA)


def draw_plate(plate: PlateText, font_path: Path, rng: random.Random, face: PlateFace = DEFAULT_FACE) -> np.ndarray:
    """A clean plate image ((h, w, 3) uint8 BGR): coloured face, border, rows of text, drawn as ``face`` says."""
    import cv2

    two_rows = len(plate.rows) == 2
    w = rng.randint(300, 340) if two_rows else rng.randint(430, 520)
    h = int(w * rng.uniform(0.55, 0.7)) if two_rows else int(w * rng.uniform(0.21, 0.3))
    bg, fg = rng.choice(face.colours)
    img = np.full((h, w, 3), bg, np.uint8)
    border = max(2, int(0.03 * h))
    cv2.rectangle(img, (border, border), (w - border, h - border), fg, max(1, border // 2))
    margin_x = int(w * rng.uniform(0.05, 0.1))
    if two_rows:
        top_share = rng.uniform(*face.top_share)
        rows = [(plate.rows[0], int(h * 0.1), int(h * (0.1 + top_share * 0.85)), rng.uniform(*face.top_width)),
                (plate.rows[1], int(h * (0.12 + top_share)), int(h * 0.9), rng.uniform(*face.bottom_width))]
    else:
        rows = [(plate.rows[0], int(h * 0.14), int(h * 0.86), rng.uniform(*face.one_row_width))]
    for text, y1, y2, width_share in rows:
        rw = int((w - 2 * margin_x) * width_share)
        mask = _row_image(text, font_path, max(4, y2 - y1), max(4, rw), rng, face.strokes)
        x1 = (w - rw) // 2
        region = img[y1:y1 + mask.shape[0], x1:x1 + mask.shape[1]]
        alpha = (mask[:, :, None] / 255.0)[: region.shape[0], : region.shape[1]]
        region[:] = (region * (1 - alpha) + np.array(fg) * alpha).astype(np.uint8)
    return img[:, :, ::-1].copy()  # RGB colours → BGR


@dataclass(frozen=True)
class Degradation:
    """Strength of the degradations (the held-out set uses other values than training). Plates narrower than
    ``min_width_px`` are not rendered: below ~44 px a two-row plate's top row is a few pixels high and unreadable
    (a first run with 28 px learned nothing in 3 epochs); such plates are left to other frames of the track. The
    exception is ``small_share`` (plates without Hangul, ``small_width_px`` wide: a Vietnamese plate's top row is
    as tall as its bottom one)."""

    max_blur: float = 1.2
    min_width_px: int = 44
    max_width_px: int = 200
    jpeg_quality: tuple[int, int] = (35, 95)
    max_tilt: float = 0.12
    night_alpha: tuple[float, float] = (0.35, 0.7)
    #: Share of crops boxed very loosely: 0.6–1.6 plate heights of context above and below before the crop jitter
    #: takes up to half of it (at most 0.45 otherwise), with a few dark and light shapes in it (lamp, bumper,
    #: bracket). The plate detector boxed the footage plate
    #: ``TN05AT7024`` so: its face is about a third of the crop's height (``plate_sets`` ``footage_crops``). 0 draws
    #: nothing, so a set rendered with 0 is the one rendered before this existed.
    loose_share: float = 0.0
    #: Share of the plates without Hangul made as small and soft as the real Vietnamese crops (42–99 px wide,
    #: 10th–90th percentile of the 60 real training crops): ``small_width_px`` wide instead of ``min_width_px`` to
    #: ``max_width_px``, their height times a factor drawn from ``squash`` (the hcmute frames were portrait phone
    #: video stretched to 640 × 640, which widens a plate 1.8 times: the real crops are 2.2 times as wide as high
    #: at the median, the 190 × 140 mm plate 1.36), and a blur of 0.3–1.0 px whatever the width (the blur of the
    #: other crops shrinks with their width): Gaussian in half of them; the other half take the motion-blur branch,
    #: whose kernel is 1 px wide below a blur of 1.0, so they stay unblurred (kept: the shipped reader's renders).
    #: Korean plates keep ``min_width_px`` (their Hangul top row is a few pixels high below it) unless
    #: ``small_hangul``. 0 draws nothing, so a set rendered with 0 is the one rendered before this existed.
    small_share: float = 0.0
    small_width_px: tuple[int, int] = (40, 96)
    squash: tuple[float, float] = (0.55, 1.0)
    #: Plates with Hangul made small too (``small_share`` of them; the ``small_hangul`` recipe): Korean motorcycle
    #: plates put into real frames at the real plates' sizes are mostly under 48 px wide, where the shipped reader read
    #: 15 % of them (``weights/PLATE_READER.md``). False draws nothing, so a set rendered with False is the one rendered
    #: before this existed.
    small_hangul: bool = False


TRAIN_DEGRADATION = Degradation()
#: The degradations of the ``loose_two_row`` recipe: as :data:`TRAIN_DEGRADATION`, a quarter of the crops boxed very
#: loosely.
LOOSE_TRAIN_DEGRADATION = Degradation(loose_share=0.25)
#: The degradations of the ``vn_face`` recipe: as :data:`LOOSE_TRAIN_DEGRADATION`, 30 % of the plates without Hangul
#: small and soft like the real Vietnamese crops (:attr:`Degradation.small_share`).
SMALL_TRAIN_DEGRADATION = replace(LOOSE_TRAIN_DEGRADATION, small_share=0.3)
#: The degradations of the ``small_hangul`` recipe: as :data:`SMALL_TRAIN_DEGRADATION`, Korean plates made small too
#: (:attr:`Degradation.small_hangul`).
SMALL_HANGUL_TRAIN_DEGRADATION = replace(SMALL_TRAIN_DEGRADATION, small_hangul=True)

#: Training renders by name (``helmetscan train-plates --recipe``): the layout mix and the degradations, each recipe
#: the one before it plus what its name says: ``latin_separators`` (more one-row Latin plates, varied separators),
#: ``loose_two_row`` (twice the two-row motorcycle plates, a quarter of the crops boxed loosely), ``latin_fonts``
#: (half the Latin plates in Latin-only fonts), ``vn_face`` (Vietnamese plates with the real ones' face, small soft
#: Latin crops: the shipped reader's), ``small_hangul`` (Korean plates small too).
TRAINING_RECIPES = {"latin_separators": (TRAIN_MIX, TRAIN_DEGRADATION),
                    "loose_two_row": (KOREAN_TRAIN_MIX, LOOSE_TRAIN_DEGRADATION),
                    "latin_fonts": (LATIN_FONTS_TRAIN_MIX, LOOSE_TRAIN_DEGRADATION),
                    "vn_face": (VN_FACE_TRAIN_MIX, SMALL_TRAIN_DEGRADATION),
                    "small_hangul": (VN_FACE_TRAIN_MIX, SMALL_HANGUL_TRAIN_DEGRADATION)}
HELD_OUT_DEGRADATION = Degradation(max_blur=1.0, min_width_px=48, max_width_px=180, jpeg_quality=(40, 90),
                                   max_tilt=0.1, night_alpha=(0.4, 0.7))


def degrade(plate: np.ndarray, rng: random.Random, strength: Degradation = TRAIN_DEGRADATION) -> np.ndarray:
    """A plate as a dashcam crop shows it ((h, w, 3) uint8 BGR): a loose box with background, perspective and tilt,
    dirt, glare, night, low resolution, motion or focus blur, sensor noise and JPEG."""
    import cv2

    h, w = plate.shape[:2]
    pad_x, pad_y = int(w * rng.uniform(0.02, 0.25)), int(h * rng.uniform(0.05, 0.45))
    loose = bool(strength.loose_share) and rng.random() < strength.loose_share
    if loose:
        pad_y = int(h * rng.uniform(0.6, 1.6))
    bg = np.full((h + 2 * pad_y, w + 2 * pad_x, 3), [rng.randint(0, 255) for _ in range(3)], np.uint8)
    noise = np.random.default_rng(rng.randint(0, 2**31)).integers(0, 60, bg.shape, dtype=np.uint8)
    bg = cv2.add(bg, noise)
    for _ in range(rng.randint(1, 4) if loose else 0):  # lamp, bumper, bracket: shapes the reader must not read
        x, y = rng.randint(0, bg.shape[1]), rng.randint(0, bg.shape[0])
        size = (rng.randint(4, max(5, bg.shape[1] // 2)), rng.randint(2, max(3, pad_y)))
        shade = (rng.choice([rng.randint(0, 60), rng.randint(180, 255)]),) * 3
        if rng.random() < 0.5:
            cv2.rectangle(bg, (x, y), (x + size[0], y + size[1]), shade, -1)
        else:
            cv2.ellipse(bg, (x, y), size, 0, 0, 360, shade, -1)
    t = strength.max_tilt
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = lambda s: rng.uniform(-t, t) * s  # noqa: E731
    dst = np.float32([[pad_x + jitter(w), pad_y + jitter(h)], [pad_x + w + jitter(w), pad_y + jitter(h)],
                      [pad_x + w + jitter(w), pad_y + h + jitter(h)], [pad_x + jitter(w), pad_y + h + jitter(h)]])
    warped = cv2.warpPerspective(plate, cv2.getPerspectiveTransform(src, dst), (bg.shape[1], bg.shape[0]),
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), cv2.getPerspectiveTransform(src, dst),
                               (bg.shape[1], bg.shape[0]))
    img = np.where(mask[:, :, None] > 0, warped, bg)
    # crop jitter: the detector's box may cut into the plate or leave lots of context
    H, W = img.shape[:2]
    cx1, cy1 = rng.randint(0, max(0, pad_x // 2 + int(0.03 * w))), rng.randint(0, max(0, pad_y // 2 + int(0.05 * h)))
    cx2, cy2 = W - rng.randint(0, max(0, pad_x // 2 + int(0.03 * w))), H - rng.randint(0, max(0, pad_y // 2))
    img = img[cy1:cy2, cx1:cx2].copy()
    if rng.random() < 0.3:  # dirt
        for _ in range(rng.randint(1, 6)):
            c = (rng.randint(0, img.shape[1]), rng.randint(0, img.shape[0]))
            cv2.circle(img, c, rng.randint(1, max(2, img.shape[0] // 10)), (rng.randint(30, 90),) * 3, -1)
    if rng.random() < 0.25:  # glare
        overlay = np.zeros_like(img)
        c = (rng.randint(0, img.shape[1]), rng.randint(0, img.shape[0]))
        cv2.ellipse(overlay, c, (rng.randint(10, img.shape[1] // 2 + 11), rng.randint(5, img.shape[0] // 2 + 6)),
                    rng.uniform(0, 180), 0, 360, (255, 255, 255), -1)
        img = cv2.addWeighted(img, 1.0, cv2.GaussianBlur(overlay, (0, 0), 8), rng.uniform(0.3, 0.8), 0)
    if rng.random() < 0.25:  # night: dark, low contrast
        img = cv2.convertScaleAbs(img, alpha=rng.uniform(*strength.night_alpha), beta=rng.uniform(0, 20))
    else:
        img = cv2.convertScaleAbs(img, alpha=rng.uniform(0.7, 1.3), beta=rng.uniform(-30, 30))
    # low resolution: the crop as many pixels wide as a dashcam sees it
    small = bool(strength.small_share) and rng.random() < strength.small_share
    target_w = rng.randint(*strength.small_width_px) if small else rng.randint(strength.min_width_px,
                                                                               strength.max_width_px)
    scale = target_w / img.shape[1] * (rng.uniform(*strength.squash) if small else 1.0)
    img = cv2.resize(img, (target_w, max(6, int(img.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    blur = rng.uniform(0.3, 1.0) if small else rng.uniform(0, strength.max_blur) * min(1.0, target_w / 80)
    if rng.random() < 0.5 and blur > 0.3:
        k = max(1, int(blur * 2))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        img = cv2.filter2D(img, -1, kernel)
    elif blur > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), blur)
    if rng.random() < 0.5:
        gauss = np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(2, 12), img.shape)
        img = np.clip(img + gauss, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(*strength.jpeg_quality)])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def fonts_for(plate: PlateText, fonts: list[Path]) -> list[Path]:
    """The ``fonts`` that can draw ``plate``: a plate with Hangul only those with Hangul (the held-out pool also holds
    a Latin-only font, :data:`LATIN_ONLY_FONTS`)."""
    if _has_hangul(plate.text):
        return [f for f in fonts if f.name not in LATIN_ONLY_FONTS] or fonts
    return fonts


def render_plate(rng: random.Random, fonts: list[Path], strength: Degradation = TRAIN_DEGRADATION,
                 mix: PlateMix = EVAL_MIX) -> tuple[np.ndarray, PlateText]:
    """One degraded plate crop ((h, w, 3) uint8 BGR) and its text, drawn from ``mix`` with a font that can draw it
    (:func:`fonts_for`; for a plate without Hangul, a font of :func:`latin_training_fonts` in
    ``mix.latin_font_share`` of the draws, whatever ``fonts`` is: training mixes only, never a held-out render), a
    Vietnamese plate with :data:`VN_FACE` in ``mix.vn_face_share`` of the draws, and degraded by ``strength`` (a plate
    with Hangul made small only if ``strength.small_hangul``: :attr:`Degradation.small_share`).

    Raises:
        FileNotFoundError: ``mix.latin_font_share`` is above 0 and no Latin training font is installed.
    """
    plate = random_plate_text(rng, mix)
    pool = fonts_for(plate, fonts)
    hangul = _has_hangul(plate.text)
    if mix.latin_font_share and not hangul and rng.random() < mix.latin_font_share:
        pool = latin_training_fonts()
    font = rng.choice(pool)
    vn_face = mix.vn_face_share and plate.layout == "vn" and rng.random() < mix.vn_face_share
    clean = draw_plate(plate, font, rng, VN_FACE if vn_face else DEFAULT_FACE)
    if hangul and strength.small_share and not strength.small_hangul:
        strength = replace(strength, small_share=0.0)
    return degrade(clean, rng, strength), plate


def _has_hangul(text: str) -> bool:
    return any("가" <= ch <= "힣" for ch in text)
