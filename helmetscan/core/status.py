"""The status vocabularies the records persist (``record.json``, ``video.json``, the database): fixed strings, so
older files keep loading."""

from __future__ import annotations

from enum import StrEnum


class HeadState(StrEnum):
    """What stage 2 saw of one person's head in one frame (or, for a person, over the track)."""

    WITHOUT_HELMET = "without_helmet"
    WITH_HELMET = "with_helmet"
    UNKNOWN = "unknown"  # too small to judge (`verification.min_head_px`) or the classifier unsure: never a violation
    NOT_SEEN = "not_seen"  # records before schema 4: the rider's head was not found in that check


class PlateStatus(StrEnum):
    """How far a track's plate was read."""

    READ = "read"  # text that matches one of the accepted plate formats, confident enough
    UNVALIDATED = "unvalidated"  # text found, confident enough, but no accepted format matches it
    UNREAD = "unread"  # no read voted, the fused text is below the confidence floor, or its format is unreported
