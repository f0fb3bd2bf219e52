"""Filing packages (``helmetscan export``): per violation a folder ``DIR/<case number>/`` and a ZIP of it, ready to
file with 안전신문고: the unedited clip excerpt (copied byte for byte), the lossless frame and crops, the sheet as a
one-page A4 PDF (fpdf2, with a Hangul font of this machine), ``description.txt`` in Korean (일시, 장소, 위반 내용,
차량번호, the filing deadline, the evidence files with their SHA-256) and ``SHA256SUMS`` of the folder.

Evidence is only read: every file copied is checked against the SHA-256 its record holds, and a violation whose
evidence changed since it was written is not exported. An existing case folder or ZIP is never overwritten.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from helmetscan.config.output import ExportSettings
from helmetscan.core.errors import ResultsError
from helmetscan.core.messages import (
    ALREADY_EXPORTED, EVIDENCE_CHANGED, EXCERPT_OVER_LIMIT, NO_EXCERPT_TO_EXPORT, NO_HANGUL_FONT,
)
from helmetscan.results.records import ViolationRecord
from helmetscan.results.report import case_number, filing_deadline, in_recording_zone, korean_date, korean_time
from helmetscan.results.reviews import Review, ReviewStatus

#: What ``--status`` selects: confirmed (the default), pending (no decision yet) or all (both); rejected never.
STATUSES = ("confirmed", "pending", "all")
#: The violation as a filer writes it: Road Traffic Act art. 50(3) (도로교통법 제50조 제3항) requires the rider of a
#: motorcycle to wear a helmet and to have a passenger wear one.
VIOLATION_TEXT = "이륜자동차 운전자(및 동승자) 승차용 안전모 미착용 — 도로교통법 제50조 제3항"
#: Evidence files a package holds besides the excerpt, when the violation has them.
IMAGES = ("frame.png", "annotated.jpg", "rider.png", "plate.png")
DESCRIPTION = "description.txt"
SHEET_PDF = "sheet.pdf"
SUMS = "SHA256SUMS"
#: Hangul fonts looked for first (Debian fonts-nanum, fonts-noto-cjk, fonts-unfonts-core), then fontconfig's.
FONT_CANDIDATES = ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
                   "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                   "/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf")
CHANNELS = {"front": "전방", "rear": "후방", "interior": "실내"}
#: Stored files need no compression (video, images, PDF); text does.
_STORED = {".mp4", ".mov", ".mkv", ".avi", ".ts", ".png", ".jpg", ".jpeg", ".pdf"}


@dataclass
class Package:
    """One exported violation: its case number, folder, ZIP and filing deadline."""

    case: str
    violation_id: str
    folder: Path
    zip_path: Path
    deadline: date | None


@dataclass
class ExportResult:
    """What :func:`export` did: the packages written, and one line per violation skipped or file left out."""

    packages: list[Package] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def plate_for_filing(record: ViolationRecord, review: Review | None) -> str:
    """The plate a filer writes: the reviewer's when they confirmed with one, else the machine read, else 판독 불가."""
    if review is not None and review.status is ReviewStatus.CONFIRMED and review.plate_text_reviewed:
        return f"{review.plate_text_reviewed} (검토자 {review.reviewer} 판독)"
    if record.plate.text and record.plate.status != "unread":
        return f"{record.plate.text} (자동 판독{', 형식 미확인' if record.plate.status == 'unvalidated' else ''})"
    return "판독 불가"


def place_text(record: ViolationRecord) -> str:
    if record.place is None:
        return "장소 미상 (영상에 GPS 기록 없음)"
    lat, lon = record.place.latitude, record.place.longitude
    speed = f", 속도 {record.place.speed_kmh:.0f} km/h" if record.place.speed_kmh is not None else ""
    return (f"위도 {lat:.6f}, 경도 {lon:.6f}{speed} (GPS: {record.place.source})\n"
            f"      지도: https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=18/{lat:.6f}/{lon:.6f}")


def recording_text(record: ViolationRecord) -> str:
    rec = record.recording
    if rec is None or not (rec.vehicle or rec.channel):
        return "미상"
    camera = f", {CHANNELS.get(rec.channel, rec.channel)} 카메라" if rec.channel else ""
    return f"{rec.vehicle or '차량 미상'}{camera}"


def excerpt_limits(path: Path, record: ViolationRecord, settings: ExportSettings) -> list[str]:
    """Why the excerpt exceeds the filing channel's limits (empty when it does not): one clause per limit."""
    problems = []
    megabytes = path.stat().st_size / 1e6
    if megabytes > settings.max_excerpt_mb:
        problems.append(f"{megabytes:.1f} MB > {settings.max_excerpt_mb:g} MB (export.max_excerpt_mb)")
    seconds = record.excerpt.end_s - max(0.0, record.excerpt.start_s) if record.excerpt else 0.0
    if seconds > settings.max_excerpt_s:
        problems.append(f"{seconds:.1f} s > {settings.max_excerpt_s:g} s (export.max_excerpt_s)")
    return problems


