"""Reports rebuilt from stored results: ``violations.csv`` (pandas), a self-contained ``report.html`` (Jinja2: summary,
one card per violation with sorting, filtering and plate search, a timeline per video) and a printable one-page sheet
per violation (``sheets/<violation id>.html``). The analyst's reviews, when there are any, are part of every view: a
confirmed violation headlines the plate its reviewer read, rejected ones are counted and shown apart, review times are
shown in the recording's time zone. Offline: no script, style or font from anywhere else."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, NamedTuple

from helmetscan.core.status import PlateStatus
from helmetscan.core.errors import ResultsError
from helmetscan.core.messages import NOT_RESULTS_NOTHING_WRITTEN, N_, message_text
from helmetscan.results.evidence import load_results, write_atomically
from helmetscan.results.records import CopyRecord, VideoRecord, VideoStatus, ViolationRecord, reason, with_path
from helmetscan.results.reviews import Review, ReviewStatus

CSV_NAME = "violations.csv"
#: Encoding of ``violations.csv``: UTF-8 with a byte-order mark, which tells Excel the file is UTF-8 (Korean Windows
#: otherwise reads it as CP949); ``utf-8-sig`` also reads a file without one.
CSV_ENCODING = "utf-8-sig"
HTML_NAME = "report.html"
SHEETS_DIR = "sheets"

#: CSV columns, in order: name → (unit, meaning). Times are seconds from the start of the video unless named
#: ``local_time`` (ISO 8601 local time with its UTC offset, the recording's time zone: ``recording.time_zone``).
CSV_FIELDS: dict[str, tuple[str, str]] = {
    "violation_id": ("", "`<video key>_t<track ID>`; the folder of the evidence."),
    "video": ("", "Path of the video as given to `analyze`."),
    "video_sha256": ("", "SHA-256 of the video file (hex)."),
    "frame_index": ("frames", "Evidence frame, 0-based in decode order."),
    "timestamp_s": ("s", "Time of the evidence frame from the start of the video."),
    "track_id": ("", "ByteTrack ID of the motorcycle within the video."),
    "stage1_confidence": ("0..1", "Stage-1 confidence of the motorcycle (or rider) box."),
    "stage2_confidence": ("0..1", "Stage-2 confidence of the evidence person's bare head."),
    "frames_without_helmet": ("frames", "The evidence person's judged frames without helmet."),
    "frames_head_seen": ("frames", "Stage-2 checks that found the evidence person's head."),
    "frames_judged": ("frames", "Of those, heads large enough and the classifier sure enough to judge."),
    "people_without_helmet": ("people", "People on the motorcycle verified bare-headed."),
    "people_seen": ("people", "People seen on the motorcycle (bare, helmeted or unknown)."),
    "plate_text": ("", "Fused plate text; empty when unread."),
    "plate_status": ("", "read, unvalidated (no known format) or unread."),
    "plate_format": ("", "Plate format the text matches."),
    "plate_confidence": ("0..1", "Support of the least supported character of the fused plate."),
    "plate_frames_agreeing": ("frames", "Reads equal to the fused text."),
    "plate_frames_read": ("frames", "Reads that voted."),
    "evidence_dir": ("", "Folder of the evidence, relative to OUT."),
    "local_time": ("ISO 8601, local", "Time of the evidence frame in the recording's time zone, with its UTC offset;"
                                      " empty when the recording start is unknown."),
    "vehicle": ("", "Vehicle that recorded the video (setting, else the dump's top folder)."),
    "channel": ("", "Camera channel: front, rear, interior; empty when unknown."),
    "latitude": ("degrees", "Where, from the file's GPS (+ north); empty when unknown."),
    "longitude": ("degrees", "Where, from the file's GPS (+ east); empty when unknown."),
    "speed_kmh": ("km/h", "Vehicle speed over ground at that time; empty when unknown."),
    "review_status": ("", "pending, confirmed or rejected: the latest decision in `helmetscan review`."),
    "plate_text_reviewed": ("", "The plate as the reviewer reads it; empty when not given."),
    "reviewed_by": ("", "Who made the latest decision."),
    "reviewed_at": ("ISO 8601, local", "When, in the recording's time zone with its UTC offset, as `local_time` (the "
                                       "results database keeps UTC)."),
    "review_note": ("", "The reviewer's note on the latest decision (the reason), free text; empty when none."),
}
CSV_COLUMNS = list(CSV_FIELDS)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (a file named ``=cmd()`` must stay text in Excel)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_rows(records: list[ViolationRecord], reviews: dict[str, Review] | None = None) -> list[dict[str, Any]]:
    """One row per violation record, with the columns of :data:`CSV_COLUMNS`; ``reviews``: the latest decision per
    violation id."""
    reviews = reviews or {}
    return [
        {
            "violation_id": r.violation_id,
            "video": r.source.path,
            "video_sha256": r.source.sha256,
            "frame_index": r.frame_index,
            "timestamp_s": r.timestamp_s,
            "track_id": r.track_id,
            "stage1_confidence": r.stage1_confidence,
            "stage2_confidence": r.stage2_confidence,
            "frames_without_helmet": r.decision.frames_without_helmet,
            "frames_head_seen": r.decision.frames_head_seen,
            "frames_judged": r.decision.frames_judged,
            "people_without_helmet": r.people_without_helmet,
            "people_seen": len(r.people),
            "plate_text": r.plate.text,
            "plate_status": r.plate.status.value,
            "plate_format": r.plate.format or "",
            "plate_confidence": r.plate.confidence,
            "plate_frames_agreeing": r.plate.frames_agreeing,
            "plate_frames_read": r.plate.frames_read,
            "evidence_dir": r.evidence_dir,
            "local_time": r.local_time or "",
            "vehicle": (r.recording.vehicle if r.recording else None) or "",
            "channel": (r.recording.channel if r.recording else None) or "",
            "latitude": r.place.latitude if r.place else None,
            "longitude": r.place.longitude if r.place else None,
            "speed_kmh": r.place.speed_kmh if r.place else None,
            **_review_columns(reviews.get(r.violation_id), r),
        }
        for r in records
    ]


def _review_columns(review: Review | None, record: ViolationRecord) -> dict[str, str]:
    if review is None:
        return {"review_status": ReviewStatus.PENDING.value, "plate_text_reviewed": "", "reviewed_by": "",
                "reviewed_at": "", "review_note": ""}
    return {"review_status": review.status.value, "plate_text_reviewed": review.plate_text_reviewed,
            "reviewed_by": review.reviewer, "reviewed_at": in_recording_zone(review.reviewed_at, record),
            "review_note": review.note}


def recording_zone(record: ViolationRecord) -> tzinfo | None:
    """The time zone a violation's times are reported in: the ``recording.time_zone`` of the run that found it (the
    record's ``settings``, an IANA zone), else the UTC offset of its ``local_time``; ``None`` when it has neither."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    recording = record.settings.get("recording")
    zone = recording.get("time_zone") if isinstance(recording, dict) else None
    if isinstance(zone, str) and zone:
        try:
            return ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if record.local_time:
        try:
            return datetime.fromisoformat(record.local_time).tzinfo
        except ValueError:
            return None
    return None


