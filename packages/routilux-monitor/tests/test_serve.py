"""``routilux serve`` as a user runs it: a real server process on a free port, its URL, its refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest

ROUTILUX = str(Path(sys.executable).with_name("routilux"))
START_S = 30.0
#: The ``serve`` fixture: ``serve(*options, env=...)`` -> (the server process, the URL it printed).
Serve = Callable[..., tuple[subprocess.Popen[str], str]]


@pytest.fixture
def serve(store_path: str) -> Iterator[Serve]:
    """``serve(*options, env=...)``: start ``routilux serve --store STORE --port 0 ...``; returns the
    process and the URL it printed. Every server started is stopped at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(*options: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [ROUTILUX, "serve", "--store", store_path, "--port", "0", *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
        )
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()  # the server prints its URL once it listens
        assert line.startswith("routilux monitor: serving http://"), (line, process.stderr.read())
        return process, line.split("serving ", 1)[1].strip()

    yield start
    for process in started:
        process.terminate()
        process.wait(START_S)


def test_serve_prints_its_url_with_the_token_and_serves_the_store(
    serve: Serve, run_job: Callable[..., str]
) -> None:
    job_id = run_job([1, 2])
    _process, url = serve("--token", "given-token")
    assert url.endswith("/?token=given-token") and url.startswith("http://127.0.0.1:")
    with httpx2.Client(base_url=url.split("/?")[0], timeout=START_S, follow_redirects=True) as http:
        jobs = http.get("/api/jobs").json()["jobs"]
        assert [job["job_id"] for job in jobs] == [job_id]
        page = http.get(url)  # the login link: cookie, then the jobs page
        assert page.status_code == 200 and job_id in page.text
        assert http.cookies.get("routilux_monitor_token") == "given-token"
        assert http.post(f"/api/jobs/{job_id}/pause").status_code == 409  # the cookie's token, a final job
        assert httpx2.post(f"{url.split('/?')[0]}/api/jobs/{job_id}/pause").status_code == 401


def test_serve_makes_a_token_unless_given_one(serve: Serve) -> None:
    _process, url = serve()
    made = url.split("?token=", 1)[1]
    assert len(made) >= 24
    _process, from_env = serve(env={"ROUTILUX_MONITOR_TOKEN": "from-the-environment"})
    assert from_env.endswith("?token=from-the-environment")


def test_serve_refuses_a_non_loopback_host_without_a_token(store_path: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ROUTILUX_MONITOR_TOKEN"}
    result = subprocess.run([ROUTILUX, "serve", "--store", store_path, "--host", "0.0.0.0", "--port", "0"],
                            capture_output=True, text=True, timeout=START_S, env=env)
    assert result.returncode == 2
    assert "refusing to serve on the non-loopback host '0.0.0.0' without a token" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_off_loopback_the_served_reads_need_the_token(
    serve: Serve, run_job: Callable[..., str]
) -> None:
    run_job([1])
    _process, url = serve("--host", "0.0.0.0", "--token", "remote-token")
    base = url.split("/?")[0].replace("0.0.0.0", "127.0.0.1")
    assert httpx2.get(f"{base}/api/jobs", timeout=START_S).status_code == 401
    answer = httpx2.get(f"{base}/api/jobs", headers={"X-Routilux-Token": "remote-token"}, timeout=START_S)
    assert answer.status_code == 200 and len(answer.json()["jobs"]) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--port", "70000"], "70000"),
        (["--host", "no-such-host.invalid", "--token", "t"], "no-such-host.invalid"),
    ],
)
def test_serve_names_a_host_or_port_it_cannot_use(store_path: str, options: list[str], message: str) -> None:
    result = subprocess.run([ROUTILUX, "serve", "--store", store_path, *options],
                            capture_output=True, text=True, timeout=START_S)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_a_store_that_keeps_no_journal(tmp_path: Path) -> None:
    result = subprocess.run([ROUTILUX, "serve", "--store", str(tmp_path / "files"), "--port", "0"],
                            capture_output=True, text=True, timeout=START_S)
    assert result.returncode == 2
    assert "keeps no job journal" in result.stderr and "Traceback" not in result.stderr
