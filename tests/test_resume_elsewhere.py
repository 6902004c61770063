"""Pause a job mid-flow in one process, save it, resume it to completion in another (spec §9).

The union of the deliveries of both processes must equal those of an uninterrupted run
exactly: nothing lost, nothing delivered twice.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("routilux_json_store")

FIXTURES = Path(__file__).with_name("resume_fixtures.py")
N = 40
PAUSE_AT = 9


def child(tmp_path, command, **args):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FIXTURES.parent), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, str(FIXTURES), command, json.dumps(args)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def deliveries(path):
    return (
        collections.Counter(path.read_text(encoding="utf-8").splitlines())
        if path.exists()
        else collections.Counter()
    )


def test_pause_save_load_resume_in_a_new_process(tmp_path):
    reference_log = tmp_path / "reference.log"
    reference = child(tmp_path, "run", log=str(reference_log), n=N, pause_at=None, store_dir=None)
    assert reference["status"] == "completed"
    expected = deliveries(reference_log)
    assert sum(expected.values()) == N * 5  # two workers and three sinks see every item once

    store_dir = tmp_path / "store"
    before_log, after_log = tmp_path / "a.log", tmp_path / "b.log"
    paused = child(tmp_path, "run", log=str(before_log), n=N, pause_at=PAUSE_AT, store_dir=str(store_dir))
    assert paused["status"] == "paused"
    assert paused["pending"] > 0, "the job must be paused mid-flow, with activations still to run"
    assert (store_dir / "flows" / "resume-flow.json").is_file()

    resumed = child(tmp_path, "resume", log=str(after_log), store_dir=str(store_dir), job_id=paused["job_id"])
    assert resumed == {"finished": True, "status": "completed", "pending": 0}

    before, after = deliveries(before_log), deliveries(after_log)
    assert before and after, "both processes must have delivered something"
    assert before + after == expected, (
        f"lost: {sorted((expected - (before + after)).elements())}; "
        f"repeated: {sorted(((before + after) - expected).elements())}"
    )
    assert sum(before.values()) + paused["pending"] <= sum(expected.values())