def in_recording_zone(iso: str, record: ViolationRecord) -> str:
    """An ISO 8601 time (a review's UTC ``reviewed_at``; one without offset is taken as UTC) in the time zone of
    ``record``'s recording (:func:`recording_zone`), with its UTC offset: ``2026-11-21T01:02:03+00:00`` →
    ``2026-11-21T10:02:03+09:00`` for Asia/Seoul. The same instant; unchanged when the zone is unknown or ``iso``
    does not read."""
    zone = recording_zone(record)
    if not iso or zone is None:
        return iso
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(zone).isoformat()


def write_csv(out: Path, records: list[ViolationRecord], name: str = CSV_NAME,
              reviews: dict[str, Review] | None = None) -> Path:
    """Write ``OUT/violations.csv`` (header only when there is no violation): UTF-8 with a byte-order mark
    (``utf-8-sig``), without which Excel opens it in the system's legacy code page and garbles Hangul; readers take it
    off with ``encoding="utf-8-sig"`` (pandas' C parser also skips it by itself)."""
    import pandas as pd

    frame = pd.DataFrame(csv_rows(records, reviews), columns=CSV_COLUMNS)
    frame = frame.map(_cell) if len(frame) else frame
    return write_atomically(out / name, frame.to_csv(index=False).encode(CSV_ENCODING))


