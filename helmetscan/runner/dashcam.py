"""When, by which camera and on which vehicle a dashcam file was recorded.

Dashcams name their files after the local wall-clock time the recording started; that name is the first source of the
start time. A name without a time (``FILE0001.MP4``) falls back to the container's ``creation_time`` tag, which the MP4
spec defines as UTC (ISO/IEC 14496-12 ``mvhd`` creation_time; FFmpeg/PyAV report it as ISO 8601 with ``Z``). Some
cameras write their local clock there instead; nothing in the file tells which, so a name is always preferred.

Name layouts recognised (in the stem, the name without its extension):

- BlackVue ``20261121_153012_NF``: date, time, mode letter (N normal, P parking, M manual, E and the other event
  letters: event; see :data:`EVENTS`), camera letter (F front, R rear, I interior), optionally a sub-suffix ``_xxx``
  some models add.
- Novatek chipsets (Viofo and many unbranded cameras) ``2026_1121_153012_001F``: date, time, counter, optional
  channel letter (F front, R rear).
- Anywhere in the stem: a compact ``20261121_153012`` / ``20261121-153012`` (``REC_…``, ``FILE…``) or the Novatek
  ``2026_1121_153012``; the first valid one gives the time, with no channel or event.

A date must be a real calendar date with a year 2000–2099 and a time a real time of day; digits around it must not be
part of a longer number, so an 8-digit counter is never taken for a date.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

#: Years accepted in a file name or creation_time tag. Bounds the search so a counter is not read as a date, and rejects
#: the zero timestamps cameras with an unset clock write (MP4 epoch 1904-01-01, Unix epoch 1970-01-01).
MIN_YEAR, MAX_YEAR = 2000, 2099

#: BlackVue recording modes by the first letter after the time (BlackVue Help Center, "What types of recording or file
#: does the BlackVue camera create?"): N normal, P parking, M manual, and the event files E driving impact,
#: I parking impact, O overspeed, A hard acceleration, T hard cornering, B hard braking, R/X/G geofence enter/exit/pass,
#: D drowsy, all reported as "event".
EVENTS = {"N": "normal", "P": "parking", "M": "manual", **{letter: "event" for letter in "EIOATBRXGD"}}
#: BlackVue camera by the second letter (same source): F front, R rear, I the third (interior) camera.
CHANNELS = {"F": "front", "R": "rear", "I": "interior"}
#: BlackVue stem: ``YYYYMMDD_HHMMSS_<mode><camera>[_sub]``.
BLACKVUE = re.compile(
    rf"^(?P<date>\d{{8}})_(?P<time>\d{{6}})_(?P<event>[{''.join(EVENTS)}])(?P<channel>[{''.join(CHANNELS)}])"
    r"(?:_[A-Za-z0-9]+)?$", re.IGNORECASE
)
#: Novatek-chipset stem (Viofo and many unbranded cameras): ``YYYY_MMDD_HHMMSS_<counter>[F|R]``.
NOVATEK = re.compile(r"^(?P<year>\d{4})_(?P<md>\d{4})_(?P<time>\d{6})_(?P<counter>\d{1,6})(?P<channel>[FR])?$",
                     re.IGNORECASE)
#: A compact ``YYYYMMDD[_-]HHMMSS`` or Novatek ``YYYY_MMDD_HHMMSS`` anywhere in a stem, not inside a longer number.
GENERAL = (
    re.compile(r"(?<!\d)(?P<date>20\d{6})[_-](?P<time>\d{6})(?!\d)"),
    re.compile(r"(?<!\d)(?P<year>20\d{2})_(?P<md>\d{4})_(?P<time>\d{6})(?!\d)"),
)



class TimeSource(StrEnum):
    """Where a recording's start time came from."""

    FILENAME = "filename"  # parsed from the file name (local wall-clock time)
    CONTAINER = "container"  # the container's creation_time tag (UTC)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Recording:
    """When, by which camera and on which vehicle one file was recorded.

    Attributes:
        start: Recording start. Naive local wall-clock time when read from the file name (dashcams name files in
            local time); aware, in the zone given to :func:`recording_of`, when read from the container's UTC
            creation_time; None when unknown. Use :func:`local_time` to get an aware time either way.
        time_source: Where ``start`` came from.
        channel: ``"front"``, ``"rear"`` or ``"interior"`` from a BlackVue or Novatek name, else None.
        event: BlackVue recording mode: ``"normal"``, ``"event"`` (any event letter), ``"parking"``, ``"manual"``,
            else None.
        vehicle: The configured vehicle name, else the dump's top folder, else None.
    """

    start: datetime | None
    time_source: TimeSource
    channel: str | None
    event: str | None
    vehicle: str | None


def _datetime(date8: str, time6: str) -> datetime | None:
    """``YYYYMMDD`` + ``HHMMSS`` as a naive datetime; None when not a real date/time or the year is out of range."""
    d, t = date8, time6  # sliced, not strptime: strptime accepts 1-digit fields and could realign the digits
    try:
        when = datetime(int(d[0:4]), int(d[4:6]), int(d[6:8]), int(t[0:2]), int(t[2:4]), int(t[4:6]))
    except ValueError:  # month 13, 25:61:00, ...
        return None
    return when if MIN_YEAR <= when.year <= MAX_YEAR else None


