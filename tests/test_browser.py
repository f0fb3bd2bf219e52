"""The report and the review page in a real browser: Debian's headless Chromium driven by Selenium through Debian's
chromedriver (`.ci/run` installs both; skipped when absent); in English and in Korean (issue #35: the labels, the
controls, no horizontal scrolling at 1366 px, the printable sheet on one A4 page with its Hangul). Set
HELMETSCAN_SCREENSHOTS=<folder> to keep screenshots."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import FOOTAGE, needs_footage, needs_weights
from test_report import HOSTILE_NAME
from test_review import results_folder

CHROMIUM = Path(os.environ.get("HELMETSCAN_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("HELMETSCAN_CHROMEDRIVER", "/usr/bin/chromedriver"))
SCREENSHOTS = os.environ.get("HELMETSCAN_SCREENSHOTS")
#: OCR text that runs script if it is ever inserted as markup.
HOSTILE_PLATE = '<img src=x onerror="window.pwned=1">'

pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                reason=f"{CHROMIUM} or {CHROMEDRIVER} absent (Debian packages chromium, chromium-driver)")
webdriver = pytest.importorskip("selenium.webdriver")


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # as root in a container, with no network beyond the machine: no sandbox, no background connections
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def _wait(driver, condition, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _shot(driver, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SCREENSHOTS) / name))


def _visible_ids(driver) -> list[str]:
    return driver.execute_script("return Array.from(document.querySelectorAll('.card'))"
                                 ".filter(c => !c.hidden).map(c => c.dataset.id)")


def _print(driver, path: Path) -> Path:
    """Print the page to ``path`` as Chromium's print dialog does: on the paper its ``@page`` rule asks for (the
    sheet's: A4, 12 mm margins), A4 when it asks for none."""
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "paperWidth": 210 / 25.4,
                                                     "paperHeight": 297 / 25.4})
    path.write_bytes(base64.b64decode(pdf["data"]))
    return path


def _pdf_pages(path: Path) -> int:
    """The pages of a PDF (poppler's pdfinfo, which also checks they are A4; else its page objects counted)."""
    if shutil.which("pdfinfo"):  # poppler-utils
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        assert "(A4)" in info, info  # 595 x 842 pt
        return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))
    pdf = path.read_bytes()
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


@contextlib.contextmanager
def _window(driver, width: int, height: int):
    """The browser at another size for a while (it is shared by the module's tests)."""
    before = driver.get_window_size()
    driver.set_window_size(width, height)
    try:
        yield
    finally:
        driver.set_window_size(before["width"], before["height"])


#: Elements wider than the page, for the message of a failed overflow check.
_OVERFLOW = """const width = document.scrollingElement.clientWidth;
return {scroll: document.scrollingElement.scrollWidth, client: width, inner: window.innerWidth,
        wide: Array.from(document.body.querySelectorAll("*")).filter(e => e.getBoundingClientRect().right > width)
                   .slice(0, 5).map(e => e.tagName + "." + e.className + ": " + e.textContent.slice(0, 60))};"""


def _no_horizontal_scrolling(driver) -> None:
    fit = driver.execute_script(_OVERFLOW)
    assert fit["inner"] == 1366, fit  # the width asked for: the check means something
    assert fit["scroll"] <= fit["client"] <= fit["inner"], fit