def description(record: ViolationRecord, review: Review | None, case: str, deadline: date | None, days: int,
                files: dict[str, str], remarks: list[str], version: str) -> str:
    """``description.txt``: the report as a filer writes it, in Korean."""
    excerpt = ""
    if record.excerpt:
        excerpt = (f"; 발췌 영상 {record.excerpt.file} = 원본 {record.excerpt.start_s:.1f}–{record.excerpt.end_s:.1f}초 "
                   "구간 (재인코딩 없이 원본에서 복사)")
    if review is None:
        reviewed = "검토 전"
    else:
        status = {"confirmed": "위반 확인", "rejected": "위반 아님"}.get(review.status.value, review.status.value)
        reviewed = (f"{status} — {review.reviewer}, {korean_time(in_recording_zone(review.reviewed_at, record))}"
                    f"{' (' + review.note + ')' if review.note else ''}")
    lines = [
        "교통법규 위반 신고 — 이륜자동차 승차용 안전모 미착용",
        f"사건번호: {case}",
        "",
        f"일시: {korean_time(record.local_time)}",
        f"장소: {place_text(record)}",
        f"위반 내용: {VIOLATION_TEXT}",
        f"차량번호: {plate_for_filing(record, review)}",
        f"안전모 미착용 인원: {record.people_without_helmet}명",
        f"촬영 차량/카메라: {recording_text(record)}",
        f"원본 영상: {record.source.path} (SHA-256 {record.source.sha256})",
        f"영상 내 위치: 원본 {record.timestamp_s:.3f}초 (프레임 {record.frame_index}){excerpt}",
        f"검토: {reviewed}",
        (f"신고 기한: {korean_date(deadline)}까지 (위반일로부터 {days}일, 안전신문고)" if deadline else
         "신고 기한: 계산 불가 (위반 시각 미상)"),
        "",
        "증거 파일 (SHA-256):",
        *(f"  {name}  {digest}" for name, digest in sorted(files.items())),
    ]
    if remarks:
        lines += ["", "비고:", *(f"  - {line}" for line in remarks)]
    lines += ["", f"작성: helmetscan {version} (위반 ID {record.violation_id})", ""]
    return "\n".join(lines)