def local_time_text(iso: str | None) -> str:
    """``2023-08-30T13:53:53.000+09:00`` → ``2023-08-30 13:53:53 +09:00`` (how the pages show a local time);
    ``unknown`` for none."""
    if not iso:
        return "unknown"
    when = datetime.fromisoformat(iso)
    offset = when.strftime("%z")
    return when.strftime("%Y-%m-%d %H:%M:%S") + (f" {offset[:3]}:{offset[3:]}" if offset else "")


def korean_time(iso: str | None) -> str:
    """``2026-11-21T15:30:12.400+09:00`` → ``2026년 11월 21일 15시 30분 12초 (UTC+09:00)`` (how a Korean officer
    writes a time: the export's description and sheet, and the pages in Korean); ``미상`` when unknown."""
    if not iso:
        return "미상 (녹화 시각을 알 수 없음)"
    when = datetime.fromisoformat(iso)
    offset = when.strftime("%z")
    zone = f" (UTC{offset[:3]}:{offset[3:]})" if offset else ""
    return f"{when.year}년 {when.month}월 {when.day}일 {when.hour}시 {when.minute}분 {when.second}초{zone}"


def korean_date(day) -> str:
    """A date as ``2026년 11월 28일``."""
    return f"{day.year}년 {day.month}월 {day.day}일"


#: Languages of the pages (``report.lang``): English, the templates' source language, and Korean.
LANGUAGES = ("ko", "en")
#: The message catalogues' domain: ``helmetscan/results/locale/<lang>/LC_MESSAGES/helmetscan.mo``.
GETTEXT_DOMAIN = "helmetscan"


def translations(lang: str):
    """The gettext translations of ``lang`` from the package's catalogues (English, the source language: none)."""
    import gettext

    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(GETTEXT_DOMAIN, str(Path(__file__).parent / "locale"), languages=[lang])


def _or_english(trans):
    """``trans`` (:func:`translations`), or for none English (the texts as written)."""
    import gettext

    return trans or gettext.NullTranslations()


#: How the pages name a person's ``role`` (:class:`~helmetscan.results.records.PersonRecord`; the record keeps the
#: English value): English texts of the catalogue.
ROLE_TEXTS = {"rider": N_("rider"), "rider or passenger": N_("rider or passenger")}
#: How the pages name a person's ``position`` (picture directions; ``only`` is not shown).
POSITION_TEXTS = {"upper": N_("upper"), "lower": N_("lower"), "left": N_("left"), "right": N_("right")}
#: A person's verdict (``HeadState``) as the pages write it, after who (``%(person)s``: role and position).
HEAD_STATE_TEXTS = {
    "without_helmet": N_("%(person)s: without helmet"),
    "with_helmet": N_("%(person)s: with helmet"),
    "unknown": N_("%(person)s: unknown"),
    "not_seen": N_("%(person)s: not seen"),
}
#: Human names of the built-in plate formats (:data:`helmetscan.core.plate_formats.BUILTIN_FORMATS`; the record's
#: ``plate.format`` keeps the code). A format of the configuration (``plates.custom_formats``) shows its own name.
PLATE_FORMAT_NAMES = {
    "kr": N_("Korean car plate"),
    "kr_region": N_("Korean motorcycle plate"),
    "kr_old": N_("older Korean car plate"),
    "in": N_("Indian plate"),
    "vn": N_("Vietnamese plate"),
    "generic": N_("generic plate"),
}


