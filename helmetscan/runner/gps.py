"""The GPS track of a dashcam file, and where the vehicle was at a given moment.

Dashcams log GPS as NMEA 0183 text beside the video (BlackVue: ``Record/20261121_153012_N.gps`` for
``20261121_153012_NF.mp4``, each line prefixed with ``[<unix ms>]``) or embed it in the MP4 (read with exiftool when it
is installed). Fixes carry aware UTC times (NMEA times are UTC by definition); compare them with
:func:`helmetscan.runner.dashcam.local_time` converted to UTC.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
from bisect import bisect_left
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from helmetscan.results.records import Place
from helmetscan.runner.dashcam import BLACKVUE

log = logging.getLogger(__name__)

#: km/h per knot: the international nautical mile is exactly 1852 m (NMEA RMC speed is in knots).
KMH_PER_KNOT = 1.852
#: km/h per mile per hour (international mile, 1609.344 m), for exiftool's GPSSpeedRef "M".
KMH_PER_MPH = 1.609344
#: Sidecar extensions tried, in order, for a video's NMEA log.
SIDECAR_EXTENSIONS = (".gps", ".nmea", ".NMEA", ".GPS", ".txt", ".TXT")
#: How long exiftool may take to list a video's embedded GPS samples (s); a dashcam minute takes well under a second.
EXIFTOOL_TIMEOUT_S = 120.0
#: BlackVue's per-line prefix: ``[<unix time in ms>]`` before the sentence.
_PREFIX = re.compile(r"^\s*\[(\d{10,16})\]")
#: A GGA time this far before the last RMC time is taken to belong to the next UTC day (midnight rollover).
_ROLLOVER = timedelta(hours=12)


@dataclass(frozen=True)
class Fix:
    """One GPS fix.

    Attributes:
        time: Aware UTC time of the fix.
        latitude: Degrees, + north (WGS 84).
        longitude: Degrees, + east (WGS 84).
        speed_kmh: Speed over ground in km/h; None when the sentence has none (GGA).
    """

    time: datetime
    latitude: float
    longitude: float
    speed_kmh: float | None


@dataclass(frozen=True)
class Position:
    """Where the vehicle was at one moment: degrees (+ north, + east, WGS 84) and km/h (None when unknown)."""

    latitude: float
    longitude: float
    speed_kmh: float | None


def _prefix_time(ms: str | None) -> datetime | None:
    if ms is None:
        return None
    try:
        return datetime.fromtimestamp(int(ms) / 1000.0, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _coordinates(msg) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees, or None when a field is empty or malformed (pynmea2 gives 0.0 for empty)."""
    if not (msg.lat and msg.lon and msg.lat_dir in ("N", "S") and msg.lon_dir in ("E", "W")):
        return None
    try:
        lat, lon = float(msg.latitude), float(msg.longitude)
    except ValueError:
        return None
    return (lat, lon) if abs(lat) <= 90.0 and abs(lon) <= 180.0 else None


