"""An analyst's review of a violation: confirmed or rejected, the plate as the analyst reads it, who and when.

Reviews are stored in the results database (table ``reviews``, append-only: every decision is kept, the latest one
counts) and exported with the reports (``violations.csv``: ``review_status``, ``plate_text_reviewed``, ``reviewed_by``,
``reviewed_at`` in the recording's time zone, ``review_note``). They never change an evidence file or a record.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from helmetscan.core.errors import ResultsError
from helmetscan.core.fielddoc import documented
from helmetscan.core.messages import CONTROL_CHARACTERS, NAME_REQUIRED, REVIEW_FIELDS, TOO_LONG

#: Longest plate text a reviewer may enter. Korean plates have at most 9 characters (``서울12가3456``), the other
#: formats of ``plates.formats`` fewer; 16 leaves room for separators and foreign plates (our choice).
MAX_PLATE_CHARS = 16
#: Longest reviewer name and note (our choice: a name, a sentence).
MAX_NAME_CHARS, MAX_NOTE_CHARS = 64, 500


class ReviewStatus(StrEnum):
    """Where a violation stands with the analyst."""

    PENDING = "pending"  # nobody has decided yet
    CONFIRMED = "confirmed"  # the analyst saw a rider without a helmet: it may be filed
    REJECTED = "rejected"  # a false report (a helmet after all, a pedestrian, a bare head behind the rider…)


class Review(BaseModel):
    """One decision on one violation."""

    model_config = ConfigDict(extra="forbid")

    violation_id: str = documented(description="The violation decided on.")
    status: ReviewStatus = documented(description="confirmed or rejected (pending: no decision yet).")
    plate_text_reviewed: str = documented("", "The plate as the analyst reads it on the evidence; empty: the "
                                              "analyst did not correct or confirm it.")
    reviewer: str = documented(description="Who decided (the name given in the review page).")
    reviewed_at: str = documented(description="When, ISO 8601 UTC.")
    note: str = documented("", "The analyst's reason, free text.")


def _clean(text: str, limit: int, what: str) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ResultsError(CONTROL_CHARACTERS % {"field": what})
    if len(text) > limit:
        raise ResultsError(TOO_LONG % {"field": what, "limit": limit, "length": len(text)})
    return text


def clean_plate_text(text: str) -> str:
    """The plate text an analyst typed, normalised as the recogniser's output is: NFC, upper case, spaces, dots and
    dashes removed (``"tn 05-at 7024"`` → ``"TN05AT7024"``; Hangul is kept as typed).

    Raises:
        ResultsError: control characters, or longer than :data:`MAX_PLATE_CHARS` once normalised.
    """
    return _clean(re.sub(r"[\s.\-]", "", text).upper(), MAX_PLATE_CHARS, REVIEW_FIELDS["plate"])


def clean_reviewer(text: str) -> str:
    """The reviewer's name, trimmed.

    Raises:
        ResultsError: empty, control characters, or longer than :data:`MAX_NAME_CHARS`.
    """
    name = _clean(text, MAX_NAME_CHARS, REVIEW_FIELDS["reviewer"])
    if not name:
        raise ResultsError(NAME_REQUIRED)
    return name


def clean_note(text: str) -> str:
    """The analyst's note, trimmed (line breaks allowed).

    Raises:
        ResultsError: other control characters, or longer than :data:`MAX_NOTE_CHARS`.
    """
    return _clean(text.replace("\r\n", " ").replace("\n", " "), MAX_NOTE_CHARS, REVIEW_FIELDS["note"])