def person_text(person, trans=None) -> str:
    """One person on the motorcycle as the sheet and the review page show them: ``rider: without helmet``,
    ``rider or passenger (upper): with helmet``; in the language of ``trans`` (:func:`translations`; default
    English). A value the catalogue does not know is shown as recorded."""
    _ = _or_english(trans).gettext
    role = _(ROLE_TEXTS[person.role]) if person.role in ROLE_TEXTS else person.role
    if person.position and person.position != "only":
        role += f" ({_(POSITION_TEXTS[person.position]) if person.position in POSITION_TEXTS else person.position})"
    state = str(person.verdict)
    if state in HEAD_STATE_TEXTS:
        return _(HEAD_STATE_TEXTS[state]) % {"person": role}
    return f"{role}: {state.replace('_', ' ')}"


def plate_format_name(name: str | None, trans=None) -> str:
    """The human name of a plate format (``in`` → ``Indian registration plate``), in the language of ``trans``
    (:func:`translations`; default English); a format of the configuration keeps its own name; ``""`` for none."""
    if not name:
        return ""
    return _or_english(trans).gettext(PLATE_FORMAT_NAMES[name]) if name in PLATE_FORMAT_NAMES else name


def case_number(record: ViolationRecord) -> str:
    """``HS-<YYYYMMDD of the local time>-<vehicle>-<8 hex of the violation id's SHA-256>``: deterministic, unique per
    violation, letters, digits and dashes only (``nodate``/``novehicle`` when unknown)."""
    day = record.local_time[:10].replace("-", "") if record.local_time else "nodate"
    vehicle = re.sub(r"[^A-Za-z0-9]+", "", (record.recording.vehicle if record.recording else None) or "")[:16]
    return f"HS-{day}-{vehicle or 'novehicle'}-{hashlib.sha256(record.violation_id.encode()).hexdigest()[:8]}"


def filing_deadline(record: ViolationRecord, days: int | None = None):
    """The last day a violation can be filed (안전신문고): the local date of its ``local_time`` plus ``days`` (default:
    the ``export.filing_days`` setting's default); ``None`` when the time of the violation is unknown."""
    from datetime import timedelta

    from helmetscan.config.output import ExportSettings

    if not record.local_time:
        return None
    try:
        when = datetime.fromisoformat(record.local_time)
    except ValueError:
        return None
    return when.date() + timedelta(days=ExportSettings().filing_days if days is None else days)


def deadline_text(record: ViolationRecord, lang: str = "en") -> str:
    """:func:`filing_deadline` as the pages show it: ``2026-11-28``, or ``unknown (no recording time)``; in Korean
    ``2026년 11월 28일까지`` or ``계산 불가 (위반 시각 미상)``."""
    deadline = filing_deadline(record)
    if lang == "ko":
        return korean_date(deadline) + "까지" if deadline else "계산 불가 (위반 시각 미상)"
    return deadline.isoformat() if deadline else "unknown (no recording time)"


def failure_line(video: VideoRecord, trans=None) -> str:
    """The line of a failed or incomplete video in the report: its ``error``, which names the file first, once
    (an older record's error that does not gets the path put before it), in the language of ``trans``
    (:func:`translations`; default English; the record keeps the English: :func:`message_text`)."""
    trans = _or_english(trans)
    if video.error:
        return with_path(video.source_path, message_text(video.error, trans))
    _ = trans.gettext
    return with_path(video.source_path, _("%(status)s, no reason recorded") % {"status": _(video.status.value)})


def reason_text(video: VideoRecord, trans=None) -> str:
    """A video's ``error`` without the file it names first (for a line that shows the file already), in the
    language of ``trans``."""
    return reason(video.source_path, message_text(video.error, _or_english(trans)) if video.error else None)


