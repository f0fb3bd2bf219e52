"""Plate text: normalisation, plate formats, and the fusion of a track's reads into one plate text."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

#: Plate formats, applied to normalised text (no spaces or separators).
#: kr: 12가3456 / 123가4567 (Korean private cars since 2006 / 2019); kr_region: 서울강남가1234 and 서울12가3456 (two-row
#: region plates, read top row first); in: Indian state + district + series + number, e.g. TN05AT7024; generic: 4-10
#: Latin letters and digits with at least one digit.
PLATE_FORMATS: dict[str, re.Pattern[str]] = {
    "kr": re.compile(r"^\d{2,3}[가-힣]\d{4}$"),
    "kr_region": re.compile(r"^[가-힣]{2}(?:[가-힣]{2})?\d{0,2}[가-힣]\d{4}$"),
    "in": re.compile(r"^[A-Z]{2}\d{1,2}[A-Z]{0,3}\d{1,4}$"),
    "generic": re.compile(r"^(?=.*\d)[A-Z0-9]{4,10}$"),
}




def normalise(text: str) -> str:
    """Upper-case, keep only Latin letters, digits and Hangul syllables (drops spaces, dots, dashes, OCR noise)."""
    text = unicodedata.normalize("NFC", text).upper()
    return "".join(ch for ch in text if ("A" <= ch <= "Z") or ch.isdigit() and ch.isascii() or "가" <= ch <= "힣")


def plate_format(text: str, formats: list[str]) -> str | None:
    """Name of the first format in ``formats`` that normalised ``text`` matches, else ``None``."""
    return next((name for name in formats if PLATE_FORMATS[name].match(text)), None)


class PlateStatus(StrEnum):
    """How far a track's plate was read."""

    READ = "read"  # text that matches one of the accepted plate formats
    UNVALIDATED = "unvalidated"  # text found, but no accepted format matches it
    UNREAD = "unread"  # no read voted


@dataclass(frozen=True)
class PlateRead:
    """One OCR read of a plate: normalised ``text``, recogniser ``confidence`` 0..1, and the frame it came from."""

    text: str
    confidence: float
    frame_index: int


@dataclass(frozen=True)
class FusedPlate:
    """A track's plate after fusing its reads.

    ``text``: fused, normalised plate text ("" when unread); ``status``: see :class:`PlateStatus`; ``format``: the
    matching format; ``confidence``: weight of the reads agreeing exactly with ``text`` over the weight of all voting
    reads; ``frames_read``: reads that voted;
    ``frames_agreeing``: reads equal to ``text``; ``votes``: summed confidence per distinct read.
    """

    text: str
    status: PlateStatus
    format: str | None
    confidence: float
    frames_read: int
    frames_agreeing: int
    votes: dict[str, float] = field(default_factory=dict)


def fuse_reads(reads: list[PlateRead], formats: list[str], min_confidence: float = 0.0) -> FusedPlate:
    """Fuse a track's plate reads into one text by confidence-weighted voting.

    Reads below ``min_confidence`` or empty do not vote. If any read matches a plate format, only such reads vote.
    The length with the largest summed confidence is chosen, then each position takes the character with the largest
    summed confidence among reads of that length. If that per-position result matches no format but the single
    best-supported read does, the read wins (a format-valid string beats a stitched one).
    """
    voting = [r for r in reads if r.text and r.confidence >= min_confidence]
    if not voting:
        return FusedPlate("", PlateStatus.UNREAD, None, 0.0, 0, 0, {})
    valid = [r for r in voting if plate_format(r.text, formats)]
    pool = valid or voting
    votes: dict[str, float] = defaultdict(float)
    by_length: dict[int, float] = defaultdict(float)
    for r in pool:
        votes[r.text] += r.confidence
        by_length[len(r.text)] += r.confidence
    length = max(by_length, key=lambda n: (by_length[n], n))
    same_length = [r for r in pool if len(r.text) == length]
    chars = []
    for pos in range(length):
        weight: dict[str, float] = defaultdict(float)
        for r in same_length:
            weight[r.text[pos]] += r.confidence
        chars.append(max(weight, key=lambda c: (weight[c], c)))
    text = "".join(chars)
    top = max(votes, key=lambda t: (votes[t], t))
    if not plate_format(text, formats) and plate_format(top, formats):
        text = top
    fmt = plate_format(text, formats)
    total = sum(votes.values())
    agreeing = [r for r in pool if r.text == text]
    return FusedPlate(
        text=text,
        status=PlateStatus.READ if fmt else PlateStatus.UNVALIDATED,
        format=fmt,
        confidence=round(sum(r.confidence for r in agreeing) / total, 4) if total else 0.0,
        frames_read=len(pool),
        frames_agreeing=len(agreeing),
        votes={k: round(v, 4) for k, v in sorted(votes.items(), key=lambda kv: -kv[1])},
    )
