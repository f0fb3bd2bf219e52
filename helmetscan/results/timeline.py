"""The report's per-video timeline: every motorcycle track as a bar over the video's time, violations in red.

Laid out here (bars packed into rows, axis ticks), drawn by the report template as inline SVG: no script, no image
file, prints as it shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from helmetscan.results.records import VideoRecord, ViolationRecord

#: Drawing geometry in SVG user units (our choice: fits an A4 page and a laptop screen).
WIDTH, LEFT, RIGHT, ROW_H, AXIS_H = 900.0, 16.0, 16.0, 7.0, 18.0
#: Rows before tracks share the last one (a dense road gives dozens of overlapping tracks).
MAX_ROWS = 24
#: Shortest bar drawn, so a track seen in one sampled frame shows.
MIN_BAR = 2.0
#: Tick steps tried, in seconds; the first giving at most 12 ticks is used.
TICK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


@dataclass(frozen=True)
class Bar:
    """One track: ``x``/``width`` in SVG units, ``row`` from the top, ``violation_id`` when it is a violation."""

    x: float
    width: float
    row: int
    label: str
    violation_id: str | None


@dataclass
class Timeline:
    """A video's timeline: ``bars``, ``ticks`` (x in SVG units, label), ``height`` of the drawing, ``rows`` of
    ``row_h`` units each; ``markers`` are violations of older records without track spans (x, violation id)."""

    width: float
    height: float
    rows: int
    bars: list[Bar] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)
    markers: list[tuple[float, str]] = field(default_factory=list)
    row_h: float = ROW_H


def _tick_label(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def _track_label(track, trans) -> str:
    """A bar's hover text: ``track 3: 1.0–4.2 s, 17 frames, 2 people, violation``, in the language of ``trans``."""
    _, ngettext = trans.gettext, trans.ngettext
    parts = [_("track %(id)s: %(first)s–%(last)s s") % {"id": track.track_id, "first": f"{track.first_s:.1f}",
                                                          "last": f"{track.last_s:.1f}"},
             ngettext("%(num)s frame", "%(num)s frames", track.frames_seen) % {"num": track.frames_seen},
             ngettext("%(num)s person", "%(num)s people", track.people) % {"num": track.people}]
    return ", ".join(parts + ([_("violation")] if track.violation else []))


def timeline(video: VideoRecord, violations: list[ViolationRecord], translations=None) -> Timeline | None:
    """The timeline of one analysed video; ``None`` when its duration is unknown (a failed video).

    Args:
        video: the video's record (its ``tracks``, schema 5).
        violations: the violations of that video (linked from their bars).
        translations: the gettext translations of the page (:func:`helmetscan.results.report.translations`) its
            bars' texts are written with; English when none.
    """
    import gettext

    trans = translations or gettext.NullTranslations()
    duration = video.info.decoded_duration_s or video.info.duration_s if video.info else 0.0
    if not duration or duration <= 0:
        return None
    scale = (WIDTH - LEFT - RIGHT) / duration
    by_track = {v.track_id: v.violation_id for v in violations}
    ends: list[float] = []  # per row, the x where its last bar ends
    bars = []
    for track in sorted(video.tracks, key=lambda t: (t.first_s, t.track_id)):
        x = LEFT + track.first_s * scale
        width = max(MIN_BAR, (track.last_s - track.first_s) * scale)
        row = next((i for i, end in enumerate(ends) if end + 1.0 < x), None)
        if row is None:
            row = len(ends) if len(ends) < MAX_ROWS else MAX_ROWS - 1
            ends.extend([0.0] * (row + 1 - len(ends)))
        ends[row] = max(ends[row], x + width)
        bars.append(Bar(x, width, row, _track_label(track, trans),
                        by_track.get(track.track_id) if track.violation else None))
    rows = max(1, len(ends))
    step = next((s for s in TICK_STEPS_S if duration / s <= 12), TICK_STEPS_S[-1])
    ticks = [(LEFT + t * scale, _tick_label(t)) for t in range(0, int(duration) + 1, step)]
    markers = [] if video.tracks else [(LEFT + v.timestamp_s * scale, v.violation_id) for v in violations]
    return Timeline(WIDTH, rows * ROW_H + AXIS_H, rows, bars, ticks, markers)
