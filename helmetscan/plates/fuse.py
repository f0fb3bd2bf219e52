"""The fusion of a track's plate reads into one plate text (formats and normalisation:
:mod:`helmetscan.core.plate_formats`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from helmetscan.core.plate_formats import PlateFormat, plate_format
from helmetscan.core.status import PlateStatus


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
    agrees with full confidence); ``char_confidences``: the same support per position; ``frames_read``: reads that
    voted; ``frames_agreeing``: reads equal to ``text``; ``votes``: summed confidence per distinct read;
    ``best_guess``: the fused text even when it fell below the floor, or, when no read was sure enough to vote, the
    most confident read (for a reviewer; never reported as the plate); ``withheld``: the fused text is in one of the
    ``unreported_formats`` (so the plate is ``unread`` whatever its confidence).
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
    withheld: bool = False


def fuse_reads(reads: list[PlateRead], formats: Sequence[PlateFormat], min_confidence: float = 0.0,
               min_plate_confidence: float = 0.0, *, min_track_confidence: float | None = None,
               unreported_formats: Collection[str] = ()) -> FusedPlate:
    """Fuse a track's plate reads into one text, by character, aligned by format position.

    Reads below ``min_confidence``, with confidence 0 or empty do not vote (the most confident of them is still the
    ``best_guess`` when none votes). If any voting read matches a plate format, only such reads vote. Reads are
    grouped by (format, length); the group with the largest summed confidence is aligned position by position, and
    each position takes the character with the largest summed per-character confidence. If that result matches no
    format but the group's best-supported read does, the read wins (a valid string beats a stitched one).

    A fused ``confidence`` (see :class:`FusedPlate`) below ``min_plate_confidence`` makes the plate ``unread``; when
    two or more reads voted (``frames_read``) and ``min_track_confidence`` is given, that floor applies instead (a
    wrong read is diluted by the others; ``plates.min_track_conf``). A plate whose format is in ``unreported_formats``
    is ``unread`` whatever its confidence (``plates.unreported_formats``: a layout the reader is known to misread),
    its text kept as ``best_guess``.
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
    agreeing = sum(1 for r, _ in pool if r.text == text)
    ordered_votes = {k: round(v, 4) for k, v in sorted(votes.items(), key=lambda kv: -kv[1])}
    return _fused(text, formats, confidence, char_confidences, len(pool), agreeing, ordered_votes,
                  _floor(len(pool), min_plate_confidence, min_track_confidence), unreported_formats)


def _floor(frames_read: int, min_plate_confidence: float, min_track_confidence: float | None) -> float:
    """The floor of a plate fused from ``frames_read`` voting reads: the track floor from two reads on, if given."""
    if frames_read >= 2 and min_track_confidence is not None:
        return min_track_confidence
    return min_plate_confidence


def _fused(text: str, formats: Sequence[PlateFormat], confidence: float, char_confidences: tuple[float, ...],
           frames_read: int, frames_agreeing: int, votes: dict[str, float], min_plate_confidence: float,
           unreported_formats: Collection[str]) -> FusedPlate:
    """The :class:`FusedPlate` of a fused ``text``: ``unread`` (``text`` kept as ``best_guess``) below
    ``min_plate_confidence`` or in one of the ``unreported_formats``, else ``read`` or ``unvalidated`` by whether a
    format matches."""
    fmt = plate_format(text, formats)
    withheld = fmt is not None and fmt in unreported_formats
    if confidence < min_plate_confidence or withheld:
        return FusedPlate("", PlateStatus.UNREAD, None, confidence, frames_read, frames_agreeing, votes,
                          char_confidences, best_guess=text, withheld=withheld)
    return FusedPlate(text, PlateStatus.READ if fmt else PlateStatus.UNVALIDATED, fmt, confidence, frames_read,
                      frames_agreeing, votes, char_confidences, best_guess=text)