def _date8(groups: Mapping[str, str | None]) -> str:
    return groups["date"] if groups.get("date") else f"{groups['year']}{groups['md']}"


def parse_name(name: str) -> tuple[datetime | None, str | None, str | None]:
    """``(start, channel, event)`` from a file name alone (a bare name or a path; only the stem is read).

    ``start`` is naive local wall-clock time; ``channel`` and ``event`` are as in :class:`Recording`. A name whose
    digits do not form a real date and time (month 13, 25:61:00, too few digits) gives ``(None, None, None)``.
    """
    stem = Path(name).stem
    for layout in (BLACKVUE, NOVATEK):
        m = layout.match(stem)
        if m:
            start = _datetime(_date8(m.groupdict()), m["time"])
            if start is not None:
                event = EVENTS[m["event"].upper()] if "event" in m.groupdict() else None
                channel = CHANNELS[m["channel"].upper()] if m["channel"] else None
                return start, channel, event
    for pattern in GENERAL:
        for m in pattern.finditer(stem):
            start = _datetime(_date8(m.groupdict()), m["time"])
            if start is not None:
                return start, None, None
    return None, None, None


def parse_creation_time(value: str | None) -> datetime | None:
    """A container ``creation_time`` tag (ISO 8601, e.g. ``2026-11-21T06:30:12.000000Z``) as an aware UTC datetime.

    A tag without a zone is taken as UTC (the MP4 spec's zone). None when absent, unparsable, or outside 2000–2099
    (the 1904/1970 zero timestamps of cameras whose clock was never set).
    """
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when if MIN_YEAR <= when.year <= MAX_YEAR else None


def first_creation_time(tag_sets: Iterable[Mapping[str, str]]) -> datetime | None:
    """The first valid ``creation_time`` (aware UTC) among metadata dictionaries (container first, then streams)."""
    for tags in tag_sets:
        when = parse_creation_time(tags.get("creation_time"))
        if when is not None:
            return when
    return None


def container_creation_time(path: Path) -> datetime | None:
    """The creation_time of ``path``'s container, else of its first video stream (aware UTC), read with PyAV.

    None when the file has no valid tag or cannot be opened (logged, never raised: a file that is not a video fails
    later, when it is decoded, with its own error).
    """
    import av  # lazy: keeps `helmetscan --help` fast

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            tag_sets = [container.metadata, *(s.metadata for s in container.streams.video)]
            return first_creation_time(tag_sets)
    except (av.FFmpegError, OSError, ValueError) as exc:
        log.debug("%s: no container creation_time (%s)", path, exc)
        return None


def vehicle_of(path: Path, root: Path | None) -> str | None:
    """The first folder of ``path`` below ``root`` (``root/bus12/Record/x.mp4`` → ``"bus12"``); None when ``path``
    lies directly in ``root``, outside it, or ``root`` is None."""
    if root is None:
        return None
    for p, r in ((path, root), (path.resolve(), root.resolve())):
        try:
            parts = p.relative_to(r).parts
        except ValueError:
            continue
        return parts[0] if len(parts) > 1 else None
    return None


def recording_of(path: Path, root: Path | None, tz: ZoneInfo, vehicle: str | None = None) -> Recording:
    """Start time, channel, event and vehicle of one dashcam file.

    The start comes from the file name (:func:`parse_name`, naive local time), else from the container's
    creation_time (:func:`container_creation_time`, converted to ``tz`` and returned aware), else it is unknown.
    Never raises for an unreadable file: its start is unknown.

    Args:
        path: The video file.
        root: The folder given to the analysis (the dump's top folder), or None.
        tz: Zone of the dashcam's clock and of reported times.
        vehicle: The configured vehicle name; None: the first folder of ``path`` below ``root`` (:func:`vehicle_of`).
    """
    vehicle = vehicle if vehicle is not None else vehicle_of(path, root)
    start, channel, event = parse_name(path.name)
    if start is not None:
        return Recording(start, TimeSource.FILENAME, channel, event, vehicle)
    created = container_creation_time(path)
    if created is not None:
        return Recording(created.astimezone(tz), TimeSource.CONTAINER, channel, event, vehicle)
    return Recording(None, TimeSource.UNKNOWN, channel, event, vehicle)


def local_time(rec: Recording, timestamp_s: float, tz: ZoneInfo) -> datetime | None:
    """Absolute time (aware, in ``tz``) of the moment ``timestamp_s`` seconds into the recording; None when the start
    is unknown.

    A naive start is wall-clock time in ``tz``. The offset is added in UTC, so a recording running across a daylight
    saving change gets the right wall-clock time on either side.
    """
    if rec.start is None:
        return None
    start = rec.start.replace(tzinfo=tz) if rec.start.tzinfo is None else rec.start
    return (start.astimezone(UTC) + timedelta(seconds=timestamp_s)).astimezone(tz)
