"""The JSON API over a real store written by real jobs: listings, one job, flows, actions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from routilux.store import JobHeader, Owner
from routilux_monitor.reader import MAX_LIMIT, STATUSES

JOB_KEYS = {"job_id", "flow_id", "status", "started_at", "updated_at", "duration", "done", "queued", "errors"}


def test_the_listing_gives_every_job_newest_first_with_its_counts(
    client: TestClient, run_job: Callable[..., str]
) -> None:
    first = run_job([1, 2, 3])
    second = run_job(["a", "b"], fail_on="b")
    answer = client.get("/api/jobs")
    assert answer.status_code == 200
    body = answer.json()
    assert body["next"] is None
    assert [job["job_id"] for job in body["jobs"]] == [second, first]
    newest, oldest = body["jobs"]
    assert set(newest) == JOB_KEYS
    # The entry, three work and three sink activations; then the entry, two work and one sink.
    assert (oldest["status"], oldest["done"], oldest["queued"], oldest["errors"]) == ("completed", 7, 0, 0)
    assert (newest["done"], newest["errors"]) == (4, 1)
    assert oldest["flow_id"] == "pipeline"
    assert oldest["duration"] is not None and oldest["duration"] >= 0
    assert oldest["started_at"] <= newest["started_at"]


def test_the_listing_filters_by_status_and_flow(client: TestClient, run_job: Callable[..., str]) -> None:
    plain = run_job([1])
    other = run_job([2], flow_id="other")
    assert [j["job_id"] for j in client.get("/api/jobs", params={"flow": "other"}).json()["jobs"]] == [other]
    completed = client.get("/api/jobs", params={"status": "completed"}).json()["jobs"]
    assert {j["job_id"] for j in completed} == {plain, other}
    assert client.get("/api/jobs", params={"status": "failed"}).json()["jobs"] == []
    both = client.get("/api/jobs", params={"status": "completed", "flow": "pipeline"}).json()["jobs"]
    assert [j["job_id"] for j in both] == [plain]


def test_pages_of_the_listing_cover_every_job_once(client: TestClient, run_job: Callable[..., str]) -> None:
    made = [run_job([n]) for n in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"before": cursor} if cursor else {})}
        body = client.get("/api/jobs", params=params).json()
        assert len(body["jobs"]) <= 3
        seen.extend(job["job_id"] for job in body["jobs"])
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == made[::-1]


def test_pages_split_inside_jobs_started_at_the_same_instant(
    client: TestClient, monitor_store: Any
) -> None:
    # Jobs begun with one created_at (as a batch of hosts may): the cursor must neither skip nor repeat.
    owner = Owner(host="elsewhere.invalid", pid=1, lease_until=time.time() + 3600)
    stamp = time.time()
    ids = [f"tie-{n}" for n in range(5)] + ["older"]
    for job_id in ids:
        monitor_store.begin_job(JobHeader(
            job_id=job_id, flow_id="f", flow_data={"flow_id": "f", "routines": {}}, flow_hash="0",
            entry_id="e", entry_params={}, created_at=stamp - (1 if job_id == "older" else 0),
            history_limit=None), owner)
    monitor_store.flush()
    seen: list[str] = []
    cursor = None
    for _page in range(10):
        body = client.get("/api/jobs", params={"limit": 2, **({"before": cursor} if cursor else {})}).json()
        seen.extend(job["job_id"] for job in body["jobs"])
        cursor = body["next"]
        if cursor is None:
            break
    assert sorted(seen[:5]) == sorted(ids[:5]) and len(seen) == 6 and seen[-1] == "older"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"status": "finished"}, ["'finished'", *STATUSES]),
        ({"limit": "0"}, ["'0'", str(MAX_LIMIT)]),
        ({"limit": str(MAX_LIMIT + 1)}, [f"'{MAX_LIMIT + 1}'"]),
        ({"limit": "ten"}, ["'ten'"]),
        ({"before": "yesterday"}, ["'yesterday'"]),
    ],
)
def test_a_bad_listing_parameter_is_a_400_naming_it(
    client: TestClient, params: dict[str, str], named: list[str]
) -> None:
    answer = client.get("/api/jobs", params=params)
    assert answer.status_code == 400
    message = answer.json()["error"]
    for part in named:
        assert part in message


def test_one_job_gives_its_routines_log_outputs_and_data(
    client: TestClient, run_job: Callable[..., str]
) -> None:
    job_id = run_job(["x", "y"], fail_on="y")
    answer = client.get(f"/api/jobs/{job_id}")
    assert answer.status_code == 200
    job = answer.json()
    assert set(job) >= JOB_KEYS
    assert job["status"] == "completed"
    assert job["routines"]["source"] == {"done": 1, "failed": 0, "errors": 0, "retries": 0, "queued": 0,
                                         "state": "done"}
    assert job["routines"]["work"]["done"] == 1 and job["routines"]["work"]["failed"] == 1
    assert job["routines"]["work"]["errors"] == 1 and job["routines"]["work"]["state"] == "failed"
    assert job["routines"]["sink"]["done"] == 1
    assert sorted(job["connections"]) == [["source", "out", "work", "input"],
                                          ["work", "out", "sink", "input"]]
    kinds = [event["kind"] for event in job["events"]]
    assert kinds.count("emit") == 3 and kinds[-1] == "status"
    error = next(event for event in job["events"] if event["kind"] == "error")
    assert (error["routine"], error["error_type"], error["error"]) == ("work", "RuntimeError", "failed on y")
    assert [event["index"] for event in job["events"]] == list(range(len(job["events"])))
    assert sorted(output["data"]["item"] for output in job["outputs"]) == ["x", "y"]
    assert job["routine_states"]["work"]["last"] in ("x", "y")
    assert job["shared_data"]["last"] in ("x", "y")


def test_an_unknown_job_is_a_404_everywhere(client: TestClient, auth: dict[str, str]) -> None:
    for answer in (client.get("/api/jobs/nope"), client.get("/api/jobs/nope/events"),
                   client.post("/api/jobs/nope/pause", headers=auth), client.get("/jobs/nope")):
        assert answer.status_code == 404
    assert "nope" in client.get("/api/jobs/nope").json()["error"]


def test_the_flows_are_listed_with_their_routines_and_connections(
    client: TestClient, run_job: Callable[..., str]
) -> None:
    run_job([1])
    run_job([1], flow_id="other")
    flows = {flow["flow_id"]: flow for flow in client.get("/api/flows").json()["flows"]}
    assert set(flows) == {"pipeline", "other"}
    assert {r["id"] for r in flows["pipeline"]["routines"]} == {"source", "work", "sink"}
    assert ["source", "out", "work", "input"] in flows["pipeline"]["connections"]


def test_pause_and_resume_reach_a_running_job_through_the_store(
    client: TestClient, held_job: Callable[..., Any], auth: dict[str, str], wait: Callable[..., None]
) -> None:
    held = held_job([1, 2, 3], hold_on=2)
    status = lambda: client.get(f"/api/jobs/{held.job_id}").json()["status"]  # noqa: E731
    assert status() == "running"
    answer = client.post(f"/api/jobs/{held.job_id}/pause", headers=auth)
    assert answer.status_code == 202
    assert answer.json() == {"job_id": held.job_id, "action": "pause", "requested": True}
    # The owner pauses once the activation at the gate ends: release it, then see the job paused.
    wait("the pause request to reach the job's owner", lambda: held.job.status == "paused")
    held.release()
    wait("the job's row to say paused", lambda: status() == "paused")
    refused = client.post(f"/api/jobs/{held.job_id}/pause", headers=auth)
    assert refused.status_code == 409 and "'paused'" in refused.json()["error"]
    assert client.post(f"/api/jobs/{held.job_id}/resume", headers=auth).status_code == 202
    wait("the resumed job to complete", lambda: status() == "completed")
    job = client.get(f"/api/jobs/{held.job_id}").json()
    assert (job["done"], job["queued"], job["errors"]) == (7, 0, 0)
    statuses = [e["status"] for e in job["events"] if e["kind"] == "status"]
    assert statuses[-3:] == ["paused", "running", "completed"]


def test_cancel_stops_a_running_job(
    client: TestClient, held_job: Callable[..., Any], auth: dict[str, str], wait: Callable[..., None]
) -> None:
    held = held_job([1, 2, 3], hold_on=1)
    assert client.post(f"/api/jobs/{held.job_id}/cancel", headers=auth).status_code == 202
    wait("the cancel request to reach the job", lambda: held.job.status == "cancelled")
    held.release()
    wait("the job's row to say cancelled",
         lambda: client.get(f"/api/jobs/{held.job_id}").json()["status"] == "cancelled")
    job = client.get(f"/api/jobs/{held.job_id}").json()
    assert job["queued"] == 0
    again = client.post(f"/api/jobs/{held.job_id}/resume", headers=auth)
    assert again.status_code == 409
    assert "'cancelled'" in again.json()["error"] and "paused" in again.json()["error"]
