"""Fixtures of the browser tests: `routilux serve` and the jobs as real processes, a real Chromium.

The monitor is the ``routilux serve`` command in its own process, on a free
port, over a store file that the jobs (each in a process of its own, running
``slow_job.py``) journal into, as they would on a user's machine. The browser
is Debian's ``chromium`` driven by ``chromedriver`` through Selenium,
headless, with a fresh profile.

Without Chromium the tests skip, except in CI (``$CI`` set), where a missing
browser is a failure: ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TOKEN = "browser-test-token"
#: How long a process may take to print its first line, and a page to show what a test waits for.
#: They are deadlines after which a test fails, never durations a test relies on.
DEADLINE_S = 30.0
SLOW_JOB = Path(__file__).with_name("slow_job.py")
_SERVING = re.compile(r"^routilux monitor: serving (http://\S+)/\?token=(\S+)$")


def _browser_missing() -> str | None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    return ", ".join(missing) or None


def _start(argv: list[str], cwd: Path, name: str) -> subprocess.Popen[str]:
    """``argv`` as a process whose stdout is piped and whose stderr goes to ``cwd/NAME.stderr``
    (a file: a pipe nobody reads would block the process once full)."""
    with open(cwd / f"{name}.stderr", "w") as stderr:
        return subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=stderr, text=True)


def _first_line(process: subprocess.Popen[str], what: str, stderr: Path) -> str:
    """The first line ``process`` prints on stdout; fails naming ``what`` on exit or past the deadline
    (with what it wrote to the file ``stderr``)."""
    stream: IO[str] | None = process.stdout
    assert stream is not None
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(DEADLINE_S):
            process.kill()
            pytest.fail(f"{what} printed nothing within {DEADLINE_S:.0f}s: {stderr.read_text()}")
    line = stream.readline()
    if not line:
        process.wait()
        pytest.fail(f"{what} exited with status {process.returncode} before printing: {stderr.read_text()}")
    return line.rstrip("\n")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(DEADLINE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser_paths() -> None:
    """Chromium and chromedriver are there: else skip, or fail in CI."""
    missing = _browser_missing()
    if missing is None:
        return
    reason = f"the browser tests need Debian's chromium and chromium-driver: missing {missing}"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (in CI a missing browser is a failure: .ci/run installs it with apt)")
    pytest.skip(f"{reason} (apt-get install chromium chromium-driver)")


class Monitor:
    """The ``routilux serve`` process: its base URL, its store and its token."""

    def __init__(self, process: subprocess.Popen[str], base_url: str, store: Path, token: str) -> None:
        self.process, self.base_url, self.store, self.token = process, base_url, store, token


@pytest.fixture(scope="module")
def monitor(tmp_path_factory: pytest.TempPathFactory, browser_paths: None) -> Iterator[Monitor]:
    """``routilux serve --store DB --port 0 --token T`` in its own process; the URL read from its stdout."""
    home = tmp_path_factory.mktemp("monitor")
    store = home / "jobs.db"
    process = _start([sys.executable, "-m", "routilux_cli", "serve", "--store", str(store), "--port", "0",
                      "--token", TOKEN], home, "serve")
    try:
        line = _first_line(process, "routilux serve", home / "serve.stderr")
        match = _SERVING.match(line)
        assert match, f"routilux serve printed {line!r}, not 'routilux monitor: serving URL/?token=TOKEN'"
        assert match.group(2) == TOKEN
        yield Monitor(process, match.group(1), store, TOKEN)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def driver(monitor: Monitor, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium with a fresh profile, logged in to the monitor (its token cookie set)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--window-size=1280,1000",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        # Any alert() a page calls is recorded instead of shown: the XSS test reads the record.
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.__alerts = [];"
            "window.alert = function (message) { window.__alerts.push(String(message)); };")})
        # The URL serve printed: it sets the HttpOnly cookie and redirects to the page without the token.
        browser.get(f"{monitor.base_url}/?token={monitor.token}")
        assert browser.current_url == f"{monitor.base_url}/", browser.current_url
        assert any(c["name"] == "routilux_monitor_token" and c["httpOnly"] for c in browser.get_cookies())
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the pages' screenshots go: ``$ROUTILUX_SCREENSHOTS``, else a temporary directory."""
    given = os.environ.get("ROUTILUX_SCREENSHOTS")
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


class SlowJob:
    """A ``slow_job.py`` process: its job id, and the gate files that let its steps end."""

    def __init__(self, process: subprocess.Popen[str], job_id: str, gates: Path, steps: int) -> None:
        self.process, self.job_id, self.gates, self.steps = process, job_id, gates, steps

    def release(self, *steps: int) -> None:
        """Let the given steps end (each waits for its file ``go-N``)."""
        for step in steps:
            assert 0 <= step < self.steps, f"step {step} of a job of {self.steps} steps"
            (self.gates / f"go-{step}").touch()

    def release_all(self) -> None:
        self.release(*range(self.steps))

    def exit_status(self) -> int:
        """Wait for the process to end (its job final); its exit status (0: completed)."""
        try:
            return self.process.wait(DEADLINE_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the job process of {self.job_id} did not end within {DEADLINE_S:.0f}s")


@pytest.fixture
def slow_job(monitor: Monitor, tmp_path: Path) -> Iterator[Callable[..., SlowJob]]:
    """``slow_job(steps, label="")``: start a slow job in its own process, journaling into the store."""
    started: list[SlowJob] = []

    def start(steps: int, label: str = "") -> SlowJob:
        gates = tmp_path / f"gates-{len(started)}"
        gates.mkdir()
        name = f"job-{len(started)}"
        process = _start([sys.executable, str(SLOW_JOB), str(monitor.store), str(gates), str(steps), label],
                         tmp_path, name)
        line = _first_line(process, "the slow job", tmp_path / f"{name}.stderr")
        assert line.startswith("job "), f"the slow job printed {line!r}"
        job = SlowJob(process, line.split(" ", 1)[1], gates, steps)
        started.append(job)
        return job

    yield start
    for job in started:
        # A test that failed half-way leaves its job waiting at a gate: let it end, then stop it.
        job.release_all()
        _stop(job.process)


Waiter = Callable[[str, Callable[[Any], Any]], Any]


@pytest.fixture
def wait_until(driver: Any) -> Waiter:
    """``wait_until(what, condition)``: ``condition(driver)`` once truthy, polled by WebDriverWait;
    fails naming ``what`` past the deadline. Elements the page replaces meanwhile are looked up again."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    waiter = WebDriverWait(driver, DEADLINE_S, poll_frequency=0.05,
                           ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))

    def wait(what: str, condition: Callable[[Any], Any]) -> Any:
        try:
            return waiter.until(condition)
        except TimeoutException:
            pytest.fail(f"timed out ({DEADLINE_S:.0f}s) waiting for {what} on {driver.current_url}")

    return wait
