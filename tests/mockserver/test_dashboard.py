"""The dashboard at ``/__mock__/`` in a real headless Chromium, driven by WebDriver.

``make test`` installs Debian's ``chromium`` and ``chromium-driver`` when missing. With
``UPDATE_SCREENSHOTS=1`` the tests write the README's screenshots to ``docs/screenshots/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from message_api_kit.mockserver import LiveServer, MockConfig, Seed, create_app

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
EVIL = '<img src=x onerror="window.__ran = true"><script>window.__ran = true</script>'


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    if CHROMIUM is None or DRIVER is None:
        pytest.fail("chromium and chromedriver are needed (make test installs them: apt-get install chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,800")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    yield driver
    driver.quit()


@pytest.fixture
def fake() -> Iterator[LiveServer]:
    with LiveServer(create_app(MockConfig(seed=Seed.demo()))) as live:
        yield live


@pytest.fixture
def page(browser, fake):
    browser.set_window_size(1280, 800)
    browser.get(f"{fake.url}/__mock__/")
    wait(browser, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#thread-list .message"))
    return browser


def wait(driver, seconds: float) -> WebDriverWait:
    # The page re-renders as it polls: an element read mid-render is looked up again.
    return WebDriverWait(driver, seconds, poll_frequency=0.05, ignored_exceptions=[StaleElementReferenceException])


def create(fake: LiveServer, text: str, parent_id: int | None = None, session: str | None = None) -> dict:
    answer = httpx.post(
        f"{fake.url}/conversations/1/messages",
        json={"message": text, "parent_id": parent_id},
        headers={"X-Mock-Session": session} if session else {},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def screenshot(driver, name: str, tmp_path: Path) -> None:
    target = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(target / name))


def test_a_reply_appears_under_its_parent_and_markup_stays_text(page, fake, tmp_path):
    root = create(fake, "Is the build green?")
    reply = create(fake, EVIL, parent_id=root["id"])
    selector = f'.message[data-id="{root["id"]}"] > ul.replies > .message[data-id="{reply["id"]}"] .text'
    shown = wait(page, 3).until(lambda d: d.find_element(By.CSS_SELECTOR, selector))
    assert shown.text == EVIL  # exactly as stored, as text
    assert page.execute_script("return window.__ran === undefined")  # nothing in it ran
    assert page.find_elements(By.CSS_SELECTOR, "#thread-list img, #thread-list script") == []
    screenshot(page, "dashboard.png", tmp_path)


def test_a_request_appears_in_the_journal_within_a_second(page, fake):
    create(fake, "journaled")
    started = time.monotonic()
    row = wait(page, 1.0).until(lambda d: d.find_element(By.XPATH, "//tbody[@id='journal-rows']/tr[1]"))
    assert time.monotonic() - started <= 1.0
    assert "POST /conversations/1/messages" in row.text and "201" in row.text
    row.find_element(By.TAG_NAME, "button").click()
    assert '"message":"journaled"' in page.find_element(By.ID, "entry-request").text
    curl = page.find_element(By.ID, "entry-curl").text
    assert curl.startswith("curl -X 'POST'") and "/conversations/1/messages" in curl and "journaled" in curl


def _journal_curl(page, path_part: str) -> str:
    row = wait(page, 3).until(
        lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, "#journal-rows tr") if path_part in r.text), None)
    )
    row.find_element(By.TAG_NAME, "button").click()
    return page.find_element(By.ID, "entry-curl").text


def test_the_reproduce_line_runs_curl_and_nothing_else_whatever_was_sent(page, fake, tmp_path):
    # A method, path and body made to break out of an unquoted shell word.
    httpx.request("X|touch$IFS$9PWNED|", f"{fake.url}/conversations/1/messages?a='b'", content=b"$(touch PWNED2)'")
    line = _journal_curl(page, "X|TOUCH")
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "curl").write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    (stub / "curl").chmod(0o755)
    ran = subprocess.run(
        ["sh", "-c", line],
        cwd=tmp_path,
        env={"PATH": f"{stub}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert not list(tmp_path.glob("PWNED*"))
    args = ran.stdout.splitlines()
    assert args[:2] == ["-X", "X|TOUCH$IFS$9PWNED|"]  # the method as the fake received it
    assert args[-2:] == ["--data-binary", "$(touch PWNED2)'"]


def test_the_reproduce_line_sends_every_header_and_the_body_as_sent(page, fake):
    httpx.post(
        f"{fake.url}/conversations/1/messages",
        content=b'{"message": "as user 2"}',
        headers={"Content-Type": "text/plain", "X-Mock-User": "2"},
    )
    line = _journal_curl(page, "POST /conversations/1/messages")
    assert "-H 'Content-Type: text/plain'" in line and "-H 'X-Mock-User: 2'" in line
    assert line.endswith("""--data-binary '{"message": "as user 2"}'""")


def test_a_failure_rule_set_in_the_page_fails_the_next_creation_until_switched_off(page, fake, tmp_path):
    Select(page.find_element(By.ID, "fault-kind")).select_by_value("failure")
    Select(page.find_element(By.ID, "fault-route")).select_by_value("createMessage")
    page.find_element(By.ID, "fault-status").clear()
    page.find_element(By.ID, "fault-status").send_keys("503")
    page.find_element(By.CSS_SELECTOR, "#fault-form button[type=submit]").click()
    rule = wait(page, 3).until(lambda d: d.find_element(By.CSS_SELECTOR, "#fault-rules li"))
    assert "createMessage: every one fail with 503" in rule.text
    wait(page, 3).until(lambda d: httpx.get(f"{fake.url}/__mock__/faults").json()["failures"])
    assert httpx.post(f"{fake.url}/conversations/1/messages", json={"message": "x"}).status_code == 503
    screenshot(page, "dashboard-controls.png", tmp_path)
    rule.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()  # off, kept in the list
    wait(page, 3).until(lambda d: not httpx.get(f"{fake.url}/__mock__/faults").json()["failures"])
    assert httpx.post(f"{fake.url}/conversations/1/messages", json={"message": "y"}).status_code == 201


def test_freezing_the_clock_in_the_page_dates_the_next_answer(page, fake):
    page.find_element(By.ID, "clock-at").send_keys("1700000000")
    page.find_element(By.ID, "clock-freeze").click()
    wait(page, 3).until(lambda d: "1700000000" in d.find_element(By.ID, "clock-now").text)
    assert "frozen" in page.find_element(By.ID, "clock-mode").text
    assert create(fake, "when?")["date"] == 1_700_000_000
    page.find_element(By.ID, "clock-real").click()
    wait(page, 3).until(lambda d: d.find_element(By.ID, "clock-mode").text == "running")


def test_a_bad_seed_shows_the_pointer_of_each_error(page, fake):
    box = page.find_element(By.ID, "seed-text")
    box.clear()
    box.send_keys('{"messages": [{"conversation": 0, "message": "x"}], "users": [{"name": "no id"}]}')
    page.find_element(By.CSS_SELECTOR, "#seed-form button[type=submit]").click()
    errors = wait(page, 3).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#seed-errors li"))
    shown = [e.text for e in errors]
    assert any(text.startswith("/messages/0/conversation:") for text in shown), shown
    assert "/users/0/id: is required" in shown, shown
    # The status line speaks of the seed, not of whatever was done before it.
    assert page.find_element(By.ID, "status").text == f"Seed refused: {len(shown)} errors, listed under the form."


def test_counts_and_times_read_as_one_person_writes_them(page, fake):
    httpx.post(f"{fake.url}/conversations/9/messages", json={"message": "the only one"}).raise_for_status()
    heading = wait(page, 3).until(
        lambda d: next(
            (t for t in (h.text for h in d.find_elements(By.CSS_SELECTOR, "h3")) if "Conversation 9" in t), 0
        )
    )
    assert heading == "Conversation 9 · 1 message"
    first_time = wait(page, 3).until(lambda d: d.find_element(By.CSS_SELECTOR, "#journal-rows tr td").text)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", first_time), first_time


def test_the_api_is_described_and_its_form_creates_a_message(page, fake):
    operations = page.find_element(By.ID, "api-operations").text
    assert "POST /conversations/{conversation}/messages" in operations and "parent_id" in operations
    assert page.find_elements(By.CSS_SELECTOR, "#derivation td")  # the DERIVATION rows
    message = page.find_element(By.ID, "create-message")
    message.clear()
    message.send_keys("sent from the form")
    page.find_element(By.CSS_SELECTOR, "#create-form button[type=submit]").click()
    answer = wait(page, 3).until(lambda d: d.find_element(By.ID, "create-answer").text or None)
    assert answer.startswith("201") and "sent from the form" in answer


def test_picking_a_session_shows_that_session_only(page, fake):
    create(fake, "in the default session")
    create(fake, "in session s1", session="s1")
    wait(page, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#session option[value=s1]"))
    Select(page.find_element(By.ID, "session")).select_by_value("s1")
    wait(page, 3).until(lambda d: "in session s1" in d.find_element(By.ID, "thread-list").text)
    assert "in the default session" not in page.find_element(By.ID, "thread-list").text


def test_every_control_is_labelled_and_reset_works_from_the_keyboard(page, fake):
    unlabelled = page.execute_script(
        "return [...document.querySelectorAll('input, select, textarea')]"
        ".filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.id)"
    )
    assert unlabelled == []
    create(fake, "to be reset")
    wait(page, 3).until(lambda d: "to be reset" in d.find_element(By.ID, "thread-list").text)
    button = page.find_element(By.CSS_SELECTOR, "#reset-form button")
    page.execute_script("arguments[0].focus()", button)
    button.send_keys(Keys.ENTER)
    wait(page, 3).until(lambda d: "to be reset" not in d.find_element(By.ID, "thread-list").text)


def test_a_narrow_window_needs_no_sideways_scrolling(page, fake, tmp_path):
    page.set_window_size(420, 900)
    try:
        wait(page, 3).until(
            lambda d: d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        )
    except TimeoutException:
        pytest.fail("the page is wider than a 420 px window")
    screenshot(page, "dashboard-narrow.png", tmp_path)


def test_the_page_is_served_with_a_policy_that_runs_only_its_own_script(fake):
    answer = httpx.get(f"{fake.url}/__mock__/")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert httpx.get(f"{fake.url}/__mock__/ui/app.js").headers["content-type"].startswith("text/javascript")
    missing = httpx.get(f"{fake.url}/__mock__/ui/nothing.js")
    assert missing.status_code == 404 and missing.json()["detail"] == "the dashboard has no file 'nothing.js'"


def test_the_journal_filters_by_status_class_and_conversation(page, fake):
    create(fake, "kept")
    httpx.post(f"{fake.url}/conversations/2/messages", json={"message": 5})  # a 422 in conversation 2
    wait(page, 3).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#journal-rows tr")) == 2)
    Select(page.find_element(By.ID, "journal-status")).select_by_value("4")
    rows = wait(page, 3).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#journal-rows tr"))
    assert [r.text.split()[-4:-2] for r in rows] == [["/conversations/2/messages", "422"]]
    Select(page.find_element(By.ID, "journal-status")).select_by_value("")
    page.find_element(By.ID, "journal-conversation").send_keys("1")
    wait(page, 3).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#journal-rows tr")) == 1)
    assert "/conversations/1/messages" in page.find_element(By.CSS_SELECTOR, "#journal-rows tr").text


def test_a_seed_file_uploaded_in_the_page_is_loaded(page, fake, tmp_path):
    seed = tmp_path / "seed.json"
    doc = {
        "users": [{"id": 42, "name": "Uploaded User"}],
        "messages": [{"conversation": 7, "message": "from a file", "author_id": 42}],
    }
    seed.write_text(json.dumps(doc))
    page.find_element(By.ID, "seed-file").send_keys(str(seed))
    page.find_element(By.CSS_SELECTOR, "#seed-form button[type=submit]").click()
    wait(page, 3).until(lambda d: "Seeded: 1 message, 1 user." in d.find_element(By.ID, "status").text)
    thread = wait(page, 3).until(lambda d: "from a file" in d.find_element(By.ID, "thread-list").text and d)
    assert "Uploaded User" in thread.find_element(By.ID, "thread-list").text


def test_the_dashboard_shows_a_proxied_request_and_marks_a_violation_of_the_real_api(browser, tmp_path):
    from tests.contracts.broken_fakes import BROKEN_FAKES

    with (
        LiveServer(BROKEN_FAKES["message-trimmed"]()) as real,
        LiveServer(create_app(MockConfig(upstream=real.url, watch=True))) as proxy,
    ):
        httpx.post(f"{proxy.url}/conversations/1/messages", json={"message": "fine"})
        httpx.post(f"{proxy.url}/conversations/1/messages", json={"message": "  padded  "})
        httpx.get(f"{proxy.url}/users/1")  # not declared: the real API's (a 404 of its own)
        browser.set_window_size(1280, 800)
        browser.get(f"{proxy.url}/__mock__/")
        rows = wait(browser, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#journal-rows tr") or None)
        wait(browser, 5).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#journal-rows tr")) == 3)
        rows = browser.find_elements(By.CSS_SELECTOR, "#journal-rows tr")
        texts = [row.text for row in rows]
        assert any("GET /users/1 (upstream)" in t for t in texts), texts
        flagged = [row for row in rows if "violation" in row.get_attribute("class")]
        assert len(flagged) == 1 and "⚠ contract" in flagged[0].text
        flagged[0].find_element(By.TAG_NAME, "button").click()
        verdict = browser.find_element(By.ID, "entry-verdict")
        assert verdict.is_displayed() and "message changed" in verdict.text
        assert "answered by the upstream" in browser.find_element(By.ID, "entry-title").text
        # The conversations panel says plainly that it is the local fake's, and what the watch judged.
        note = wait(browser, 5).until(lambda d: d.find_element(By.ID, "watch-note").text or None)
        assert "2 creations judged, 1 violation" in note and "local fake's own" in note
        screenshot(browser, "dashboard-watch.png", tmp_path)
