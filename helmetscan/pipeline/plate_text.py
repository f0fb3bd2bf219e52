"""Plate text: normalisation and the fusion of a track's reads into one plate text (formats: :mod:`plate_formats`)."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from helmetscan.pipeline.plate_formats import PlateFormat, plate_format

def normalise(text: str) -> str:
    """Upper-case, keep only Latin letters, digits and Hangul syllables (drops spaces, dots, dashes, OCR noise)."""
    text = unicodedata.normalize("NFC", text).upper()
    return "".join(ch for ch in text if ("A" <= ch <= "Z") or ch.isdigit() and ch.isascii() or "가" <= ch <= "힣")


class PlateStatus(StrEnum):
    """How far a track's plate was read."""

    READ = "read"  # text that matches one of the accepted plate formats, confident enough
    UNVALIDATED = "unvalidated"  # text found, confident enough, but no accepted format matches it
    UNREAD = "unread"  # no read voted, or the fused text is below the confidence floor


@dataclass(frozen=True)
class PlateRead:
    """One read of a plate: normalised ``text`` (after positional correction), recogniser ``confidence`` 0..1, the
    frame it came from, and ``char_confidences`` (one per character of ``text``; ``None`` when the recogniser gives
    only one value: each character then weighs ``confidence``)."""

    text: str
    confidence: float
    frame_index: int
    char_confidences: tuple[float, ...] | None = None

    def char_weight(self, position: int) -> float:
        """Confidence of the character at ``position``."""
        if self.char_confidences is not None and len(self.char_confidences) == len(self.text):
            return self.char_confidences[position]
        return self.confidence


@dataclass(frozen=True)
class FusedPlate:
    """A track's plate after fusing its reads.

    ``text``: fused, normalised plate text ("" when unread); ``status``: see :class:`PlateStatus`; ``format``: the
    matching format; ``confidence`` 0..1: for the least supported position, the summed confidence of the reads showing
    the fused character there over the number of reads of the fused length and format, times that group's share of
    all voting confidence, and at most the group's mean read confidence times that share (1.0 only when every read
    agrees with full confidence); ``char_confidences``: the same
    support per position; ``frames_read``: reads that voted; ``frames_agreeing``: reads equal to ``text``;
    ``votes``: summed confidence per distinct read; ``best_guess``: the fused text even when it fell below the floor,
    or, when no read was sure enough to vote, the most confident read (for a reviewer; never reported as the plate).
    """

    text: str
    status: PlateStatus
    format: str | None
    confidence: float
    frames_read: int
    frames_agreeing: int
    votes: dict[str, float] = field(default_factory=dict)
    char_confidences: tuple[float, ...] = ()
    best_guess: str = ""


def fuse_reads(reads: list[PlateRead], formats: Sequence[PlateFormat], min_confidence: float = 0.0,
               min_plate_confidence: float = 0.0) -> FusedPlate:
    """Fuse a track's plate reads into one text, character by character, aligned by format position.

    Reads below ``min_confidence``, with confidence 0 or empty do not vote (the most confident of them is still the
    ``best_guess`` when none votes). If any read matches a plate format, only such reads vote.
    Reads are grouped by (format, length); the group with the largest summed confidence is aligned position by
    position, and each position takes the character with the largest summed per-character confidence. If that result
    matches no format but the group's best-supported read does, the read wins (a valid string beats a stitched one).
    A fused ``confidence`` (see :class:`FusedPlate`) below ``min_plate_confidence`` makes the plate ``unread``.
    """
    voting = [r for r in reads if r.text and r.confidence > 0 and r.confidence >= min_confidence]
    if not voting:
        weak = max((r for r in reads if r.text and r.confidence > 0), key=lambda r: r.confidence, default=None)
        return FusedPlate("", PlateStatus.UNREAD, None, 0.0, 0, 0, {}, best_guess=weak.text if weak else "")
    formatted = [(r, plate_format(r.text, formats)) for r in voting]
    pool = [(r, f) for r, f in formatted if f] or formatted
    votes: dict[str, float] = defaultdict(float)
    groups: dict[tuple[str | None, int], list[PlateRead]] = defaultdict(list)
    for r, f in pool:
        votes[r.text] += r.confidence
        groups[(f, len(r.text))].append(r)
    weight = {key: sum(r.confidence for r in group) for key, group in groups.items()}
    key = max(weight, key=lambda k: (weight[k], k[1], k[0] or ""))
    group = groups[key]
    chars, support = [], []
    for pos in range(key[1]):
        by_char: dict[str, float] = defaultdict(float)
        for r in group:
            by_char[r.text[pos]] += r.char_weight(pos)
        best = max(by_char, key=lambda c: (by_char[c], c))
        chars.append(best)
        support.append(by_char[best] / len(group))
    text = "".join(chars)
    top = max((r.text for r in group), key=lambda t: (votes[t], t))
    if not plate_format(text, formats) and plate_format(top, formats):
        text = top
        support = [sum(r.char_weight(i) for r in group if r.text[i] == ch) / len(group) for i, ch in enumerate(text)]
    share = weight[key] / sum(weight.values())
    char_confidences = tuple(round(s * share, 4) for s in support)
    # the reads' own confidences also carry what per-character values do not (our reader: that the text ends there)
    confidence = min(min(char_confidences), round(share * sum(r.confidence for r in group) / len(group), 4))
    fmt = plate_format(text, formats)
    agreeing = sum(1 for r, _ in pool if r.text == text)
    ordered_votes = {k: round(v, 4) for k, v in sorted(votes.items(), key=lambda kv: -kv[1])}
    if confidence < min_plate_confidence:
        return FusedPlate("", PlateStatus.UNREAD, None, confidence, len(pool), agreeing, ordered_votes,
                          char_confidences, best_guess=text)
    return FusedPlate(
        text=text,
        status=PlateStatus.READ if fmt else PlateStatus.UNVALIDATED,
        format=fmt,
        confidence=confidence,
        frames_read=len(pool),
        frames_agreeing=agreeing,
        votes=ordered_votes,
        char_confidences=char_confidences,
        best_guess=text,
    )