#: How the pages name a camera ``channel`` (the record keeps the English value).
CHANNEL_TEXTS = {"front": N_("front"), "rear": N_("rear"), "interior": N_("interior")}
#: Where a recording's start time came from (``time_source``), after "recorded ... from its".
TIME_SOURCE_TEXTS = {"filename": N_("filename"), "container": N_("container")}


def channel_text(channel: str | None, trans=None) -> str:
    """A camera ``channel`` (``front``) as the pages name it, in the language of ``trans``; ``""`` for none."""
    if not channel:
        return ""
    return _or_english(trans).gettext(CHANNEL_TEXTS[channel]) if channel in CHANNEL_TEXTS else channel


def copy_text(copy: CopyRecord, trans=None, when=local_time_text) -> str:
    """One copy of a video's content as the report lists it: ``PATH (vehicle bus03, front, recorded 2026-11-21
    15:29:00 +09:00 from its filename, GPS sidecar:x.gps)``, in the language of ``trans`` (:func:`translations`;
    default English), its time written by ``when`` (:func:`korean_time` in Korean)."""
    _ = _or_english(trans).gettext
    rec = copy.recording
    parts = []
    if rec and (rec.vehicle or rec.channel):
        parts.append(", ".join(p for p in (_("vehicle %(name)s") % {"name": rec.vehicle} if rec.vehicle else "",
                                           channel_text(rec.channel, trans)) if p))
    if rec and rec.start:
        source = TIME_SOURCE_TEXTS.get(rec.time_source)
        parts.append(_("recorded %(when)s from its %(source)s") % {
            "when": when(rec.start), "source": _(source) if source else rec.time_source})
    else:
        parts.append(_("recording time unknown"))
    parts.append(f"GPS {copy.gps_source}" if copy.gps_source else _("no GPS"))
    return f"{copy.path} ({', '.join(parts)})"