def test_report_sorts_filters_searches_plates_and_escapes_hostile_text(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    ids = results_folder(tmp_path, plates=("TN05AT7024", "", "서울12가3456", HOSTILE_PLATE), paths={3: HOSTILE_NAME})
    browser.get((tmp_path / "report.html").as_uri())
    assert _visible_ids(browser) == [ids[0], ids[1], ids[2], ids[3]]  # no local time: by video and offset
    assert browser.find_element(By.ID, "shown").text == "4 of 4 shown"
    search = browser.find_element(By.ID, "search")
    search.send_keys("12 가")  # spaces are ignored, Hangul matches
    assert _visible_ids(browser) == [ids[2]] and browser.find_element(By.ID, "shown").text == "1 of 4 shown"
    search.clear()
    search.send_keys("tn05")
    assert _visible_ids(browser) == [ids[0]]
    search.clear()
    search.send_keys(" ")  # an input event with an empty needle shows everything again
    Select(browser.find_element(By.ID, "filter-plate")).select_by_value("unread")
    assert _visible_ids(browser) == [ids[1]]
    Select(browser.find_element(By.ID, "filter-plate")).select_by_value("")
    Select(browser.find_element(By.ID, "sort")).select_by_value("plate")
    order = browser.execute_script("return Array.from(document.querySelectorAll('.card')).map(c => c.dataset.id)")
    assert order == [ids[3], ids[0], ids[2], ids[1]]  # "<img…" < "TN…" < "서울…", the unread plate last
    # the hostile file name and OCR text are shown as text and never run
    assert browser.execute_script("return window.pwned") is None
    card = browser.find_element(By.ID, f"v-{ids[3]}").text
    assert HOSTILE_PLATE in card and HOSTILE_NAME in card
    sheet = tmp_path / "sheets" / f"{ids[3]}.html"
    browser.get(sheet.as_uri())
    assert browser.execute_script("return window.pwned") is None and HOSTILE_PLATE in browser.find_element(
        By.TAG_NAME, "body").text


def test_rejected_cards_stay_apart_when_sorted_and_filtered(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from helmetscan.results.database import ResultsDB
    from helmetscan.results.report import rebuild
    from helmetscan.results.reviews import ReviewStatus

    ids = results_folder(tmp_path, plates=("TN05AT7024", "", "서울12가3456"))
    db = ResultsDB(tmp_path, create=False, migrate=True)
    db.add_review(ids[0], ReviewStatus.REJECTED, "lee", note="helmet visible")
    db.add_review(ids[1], ReviewStatus.CONFIRMED, "kim", "서울34나5678")
    db.close()
    rebuild(tmp_path, "test")
    browser.get((tmp_path / "report.html").as_uri())
    assert browser.find_element(By.ID, "summary").text.startswith("2 violation(s) (1 rejected, shown apart)")
    in_section = ("return Array.from(document.querySelectorAll(arguments[0] + ' .card'))"
                  ".filter(c => !c.hidden).map(c => c.dataset.id)")
    assert browser.execute_script(in_section, "#cards") == [ids[1], ids[2]]
    assert browser.execute_script(in_section, "#cards-rejected") == [ids[0]]
    Select(browser.find_element(By.ID, "sort")).select_by_value("plate")  # "TN…" sorts first, but stays apart
    assert browser.execute_script(in_section, "#cards") == [ids[2], ids[1]]  # 서울12… < 서울34… (the reviewed plate)
    assert browser.execute_script(in_section, "#cards-rejected") == [ids[0]]
    Select(browser.find_element(By.ID, "filter-review")).select_by_value("rejected")
    assert _visible_ids(browser) == [ids[0]] and browser.find_element(By.ID, "shown").text == "1 of 3 shown"
    card = browser.find_element(By.ID, f"v-{ids[1]}")
    assert not card.is_displayed()
    Select(browser.find_element(By.ID, "filter-review")).select_by_value("confirmed")
    assert card.find_element(By.CSS_SELECTOR, ".reviewed-plate").text == "서울34나5678"


@pytest.fixture(scope="module")
def analysed_once(tmp_path_factory):
    """The rider-and-pillion clip analysed with the default pipeline (one violation), once for the module and never
    changed: tests that review or rebuild work on a copy (``analysed``, :func:`_copy`)."""
    root = tmp_path_factory.mktemp("analysed")
    # a card copied to a path as long as a nightly dump's (CI's checkout is deeper than ours): the report must wrap it
    card = root / "nightly_sd_dumps" / "2026-12-06_bus12_front_and_rear_channels" / "DCIM" / "100MEDIA_NORMAL_EVENT"
    card.mkdir(parents=True)
    clip = Path(shutil.copy2(FOOTAGE, card / FOOTAGE.name))
    out = root / "out"
    proc = subprocess.run([sys.executable, "-m", "helmetscan", "analyze", str(clip), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def _copy(out: Path, parent: Path) -> Path:
    return Path(shutil.copytree(out, parent / "out"))


@pytest.fixture(scope="module")
def analysed(analysed_once, tmp_path_factory):
    """A copy of the analysed clip that the English review flow below reviews."""
    return _copy(analysed_once, tmp_path_factory.mktemp("reviewed"))


@needs_weights
@needs_footage
def test_report_of_real_footage_shows_its_card_timeline_and_a_one_page_sheet(browser, analysed, tmp_path):
    from selenium.webdriver.common.by import By

    records = pd.read_csv(analysed / "violations.csv", keep_default_na=False)
    browser.get((analysed / "report.html").as_uri())
    _shot(browser, "report.png")
    assert _visible_ids(browser) == list(records["violation_id"])
    card = browser.find_element(By.ID, f"v-{records['violation_id'][0]}")
    assert browser.execute_script("return arguments[0].querySelector('img.frame').naturalWidth", card) > 0
    bars = browser.find_elements(By.CSS_SELECTOR, ".timeline rect.bar.violation")
    assert len(bars) == len(records)
    bars[0].click()  # a violation's bar leads to its card
    _wait(browser, lambda d: d.current_url.endswith(f"#v-{records['violation_id'][0]}"))
    card.find_element(By.CSS_SELECTOR, "a.sheet").click()
    _wait(browser, lambda d: "sheets/" in d.current_url)
    _shot(browser, "sheet.png")
    assert records["violation_id"][0] in browser.title
    assert _pdf_pages(_print(browser, tmp_path / "sheet.pdf")) == 1


@contextlib.contextmanager
def review_server(out: Path, lang: str = "en"):
    """The review application (in ``lang``) served by uvicorn in a thread on a free port of 127.0.0.1; stopped on
    exit."""
    import uvicorn

    from helmetscan.review.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(out, reviewer="", lang=lang), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@needs_weights
@needs_footage
def test_review_flow_confirm_correct_and_reject_is_stored(browser, analysed):
    from selenium.webdriver.common.by import By

    from helmetscan.results.database import ResultsDB
    from helmetscan.results.verify import verify_output

    [vid] = list(pd.read_csv(analysed / "violations.csv", keep_default_na=False)["violation_id"])
    with review_server(analysed) as url:
        browser.get(url)
        section = browser.find_element(By.ID, f"v-{vid}")
        # the excerpt plays in the page: Chromium opened it at the evidence frame
        _wait(browser, lambda d: d.execute_script("return arguments[0].querySelector('video').readyState", section) >= 1)
        assert browser.execute_script("return arguments[0].querySelector('video').duration", section) > 1
        section.find_element(By.CSS_SELECTOR, "button.confirm").click()  # no reviewer name: refused in the page
        assert "name" in section.find_element(By.CSS_SELECTOR, ".error").text
        browser.find_element(By.ID, "reviewer").send_keys("Analyst Kim")
        plate = section.find_element(By.CSS_SELECTOR, "input.plate")
        plate.clear()
        plate.send_keys("tn 05 at 7024")
        section.find_element(By.CSS_SELECTOR, "button.confirm").click()
        _wait(browser, lambda d: section.find_element(By.CSS_SELECTOR, ".badge").text == "confirmed")
        _shot(browser, "review.png")
        assert browser.find_element(By.ID, "count-pending").text == "0"

        browser.refresh()  # stored, not only shown
        section = browser.find_element(By.ID, f"v-{vid}")
        assert section.find_element(By.CSS_SELECTOR, ".badge").text == "confirmed"
        assert section.find_element(By.CSS_SELECTOR, "input.plate").get_attribute("value") == "TN05AT7024"
        section.find_element(By.CSS_SELECTOR, "input.note").send_keys("helmet visible at 2.0 s")
        section.find_element(By.CSS_SELECTOR, "button.reject").click()
        _wait(browser, lambda d: len(section.find_elements(By.CSS_SELECTOR, "ol.history li")) == 2)
        assert section.find_element(By.CSS_SELECTOR, ".badge").text == "rejected"

    db = ResultsDB(analysed, create=False)
    history = db.review_history(vid)
    db.close()
    assert [(h.status, h.reviewer, h.plate_text_reviewed) for h in history] == [
        ("confirmed", "Analyst Kim", "TN05AT7024"), ("rejected", "Analyst Kim", "TN05AT7024")]
    assert history[1].note == "helmet visible at 2.0 s"
    row = pd.read_csv(analysed / "violations.csv", keep_default_na=False).iloc[0]
    assert (row["review_status"], row["plate_text_reviewed"], row["reviewed_by"]) == ("rejected", "TN05AT7024",
                                                                                       "Analyst Kim")
    assert verify_output(analysed).ok  # the review changed no evidence file


# Korean and English (issue #35): the labels are the catalogue's, helmetscan/results/locale/ko/LC_MESSAGES/helmetscan.po

#: A reviewer's decision in Hangul: the longest sheet a realistic review makes (the note is shown twice when rejected).
KIM, PLATE, NOTE = "김 검토관", "서울12가3456", "뒷좌석 동승자도 안전모 미착용, 번호판은 발췌본 2초에서 재판독"

#: What the report shows in each language (read by _REPORT_TEXTS) of its one card, confirmed by KIM.
REPORT_TEXTS = {
    "ko": {"lang": "ko", "title": "helmetscan 단속 보고서: 위반 1건", "h1": "이륜차 안전모 미착용 위반",
           "h2": ["타임라인", "영상 목록"], "search": "번호판 검색", "sort": "정렬", "sorted": "일시", "badge": "확인",
           "sheet": "인쇄용 위반 확인서", "deadline": "신고 기한", "shown": "1 / 1 건 표시"},
    "en": {"lang": "en", "title": "helmetscan report: 1 violation(s)", "h1": "Riders without a helmet",
           "h2": ["Timelines", "Videos"], "search": "Plate search", "sort": "Sort by", "sorted": "date and time",
           "badge": "confirmed", "sheet": "printable sheet", "deadline": "filing deadline", "shown": "1 of 1 shown"},
}
_REPORT_TEXTS = """const label = (id) => document.getElementById(id).parentElement.firstChild.textContent.trim();
const card = document.querySelector(".card");
return {lang: document.documentElement.lang, title: document.title, h1: document.querySelector("h1").innerText,
        h2: Array.from(document.querySelectorAll("h2")).map(h => h.innerText), search: label("search"),
        sort: label("sort"), sorted: document.getElementById("sort").selectedOptions[0].text,
        badge: card.querySelector(".badge").innerText, sheet: card.querySelector("a.sheet").innerText,
        deadline: card.querySelector(".deadline").innerText.split(":")[0],
        shown: document.getElementById("shown").innerText};"""
#: The printed sheet's labels (its row headings and title).
SHEET_TEXTS = {"ko": ["이륜차 안전모 미착용 위반", "일시", "신고 기한", "장소", "번호판", "검토", "증거 파일"],
               "en": ["Rider without a helmet", "Date and time", "Filing deadline", "Place", "Plate", "Review",
                      "Evidence files"]}
#: The review page's labels, read by _REVIEW_TEXTS, before a decision.
REVIEW_TEXTS = {
    "ko": {"lang": "ko", "h1": "검토", "reviewer": "검토자", "plate": "판독한 번호판", "confirm": "확인", "reject": "반려",
           "badge": "검토 대기", "report": "보고서"},
    "en": {"lang": "en", "h1": "Review", "reviewer": "Reviewer", "plate": "Plate as you read it", "confirm": "Confirm",
           "reject": "Reject", "badge": "pending", "report": "report"},
}
_REVIEW_TEXTS = """const section = arguments[0];
return {lang: document.documentElement.lang, h1: document.querySelector("h1").innerText.split(" — ")[0],
        reviewer: document.getElementById("reviewer").parentElement.firstChild.textContent.trim(),
        plate: section.querySelector("input.plate").parentElement.firstChild.textContent.trim(),
        confirm: section.querySelector("button.confirm").innerText,
        reject: section.querySelector("button.reject").innerText,
        badge: section.querySelector(".badge").innerText, report: document.querySelector("header a").innerText};"""


def _other(texts: dict, lang: str) -> list[str]:
    """The labels of the other language, none of which may show."""
    [other] = [t for code, t in texts.items() if code != lang]
    return [v for k, v in other.items() if k != "lang" for v in (v if isinstance(v, list) else [v])]


def _decided(once: Path, parent: Path, lang: str, *statuses) -> tuple[Path, str]:
    """A copy of the analysed clip with the decisions ``statuses`` taken by KIM (the latest counts), rebuilt in
    ``lang``; and its violation's id."""
    from helmetscan.results.database import ResultsDB
    from helmetscan.results.report import rebuild

    out = _copy(once, parent)
    [vid] = list(pd.read_csv(out / "violations.csv", keep_default_na=False)["violation_id"])
    db = ResultsDB(out, create=False, migrate=True)
    for status in statuses:
        db.add_review(vid, status, KIM, PLATE, note=NOTE)
    db.close()
    rebuild(out, "test", lang=lang)
    return out, vid


@needs_weights
@needs_footage
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_report_in_each_language_labels_filters_and_fits_1366_px(browser, analysed_once, tmp_path, lang):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from helmetscan.results.reviews import ReviewStatus

    out, vid = _decided(analysed_once, tmp_path, lang, ReviewStatus.CONFIRMED)
    with _window(browser, 1366, 768):
        browser.get((out / "report.html").as_uri())
        _shot(browser, f"report-{lang}.png")
        assert browser.execute_script(_REPORT_TEXTS) == REPORT_TEXTS[lang]
        body = browser.find_element(By.TAG_NAME, "body").text
        assert [label for label in _other(REPORT_TEXTS, lang) if label in body] == []
        _no_horizontal_scrolling(browser)
        # the controls work in either language: a Hangul search, then the review filter
        shown = browser.find_element(By.ID, "shown")
        search = browser.find_element(By.ID, "search")
        search.send_keys("서울 12가")  # the reviewer's plate
        assert _visible_ids(browser) == [vid] and shown.text == REPORT_TEXTS[lang]["shown"]
        search.clear()
        search.send_keys("부산")
        assert _visible_ids(browser) == [] and shown.text == REPORT_TEXTS[lang]["shown"].replace("1", "0", 1)
        search.clear()
        search.send_keys(" ")
        Select(browser.find_element(By.ID, "filter-review")).select_by_value("pending")
        assert _visible_ids(browser) == []
        Select(browser.find_element(By.ID, "filter-review")).select_by_value("confirmed")
        assert _visible_ids(browser) == [vid]


@needs_weights
@needs_footage
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_sheet_prints_on_one_a4_page_in_each_language_confirmed_or_rejected(browser, analysed_once, tmp_path, lang):
    """The sheet with the longest realistic content: reviewed, with a note; rejected adds a banner that repeats it."""
    from selenium.webdriver.common.by import By

    from helmetscan.results.reviews import ReviewStatus

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext absent (Debian package poppler-utils)")
    for status in (ReviewStatus.CONFIRMED, ReviewStatus.REJECTED):
        folder = tmp_path / status.value
        folder.mkdir()
        out, vid = _decided(analysed_once, folder, lang, status)
        browser.get((out / "sheets" / f"{vid}.html").as_uri())
        _shot(browser, f"sheet-{lang}-{status.value}.png")
        assert browser.execute_script("return document.documentElement.lang") == lang
        assert NOTE in browser.find_element(By.TAG_NAME, "body").text
        assert bool(browser.find_elements(By.CSS_SELECTOR, "p.rejected")) == (status is ReviewStatus.REJECTED)
        pdf = _print(browser, folder / f"sheet-{lang}.pdf")
        assert _pdf_pages(pdf) == 1, f"{status.value} sheet in {lang}"
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        lines = [line.strip() for line in text.splitlines()]
        for label in SHEET_TEXTS[lang]:  # the row headings are lines of their own; the title starts one
            assert any(line == label or line.startswith(label + " —") for line in lines), (label, text)
        other = "en" if lang == "ko" else "ko"
        assert [label for label in SHEET_TEXTS[other] if label in lines] == []
        assert PLATE in text and KIM in text  # Hangul printed as text in either language, not as drawings


@needs_weights
@needs_footage
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_review_page_in_each_language_stores_a_confirmation(browser, analysed_once, tmp_path, lang):
    from selenium.webdriver.common.by import By

    from helmetscan.results.database import ResultsDB

    out = _copy(analysed_once, tmp_path)
    [vid] = list(pd.read_csv(out / "violations.csv", keep_default_na=False)["violation_id"])
    with review_server(out, lang=lang) as url, _window(browser, 1366, 768):
        browser.get(url)
        section = browser.find_element(By.ID, f"v-{vid}")
        assert browser.execute_script(_REVIEW_TEXTS, section) == REVIEW_TEXTS[lang]
        body = browser.find_element(By.TAG_NAME, "body").text
        assert [label for label in _other(REVIEW_TEXTS, lang) if label in body] == [], body
        _no_horizontal_scrolling(browser)
        browser.find_element(By.ID, "reviewer").send_keys(KIM)
        plate = section.find_element(By.CSS_SELECTOR, "input.plate")
        plate.clear()
        plate.send_keys("서울 12가 3456")
        section.find_element(By.CSS_SELECTOR, "button.confirm").click()
        _wait(browser, lambda d: "confirmed" in section.get_attribute("class"))
        _shot(browser, f"review-{lang}.png")
        # the page tells what was stored in its own language, as the server writes it after a reload
        badge = section.find_element(By.CSS_SELECTOR, ".badge").text
        history = [li.text for li in section.find_elements(By.CSS_SELECTOR, "ol.history li")]
        assert badge == REPORT_TEXTS[lang]["badge"] and section.find_element(By.CSS_SELECTOR, ".error").text == ""
        browser.refresh()
        section = browser.find_element(By.ID, f"v-{vid}")
        assert section.find_element(By.CSS_SELECTOR, ".badge").text == badge
        assert [li.text for li in section.find_elements(By.CSS_SELECTOR, "ol.history li")] == history
        assert section.find_element(By.CSS_SELECTOR, "input.plate").get_attribute("value") == PLATE
    db = ResultsDB(out, create=False)
    history = db.review_history(vid)
    db.close()
    assert [(h.status, h.reviewer, h.plate_text_reviewed) for h in history] == [("confirmed", KIM, PLATE)]
    assert f'<html lang="{lang}">' in (out / "report.html").read_text(encoding="utf-8")  # rebuilt in its language
