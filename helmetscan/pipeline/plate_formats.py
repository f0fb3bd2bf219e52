"""Plate formats as data: which normalised texts are plates, and the positional correction of confusable characters.

A format is a regular expression over normalised text (no spaces or separators, :func:`plate_text.normalise`). The
built-in ones are below with their sources; users add their own in the config (``plates.custom_formats``, like
Frigate's ``format``) and choose which apply, in order (``plates.formats``).

Positional correction: when a read matches no accepted format, up to :data:`MAX_CORRECTIONS` characters are swapped
for a character they are often confused with (:data:`CONFUSABLE`: 0/O, 1/I, 8/B, 5/S, …) where that makes the read
match a format, e.g. ``12가34S6`` → ``12가3456`` (a digit is expected after the usage syllable). A read that already
matches a format, the catch-all ``generic`` included, is never changed: drop ``generic`` from ``plates.formats`` to
have Latin reads corrected towards the specific formats. Confusions between two
characters that are both valid at a position (어/머/버, 오/우 as usage syllables) cannot be fixed by the format; the
per-character confidences and the fusion over frames handle them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: The 17 first-level regions as written on Korean region plates (행정안전부 administrative divisions).
KR_REGIONS = "서울 부산 대구 인천 광주 대전 울산 세종 경기 강원 충북 충남 전북 전남 경북 경남 제주".split()

#: The usage syllable (용도기호) of Korean plates: private 가–저, 고–조, 구–주; commercial 아 바 사 자; rental 하 허 호;
#: delivery 배 (「자동차 등록번호판 등의 기준에 관한 고시」, Ministry of Land, Infrastructure and Transport).
KR_USAGE = "가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주아바사자하허호배"

#: The syllable before the number on two-row motorcycle (이륜자동차) plates: 가 to 하 over the 14 basic consonants
#: (MOLIT notice on motorcycle registration plates; e.g. 서울 마포 / 자 6553, 인천 서 / 카 6500).
KR_MOTO_USAGE = "가나다라마바사아자차카타파하"


@dataclass(frozen=True)
class PlateFormat:
    """One plate format: ``name``, ``pattern`` over normalised text, ``source`` (where the layout comes from);
    ``catch_all``: a format any Latin string passes (tried last; never the target of a correction)."""

    name: str
    pattern: re.Pattern[str]
    source: str
    catch_all: bool = False

    def matches(self, text: str) -> bool:
        """Whether normalised ``text`` is a plate of this format."""
        return bool(self.pattern.fullmatch(text))


_REGION = "(?:" + "|".join(KR_REGIONS) + ")"
_USAGE = f"[{KR_USAGE}]"
_REGION_USAGE = f"[{''.join(sorted(set(KR_USAGE + KR_MOTO_USAGE)))}]"

#: The built-in formats.
BUILTIN_FORMATS: dict[str, PlateFormat] = {f.name: f for f in [
    PlateFormat("kr", re.compile(rf"\d{{2,3}}{_USAGE}\d{{4}}"),
                "Korean cars, one row: 12가3456 (7 characters, 2006–2019) and 123가4567 (8, since 2019); MOLIT notice "
                "「자동차 등록번호판 등의 기준에 관한 고시」"),
    PlateFormat("kr_region", re.compile(rf"{_REGION}(?:[가-힣]{{1,3}}|\d{{1,2}})?{_REGION_USAGE}\d{{4}}"),
                "Korean two-row region plates, top row first: motorcycles 서울마포자6553 (region, district of 1–3 "
                "syllables, usage syllable, 4 digits; 「자동차관리법 시행규칙」 and the MOLIT notice) and older cars "
                "서울12가3456"),
    PlateFormat("in", re.compile(r"[A-Z]{2}\d{1,2}[A-Z]{0,3}\d{1,4}"),
                "Indian registration marks: state, district, series, number (Motor Vehicles Act), e.g. TN05AT7024"),
    PlateFormat("vn", re.compile(r"\d{2}[A-Z][A-Z0-9]?\d{4,5}"),
                "Vietnamese motorcycles, two rows: province, series / number, e.g. 29Y212345 (Circular 58/2020/TT-BCA)"),
    PlateFormat("generic", re.compile(r"(?=.*\d)[A-Z0-9]{4,10}"),
                "Any 4–10 Latin letters and digits with at least one digit (our catch-all)", catch_all=True),
]}

#: Characters recognisers confuse, in both directions (from the reads of EasyOCR and our recogniser on plates).
CONFUSABLE: dict[str, str] = {}
for _group in ["0ODQ", "1IL", "2Z", "5S", "6G", "8B", "7T", "4A", "어머버", "오우", "너더", "고교"]:
    for _ch in _group:
        CONFUSABLE[_ch] = _group.replace(_ch, "")

#: Characters a correction may change at most (our choice: more than two swaps turns noise into a "plate").
MAX_CORRECTIONS = 2


def compile_formats(names: Iterable[str], custom: dict[str, str] | None = None) -> list[PlateFormat]:
    """The formats named in ``names``, in order, from the built-ins and ``custom`` (name → regex).

    Raises:
        ValueError: an unknown name or a custom regex that does not compile.
    """
    custom = custom or {}
    out = []
    for name in names:
        if name in custom:
            try:
                out.append(PlateFormat(name, re.compile(custom[name]), "custom (config)"))
            except re.error as exc:
                raise ValueError(f"plate format {name!r}: bad regular expression ({exc})") from None
        elif name in BUILTIN_FORMATS:
            out.append(BUILTIN_FORMATS[name])
        else:
            raise ValueError(f"unknown plate format {name!r}; built-in: {', '.join(BUILTIN_FORMATS)}")
    return out


def plate_format(text: str, formats: Sequence[PlateFormat]) -> str | None:
    """Name of the first of ``formats`` that normalised ``text`` matches, else ``None``."""
    return next((f.name for f in formats if f.matches(text)), None)


def _swapped(text: str, positions: list[int], n: int):
    for chosen in itertools.combinations(positions, n):
        for swaps in itertools.product(*(CONFUSABLE[text[i]] for i in chosen)):
            chars = list(text)
            for i, ch in zip(chosen, swaps):
                chars[i] = ch
            yield "".join(chars)


def correct(text: str, formats: Sequence[PlateFormat]) -> tuple[str, str | None]:
    """``(text, format)`` after positional correction.

    A read that matches any accepted format, the catch-all included, is kept as it is: ``5AU5341`` (a real plate) is
    never "corrected" to the Vietnamese-shaped ``54U5341``; a wrong plate is worse than an unvalidated one. A read
    that matches none is tried against the specific (not catch-all) formats with 1, then up to
    :data:`MAX_CORRECTIONS` confusable swaps, formats in order for each count; the first match wins
    (``TNO5AT7O24`` → ``TN05AT7024`` when ``generic`` is not accepted; ``12가34S6`` → ``12가3456``).
    ``(text, None)`` when nothing matches.
    """
    if not text:
        return text, None
    fmt = plate_format(text, formats)
    if fmt:
        return text, fmt
    specific = [f for f in formats if not f.catch_all]
    positions = [i for i, ch in enumerate(text) if ch in CONFUSABLE]
    for n in range(1, MAX_CORRECTIONS + 1):
        for fmt in specific:
            for candidate in _swapped(text, positions, n):
                if fmt.matches(candidate):
                    return candidate, fmt.name
    return text, None
