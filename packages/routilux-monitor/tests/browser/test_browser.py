"""The monitor in a real Chromium: the jobs page and a job's page follow a job of another process live.

``routilux serve`` and the job each run in their own process over one store
file (see conftest.py). The job's steps end only when the test creates their
gate files, so what the pages must show at each moment is known exactly:
every wait is a WebDriverWait on the DOM, never a sleep. That the pages
update without a reload is checked with a marker set on ``window`` after
loading, which a reload would drop.

Screenshots of the three pages (``jobs.png``, ``job.png``, ``flows.png``) go
to ``$ROUTILUX_SCREENSHOTS`` (default: a temporary directory); with
``ROUTILUX_UPDATE_SCREENSHOTS=1``, ``job.png`` is also copied to
``docs/screenshots/job.png``, the one the README shows.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

XSS = "<img src=x onerror=alert(1)>"
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "job.png"
MARKER = "window.__routiluxTestMarker"


def _mark(driver: Any) -> None:
    driver.execute_script(f"{MARKER} = 'not reloaded';")


def _still_marked(driver: Any) -> bool:
    return bool(driver.execute_script(f"return {MARKER} === 'not reloaded';"))


def _text(driver: Any, css: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def _row(job_id: str) -> str:
    return f'table#jobs tr[data-job-id="{job_id}"]'


def _listing(driver: Any) -> tuple[str, str, str]:
    """The status, flow and cursor the loaded jobs page lists (server-rendered on its table)."""
    table = driver.find_element(By.CSS_SELECTOR, "table#jobs")
    status, flow, before = (str(table.get_attribute(f"data-{key}") or "")
                            for key in ("status", "flow", "before"))
    return status, flow, before


def _shoot(driver: Any, directory: Path, name: str) -> Path:
    path = directory / name
    assert driver.save_screenshot(str(path)), f"Chromium saved no screenshot to {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return path


def test_the_pages_follow_a_job_of_another_process_and_pause_and_resume_it(
    monitor: Any, driver: Any, slow_job: Any, wait_until: Any, screenshots: Path
) -> None:
    # The jobs page first, before the job exists: its row must appear by itself.
    driver.get(f"{monitor.base_url}/")
    _mark(driver)
    job = slow_job(4, "browser test")
    row = _row(job.job_id)
    wait_until("the new job's row", lambda d: d.find_elements(By.CSS_SELECTOR, row))
    # Only the entry ("start") has ended; step 0 waits for its gate.
    wait_until("the row: running, 1 done", lambda d: (
        d.find_element(By.CSS_SELECTOR, row).get_attribute("data-status"),
        _text(d, f"{row} td.done")) == ("running", "1"))
    assert _text(driver, f"{row} td.flow") == "slow"
    assert _text(driver, f"{row} td.errors") == "0"
    # Each released step adds two activations: the step and the sink that takes it.
    job.release(0)
    wait_until("3 done in the row", lambda d: _text(d, f"{row} td.done") == "3")
    job.release(1)
    wait_until("5 done in the row", lambda d: _text(d, f"{row} td.done") == "5")
    assert _text(driver, f"{row} td.status") == "running"
    assert _still_marked(driver), "the jobs page was reloaded"
    _shoot(driver, screenshots, "jobs.png")

    # The job's page, through the row's link.
    driver.find_element(By.CSS_SELECTOR, f"{row} td.job a").click()
    wait_until("the job page", lambda d: d.current_url == f"{monitor.base_url}/jobs/{job.job_id}")
    _mark(driver)
    assert (_text(driver, "span#status"), _text(driver, "span#done")) == ("running", "5")
    ticker = '#graph g.routine[data-routine-id="ticker"]'
    assert driver.find_element(By.CSS_SELECTOR, ticker).get_attribute("data-state") == "active"

    driver.find_element(By.CSS_SELECTOR, "button#pause").click()
    wait_until("the job paused", lambda d: _text(d, "span#status") == "paused")
    assert _text(driver, "#action-result") == "pause requested"
    # The step that was running when the pause came ends (it is let go now); what it emits is held.
    job.release(2)
    wait_until("the running step's end while paused", lambda d: _text(d, "span#done") == "6")
    assert _text(driver, "span#status") == "paused"
    assert _text(driver, f"{ticker} tspan.done") == "3"

    job.release(3)
    driver.find_element(By.CSS_SELECTOR, "button#resume").click()
    wait_until("the job completed", lambda d: _text(d, "span#status") == "completed")
    # start + 4 steps + 4 sinks; every routine's state drawn as done.
    wait_until("9 done", lambda d: _text(d, "span#done") == "9")
    assert (_text(driver, "span#queued"), _text(driver, "span#errors")) == ("0", "0")
    states = {g.get_attribute("data-routine-id"): g.get_attribute("data-state")
              for g in driver.find_elements(By.CSS_SELECTOR, "#graph g.routine")}
    assert states == {"start": "done", "ticker": "done", "sink": "done"}
    statuses = [li.find_element(By.CSS_SELECTOR, ".what").text
                for li in driver.find_elements(By.CSS_SELECTOR, "ol#events li.status")]
    assert statuses[-3:] == ["paused", "running", "completed"], statuses
    assert len(driver.find_elements(By.CSS_SELECTOR, "div#outputs pre.output")) == 4
    assert '"step": 3' in _text(driver, "div#shared-data pre")
    assert _still_marked(driver), "the job page was reloaded"
    assert job.exit_status() == 0
    shot = _shoot(driver, screenshots, "job.png")
    if os.environ.get("ROUTILUX_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)

    driver.get(f"{monitor.base_url}/flows")
    flow = 'section.flow[data-flow-id="slow"]'
    routines = {g.get_attribute("data-routine-id")
                for g in driver.find_elements(By.CSS_SELECTOR, f"{flow} g.routine")}
    assert routines == {"start", "ticker", "sink"}
    _shoot(driver, screenshots, "flows.png")

    # Back on the jobs page, the row says the job is over.
    driver.get(f"{monitor.base_url}/")
    assert driver.find_element(By.CSS_SELECTOR, row).get_attribute("data-status") == "completed"
    assert _text(driver, f"{row} td.done") == "9"


def test_job_data_shows_as_text_never_as_markup(
    monitor: Any, driver: Any, slow_job: Any, wait_until: Any
) -> None:
    job = slow_job(2, XSS)
    # Step 0 ends before the page is loaded (the server renders its data), step 1 after (the script
    # appends it from the live stream).
    job.release(0)
    driver.get(f"{monitor.base_url}/jobs/{job.job_id}")
    wait_until("step 0 in the server-rendered page", lambda d: _text(d, "span#done") == "3")
    job.release(1)
    wait_until("the job completed", lambda d: _text(d, "span#status") == "completed")
    wait_until("both outputs", lambda d: len(d.find_elements(By.CSS_SELECTOR, "div#outputs pre.output")) == 2)
    for output in driver.find_elements(By.CSS_SELECTOR, "div#outputs pre.output"):
        assert f'"label": "{XSS}"' in output.text
    emits = [code.text for code in driver.find_elements(By.CSS_SELECTOR, "ol#events li.emit code.data")]
    assert sum(XSS in text for text in emits) == 2, emits
    assert f'"label": "{XSS}"' in _text(driver, "div#shared-data pre")
    assert f'"label": "{XSS}"' in _text(driver, "div#routine-states pre")
    assert driver.find_elements(By.TAG_NAME, "img") == []
    assert driver.execute_script("return window.__alerts;") == []
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        pass
    else:
        raise AssertionError(f"the page opened an alert: {alert.text!r}")
    # The check itself works: the same payload written as markup does run (and is recorded).
    driver.execute_script("document.body.insertAdjacentHTML('beforeend', arguments[0]);", XSS)
    wait_until("the planted payload's alert", lambda d: d.execute_script("return window.__alerts;") == ["1"])


def test_the_filters_and_pages_of_the_jobs_page_and_cancel(
    monitor: Any, driver: Any, slow_job: Any, wait_until: Any
) -> None:
    from selenium.webdriver.support.ui import Select

    done = slow_job(1)
    done.release(0)
    assert done.exit_status() == 0
    held = slow_job(2)  # running: step 0 waits for its gate
    driver.get(f"{monitor.base_url}/")
    wait_until("both jobs listed", lambda d: d.find_elements(By.CSS_SELECTOR, _row(held.job_id))
               and d.find_elements(By.CSS_SELECTOR, _row(done.job_id)))

    Select(driver.find_element(By.CSS_SELECTOR, "select#filter-status")).select_by_value("running")
    wait_until("the running jobs' page", lambda d: _listing(d) == ("running", "", ""))
    rows = driver.find_elements(By.CSS_SELECTOR, "table#jobs tr[data-job-id]")
    assert held.job_id in [row.get_attribute("data-job-id") for row in rows]
    assert {row.get_attribute("data-status") for row in rows} == {"running"}
    Select(driver.find_element(By.CSS_SELECTOR, "select#filter-flow")).select_by_value("slow")
    wait_until("the running jobs of flow slow", lambda d: _listing(d) == ("running", "slow", ""))
    assert driver.find_elements(By.CSS_SELECTOR, _row(held.job_id))

    # One job a page, newest first: the held job, then (by the next-page link) the one before it.
    driver.get(f"{monitor.base_url}/?limit=1")
    rows = driver.find_elements(By.CSS_SELECTOR, "table#jobs tr[data-job-id]")
    assert [row.get_attribute("data-job-id") for row in rows] == [held.job_id]
    driver.find_element(By.CSS_SELECTOR, "a#next-page").click()
    wait_until("the second page", lambda d: _listing(d)[2] != "")
    rows = driver.find_elements(By.CSS_SELECTOR, "table#jobs tr[data-job-id]")
    assert [row.get_attribute("data-job-id") for row in rows] == [done.job_id]

    driver.get(f"{monitor.base_url}/jobs/{held.job_id}")
    driver.find_element(By.CSS_SELECTOR, "button#cancel").click()
    wait_until("the job cancelled", lambda d: _text(d, "span#status") == "cancelled")
    held.release(0)
    assert held.exit_status() == 1  # the job process reports a job that did not complete
