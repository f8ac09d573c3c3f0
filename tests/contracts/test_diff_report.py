"""The diff's reports as people read them: aligned, whole bodies, the differing field marked, in a browser too."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import httpx
import pytest

from message_api_kit.contracts import diff_report
from message_api_kit.contracts.diff import DiffReport, run_diff
from message_api_kit.contracts.transport import Transport
from message_api_kit.mockserver import MockConfig, create_app
from message_api_kit.mockserver.profile import Profile

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: A real server that shows less of its authors and names a reply's parent by its id.
TERSE = {
    "format": 1,
    "success_status": 201,
    "type": "text",
    "parent_form": "id",
    "author_fields": ["id", "name"],
    "rejections": {},
}


def transport(app, base: str) -> Transport:
    return Transport(base, client=httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base))


def terse_diff() -> DiffReport:
    real = create_app(MockConfig(profile=Profile.from_json(TERSE)))
    return run_diff(transport(real, "http://127.0.0.1"), transport(create_app(), "http://localhost"), 1, 2, 0, 2)


def test_a_field_one_answer_lacks_reads_absent_and_its_line_is_marked():
    report = terse_diff()
    text = diff_report.terminal(report)
    row = next(line for line in text.splitlines() if "author.title" in line and "field extra" in line)
    assert re.search(r"author\.title\s+absent\s+\"string\"", row), row
    assert "None" not in text
    fake_side = text.split("\nroot: ", 1)[1].split("  fake:", 1)[1].split("\n\n", 1)[0]
    marked = [line for line in fake_side.splitlines() if line.startswith("  > ")]
    assert any('"title":' in line for line in marked), fake_side
    assert not any('"title":' in line for line in fake_side.splitlines() if not line.startswith("  > "))


def test_the_summary_columns_line_up_whatever_the_names():
    lines = diff_report.terminal(terse_diff()).splitlines()
    table = lines[1 : lines.index("")]
    start = table[0].index("category")
    assert len(table) > 2
    assert all(row[start:].split()[0] in ("contract", "choice", "lenient") for row in table[1:]), table


def test_marked_finds_a_nested_field_at_its_depth_only():
    lines = [
        "HTTP 201 application/json",
        "{",
        '  "title": "top"',
        '  "author": {',
        '    "title": "Manager"',
        "  }",
        "}",
    ]

    class D:  # a difference as marked() reads it
        what = "author.title"

    assert diff_report.marked(lines, D()) == {4}
    D.what = "title"
    assert diff_report.marked(lines, D()) == {2}
    D.what = "status"
    assert diff_report.marked(lines, D()) == {0}


def test_a_long_body_is_cut_between_lines_never_inside_one():
    real = create_app(MockConfig(profile=Profile.from_json(TERSE)))
    long_text = "x" * 5000
    client = real.test_client()
    parent = client.post("/conversations/1/messages", json={"message": long_text}).json
    assert parent["message"] == long_text
    report = terse_diff()
    for pair in report.pairs:
        for line in diff_report.answer_lines(pair.fake):
            assert not line.endswith("...") or line.startswith("... "), line


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.mark.slow
def test_the_html_report_shows_both_answers_side_by_side_whole_and_marked(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    if CHROMIUM is None or DRIVER is None:
        pytest.fail("chromium and chromedriver are needed (make test installs them: apt-get install chromium-driver)")
    report = terse_diff()
    page = tmp_path / "diff.html"
    diff_report.write_html(report, page)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    try:
        driver.get(page.as_uri())
        rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
        assert len(rows) == len(diff_report.distinct(report))
        section = driver.find_elements(By.CSS_SELECTOR, "section")[0]
        real, fake = (
            section.find_element(By.CSS_SELECTOR, "pre.real"),
            section.find_element(By.CSS_SELECTOR, "pre.fake"),
        )
        assert real.rect["y"] == fake.rect["y"] and real.rect["x"] + real.rect["width"] <= fake.rect["x"]
        assert fake.text.rstrip().endswith("}") and real.text.rstrip().endswith("}"), "each body is shown whole"
        marks = [m.text for m in driver.find_elements(By.CSS_SELECTOR, "pre mark")]
        assert any('"title":' in m for m in marks) and any('"parent":' in m for m in marks), marks
        reply = next(s for s in driver.find_elements(By.CSS_SELECTOR, "section") if s.text.startswith("reply"))
        driver.execute_script("arguments[0].scrollIntoView()", reply)
        target = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
        assert driver.save_screenshot(str(target / "diff-report.png"))
    finally:
        driver.quit()