def template_environment(package: str = "helmetscan.results", lang: str = "en"):
    """The Jinja2 environment of the pages: templates of ``package``/templates, every value HTML-escaped, the filters
    ``when`` (:func:`local_time_text`), ``epoch`` (an ISO 8601 time as seconds since 1970, UTC, for sorting),
    ``in_recording_zone`` (:func:`in_recording_zone`: ``review.reviewed_at|in_recording_zone(record)|when``),
    ``failure`` (:func:`failure_line`), ``reason`` (:func:`reason_text`), ``message`` (a video's warning:
    :func:`message_text`), ``copy_text`` (:func:`copy_text`), ``channel`` (:func:`channel_text`),
    ``filing_deadline`` (:func:`deadline_text`), ``person`` (:func:`person_text`) and ``plate_format``
    (:func:`plate_format_name`); texts in ``lang`` (``jinja2.ext.i18n`` with the catalogues of
    :func:`translations`, which the filters built in Python use too; ``lang`` is a global of the templates,
    ``<html lang>``; in Korean ``when`` is :func:`korean_time`)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGUAGES)}")
    env = Environment(loader=PackageLoader(package, "templates"), autoescape=select_autoescape(default=True),
                      extensions=["jinja2.ext.i18n"])
    trans = translations(lang)
    env.install_gettext_translations(trans, newstyle=True)
    env.globals["lang"] = lang
    when = korean_time if lang == "ko" else local_time_text
    env.filters["when"] = when
    env.filters["epoch"] = lambda iso: f"{datetime.fromisoformat(iso).timestamp():.3f}" if iso else ""
    env.filters["in_recording_zone"] = in_recording_zone
    env.filters["failure"] = lambda video: failure_line(video, trans)
    env.filters["reason"] = lambda video: reason_text(video, trans)
    env.filters["message"] = lambda text: message_text(text, trans)
    env.filters["copy_text"] = lambda copy: copy_text(copy, trans, when)
    env.filters["channel"] = lambda channel: channel_text(channel, trans)
    env.filters["filing_deadline"] = lambda record: deadline_text(record, lang)
    env.filters["case_number"] = case_number
    env.filters["person"] = lambda person: person_text(person, trans)
    env.filters["plate_format"] = lambda name: plate_format_name(name, trans)
    return env


def totals(videos: list[VideoRecord], records: list[ViolationRecord],
           reviews: dict[str, Review] | None = None) -> dict[str, Any]:
    """The report's summary: videos, failures, videos that end early (``incomplete``), footage hours (what was
    analysed: of an incomplete video what decoded, of a failed one none), violations (``found``: every one the
    pipeline reported; ``violations``: those not rejected on review; ``rejected``: the others, shown apart), plates
    read / unvalidated / unread (as the machine read them), processing time and real-time factor, and violations per
    review status."""
    reviews = reviews or {}
    footage_s = sum(v.footage_s for v in videos)
    wall_s = sum(v.wall_s or 0.0 for v in videos)
    plates = [r.plate.status for r in records]
    statuses = [(reviews[r.violation_id].status if r.violation_id in reviews else ReviewStatus.PENDING)
                for r in records]
    return {
        "videos": len(videos),
        "failed": sum(v.status is VideoStatus.FAILED for v in videos),
        "incomplete": sum(v.status is VideoStatus.INCOMPLETE for v in videos),
        "found": len(records),
        "violations": len(records) - statuses.count(ReviewStatus.REJECTED),
        "rejected": statuses.count(ReviewStatus.REJECTED),
        "plates_read": plates.count(PlateStatus.READ),
        "plates_unvalidated": plates.count(PlateStatus.UNVALIDATED),
        "plates_unread": plates.count(PlateStatus.UNREAD),
        "duration_s": footage_s,
        "footage_h": footage_s / 3600,
        "wall_s": wall_s,
        "real_time_factor": footage_s / wall_s if wall_s else None,
        **{f"review_{status.value}": statuses.count(status) for status in ReviewStatus},
    }


def is_rejected(record: ViolationRecord, reviews: dict[str, Review]) -> bool:
    """Whether the latest review of ``record`` rejected it (not a violation after all)."""
    review = reviews.get(record.violation_id)
    return review is not None and review.status is ReviewStatus.REJECTED


def write_html(out: Path, videos: list[VideoRecord], records: list[ViolationRecord], version: str,
               name: str = HTML_NAME, title: str = "", reviews: dict[str, Review] | None = None,
               lang: str = "en") -> Path:
    """Write ``OUT/report.html``: the summary, one card per violation (thumbnails link to the evidence files by
    relative path; sorting, filtering and plate search by an inline script that only reorders and hides cards; the other
    copies of its video's content, "also on"), the cards of violations rejected on review in a section of their own
    below, the videos that failed or end early (Failures), a timeline per video and the list of videos. Every text is
    HTML-escaped (Jinja2 autoescape)."""
    from helmetscan.results.timeline import timeline

    reviews = reviews or {}
    template = template_environment(lang=lang).get_template("report.html.j2")
    trans = translations(lang)  # the timelines' texts, as the template's
    rejected = [r for r in records if is_rejected(r, reviews)]
    by_video: dict[str, list[ViolationRecord]] = {}
    for r in records:
        by_video.setdefault(r.video_key, []).append(r)
    html = template.render(
        videos=videos, records=records, version=version, title=title, reviews=reviews,
        videos_by_key={v.video_key: v for v in videos},
        kept=[r for r in records if not is_rejected(r, reviews)], rejected=rejected,
        totals=totals(videos, records, reviews),
        timelines=[(v, timeline(v, by_video.get(v.video_key, []), trans)) for v in videos],
        sheets_dir=SHEETS_DIR,
    )
    return write_atomically(out / name, html.encode("utf-8"))


def write_sheets(out: Path, records: list[ViolationRecord], version: str,
                 reviews: dict[str, Review] | None = None, lang: str = "en") -> list[Path]:
    """Write the printable one-page sheet of each violation, ``OUT/sheets/<violation id>.html`` (A4; the evidence
    images by relative path, every field an authority files, the SHA-256 of each evidence file, the review)."""
    reviews = reviews or {}
    template = template_environment(lang=lang).get_template("sheet.html.j2")
    (out / SHEETS_DIR).mkdir(exist_ok=True)
    return [write_atomically(out / SHEETS_DIR / f"{r.violation_id}.html",
                             template.render(r=r, review=reviews.get(r.violation_id), version=version,
                                             root="..").encode("utf-8"))
            for r in records]


def write_reports(out: Path, videos: list[VideoRecord], records: list[ViolationRecord], version: str,
                  reviews: dict[str, Review] | None = None, suffix: str = "", title: str = "",
                  lang: str = "en") -> tuple[Path, Path]:
    """Write every view of the results: ``violations<suffix>.csv``, ``report<suffix>.html`` and the sheets (their
    texts in ``lang``, ``ko`` or ``en``; the CSV's columns stay English). Returns the CSV and HTML paths."""
    csv_path = write_csv(out, records, f"violations{suffix}.csv", reviews)
    html_path = write_html(out, videos, records, version, f"report{suffix}.html", title, reviews, lang)
    write_sheets(out, records, version, reviews, lang)
    return csv_path, html_path


class Rebuilt(NamedTuple):
    """What :func:`rebuild` wrote: the CSV and HTML paths, the violations not rejected on review and the rejected
    ones (the report's summary)."""

    csv_path: Path
    html_path: Path
    violations: int
    rejected: int


def rebuild(out: Path, version: str, date: str | None = None, vehicle: str | None = None,
            lang: str = "en") -> Rebuilt:
    """Rebuild the reports of ``out`` from its results database (a folder from helmetscan 0.1 has none: from its JSON
    files), without running any model. With ``date`` (``YYYY-MM-DD``, local) or ``vehicle``, only those violations,
    written beside the full report as ``violations-<date>-<vehicle>.csv`` and ``report-<date>-<vehicle>.html``.

    Returns:
        :class:`Rebuilt`: (csv path, html path, violations not rejected on review, violations rejected).

    Raises:
        ResultsError: ``out`` is not a results folder (no database and no video.json), or a record is unreadable.
    """
    from helmetscan.results.database import DB_NAME, read_results
    from helmetscan.results.evidence import VIDEO_JSON

    suffix = "".join(f"-{part}" for part in (date, vehicle) if part)
    reviews: dict[str, Review] = {}
    if (out / DB_NAME).is_file():
        videos, records, reviews = read_results(out, date, vehicle)
    elif out.is_dir() and any(out.glob(f"*/{VIDEO_JSON}")) and not suffix:
        if _has_review_decisions(out / CSV_NAME):  # the database is lost; its decisions live on only in the CSV
            raise ResultsError(f"{out}: holds reviewed results but no {DB_NAME}: rebuild it from the records (the "
                               f"decisions are kept) with: helmetscan rebuild-db {out}")
        videos, records = load_results(out)
    else:
        raise ResultsError(NOT_RESULTS_NOTHING_WRITTEN % {"path": out, "database": DB_NAME})
    title = " ".join(part for part in (date, vehicle) if part)
    csv_path, html_path = write_reports(out, videos, records, version, reviews, suffix, title, lang)
    rejected = sum(is_rejected(r, reviews) for r in records)
    return Rebuilt(csv_path, html_path, len(records) - rejected, rejected)


def _has_review_decisions(csv_path: Path) -> bool:
    """Whether a ``violations.csv`` records an analyst's decision (its ``review_status`` column other than pending)."""
    import pandas as pd

    if not csv_path.is_file():
        return False
    try:
        statuses = pd.read_csv(csv_path, usecols=["review_status"], keep_default_na=False,
                               encoding=CSV_ENCODING)["review_status"]
    except (ValueError, OSError, pd.errors.ParserError):
        return False
    return bool((statuses.astype(str).str.lstrip("'").replace("", "pending") != "pending").any())
