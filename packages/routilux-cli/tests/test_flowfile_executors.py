"""Per-routine ``executor:`` keys in flow files: running, writing back, and refusing bad settings."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from routilux import Flow, JobState
from routilux_cli.flowfile import dump_flow_file, flow_to_document, load_flow_file, validate_flow_file

WAIT = 30.0
TESTS_DIR = Path(__file__).resolve().parent
ITEMS = list(range(12))

MIXED = """
    flow_id: mixed
    executor: {name: concurrent, max_workers: 4}
    routines:
      src: {type: FlowInput, config: {each: items, item_key: item}}
      square:
        type: executor_fixtures:Square
        executor: sequential
      tag:
        type: executor_fixtures:Tag
      show: {type: FlowOutput, config: {output_type: tag, keys: [tag]}}
    connections:
      - {from: src.output, to: square.input}
      - {from: square.value, to: tag.input}
      - {from: tag.tagged, to: show.input}
    entry: {routine: src, params: {items: ITEMS}}
""".replace("ITEMS", json.dumps(ITEMS))


def write(path: Path, text: str) -> Path:
    """``text`` (dedented) as the file ``path``, with ``executor_fixtures.py`` next to it."""
    shutil.copy(TESTS_DIR / "executor_fixtures.py", path.parent / "executor_fixtures.py")
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def emitted(job: JobState, routine_id: str, event: str) -> list[dict[str, Any]]:
    return [r.data for r in job.get_execution_history(routine_id) if r.event_name == event]


def run(flow: Flow, entry: str, params: dict[str, Any]) -> JobState:
    job = flow.execute(entry, entry_params=params)
    try:
        assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    finally:
        flow.shutdown()
    assert job.status == "completed", job.routine_states
    return job


def test_each_routine_runs_on_the_executor_its_file_names(tmp_path: Path) -> None:
    flow, spec = load_flow_file(write(tmp_path / "mixed.yaml", MIXED))
    assert spec.executor == "concurrent" and spec.max_workers == 4
    assert spec.routine_executors == {"square": ("sequential", 1, {})}
    assert flow.routine_executors["square"].name == "sequential"
    assert set(flow.routine_executors) == {"square"}

    job = run(flow, spec.entry, spec.params)

    squares = emitted(job, "square", "value")
    # One sequential worker ran every square, in the order the items were emitted (FIFO).
    assert [s["item"] for s in squares] == ITEMS
    assert [s["value"] for s in squares] == [i * i for i in ITEMS]
    assert {s["thread"] for s in squares} == {"routilux-seq-worker-0"}
    tags = emitted(job, "tag", "tagged")
    assert sorted(t["tag"] for t in tags) == sorted(f"v={i * i}" for i in ITEMS)
    assert all(t["thread"].startswith("routilux-conc-worker-") for t in tags)
    shown = sorted(o["data"]["tag"] for o in job.output_log if o["output_type"] == "tag")
    assert shown == sorted(f"v={i * i}" for i in ITEMS)
    stats = job.routine_stats()
    assert stats["square"].activations == len(ITEMS) and stats["tag"].activations == len(ITEMS)


def test_routilux_run_gives_the_exact_outputs_of_a_mixed_flow(tmp_path: Path, run_cli: Any) -> None:
    path = write(tmp_path / "mixed.yaml", MIXED)
    result = run_cli("run", str(path), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    tags = sorted(o["data"]["tag"] for o in summary["outputs"] if o["output_type"] == "tag")
    assert tags == sorted(f"v={i * i}" for i in ITEMS)
    assert summary["routines"]["square"]["activations"] == len(ITEMS)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_routine_executors_are_written_and_read_back(tmp_path: Path, suffix: str) -> None:
    flow, spec = load_flow_file(write(tmp_path / "mixed.yaml", MIXED))
    flow.set_routine_executor("tag", "concurrent", max_workers=2, idle_timeout=0.5)

    doc = flow_to_document(flow, entry=spec.entry, params=spec.params)
    assert doc["routines"]["square"]["executor"] == "sequential"
    assert doc["routines"]["tag"]["executor"] == {
        "name": "concurrent", "max_workers": 2, "options": {"idle_timeout": 0.5}}
    assert "executor" not in doc["routines"]["src"]

    again, again_spec = load_flow_file(dump_flow_file(flow, tmp_path / f"copy{suffix}", entry=spec.entry,
                                                      params=spec.params))
    chosen = {rid: (c.name, c.max_workers, c.options) for rid, c in again.routine_executors.items()}
    assert chosen == {"square": ("sequential", 1, {}), "tag": ("concurrent", 2, {"idle_timeout": 0.5})}
    assert again_spec.routine_executors == chosen
    job = run(again, again_spec.entry, again_spec.params)
    assert sorted(t["tag"] for t in emitted(job, "tag", "tagged")) == sorted(f"v={i * i}" for i in ITEMS)


BAD = """
    routines:
      src: {type: FlowInput, config: {each: items, item_key: item}}
      misspelt: {type: executor_fixtures:Square, executor: concurent}
      unknown_option: {type: executor_fixtures:Square, executor: {name: concurrent, options: {colour: red}}}
      bad_option: {type: executor_fixtures:Square, executor: {name: concurrent, options: {idle_timeout: -1}}}
      unnamed: {type: executor_fixtures:Square, executor: {max_workers: 2}}
      no_workers: {type: executor_fixtures:Square, executor: {name: concurrent, max_workers: 0}}
      odd_key: {type: executor_fixtures:Square, executor: {name: sequential, workers: 2}}
      number: {type: executor_fixtures:Square, executor: 3}
    connections:
