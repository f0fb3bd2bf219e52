"""Plate formats as data: which normalised texts are plates, and the positional correction of confusable characters.

A format is a regular expression over normalised text (no spaces or separators, :func:`normalise`). The
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
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

def normalise(text: str) -> str:
    """Upper-case, keep only Latin letters, digits and Hangul syllables (drops spaces, dots, dashes, OCR noise)."""
    text = unicodedata.normalize("NFC", text).upper()
    return "".join(ch for ch in text if ("A" <= ch <= "Z") or ch.isdigit() and ch.isascii() or "가" <= ch <= "힣")


#: The 17 first-level regions as written on Korean region plates (행정안전부 administrative divisions).
KR_REGIONS = "서울 부산 대구 인천 광주 대전 울산 세종 경기 강원 충북 충남 전북 전남 경북 경남 제주".split()

#: The usage syllable (용도기호) of Korean plates: private 가–저, 고–조, 구–주; commercial 아 바 사 자; rental 하 허 호;
#: delivery 배 (「자동차 등록번호판 등의 기준에 관한 고시」, Ministry of Land, Infrastructure and Transport).
KR_USAGE = "가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주아바사자하허호배"

#: The syllable before the number on two-row motorcycle (이륜자동차) plates: 가 to 하 over the 14 basic consonants
#: (MOLIT notice on motorcycle registration plates; e.g. 서울 마포 / 자 6553, 인천 서 / 카 6500).
KR_MOTO_USAGE = "가나다라마바사아자차카타파하"


#: The districts of two-row motorcycle plates by region: each region's 시·군·구 names without their suffix, as on the
#: plates (마포 for 마포구; 행정안전부 administrative divisions as of 2023: 군위 moved from 경북 to 대구; 세종 has none).
#: A plate's district belongs to its region (the registering office), so 인천 마포 is no plate.
KR_DISTRICTS_BY_REGION: dict[str, tuple[str, ...]] = {region: tuple(names.split()) for region, names in {
    "서울": "종로 중 용산 성동 광진 동대문 중랑 성북 강북 도봉 노원 은평 서대문 마포 양천 강서 구로 금천 영등포 동작 관악 "
            "서초 강남 송파 강동",
    "부산": "중 서 동 영도 부산진 동래 남 북 해운대 사하 금정 강서 연제 수영 사상 기장",
    "대구": "중 동 서 남 북 수성 달서 달성 군위",
    "인천": "중 동 미추홀 연수 남동 부평 계양 서 강화 옹진",
    "광주": "동 서 남 북 광산",
    "대전": "동 중 서 유성 대덕",
    "울산": "중 남 동 북 울주",
    "세종": "",
    "경기": "수원 성남 고양 용인 부천 안산 안양 남양주 화성 평택 의정부 시흥 파주 광명 김포 군포 광주 이천 양주 오산 구리 "
            "안성 포천 의왕 하남 여주 양평 동두천 과천 가평 연천",
    "강원": "춘천 원주 강릉 동해 태백 속초 삼척 홍천 횡성 영월 평창 정선 철원 화천 양구 인제 고성 양양",
    "충북": "청주 충주 제천 보은 옥천 영동 증평 진천 괴산 음성 단양",
    "충남": "천안 공주 보령 아산 서산 논산 계룡 당진 금산 부여 서천 청양 홍성 예산 태안",
    "전북": "전주 군산 익산 정읍 남원 김제 완주 진안 무주 장수 임실 순창 고창 부안",
    "전남": "목포 여수 순천 나주 광양 담양 곡성 구례 고흥 보성 화순 장흥 강진 해남 영암 무안 함평 영광 장성 완도 진도 신안",
    "경북": "포항 경주 김천 안동 구미 영주 영천 상주 문경 경산 의성 청송 영양 영덕 청도 고령 성주 칠곡 예천 봉화 울진 울릉",
    "경남": "창원 진주 통영 사천 김해 밀양 거제 양산 의령 함안 창녕 고성 남해 하동 산청 함양 거창 합천",
    "제주": "제주 서귀포",
}.items()}

#: Every district name once (names several regions share, 중 동 서 남 북 강서 고성, appear once).
KR_DISTRICTS = tuple(dict.fromkeys(d for names in KR_DISTRICTS_BY_REGION.values() for d in names))


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


#: The number under the region on older two-row car plates (서울12가3456).
OLD_CAR_NUMBER = r"\d{1,2}"


def _alternation(patterns: Iterable[str]) -> str:
    """A regex alternation of ``patterns`` (district names, which hold no regex syntax), longest first."""
    return "|".join(sorted(patterns, key=lambda n: (-len(n), n)))


#: Region, then optionally one of its districts.
_REGION_TOP_ROW = "(?:" + "|".join(
    f"{region}(?:{_alternation(KR_DISTRICTS_BY_REGION[region])})?" if KR_DISTRICTS_BY_REGION[region] else region
    for region in KR_REGIONS) + ")"
#: Region, then the one- or two-digit number of older region car plates.
_OLD_REGION_TOP_ROW = f"(?:{'|'.join(KR_REGIONS)}){OLD_CAR_NUMBER}"
_USAGE = f"[{KR_USAGE}]"
_REGION_USAGE = f"[{''.join(sorted(set(KR_USAGE + KR_MOTO_USAGE)))}]"

#: The built-in formats.
BUILTIN_FORMATS: dict[str, PlateFormat] = {f.name: f for f in [
    PlateFormat("kr", re.compile(rf"\d{{2,3}}{_USAGE}\d{{4}}"),
                "Korean cars, one row: 12가3456 (7 characters, 2006–2019) and 123가4567 (8, since 2019); MOLIT notice "
                "「자동차 등록번호판 등의 기준에 관한 고시」"),
    PlateFormat("kr_region", re.compile(rf"{_REGION_TOP_ROW}{_REGION_USAGE}\d{{4}}"),
                "Korean two-row region plates, top row first: motorcycles 서울마포자6553 (region, one of that "
                "region's districts of 1–3 syllables from KR_DISTRICTS_BY_REGION, usage syllable, 4 digits; "
                "「자동차관리법 시행규칙」 and the MOLIT notice)"),
    PlateFormat("kr_old", re.compile(rf"{_OLD_REGION_TOP_ROW}{_USAGE}\d{{4}}"),
                "Korean two-row region plates of cars before 2004, still on older and commercial vehicles, top row "
                "first: 서울12가3456 (region, a one- or two-digit number, usage syllable, 4 digits; MOLIT notice)"),
    PlateFormat("in", re.compile(r"[A-Z]{2}\d{1,2}[A-Z]{0,3}\d{1,4}"),
                "Indian registration marks: state, district, series, number (Motor Vehicles Act), e.g. TN05AT7024"),
    PlateFormat("vn", re.compile(r"\d{2}[A-Z][A-Z0-9]?\d{4,5}"),
                "Vietnamese motorcycles, two rows: province, series / number, e.g. 29Y212345 (Circular 58/2020/TT-BCA)"),
    PlateFormat("generic", re.compile(r"(?=[A-Z0-9]{0,9}\d)[A-Z0-9]{4,10}"),
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
                FormatConstraint(out[-1:])  # the reader's beam search compiles it with the regex package
            except (re.error, ValueError) as exc:
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


class FormatConstraint:
    """Which texts a decoder may spell: those the accepted ``formats`` match, and the prefixes of such texts.

    Prefixes are checked with the ``regex`` package's partial matching (``fullmatch(..., partial=True)``: the text
    could still become a match), so built-in and custom formats work alike. Used by our reader's beam search
    (:func:`helmetscan.plates.ctc_beam.prefix_beam_search`) to keep only plate-shaped texts. A lookahead that can
    run to the end of the text (``(?=.*[0-9])``) is a partial match of any prefix, so such a format lets every prefix
    through (only the whole text is then checked): write it bounded, as ``generic`` does.

    Args:
        formats: the accepted formats (:func:`compile_formats`).

    Raises:
        ValueError: a format the ``regex`` package cannot compile.
    """

    def __init__(self, formats: Sequence[PlateFormat]):
        import regex

        self.names = tuple(f.name for f in formats)
        try:
            self._patterns = [regex.compile(f.pattern.pattern, f.pattern.flags) for f in formats]
        except regex.error as exc:
            raise ValueError(f"plate formats {', '.join(self.names)}: {exc}") from None
        self._viable: dict[str, bool] = {}

    def viable(self, prefix: str) -> bool:
        """Whether some text of an accepted format starts with ``prefix`` (normalised characters)."""
        known = self._viable.get(prefix)
        if known is None:
            known = any(p.fullmatch(prefix, partial=True) for p in self._patterns)
            if len(self._viable) < 200_000:  # a bound on memory over a long batch
                self._viable[prefix] = known
        return known

    def complete(self, text: str) -> bool:
        """Whether ``text`` matches an accepted format."""
        return any(p.fullmatch(text) for p in self._patterns)
