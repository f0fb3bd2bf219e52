"""The English one-line messages that reach an analyst from the library: a video's ``error`` and ``warnings`` as its
record keeps them, the review page's refusals, the notes of ``export`` and the commands' most common faults.

Each is written from one of the formats below, a gettext message of the catalogue (``%(name)s`` placeholders), so
that :func:`message_text` can show it in the reader's language when it is displayed. What is stored (records, the
CSV) stays English: records are data; a message written before its format changed (or not written from one) is shown
as stored.
"""

from __future__ import annotations

import functools
import re


def N_(message: str) -> str:
    """Marks an English text for the catalogue (``pybabel extract`` finds it) where it is translated later, through
    :func:`helmetscan.results.report.translations`; returns it unchanged."""
    return message


# ---- inputs: one that is missing, folders left out of them ---------------------------------------------------------
NO_SUCH_INPUT = N_("%(path)s: no such file or folder")
THIS_OUTPUT = N_("the output folder of this run (--out)")
OTHER_OUTPUT = N_("an output folder helmetscan wrote (it holds %(marker)s)")

# ---- a video's error (its record's ``error``: the file first, once) -----------------------------------------------
NOT_A_VIDEO_FILE = N_("%(path)s: cannot open as a video: not a video file (extension '%(extension)s')")
UNREADABLE_VIDEO = N_("%(path)s: cannot open as a video: corrupt or unsupported (no readable video stream)")
NO_FRAME_SIZE = N_("%(path)s: no video stream (frame size %(width)sx%(height)s)")
NO_FRAME_DECODED = N_("%(path)s: no frame could be decoded (corrupt or empty video)")
ENDS_EARLY = N_("%(path)s: ends early: its frames cover %(decoded)s s of the %(declared)s s its container declares "
                "(%(frames)s of %(total)s frames); analysed as far as it decodes")
UNEXPECTED_ERROR = N_("%(path)s: unexpected error: %(error)s")
WORKER_LOST = N_("%(path)s: the worker analysing it was lost %(attempts)s times (%(error)s)")
WORKER_ERROR = N_("%(path)s: worker error: %(error)s")

# ---- a video's warnings, and why a clip excerpt could not be cut (``reason``) -------------------------------------
FRAMES_MISSING = N_("decoded %(decoded)s of %(declared)s frames the container declares")
NO_EXCERPT = N_("no excerpt for %(violation)s: %(reason)s")
EXCERPT_NO_STREAM = N_("%(path)s: no video stream")
EXCERPT_NO_FRAMES = N_("%(path)s: no frames between %(start)s s and %(end)s s")
EXCERPT_FAILED = N_("%(path)s: cannot cut an excerpt (%(error)s)")

# ---- the review page's refusals (``field``: one of REVIEW_FIELDS) --------------------------------------------------
REVIEW_FIELDS = {"plate": N_("plate text"), "reviewer": N_("reviewer"), "note": N_("note")}
CONTROL_CHARACTERS = N_("%(field)s: control characters are not allowed")
TOO_LONG = N_("%(field)s: at most %(limit)s characters, got %(length)s")
NAME_REQUIRED = N_("reviewer: a name is required")
NO_SUCH_VIOLATION = N_("%(violation)s: no such violation in %(path)s")

# ---- the notes of ``export`` ---------------------------------------------------------------------------------------
NO_HANGUL_FONT = N_("no Hangul font (NanumGothic, Noto CJK) on this machine: the packages have no sheet.pdf "
                    "(apt install fonts-nanum)")
ALREADY_EXPORTED = N_("%(case)s (%(violation)s): already in %(folder)s: skipped, not overwritten")
NO_EXCERPT_TO_EXPORT = N_("%(case)s (%(violation)s): no clip excerpt in its evidence: attach the original video")
EVIDENCE_CHANGED = N_("%(case)s (%(violation)s): %(path)s is missing or changed since it was written (helmetscan "
                      "verify): not exported")
EXCERPT_OVER_LIMIT = N_("%(case)s (%(violation)s): excerpt over the filing limit (%(limits)s); exported unedited")

