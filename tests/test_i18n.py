"""Korean and English pages (issue #35): report.html, the sheets and the review page in the ``report.lang`` language,
from the gettext catalogue the package carries; Korean times as an officer writes them. The analyst's commands answer
in the same language, and the library's messages (a video's failure and warnings, the review page's refusals) are
shown in it while the records keep them in English."""

from __future__ import annotations

from pathlib import Path

import pytest

from helmetscan.results.database import ResultsDB
from helmetscan.results.report import korean_time, rebuild
from helmetscan.results.reviews import ReviewStatus
from test_review import results_folder

LOCALE = Path(__file__).parents[1] / "helmetscan" / "results" / "locale"
TEMPLATES = [Path(__file__).parents[1] / "helmetscan" / p for p in
             ("results/templates/report.html.j2", "results/templates/sheet.html.j2",
              "review/templates/review.html.j2")]
SEOUL = {"local_time": "2026-11-21T15:30:12.400+09:00", "settings": {"recording": {"time_zone": "Asia/Seoul"}}}

#: English labels that must not be left in a Korean page (matched as whole element texts or label starts).
ENGLISH_REPORT = ["Riders without a helmet", ">Failures<", ">Timelines<", ">Videos<", "Plate search", "Sort by",
                  "printable sheet", "lossless frame", "plate unread", "filing deadline", "reviewed by",
                  "machine read:", ">confirmed<", ">pending<", "people without helmet"]
ENGLISH_SHEET = ["Rider without a helmet", "Date and time", "Filing deadline", ">Place<", ">Plate<", ">Review<",
                 ">People<", "Position in video", "Evidence files", "Produced by", "machine read:", "reviewed by"]
ENGLISH_REVIEW = ["Plate as you read it", ">Confirm<", ">Reject<", ">Reviewer ", "No violation to review",
                  "lossless frame", "printable sheet", "reads agree"]


def _reviewed_folder(out: Path, lang: str) -> list[str]:
    ids = results_folder(out, plates=("서울12가3456", ""), **SEOUL)
    db = ResultsDB(out, create=False, migrate=True)
    db.add_review(ids[0], ReviewStatus.CONFIRMED, "kim", "서울12가3456")
    db.close()
    rebuild(out, "test", lang=lang)
    return ids


