"""The report and the review page in a real browser: Debian's headless Chromium driven by Selenium through Debian's
chromedriver (`.ci/run` installs both; skipped when absent). Set HELMETSCAN_SCREENSHOTS=<folder> to keep screenshots."""

from __future__ import annotations

import base64
import contextlib
import os
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


def _pdf_pages(driver) -> int:
    from selenium.webdriver.common.print_page_options import PrintOptions

    pdf = base64.b64decode(driver.print_page(PrintOptions()))
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


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
def analysed(tmp_path_factory):
    """The rider-and-pillion clip analysed with the default pipeline (one violation)."""
    out = tmp_path_factory.mktemp("analysed") / "out"
    proc = subprocess.run([sys.executable, "-m", "helmetscan", "analyze", str(FOOTAGE), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


@needs_weights
@needs_footage
def test_report_of_real_footage_shows_its_card_timeline_and_a_one_page_sheet(browser, analysed):
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
    assert _pdf_pages(browser) == 1


@contextlib.contextmanager
def review_server(out: Path):
    """The review application served by uvicorn in a thread on a free port of 127.0.0.1; stopped on exit."""
    import uvicorn

    from helmetscan.review.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(out, reviewer=""), log_level="warning"))
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