def hangul_font() -> Path | None:
    """A TrueType/OpenType font with Hangul on this machine (:data:`FONT_CANDIDATES`, then ``fc-list :lang=ko``), or
    ``None``."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file() and not candidate.endswith(".ttc"):
            return Path(candidate)
    try:
        found = subprocess.run(["fc-list", ":lang=ko", "file"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    fonts = sorted(line.split(":")[0].strip() for line in found.splitlines() if line.strip())
    return next((Path(f) for f in fonts if f.lower().endswith((".ttf", ".otf"))), None)


def sheet_pdf(path: Path, folder: Path, record: ViolationRecord, review: Review | None, case: str,
              deadline: date | None, files: dict[str, str], font: Path) -> None:
    """The sheet as a one-page A4 PDF (fpdf2): the annotated frame, the crops, the fields and the files' SHA-256.
    Automatic page breaks are off, so it is always one page."""
    import logging

    from fpdf import FPDF

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # its word on each table it cannot subset (TSI*) is noise
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(12, 12, 12)
    pdf.add_page()
    pdf.add_font("hangul", "", str(font))
    pdf.set_font("hangul", size=14)
    width = pdf.w - 24
    pdf.multi_cell(width, 7, f"이륜자동차 안전모 미착용 — {case}")
    y = pdf.get_y() + 1
    pdf.image(str(folder / "annotated.jpg"), x=12, y=y, w=width, h=95, keep_aspect_ratio=True)
    y += 97
    x = 12.0
    for name, height in (("rider.png", 32), ("plate.png", 14)):
        if name in files:
            pdf.image(str(folder / name), x=x, y=y, h=height)
            x += 60
    pdf.set_y(y + 34)
    deadline_text = korean_date(deadline) + "까지" if deadline else "계산 불가 (위반 시각 미상)"
    rows = [("일시", korean_time(record.local_time)), ("장소", place_text(record).replace("\n      ", " ")),
            ("위반 내용", VIOLATION_TEXT), ("차량번호", plate_for_filing(record, review)),
            ("미착용 인원", f"{record.people_without_helmet}명"), ("촬영 차량", recording_text(record)),
            ("원본 영상", f"{record.source.path}  SHA-256 {record.source.sha256}"),
            ("영상 내 위치", f"{record.timestamp_s:.3f}초, 프레임 {record.frame_index}"),
            ("신고 기한", deadline_text), ("위반 ID", record.violation_id), ("담당 경찰관", ""), ("서명", "")]
    pdf.set_font_size(8.5)
    for label, value in rows:
        top = pdf.get_y()
        pdf.set_xy(12, top)
        pdf.multi_cell(28, 5, label, border=0)
        pdf.set_xy(40, top)
        pdf.multi_cell(width - 28, 5, value, border=0)
        pdf.line(12, pdf.get_y(), 12 + width, pdf.get_y())
    pdf.ln(1)
    pdf.set_font_size(7)
    pdf.multi_cell(width, 3.6, "증거 파일 SHA-256\n" + "\n".join(f"{n}  {d}" for n, d in sorted(files.items())))
    pdf.output(str(path))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _selected(review: Review | None, status: str) -> bool:
    decided = review.status if review is not None else ReviewStatus.PENDING
    if decided is ReviewStatus.REJECTED:
        return False
    return status == "all" or decided.value == status


def _zip(folder: Path, target: Path) -> None:
    partial = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for path in sorted(folder.iterdir()):
            kind = zipfile.ZIP_STORED if path.suffix.lower() in _STORED else zipfile.ZIP_DEFLATED
            archive.write(path, f"{folder.name}/{path.name}", compress_type=kind)
    os.replace(partial, target)


def export(out: Path, to: Path, status: str = "confirmed", date: str | None = None, vehicle: str | None = None,
           settings: ExportSettings | None = None, version: str = "") -> ExportResult:
    """Write a filing package per selected violation of ``out`` into ``to`` (created when missing).

    Args:
        status: confirmed, pending or all (:data:`STATUSES`); rejected violations are never exported.
        date, vehicle: only those violations (local ``YYYY-MM-DD``; vehicle name), as ``report``.

    Raises:
        ResultsError: ``out`` is not a results folder (or its database is damaged); ``status`` unknown.
    """
    from helmetscan.results.database import read_results

    if status not in STATUSES:
        raise ResultsError(f"--status {status!r}: expected one of {', '.join(STATUSES)}")
    settings = settings or ExportSettings()
    _, records, reviews = read_results(out, date, vehicle)
    font = hangul_font()
    result = ExportResult()
    if font is None:
        result.notes.append(NO_HANGUL_FONT)
    to.mkdir(parents=True, exist_ok=True)
    for record in records:
        review = reviews.get(record.violation_id)
        if not _selected(review, status):
            continue
        case = case_number(record)
        folder, zip_path = to / case, to / f"{case}.zip"
        if folder.exists() or zip_path.exists():
            result.notes.append(ALREADY_EXPORTED % {"case": case, "violation": record.violation_id, "folder": to})
            continue
        package = _package(out, to, record, review, case, settings, font, version, result.notes)
        if package is not None:
            result.packages.append(package)
    return result


def _package(out: Path, to: Path, record: ViolationRecord, review: Review | None, case: str,
             settings: ExportSettings, font: Path | None, version: str, notes: list[str]) -> Package | None:
    source = out / record.evidence_dir
    names = ([record.excerpt.file] if record.excerpt else []) + [n for n in IMAGES if n in record.evidence_files]
    remarks: list[str] = []
    if record.excerpt is None:
        remarks.append("발췌 영상 없음: 원본 영상을 직접 첨부하십시오")
        notes.append(NO_EXCERPT_TO_EXPORT % {"case": case, "violation": record.violation_id})
    for name in names:
        expected = record.evidence_files.get(name)
        path = source / name
        if not path.is_file() or (expected is not None and _sha256(path) != expected):
            notes.append(EVIDENCE_CHANGED % {"case": case, "violation": record.violation_id, "path": path})
            return None
    partial = to / f".{case}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        files = {}
        for name in names:
            shutil.copyfile(source / name, partial / name)  # byte for byte: never re-encoded
            files[name] = record.evidence_files.get(name) or _sha256(partial / name)
        if record.excerpt:
            over = excerpt_limits(partial / record.excerpt.file, record, settings)
            if over:
                remarks.append(f"발췌 영상이 신고 채널의 제한을 넘음 ({'; '.join(over)}): 재인코딩하지 않고 원본 그대로 "
                               "첨부함")
                notes.append(EXCERPT_OVER_LIMIT % {"case": case, "violation": record.violation_id,
                                                   "limits": "; ".join(over)})
        deadline = filing_deadline(record, settings.filing_days)
        if font is not None and "annotated.jpg" in files:
            sheet_pdf(partial / SHEET_PDF, partial, record, review, case, deadline, files, font)
            files[SHEET_PDF] = _sha256(partial / SHEET_PDF)
        text = description(record, review, case, deadline, settings.filing_days, files, remarks, version)
        (partial / DESCRIPTION).write_text(text, encoding="utf-8")
        sums = "".join(f"{_sha256(p)}  {p.name}\n" for p in sorted(partial.iterdir()))
        (partial / SUMS).write_text(sums, encoding="utf-8")
        os.replace(partial, to / case)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _zip(to / case, to / f"{case}.zip")
    return Package(case, record.violation_id, to / case, to / f"{case}.zip", deadline)