EDGES
    entry: {routine: src, params: {items: [1]}}
""".replace("EDGES", "\n".join(
    f"      - {{from: src.output, to: {rid}.input}}"
    for rid in ("misspelt", "unknown_option", "bad_option", "unnamed", "no_workers", "odd_key", "number")
))


def test_bad_routine_executors_are_each_reported_where_they_are(tmp_path: Path) -> None:
    problems = validate_flow_file(write(tmp_path / "bad.yaml", BAD))
    found = {p.location: p for p in problems}
    assert set(found) == {
        "routines.misspelt.executor", "routines.unknown_option.executor.options",
        "routines.bad_option.executor.options", "routines.unnamed.executor",
        "routines.no_workers.executor.max_workers", "routines.odd_key.executor.workers",
        "routines.number.executor",
    }
    misspelt = found["routines.misspelt.executor"].message
    assert "unknown executor 'concurent'; did you mean 'concurrent'?" in misspelt
    unknown = found["routines.unknown_option.executor.options"].message
    assert "executor 'concurrent' refuses these settings" in unknown and "'colour'" in unknown
    assert "idle_timeout must be positive, got -1" in found["routines.bad_option.executor.options"].message
    assert "missing: the executor's name" in found["routines.unnamed.executor"].message
    assert "max_workers must be a positive integer, got 0" in found[
        "routines.no_workers.executor.max_workers"].message
    assert "unknown key 'workers'" in found["routines.odd_key.executor.workers"].message
    assert "executor must be a name, or a mapping" in found["routines.number.executor"].message
    # Every problem points at the routine's own line (line 1 is the blank line dedent leaves).
    assert found["routines.misspelt.executor"].line == 4
    assert found["routines.number.executor"].line == 10


def test_routilux_validate_reports_a_bad_routine_executor(tmp_path: Path, run_cli: Any) -> None:
    path = write(tmp_path / "one.yaml", MIXED.replace("executor: sequential", "executor: {name: sequental}"))
    result = run_cli("validate", str(path), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "routines.square.executor.name: unknown executor 'sequental'; did you mean 'sequential'?" in (
        result.stdout + result.stderr)
    assert run_cli("validate", str(write(tmp_path / "good.yaml", MIXED)), cwd=tmp_path).returncode == 0
