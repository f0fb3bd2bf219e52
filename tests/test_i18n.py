"""Korean and English pages (issue #35): report.html, the sheets and the review page in the ``report.lang`` language,
from the gettext catalogue the package carries; Korean times as an officer writes them."""

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
    translated = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    assert not sorted(msgids - set(translated)), "untranslated"
    for msgid in msgids:  # the compiled catalogue is the .po's (recompile after editing it)
        assert mo[msgid] is not None and mo[msgid].string == translated[msgid], msgid
        assert sorted(_placeholders(msgid)) == sorted(_placeholders(translated[msgid])), msgid


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\(\w+\)s", text)


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
