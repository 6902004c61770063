"""The token: actions need it (a header, or the cookie a ``?token=`` login sets), a GET never acts,
off loopback every read needs it too, and job data is escaped on every page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient


@pytest.fixture
def job_id(run_job: Callable[..., str]) -> str:
    return run_job([1])


def test_an_action_without_the_token_is_a_401_and_does_nothing(
    client: TestClient, held_job: Callable[..., Any]
) -> None:
    held = held_job([1, 2], hold_on=1)
    answer = client.post(f"/api/jobs/{held.job_id}/cancel")
    assert answer.status_code == 401
    assert "token" in answer.json()["error"]
    held.release()
    # Had the cancel gone through, the job would end cancelled rather than complete.
    assert held.job.wait_for_completion(held.flow, held.job, timeout=20)
    assert held.job.status == "completed"


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer nope"}, {"X-Routilux-Token": "nope"}])
def test_a_wrong_token_is_a_403(client: TestClient, job_id: str, headers: dict[str, str]) -> None:
    answer = client.post(f"/api/jobs/{job_id}/pause", headers=headers)
    assert answer.status_code == 403
    assert answer.json()["error"] == "wrong token"


def test_the_token_is_taken_from_either_header(client: TestClient, job_id: str, token: str) -> None:
    # A completed job: the token is accepted, and the action is then refused for the job's status.
    for headers in ({"Authorization": f"Bearer {token}"}, {"X-Routilux-Token": token}):
        answer = client.post(f"/api/jobs/{job_id}/pause", headers=headers)
        assert answer.status_code == 409
        assert "'completed'" in answer.json()["error"]


@pytest.mark.parametrize("action", ["pause", "resume", "cancel"])
def test_a_get_on_an_action_is_a_405_even_with_the_token(
    client: TestClient, job_id: str, action: str, token: str
) -> None:
    assert client.get(f"/api/jobs/{job_id}/{action}").status_code == 405
    assert client.get(f"/api/jobs/{job_id}/{action}?token={token}").status_code == 405


def test_a_login_link_sets_a_strict_http_only_cookie_and_drops_the_token_from_the_url(
    client: TestClient, job_id: str, token: str
) -> None:
    answer = client.get(f"/?status=completed&token={token}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?status=completed"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"routilux_monitor_token={token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    # The page's own requests now carry it: an action goes through to the job's status check.
    assert client.post(f"/api/jobs/{job_id}/pause").status_code == 409


def test_a_login_link_with_a_wrong_token_is_refused_and_sets_no_cookie(client: TestClient) -> None:
    answer = client.get("/?token=nope", follow_redirects=False)
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


def test_off_loopback_every_read_needs_the_token(
    app_for: Callable[..., Any], job_id: str, token: str
) -> None:
    with TestClient(app_for(require_token_for_reads=True), base_url="http://10.0.0.5") as remote:
        for path in ("/", f"/jobs/{job_id}", "/flows", "/api/jobs", f"/api/jobs/{job_id}", "/api/flows",
                     f"/api/jobs/{job_id}/events", "/static/monitor.css"):
            assert remote.get(path).status_code == 401, path
            assert remote.get(path, headers={"X-Routilux-Token": "nope"}).status_code == 403, path
        assert remote.get("/api/jobs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert remote.get(f"/?token={token}").status_code == 200  # login, then the page with the cookie


def test_a_loopback_monitor_refuses_other_host_names(app_for: Callable[..., Any]) -> None:
    # A page of another site whose name is rebound to 127.0.0.1 sends its own name as the Host.
    loopback = ["127.0.0.1", "localhost"]
    with TestClient(app_for(allowed_hosts=loopback), base_url="http://evil.example") as rebound:
        assert rebound.get("/api/jobs").status_code == 400
    with TestClient(app_for(allowed_hosts=loopback), base_url="http://localhost") as local:
        assert local.get("/api/jobs").status_code == 200


def test_job_data_is_escaped_on_every_page(client: TestClient, run_job: Callable[..., str], xss: str) -> None:
    job_id = run_job([xss], fail_on=xss)
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    page = client.get(f"/jobs/{job_id}").text
    assert xss not in page
    # In the event log (the emit's data, the error's message), the outputs, states and shared data.
    assert page.count(escaped) >= 4
    assert xss not in client.get("/").text
    # The API gives the data as it is: the pages' scripts write it with textContent only.
    assert client.get(f"/api/jobs/{job_id}").json()["shared_data"]["last"] == xss


def test_a_job_id_of_markup_is_escaped_on_the_error_page(client: TestClient, xss: str) -> None:
    answer = client.get("/jobs/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert answer.status_code == 404
    assert xss not in answer.text and "&lt;img" in answer.text