# ---- a folder that holds no results (report, review, export, verify) -----------------------------------------------
NOT_RESULTS = N_("%(path)s: not a results folder (no %(database)s)")
NOT_RESULTS_NOTHING_WRITTEN = N_("%(path)s: not a results folder (no %(database)s); nothing written")
NOT_RESULTS_NO_RECORDS = N_("%(path)s: not a results folder (no %(database)s and no %(record)s)")

# ---- the results database (report, review, export, verify, analyze) ------------------------------------------------
DB_DAMAGED = N_("%(path)s: damaged (%(error)s); rebuild it from the records with: %(command)s")
DB_LOST = N_("%(path)s: no %(database)s: rebuild it from the records with: %(command)s")
NOT_A_DATABASE = N_("%(path)s: not a helmetscan results database (%(error)s)")
DB_BEING_CREATED = N_("%(path)s: the results database is still being created; try again")
DB_NEWER = N_("%(path)s: written by a newer helmetscan (migration %(migration)s); upgrade")

#: Every format :func:`message_text` recognises.
MESSAGES = (
    NO_SUCH_INPUT, THIS_OUTPUT, OTHER_OUTPUT,
    NOT_A_VIDEO_FILE, UNREADABLE_VIDEO, NO_FRAME_SIZE, NO_FRAME_DECODED, ENDS_EARLY, UNEXPECTED_ERROR, WORKER_LOST,
    WORKER_ERROR,
    FRAMES_MISSING, NO_EXCERPT, EXCERPT_NO_STREAM, EXCERPT_NO_FRAMES, EXCERPT_FAILED,
    CONTROL_CHARACTERS, TOO_LONG, NAME_REQUIRED, NO_SUCH_VIOLATION,
    NO_HANGUL_FONT, ALREADY_EXPORTED, NO_EXCERPT_TO_EXPORT, EVIDENCE_CHANGED, EXCERPT_OVER_LIMIT,
    NOT_RESULTS, NOT_RESULTS_NOTHING_WRITTEN, NOT_RESULTS_NO_RECORDS,
    DB_DAMAGED, DB_LOST, NOT_A_DATABASE, DB_BEING_CREATED, DB_NEWER,
)
#: Placeholders whose value is itself shown translated: a nested message (``reason``), a field's name (``field``).
_NESTED, _NAMED = "reason", "field"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@functools.cache
def _patterns() -> list[tuple[str, re.Pattern[str], int]]:
    """Each format of :data:`MESSAGES` with the regular expression of the messages written from it (each placeholder
    a named group; the text between them literal) and the length of that literal text."""
    def pattern(msgid: str) -> re.Pattern[str]:
        parts = _PLACEHOLDER.split(msgid)  # literal, name, literal, name, ..., literal
        return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                                  for i, part in enumerate(parts)), re.DOTALL)

    return [(msgid, pattern(msgid), len(_PLACEHOLDER.sub("", msgid))) for msgid in MESSAGES]


def _translated(text: str, trans) -> tuple[str, int]:
    """``text`` in the language of ``trans`` and how much of it the formats explain (their literal characters, a
    nested message's included; 0: no format matches, ``text`` as it is). Where several formats match, the one that
    explains most is taken: ``no excerpt for ID: PATH: no frames between ...`` is the excerpt's message nested in
    ``no excerpt for``, not one of ``no frames between`` for a file named ``no excerpt for ID: PATH``."""
    best = (text, 0)
    for msgid, pattern, literal in _patterns():
        found = pattern.fullmatch(text)
        if found is None:
            continue
        values, explained = found.groupdict(), literal
        if _NESTED in values:
            values[_NESTED], nested = _translated(values[_NESTED], trans)
            explained += nested
        if explained > best[1]:
            if _NAMED in values:
                values[_NAMED] = trans.gettext(values[_NAMED])
            best = (trans.gettext(msgid) % values, explained)
    return best


def message_text(text: str, trans) -> str:
    """``text``, a message written from one of :data:`MESSAGES`, in the language of ``trans`` (gettext translations:
    :func:`helmetscan.results.report.translations`), its values as written (a nested message, a field's name
    translated too); any other text is returned as it is."""
    return _translated(text, trans)[0]