def test_the_report_and_sheets_in_korean(tmp_path):
    ids = _reviewed_folder(tmp_path, "ko")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in html
    for label in ("이륜차 안전모 미착용 위반", "번호판 판독 불가", "신고 기한", "2026년 11월 28일까지", "확인", "검토 대기",
                  "인쇄용 위반 확인서", "2026년 11월 21일 15시 30분 12초 (UTC+09:00)", "검토자 kim"):
        assert label in html, label
    for label in ENGLISH_REPORT:
        assert label not in html, label
    sheet = (tmp_path / "sheets" / f"{ids[0]}.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in sheet
    for label in ("<th>일시</th>", "<th>장소</th>", "<th>번호판</th>", "<th>검토</th>", "<th>신고 기한</th>",
                  "2026년 11월 21일 15시 30분 12초", "<b>확인</b> 검토자 kim, "):
        assert label in sheet, label
    for label in ENGLISH_SHEET:
        assert label not in sheet, label
    unread = (tmp_path / "sheets" / f"{ids[1]}.html").read_text(encoding="utf-8")
    assert "판독 불가" in unread and "미검토" in unread


def test_the_report_and_sheets_in_english(tmp_path):
    ids = _reviewed_folder(tmp_path, "en")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    for label in ("Riders without a helmet", "plate unread", "filing deadline: 2026-11-28", "printable sheet",
                  "2026-11-21 15:30:12 +09:00", "reviewed by kim"):
        assert label in html, label
    assert "이륜차" not in html and "판독 불가" not in html
    sheet = (tmp_path / "sheets" / f"{ids[0]}.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in sheet and "<th>Date and time</th>" in sheet and "<th>일시</th>" not in sheet


def test_the_review_page_in_korean(tmp_path):
    from fastapi.testclient import TestClient

    from helmetscan.review.app import create_app

    ids = results_folder(tmp_path, **SEOUL)
    with TestClient(create_app(tmp_path, reviewer="kim", lang="ko"), base_url="http://127.0.0.1:8765") as c:
        page = c.get("/").text
        assert '<html lang="ko">' in page
        for label in ("판독한 번호판", ">확인</button>", ">반려</button>", "검토자", "검토 대기",
                      "2026년 11월 21일 15시 30분 12초"):
            assert label in page, label
        for label in ENGLISH_REVIEW:
            assert label not in page, label
        assert c.post(f"/api/violations/{ids[0]}/review",
                      json={"status": "rejected", "reviewer": "kim", "note": "안전모 착용"}).status_code == 200
        assert "반려" in c.get("/").text
    assert '<html lang="ko">' in (tmp_path / "report.html").read_text(encoding="utf-8")  # rebuilt in Korean


def _varied_folder(out: Path, lang: str) -> list[str]:
    """A results folder (rebuilt in ``lang``) with what the pages build from records: a video with two tracks whose
    violation has two people and an Indian plate (confirmed by kim), an incomplete one whose violation has one
    rider, and a failed one."""
    from helmetscan.results.evidence import load_results, write_sha256sums
    from helmetscan.results.records import PersonRecord, TrackRecord, VideoRecord, VideoStatus
    from helmetscan.core.status import HeadState
    from test_report import _store

    _, done = _store(out, "clip_0", "clip_0_t0001", "/sd/clip_0.mp4", "TN05AT7024", "read", **SEOUL)
    _, short = _store(out, "clip_1", "clip_1_t0001", "/sd/clip_1.mp4", "", "unread", **SEOUL)
    write_sha256sums(out, [done, short])
    videos, records = load_results(out)
    frames = dict(confidence=0.9, frames_seen=5, frames_judged=5, frames_without_helmet=4, frames_with_helmet=1)
    records[0] = records[0].model_copy(update={
        "people": [PersonRecord(person_id=1, role="rider or passenger", position="upper",
                                verdict=HeadState.WITHOUT_HELMET, **frames),
                   PersonRecord(person_id=2, role="rider or passenger", position="lower",
                                verdict=HeadState.WITH_HELMET, **frames)],
        "plate": records[0].plate.model_copy(update={"format": "in"})})
    records[1] = records[1].model_copy(update={"people": [
        PersonRecord(person_id=1, role="rider", position="only", verdict=HeadState.WITHOUT_HELMET, **frames)]})
    videos[0] = videos[0].model_copy(update={"tracks": [
        TrackRecord(track_id=1, first_s=0.0, last_s=2.0, frames_seen=10, people=2, violation=True),
        TrackRecord(track_id=2, first_s=1.0, last_s=3.0, frames_seen=1, people=1, violation=False)]})
    videos[1] = videos[1].model_copy(update={
        "status": VideoStatus.INCOMPLETE, "error": "/sd/clip_1.mp4: ends early",
        "info": videos[1].info.model_copy(update={"decoded_duration_s": 1.5})})
    failed = VideoRecord(video_key="clip_2", source_path="/sd/clip_2.mp4", status=VideoStatus.FAILED,
                         error="/sd/clip_2.mp4: cannot be opened", helmetscan_version="test")
    db = ResultsDB(out)
    run = db.start_run("test", "cfg", {}, {})
    for i, video in enumerate([*videos, failed]):
        db.save_video(video, [r for r in records if r.video_key == video.video_key], sha256=f"{i:064x}",
                      mtime_ns=0, config_hash="cfg", run_id=run)
    db.add_review(records[0].violation_id, ReviewStatus.CONFIRMED, "kim", "TN05AT7024")
    db.close()
    rebuild(out, "test", lang=lang)
    return [r.violation_id for r in records]


def _videos_table(html: str) -> str:
    return html[html.index("<table>"):html.index("</table>")]


def test_the_report_timelines_and_videos_table_in_korean(tmp_path):
    _varied_folder(tmp_path, "ko")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for label in ("<small class=\"path\"><b>/sd/clip_0.mp4</b> — 추적한 이륜차 2대, 위반 1건</small>", 'aria-label="/sd/clip_0.mp4 타임라인"',
                  "<title>추적 번호 1: 0.0–2.0초, 10프레임, 탑승자 2명, 위반</title>",
                  "<title>추적 번호 2: 1.0–3.0초, 1프레임, 탑승자 1명</title>"):
        assert label in html, label
    for label in ("track(s)", "violation(s)", "timeline of", "<title>track ", " frames", " people,"):
        assert label not in html, label
    table = _videos_table(html)
    for label in ("<td>완료</td>", "<td>불완전</td>", "<td>실패</td>", "<td>3.2 중 1.5</td>"):
        assert label in table, label
    for label in ("<td>done</td>", "<td>incomplete</td>", "<td>failed</td>", " of "):
        assert label not in table, label


def test_the_report_timelines_and_videos_table_stay_english(tmp_path):
    _varied_folder(tmp_path, "en")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for label in ("<small class=\"path\"><b>/sd/clip_0.mp4</b> — 2 track(s), 1 violation(s)</small>",
                  'aria-label="timeline of /sd/clip_0.mp4"', "<title>track 1: 0.0–2.0 s, 10 frames, 2 people, "
                  "violation</title>", "<title>track 2: 1.0–3.0 s, 1 frame, 1 person</title>"):
        assert label in html, label
    table = _videos_table(html)
    for label in ("<td>done</td>", "<td>incomplete</td>", "<td>failed</td>", "<td>1.5 of 3.2</td>"):
        assert label in table, label
    assert "추적" not in html and "완료" not in html


def test_people_and_the_plate_format_on_the_sheet_in_korean(tmp_path):
    ids = _varied_folder(tmp_path, "ko")
    sheet = (tmp_path / "sheets" / f"{ids[0]}.html").read_text(encoding="utf-8")
    for label in ("운전자/동승자 (화면 위쪽): 안전모 미착용", "운전자/동승자 (화면 아래쪽): 안전모 착용",
                  "(판독, 인도 번호판; 신뢰도"):
        assert label in sheet, label
    for label in ("rider or passenger", "(upper)", "(lower)", "without helmet", "with helmet", "판독, in;"):
        assert label not in sheet, label
    alone = (tmp_path / "sheets" / f"{ids[1]}.html").read_text(encoding="utf-8")
    assert "<th>탑승자</th><td>운전자: 안전모 미착용, " in alone and "rider:" not in alone


def test_people_and_the_plate_format_on_the_sheet_in_english(tmp_path):
    ids = _varied_folder(tmp_path, "en")
    sheet = (tmp_path / "sheets" / f"{ids[0]}.html").read_text(encoding="utf-8")
    for label in ("rider or passenger (upper): without helmet, 4/5 judged frames bare",
                  "rider or passenger (lower): with helmet", "(read, Indian plate; confidence"):
        assert label in sheet, label
    assert "<th>People</th><td>rider: without helmet, " in (tmp_path / "sheets" / f"{ids[1]}.html").read_text()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_review_page_people_messages_and_times(tmp_path, lang):
    """In Korean: people and the script's messages from the catalogue; in either language, review times in the
    recording's time zone (Asia/Seoul), as the report and sheet show them, after a reload and in what a decision
    returns to the page's script."""
    import json
    import re
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from fastapi.testclient import TestClient

    from helmetscan.results.report import local_time_text
    from helmetscan.review.app import create_app

    ids = _varied_folder(tmp_path, lang)
    db = ResultsDB(tmp_path, create=False, migrate=True)
    stored = db.review_history(ids[0])[0].reviewed_at
    db.close()
    assert stored.endswith("+00:00")  # the database keeps UTC
    seoul = datetime.fromisoformat(stored).astimezone(ZoneInfo("Asia/Seoul")).isoformat()
    shown = korean_time(seoul) if lang == "ko" else local_time_text(seoul)
    with TestClient(create_app(tmp_path, reviewer="kim", lang=lang), base_url="http://127.0.0.1:8765") as c:
        page = c.get("/").text
        history = re.search(r'<ol class="history">(.*?)</ol>', page[page.index(f'id="v-{ids[0]}"'):]).group(1)
        assert shown in history and "+00:00" not in history, history
        texts = json.loads(re.search(r'<script type="application/json" id="texts">(.*?)</script>', page).group(1))
        if lang == "ko":
            for label in ("운전자/동승자 (화면 위쪽): 안전모 미착용", "운전자/동승자 (화면 아래쪽): 안전모 착용",
                          "운전자: 안전모 미착용"):
                assert label in page, label
            for label in ("rider or passenger", "rider:", "without helmet", "with helmet", "enter your name",
                          "not stored"):
                assert label not in page, label
            assert texts["no_name"] == "먼저 검토자 이름을 입력하십시오"
            assert texts["not_stored"] == "저장되지 않음: {error}"
        else:
            assert "rider: without helmet" in page and "rider or passenger (upper): without helmet" in page
            assert texts["no_name"] == "enter your name as reviewer first"
            assert texts["not_stored"] == "not stored: {error}"
        answer = c.post(f"/api/violations/{ids[1]}/review", json={"status": "rejected", "reviewer": "kim"}).json()
        [decided] = answer["history"]
        assert decided["reviewed_at"].endswith("+00:00")  # the API's time stays UTC, as stored
        when = datetime.fromisoformat(decided["reviewed_at"]).astimezone(ZoneInfo("Asia/Seoul")).isoformat()
        assert decided["shown_at"] == (korean_time(when) if lang == "ko" else local_time_text(when))
        assert decided["shown_at"] in c.get("/").text  # what the script shows is what a reload shows


def test_every_message_of_the_templates_has_a_korean_translation():
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po
    from jinja2 import Environment

    env = Environment(extensions=["jinja2.ext.i18n"])
    msgids = {m if isinstance(m, str) else m[0] for t in TEMPLATES
              for _, _, m in env.extract_translations(t.read_text(encoding="utf-8"))}
    assert len(msgids) > 100
    with open(LOCALE / "ko" / "LC_MESSAGES" / "helmetscan.po", "rb") as f:
        po = read_po(f)
    with open(LOCALE / "ko" / "LC_MESSAGES" / "helmetscan.mo", "rb") as f:
        mo = read_mo(f)
    _assert_translated(msgids, po, mo)


def _assert_translated(msgids: set[str], po, mo) -> None:
    """Every one of ``msgids`` (a plural message by its singular) has a Korean translation in the .po, the .mo
    holds the same, and the translation keeps the placeholders."""
    def key(msgid):
        return msgid if isinstance(msgid, str) else msgid[0]

    def strings(string):  # a plural message's forms (a tuple in the .po, a list in the .mo)
        return [string] if isinstance(string, str) else list(string)

    translated = {key(m.id): strings(m.string) for m in po if m.id and all(strings(m.string)) and not m.fuzzy}
    assert not sorted(msgids - set(translated)), "untranslated"
    for msgid in msgids:  # the compiled catalogue is the .po's (recompile after editing it)
        assert mo[msgid] is not None and strings(mo[msgid].string) == translated[msgid], msgid
        for string in translated[msgid]:
            assert sorted(set(_placeholders(msgid))) == sorted(set(_placeholders(string))), msgid


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\(\w+\)s", text)


#: The Python sources whose texts reach the pages or the analyst's command line (marked for pybabel).
PYTHON_SOURCES = ["results/report.py", "results/timeline.py", "core/messages.py", "cli/analyst.py", "cli/common.py",
                  "cli/export.py", "review/app.py"]


def test_every_message_built_in_python_has_a_korean_translation():
    """The texts the pages take from Python (people, plate formats, the timeline's bars, copies of a video), the
    library's messages shown translated (:mod:`helmetscan.core.messages`) and the analyst's command line, marked for
    pybabel."""
    from babel.messages.extract import extract_from_file
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    from helmetscan.core.messages import MESSAGES, REVIEW_FIELDS
    from helmetscan.results.report import (
        CHANNEL_TEXTS, HEAD_STATE_TEXTS, PLATE_FORMAT_NAMES, POSITION_TEXTS, ROLE_TEXTS, TIME_SOURCE_TEXTS,
    )

    sources = [Path(__file__).parents[1] / "helmetscan" / name for name in PYTHON_SOURCES]
    msgids = {m if isinstance(m, str) else m[0] for source in sources
              for _, m, _, _ in extract_from_file("python", source)}
    for texts in (ROLE_TEXTS, POSITION_TEXTS, HEAD_STATE_TEXTS, PLATE_FORMAT_NAMES, CHANNEL_TEXTS, TIME_SOURCE_TEXTS,
                  REVIEW_FIELDS):
        assert set(texts.values()) <= msgids  # marked with N_, so `pybabel extract` keeps them in the catalogue
    assert set(MESSAGES) <= msgids
    assert {"%(num)s frame", "%(num)s person", "violation", "helmetscan summary", "%(seconds)s s",
            "--date %(value)s: expected a date written YYYY-MM-DD, such as 2026-11-21"} <= msgids
    with open(LOCALE / "ko" / "LC_MESSAGES" / "helmetscan.po", "rb") as f:
        po = read_po(f)
    with open(LOCALE / "ko" / "LC_MESSAGES" / "helmetscan.mo", "rb") as f:
        mo = read_mo(f)
    _assert_translated(msgids, po, mo)


def test_every_built_in_plate_format_has_a_name():
    from helmetscan.core.plate_formats import BUILTIN_FORMATS
    from helmetscan.results.report import PLATE_FORMAT_NAMES, plate_format_name, translations

    assert set(PLATE_FORMAT_NAMES) == set(BUILTIN_FORMATS)
    assert plate_format_name("in") == "Indian plate"
    assert plate_format_name("in", translations("ko")) == "인도 번호판"
    assert plate_format_name("my_fleet", translations("ko")) == "my_fleet"  # a format of the configuration
    assert plate_format_name(None) == ""


@pytest.mark.parametrize(("env", "lang"), [({"LANG": "ko_KR.UTF-8"}, "ko"), ({"LANG": "en_US.UTF-8"}, "en"),
                                           ({"LANG": "C.UTF-8"}, "en"), ({}, "en"),
                                           ({"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko")])
def test_the_language_setting_defaults_to_the_locale(monkeypatch, env, lang):
    from helmetscan.config import Settings, load_settings  # noqa: F401

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Settings().report.lang == lang


def test_the_language_is_not_part_of_the_configuration_hash():
    from helmetscan.config import Settings
    from helmetscan.runner.batch import config_hash

    assert (config_hash(Settings(report={"lang": "ko"}), {}) == config_hash(Settings(report={"lang": "en"}), {}))
    with pytest.raises(ValueError):
        Settings(report={"lang": "fr"})


def test_korean_time_is_shared_with_the_export():
    from helmetscan.results import export

    assert export.korean_time is korean_time
    assert korean_time("2026-11-21T15:30:12.400+09:00") == "2026년 11월 21일 15시 30분 12초 (UTC+09:00)"


def test_report_lang_option(tmp_path):
    from typer.testing import CliRunner

    from helmetscan.cli import app

    results_folder(tmp_path, plates=("",), **SEOUL)
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--lang", "ko"])
    assert result.exit_code == 0, result.output
    assert '<html lang="ko">' in (tmp_path / "report.html").read_text(encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--lang", "fr"])
    assert result.exit_code == 2 and "--lang" in result.output


# ---- the library's messages, shown in the reader's language -----------------------------------------------------

def test_every_library_message_is_shown_in_korean_and_english_as_written():
    import gettext
    import re

    from helmetscan.core.messages import MESSAGES, message_text
    from helmetscan.results.report import translations

    ko = translations("ko")
    for msgid in MESSAGES:
        values = {name: f"<{name}>" for name in re.findall(r"%\((\w+)\)s", msgid)}
        written = msgid % values
        assert message_text(written, ko) == ko.gettext(msgid) % values != written, msgid
        assert message_text(written, gettext.NullTranslations()) == written
    assert message_text("/sd/a.mp4: something else", ko) == "/sd/a.mp4: something else"  # unknown: as written


def test_a_failure_line_in_korean_keeps_the_record_english():
    from helmetscan.core.messages import ENDS_EARLY
    from helmetscan.results.records import VideoRecord, VideoStatus
    from helmetscan.results.report import failure_line, reason_text, translations

    path = "/sd/card 1: night/clip.mp4"  # a path with ": " in it is still found whole
    error = ENDS_EARLY % {"path": path, "decoded": "0.1", "declared": "20.5", "frames": 1, "total": 307}
    video = VideoRecord(video_key="clip", source_path=path, status=VideoStatus.INCOMPLETE, error=error,
                        helmetscan_version="test")
    ko = translations("ko")
    assert failure_line(video, ko) == (f"{path}: 중간에 끊김: 파일에 기록된 길이 20.5초 중 0.1초만 재생됨 (프레임 307개 중 "
                                       "1개); 재생 가능한 부분까지 분석함")
    assert reason_text(video, ko).startswith("중간에 끊김: ") and failure_line(video) == error == video.error
    silent = video.model_copy(update={"error": None})
    assert failure_line(silent, ko) == f"{path}: 불완전, 사유 기록 없음"
    assert failure_line(silent) == f"{path}: incomplete, no reason recorded"


def _faulty_folder(out: Path, lang: str) -> None:
    """A results folder (rebuilt in ``lang``) with a video that has warnings (frames missing, an excerpt that could
    not be cut) and a copy on another card, and a video that failed to open."""
    from helmetscan.core import messages
    from helmetscan.results.evidence import load_results, write_sha256sums
    from helmetscan.results.records import CopyRecord, RecordingInfo, VideoRecord, VideoStatus
    from test_report import _store

    _, done = _store(out, "clip_0", "clip_0_t0001", "/sd/clip_0.mp4", "", "unread", **SEOUL)
    write_sha256sums(out, [done])
    videos, records = load_results(out)
    cut = messages.EXCERPT_NO_FRAMES % {"path": "/sd/clip_0.mp4", "start": "90.00", "end": "110.00"}
    copy = CopyRecord(path="/sd2/clip_0.mp4", analysed=False, recording=RecordingInfo(
        start="2026-11-21T15:29:00+09:00", time_source="filename", channel="front", vehicle="bus03"))
    video = videos[0].model_copy(update={
        "warnings": [messages.FRAMES_MISSING % {"decoded": 78, "declared": 80},
                     messages.NO_EXCERPT % {"violation": "clip_0_t0001", "reason": cut}],
        "copies": [CopyRecord(path="/sd/clip_0.mp4", analysed=True), copy]})
    failed = VideoRecord(video_key="clip_1", source_path="/sd/clip_1.mp4", status=VideoStatus.FAILED,
                         error=messages.UNREADABLE_VIDEO % {"path": "/sd/clip_1.mp4"}, helmetscan_version="test")
    db = ResultsDB(out)
    run = db.start_run("test", "cfg", {}, {})
    db.save_video(video, records, sha256="0" * 64, mtime_ns=0, config_hash="cfg", run_id=run)
    db.save_video(failed, [], sha256="1" * 64, mtime_ns=0, config_hash="cfg", run_id=run)
    db.close()
    rebuild(out, "test", lang=lang)


def test_failures_warnings_copies_and_seconds_in_the_korean_report(tmp_path):
    _faulty_folder(tmp_path, "ko")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for label in ("/sd/clip_1.mp4: 영상으로 열 수 없음: 손상되었거나 지원하지 않는 형식 (읽을 수 있는 영상 스트림 없음)",
                  "파일에 기록된 프레임 80개 중 78개만 재생됨; clip_0_t0001: 발췌 영상 없음: /sd/clip_0.mp4: "
                  "90.00–110.00초 구간에 프레임 없음",
                  "/sd2/clip_0.mp4 (차량 bus03, 전방, 파일 이름 기준 촬영 시각 2026년 11월 21일 15시 29분 0초 (UTC+09:00), "
                  "GPS 없음)", "t = 0.40초 (프레임 12)"):
        assert label in html, label
    for label in ("cannot open", "decoded 78", "no excerpt", "no frames", "vehicle bus03", "recorded ", "no GPS",
                  "0.40 s"):
        assert label not in html, label
    sheet = (tmp_path / "sheets" / "clip_0_t0001.html").read_text(encoding="utf-8")
    assert "<td>0.400초, 프레임 12;" in sheet
    db = ResultsDB(tmp_path, create=False)
    videos, _ = db.load()
    db.close()
    stored = {v.video_key: v for v in videos}  # the records keep the English, whatever the pages' language
    assert stored["clip_1"].error == "/sd/clip_1.mp4: cannot open as a video: corrupt or unsupported (no readable " \
                                     "video stream)"
    assert stored["clip_0"].warnings[0] == "decoded 78 of 80 frames the container declares"


def test_failures_warnings_and_copies_in_the_english_report_as_recorded(tmp_path):
    _faulty_folder(tmp_path, "en")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for label in ("/sd/clip_1.mp4: cannot open as a video: corrupt or unsupported (no readable video stream)",
                  "decoded 78 of 80 frames the container declares; no excerpt for clip_0_t0001: /sd/clip_0.mp4: no "
                  "frames between 90.00 s and 110.00 s",
                  "/sd2/clip_0.mp4 (vehicle bus03, front, recorded 2026-11-21 15:29:00 +09:00 from its filename, no "
                  "GPS)", "t = 0.40 s (frame 12)"):
        assert label in html, label


def test_the_review_pages_refusals_in_korean(tmp_path):
    from fastapi.testclient import TestClient

    from helmetscan.review.app import create_app

    ids = results_folder(tmp_path, plates=("",))
    with TestClient(create_app(tmp_path, reviewer="kim", lang="ko"), base_url="http://127.0.0.1:8765") as c:
        def refusal(violation_id, body, **headers):
            return c.post(f"/api/violations/{violation_id}/review", json={"status": "confirmed", **body},
                          headers=headers).json()["detail"]

        assert refusal(ids[0], {"reviewer": ""}) == "검토자: 이름을 입력하십시오"
        assert refusal(ids[0], {"reviewer": "kim", "plate_text_reviewed": "A\x07"}) == "번호판: 제어 문자는 입력할 수 없습니다"
        assert refusal(ids[0], {"reviewer": "kim", "note": "가" * 600}) == "비고: 최대 500자까지 입력할 수 있습니다 (입력 600자)"
        assert refusal("nope_t0001", {"reviewer": "kim"}) == f"nope_t0001: {tmp_path / 'helmetscan.db'}에 없는 위반입니다"
        assert refusal(ids[0], {"reviewer": "kim"}, Origin="http://evil.example") == \
            "이 검토 페이지에서 내린 결정만 받습니다 (http://evil.example에서 보낸 요청은 거부함)"


# ---- the analyst's command line ----------------------------------------------------------------------------------

#: The environment of a Korean analyst (the locale decides when no --lang is given).
KOREAN = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "ko_KR.UTF-8"}


def test_the_commands_one_line_results_in_korean(tmp_path):
    from typer.testing import CliRunner

    from helmetscan.cli import app

    results_folder(tmp_path, plates=("TN05AT7024", ""), **SEOUL)
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--lang", "ko"])
    assert result.exit_code == 0 and result.stdout == (f"위반 2건. 보고서: {tmp_path / 'report.html'}  CSV: "
                                                       f"{tmp_path / 'violations.csv'}\n"), result.output
    result = CliRunner().invoke(app, ["verify", str(tmp_path), "--no-sources"], env=KOREAN)
    assert result.exit_code == 0 and result.stdout.startswith("검증 통과: 증거 파일 "), result.output
    result = CliRunner().invoke(app, ["export", str(tmp_path), "--to", str(tmp_path / "filed"), "--lang", "ko"])
    assert result.exit_code == 0 and result.stdout == f"신고 자료 0건을 {tmp_path / 'filed'}에 내보냈습니다\n", result.output
    assert "Hangul" not in result.stderr  # a machine without a Hangul font is told so in Korean


@pytest.mark.parametrize(("command", "code", "message"), [
    (["report", "{out}", "--date", "21.11.2026", "--lang", "ko"], 2,
     "error: --date '21.11.2026': 날짜는 2026-11-21처럼 YYYY-MM-DD 형식으로 입력하십시오"),
    (["report", "{out}", "--vehicle", "bus9", "--lang", "ko"], 2,
     "error: --vehicle 'bus9': {out}의 결과에 없는 차량입니다 (있는 차량: 없음 — 차량 이름이 있는 영상이 없음)"),
    (["report", "{out}/nothing", "--lang", "ko"], 1,
     "error: {out}/nothing: 결과 폴더가 아닙니다 (helmetscan.db 없음); 아무것도 쓰지 않았습니다"),
    (["report", "{out}", "--lang", "fr"], 2, "error: --lang 'fr': ko 또는 en을 지정하십시오"),  # in the locale's
    (["export", "{out}", "--to", "{out}/filed", "--status", "bogus", "--lang", "ko"], 2,
     "error: --status 'bogus': confirmed, pending, all 중 하나를 지정하십시오"),
    (["analyze", "{out}/missing.mp4", "--out", "{out}/analysed", "--lang", "ko"], 1,
     "error: {out}/missing.mp4: 파일이나 폴더가 없습니다\nerror: 분석할 영상이 없습니다 (입력 1개 처리 실패)"),
    (["analyze", "{out}", "--until", "tomorrow"], 2,
     "error: --until 'tomorrow': 2026-11-21 또는 2026-11-21T18:00 형식의 날짜나 일시를 입력하십시오"),
])
def test_an_error_line_in_korean(tmp_path, command, code, message):
    from typer.testing import CliRunner

    from helmetscan.cli import app

    results_folder(tmp_path, plates=("",))
    result = CliRunner().invoke(app, [part.format(out=tmp_path) for part in command], env=KOREAN)
    assert result.exit_code == code and result.stderr.strip() == message.format(out=tmp_path), result.output


def test_a_damaged_results_database_is_told_in_korean_with_the_command_that_rebuilds_it(tmp_path):
    from typer.testing import CliRunner

    from helmetscan.cli import app

    results_folder(tmp_path, plates=("",))
    db = tmp_path / "helmetscan.db"
    db.write_bytes(b"not a database " * 100)
    result = CliRunner().invoke(app, ["report", str(tmp_path), "--lang", "ko"], env=KOREAN)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {db}: 손상됨 (") and result.stderr.strip().endswith(
        f"다음 명령으로 기록에서 다시 만드십시오: helmetscan rebuild-db {tmp_path}"), result.stderr