def _parse(text: str, date_hint: date | None) -> tuple[list[Fix], int, int]:
    """Fixes (merged, unsorted), the number of lines skipped as garbled, and of fixes skipped for want of a date."""
    import pynmea2  # lazy: keeps `helmetscan --help` fast

    fixes: list[tuple[Fix, bool]] = []  # (fix, from RMC)
    skipped = 0
    last_rmc: datetime | None = None
    pending: list[Fix] = []  # GGA fixes before the first RMC, at year 1: dated when that RMC comes
    for raw in text.splitlines():
        line = raw.replace("\x00", "").strip()
        if not line:
            continue
        prefix = _PREFIX.match(line)
        prefix_time = _prefix_time(prefix[1] if prefix else None)
        line = line[prefix.end():].strip() if prefix else line
        if not line:
            continue  # a bare timestamp line: nothing to read, nothing wrong
        try:
            # check=True: a sentence without checksum is refused, because a line cut off by power loss loses its
            # checksum together with the end of its coordinates.
            msg = pynmea2.parse(line, check=True)
        except pynmea2.SentenceTypeError:
            continue  # a checked sentence of a type pynmea2 does not know: no position in it for us
        except pynmea2.ParseError:
            skipped += 1
            continue
        if isinstance(msg, pynmea2.RMC):
            if msg.status != "A":
                continue  # void: the receiver has no fix
            when_date = msg.datestamp if isinstance(msg.datestamp, date) else None
        elif isinstance(msg, pynmea2.GGA):
            if not isinstance(msg.gps_qual, int) or msg.gps_qual == 0:
                continue  # quality 0: no fix
            when_date = None
        else:
            continue  # GSA, GSV, VTG, ...: no position
        position = _coordinates(msg)
        if position is None:
            skipped += 1
            continue
        stamp = msg.timestamp if isinstance(msg.timestamp, time) else None
        if stamp is None:
            if prefix_time is None:
                skipped += 1
                continue
            when = prefix_time
        elif when_date is not None:
            when = datetime.combine(when_date, stamp.replace(tzinfo=None), UTC)
        else:  # GGA: dated by the last RMC, else the hint, else the BlackVue prefix, else the next RMC
            day = last_rmc.date() if last_rmc else date_hint or (prefix_time.date() if prefix_time else None)
            if day is None:
                pending.append(Fix(datetime.combine(date.min, stamp.replace(tzinfo=None), UTC), *position, None))
                continue
            when = datetime.combine(day, stamp.replace(tzinfo=None), UTC)
            if last_rmc is not None and when < last_rmc - _ROLLOVER:
                when += timedelta(days=1)
        is_rmc = isinstance(msg, pynmea2.RMC)
        if is_rmc:
            if last_rmc is None:
                for early in pending:
                    t = datetime.combine(when.date(), early.time.timetz())
                    fixes.append((replace(early, time=t - timedelta(days=1) if t > when + _ROLLOVER else t), False))
                pending = []
            last_rmc = when
            knots = msg.spd_over_grnd
            speed = knots * KMH_PER_KNOT if isinstance(knots, float) else None
        else:
            speed = None
        fixes.append((Fix(when, position[0], position[1], speed), is_rmc))
    merged: dict[datetime, tuple[Fix, bool]] = {}
    for fix, is_rmc in fixes:
        kept = merged.get(fix.time)
        if kept is None or (is_rmc and not kept[1]):
            merged[fix.time] = (fix, is_rmc)
    return [fix for fix, _ in merged.values()], skipped, len(pending)


def read_nmea(text: str, date_hint: date | None = None) -> list[Fix]:
    """Fixes from NMEA 0183 text, sorted by time.

    ``$xxRMC`` gives date, time, position and speed (knots → km/h); ``$xxGGA`` gives time and position and is dated by
    the last RMC's date (a day later when its time wrapped past midnight), else ``date_hint``, else the line's
    BlackVue prefix, else the first RMC that follows (GGA-only text without hint or prefix gives no fix). A BlackVue
    prefix ``[<unix ms>]`` is stripped and used as the time only when the sentence has none. Skipped: void RMC
    (status V), GGA without fix (quality 0) and sentence types without position, silently; sentences with a bad or
    missing checksum, garbled lines and empty coordinates, counted and logged; undatable GGA, counted and logged.
    Fixes of the same time are merged, an RMC winning over a GGA (it has speed).

    Args:
        text: The log's text (undecodable bytes already replaced).
        date_hint: UTC date for GGA sentences before any RMC, or None.
    """
    fixes, skipped, undated = _parse(text, date_hint)
    if skipped:
        log.info("NMEA: %d garbled or unchecked line(s) skipped, %d fix(es) read", skipped, len(fixes))
    if undated:
        log.info("NMEA: %d GGA fix(es) before any date skipped (no RMC yet, no date hint)", undated)
    return sorted(fixes, key=lambda f: f.time)


