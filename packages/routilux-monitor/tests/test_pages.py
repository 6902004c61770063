"""The pages, as the server renders them: jobs, one job, flows (the browser tests see them live)."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.testclient import TestClient


def test_the_jobs_page_lists_each_job_with_its_counts(
    client: TestClient, run_job: Callable[..., str]
) -> None:
    job_id = run_job([1, 2, 3])
    page = client.get("/").text
    row = re.search(rf'<tr data-job-id="{job_id}" data-status="completed">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = dict(re.findall(r'<td class="(\w+)">(.*?)</td>', row.group(1), re.S))
    assert cells["flow"] == "pipeline" and cells["status"] == "completed"
    assert (cells["done"], cells["queued"], cells["errors"]) == ("7", "0", "0")
    assert f'href="/jobs/{job_id}"' in cells["job"]
    assert '<option value="pipeline"' in page and 'id="filter-status"' in page


def test_the_jobs_page_filters_and_pages_as_the_api(client: TestClient, run_job: Callable[..., str]) -> None:
    made = [run_job([n]) for n in range(3)]
    other = run_job([9], flow_id="other")
    filtered = client.get("/", params={"flow": "other"}).text
    assert other in filtered and not any(job_id in filtered for job_id in made)
    first = client.get("/", params={"limit": 2}).text
    link = re.search(r'<a id="next-page" href="([^"]+)"', first)
    assert link is not None
    second = client.get(link.group(1).replace("&amp;", "&")).text
    assert made[0] in second and made[1] in second and other not in second
    assert 'id="next-page"' not in second
    bad = client.get("/", params={"status": "finished"})
    assert bad.status_code == 400 and "finished" in bad.text


def test_the_job_page_draws_the_graph_coloured_by_state(
    client: TestClient, run_job: Callable[..., str]
) -> None:
    job_id = run_job(["a", "b"], fail_on="b")
    page = client.get(f"/jobs/{job_id}").text
    assert '<svg id="graph"' in page
    states = dict(re.findall(r'<g class="routine" data-routine-id="(\w+)" data-state="(\w+)"', page))
    assert states == {"source": "done", "work": "failed", "sink": "done"}
    assert page.count('<g class="connection"') == 2
    assert 'id="pause"' in page and 'id="resume"' in page and 'id="cancel"' in page
    assert "RuntimeError" in page and "Traceback" in page  # the error, with its traceback
    assert '<span id="status" data-status="completed">completed</span>' in page


def test_the_flows_page_shows_each_flow_and_its_graph(
    client: TestClient, run_job: Callable[..., str]
) -> None:
    run_job([1])
    run_job([1], flow_id="other")
    page = client.get("/flows").text
    assert set(re.findall(r'<section class="flow" data-flow-id="(\w+)"', page)) == {"pipeline", "other"}
    assert page.count('<g class="routine"') == 6


def test_the_pages_need_nothing_from_the_internet(client: TestClient, run_job: Callable[..., str]) -> None:
    job_id = run_job([1])
    for path in ("/", f"/jobs/{job_id}", "/flows"):
        page = client.get(path).text
        for asset in re.findall(r'(?:src|href)="([^"]+)"', page):
            assert not re.match(r"(https?:)?//", asset), (path, asset)
            if asset.startswith("/static/"):
                assert client.get(asset).status_code == 200, asset