def _sidecars(video: Path) -> list[Path]:
    stems = [video.stem]
    m = BLACKVUE.match(video.stem)
    if m:  # BlackVue logs GPS once per recording, not per channel: 20261121_153012_NF.mp4 -> 20261121_153012_N.gps
        stems.append(f"{m['date']}_{m['time']}_{m['event']}")
    return [video.with_name(stem + ext) for stem in stems for ext in SIDECAR_EXTENSIONS]


def _exif_datetime(value) -> datetime | None:
    """exiftool's ``2026:11:21 06:30:12.000Z`` (UTC unless another zone is given) as an aware UTC datetime."""
    if not isinstance(value, str):
        return None
    m = re.match(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?$", value.strip())
    if not m:
        return None
    zone = m[5] or "Z"
    try:
        when = datetime.fromisoformat(f"{m[1]}-{m[2]}-{m[3]}T{m[4]}{'+00:00' if zone == 'Z' else zone}")
    except ValueError:
        return None
    return when.astimezone(UTC)


def fixes_from_exiftool(samples: dict) -> list[Fix]:
    """Fixes from one file's ``exiftool -ee -n -j -G3`` object (keys ``Doc<N>:GPSLatitude`` etc., one document per
    embedded sample; ``-n``: signed decimal degrees). Samples without time or position are left out."""
    docs: dict[str, dict[str, object]] = {}
    for key, value in samples.items():
        group, _, tag = key.rpartition(":")
        docs.setdefault(group, {})[tag] = value
    fixes = []
    for tags in docs.values():
        when = _exif_datetime(tags.get("GPSDateTime"))
        lat, lon = tags.get("GPSLatitude"), tags.get("GPSLongitude")
        if when is None or not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
            continue
        speed = tags.get("GPSSpeed")
        factor = {"K": 1.0, "M": KMH_PER_MPH, "N": KMH_PER_KNOT}.get(str(tags.get("GPSSpeedRef", "K")), 1.0)
        speed_kmh = float(speed) * factor if isinstance(speed, (int, float)) else None
        fixes.append(Fix(when, float(lat), float(lon), speed_kmh))
    return sorted({f.time: f for f in fixes}.values(), key=lambda f: f.time)


def _exiftool_track(video: Path, exiftool: str) -> list[Fix]:
    try:
        proc = subprocess.run([exiftool, "-ee", "-n", "-j", "-G3", str(video)], capture_output=True, text=True,
                              timeout=EXIFTOOL_TIMEOUT_S, check=False)
        data = json.loads(proc.stdout or "[]")
    except (OSError, subprocess.SubprocessError, json.JSONDecodeError) as exc:
        log.warning("%s: exiftool failed: %s", video, exc)
        return []
    return fixes_from_exiftool(data[0]) if data and isinstance(data[0], dict) else []


def find_gps_track(video: Path) -> tuple[list[Fix], str]:
    """``(fixes, source)`` of a video.

    Tried in order: an NMEA sidecar with the video's stem and extension .gps, .nmea, .NMEA, .GPS, .txt or .TXT (for a
    BlackVue name also the stem without its channel letter); the first one holding fixes wins. Else the samples
    ``exiftool -ee -n -j -G3`` lists, when exiftool is on the PATH. Else ``([], "none")``.

    Returns:
        The fixes sorted by time, and their source: ``"sidecar:<file name>"``, ``"exiftool"`` or ``"none"``.
    """
    found = _sidecar_track(video)
    if found is not None:
        return found
    exiftool = shutil.which("exiftool")
    if exiftool:
        fixes = _exiftool_track(video, exiftool)
        if fixes:
            return fixes, "exiftool"
    return [], "none"


def _sidecar_track(video: Path) -> tuple[list[Fix], str] | None:
    """``(fixes, "sidecar:<file name>")`` from the first sidecar of ``video`` holding fixes, else None."""
    for sidecar in _sidecars(video):
        if not sidecar.is_file():
            continue
        try:
            text = sidecar.read_bytes().decode("ascii", errors="replace")
        except OSError as exc:
            log.warning("%s: cannot read GPS sidecar: %s", sidecar, exc)
            continue
        fixes = read_nmea(text)
        if fixes:
            return fixes, f"sidecar:{sidecar.name}"
        log.info("%s: no GPS fix in the sidecar", sidecar)
    return None


def gps_sources(copies: list[Path]) -> dict[Path, str]:
    """Where the GPS track of each of identical files (one content) would come from, as :func:`find_gps_track` says
    it: each one's own sidecar, else what exiftool extracts from the content — read once for them all, since the same
    bytes hold the same samples —, else ``"none"``."""
    sources = {}
    for video in copies:
        found = _sidecar_track(video)
        sources[video] = found[1] if found is not None else None
    bare = [video for video, source in sources.items() if source is None]
    exiftool = shutil.which("exiftool") if bare else None
    embedded = "exiftool" if exiftool and _exiftool_track(bare[0], exiftool) else "none"
    return {video: source or embedded for video, source in sources.items()}


def _lerp(a: float, b: float, w: float) -> float:
    return a + (b - a) * w


def position_at(fixes: list[Fix], when: datetime, max_gap_s: float = 10.0) -> Position | None:
    """Where the vehicle was at ``when``.

    Between two fixes at most ``max_gap_s`` apart, latitude, longitude and speed are interpolated linearly in time
    (longitude across the antimeridian the short way; speed only when both fixes have one). Outside the track, or
    inside a hole in it longer than ``max_gap_s``, the nearest fix is used when it is within ``max_gap_s`` of
    ``when``, else there is no position. The default 10 s is our choice: a motorcycle at 50 km/h moves ~140 m in
    10 s, about the largest error a filed place can bear; lower it for a stricter place, raise it to place more
    violations on tracks with holes.

    Args:
        fixes: Sorted by time (as :func:`read_nmea` and :func:`find_gps_track` return them).
        when: Aware datetime, any zone.
        max_gap_s: Seconds; see above.

    Raises:
        ValueError: ``when`` is naive.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"position_at needs an aware time, got naive {when.isoformat()}")
    if not fixes:
        return None
    i = bisect_left([f.time for f in fixes], when)
    if i < len(fixes) and fixes[i].time == when:
        f = fixes[i]
        return Position(f.latitude, f.longitude, f.speed_kmh)
    before = fixes[i - 1] if i > 0 else None
    after = fixes[i] if i < len(fixes) else None
    if before and after and (after.time - before.time).total_seconds() <= max_gap_s:
        w = (when - before.time) / (after.time - before.time)
        lon_b = after.longitude
        if lon_b - before.longitude > 180.0:
            lon_b -= 360.0
        elif lon_b - before.longitude < -180.0:
            lon_b += 360.0
        lon = _lerp(before.longitude, lon_b, w)
        if not -180.0 <= lon <= 180.0:
            lon = (lon + 180.0) % 360.0 - 180.0
        speed = (_lerp(before.speed_kmh, after.speed_kmh, w)
                 if before.speed_kmh is not None and after.speed_kmh is not None else None)
        return Position(_lerp(before.latitude, after.latitude, w), lon, speed)
    nearest = min((f for f in (before, after) if f), key=lambda f: abs((f.time - when).total_seconds()))
    if abs((nearest.time - when).total_seconds()) > max_gap_s:
        return None
    return Position(nearest.latitude, nearest.longitude, nearest.speed_kmh)


def place_at(fixes: list[Fix], when: datetime, max_gap_s: float, source: str) -> Place | None:
    """The place of a violation at ``when`` (aware datetime) on a GPS track (:func:`position_at`), as the records
    store it: latitude and longitude rounded to 6 decimals (~0.1 m), speed to 0.1 km/h, and the track's ``source``
    (``nmea``, ``exiftool``); ``None`` when the track does not place that moment."""
    position = position_at(fixes, when.astimezone(UTC), max_gap_s)
    if position is None:
        return None
    return Place(latitude=round(position.latitude, 6), longitude=round(position.longitude, 6),
                 speed_kmh=None if position.speed_kmh is None else round(position.speed_kmh, 1), source=source)
