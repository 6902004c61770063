"""Flow files in the library: Flow ⇄ flow file round trips, loading, validation, writing errors."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from routilux import ErrorHandler, ErrorStrategy, Flow, JobState, Routine
from routilux.plugins import get_registry
from routilux_cli.flowfile import (
    FlowFileError,
    Problem,
    dump_flow_file,
    flow_to_document,
    load_flow_file,
    read_document,
    validate_flow_file,
)
from routilux_cli.routines import FlowInput, FlowOutput

WAIT = 30.0


def std(name: str) -> Routine:
    cls = get_registry().get_routine(name).cls
    return cls()


def build_python_flow() -> Flow:
    flow = Flow(flow_id="round-trip", execution_strategy="concurrent", max_workers=3,
                executor_options={"idle_timeout": 1.5})
    flow.set_error_handler(ErrorHandler(strategy="continue"))
    src = FlowInput()
    src.set_config(each="texts", item_key="text")
    clip = std("TextClipper")
    clip.set_config(max_length=12)
    clip.set_error_handler(ErrorHandler(strategy=ErrorStrategy.RETRY, max_retries=2, retry_delay=0.01,
                                        retry_backoff=3.0, is_critical=True,
                                        retryable_exceptions=(ConnectionError, TimeoutError)))
    tidy = std("DataTransformer")
    tidy.set_config(transformations=["uppercase"])
    router = std("ConditionalRouter")
    router.add_route("long", "len(data['transformed_data']) > 5")
    show = FlowOutput()
    show.set_config(output_type="shown", keys=["data"])
    for rid, routine in (("src", src), ("clip", clip), ("tidy", tidy), ("route", router), ("show", show)):
        flow.add_routine(routine, rid)
    flow.connect("src", "output", "clip", "input")
    flow.connect("clip", "output", "tidy", "input", {"clipped_text": "data"})
    flow.connect("tidy", "output", "route", "input", {"transformed_data": "data"})
    flow.connect("route", "long", "show", "input")
    return flow


def describe(flow: Flow) -> dict:
    """Everything a flow file carries, from the live objects."""

    def handler(h):
        if h is None:
            return None
        return (h.strategy_name, h.max_retries, h.retry_delay, h.retry_backoff, h.is_critical,
                tuple(h.retryable_exceptions))

    return {
        "flow_id": flow.flow_id,
        "strategy": flow.execution_strategy,
        "max_workers": flow.max_workers,
        "options": flow.executor_options,
        "error_handler": handler(flow.error_handler),
        "routines": {
            rid: (type(r), json.dumps(r.config(), sort_keys=True, default=repr),
                  handler(r.get_error_handler()), sorted(r._events))
            for rid, r in flow.routines.items()
        },
        "connections": [
            (flow._get_routine_id(c.source_event.routine), c.source_event.name,
             flow._get_routine_id(c.target_slot.routine), c.target_slot.name, c.param_mapping)
            for c in flow.connections
        ],
    }


def run_job(flow: Flow, entry: str, params: dict) -> list:
    outputs = []
    job = flow.execute(entry, entry_params=params)
    assert JobState.wait_for_completion(flow, job, timeout=WAIT)
    flow.shutdown()
    assert job.status == "completed", job.routine_states
    for item in job.output_log:
        outputs.append((item["routine_id"], item["output_type"], item["data"]))
    return outputs


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_flow_to_file_and_back(tmp_path: Path, suffix: str):
    original = build_python_flow()
    path = dump_flow_file(original, tmp_path / f"flow{suffix}", entry="src",
                          params={"texts": ["abc", "abcdefgh"]})
    loaded, spec = load_flow_file(path)
    assert describe(loaded) == describe(original)
    assert spec.entry == "src"
    assert spec.params == {"texts": ["abc", "abcdefgh"]}
    assert spec.executor == "concurrent" and spec.max_workers == 3
    assert spec.routine_types["clip"] == "TextClipper"
    assert spec.routine_types["src"] == "FlowInput"
    # Writing the loaded flow again gives the same document.
    again = dump_flow_file(loaded, tmp_path / f"again{suffix}", entry="src", params=spec.params)
    assert again.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    # And both flows do the same thing.
    params = {"texts": ["abc", "abcdefgh", "a much longer text"]}
    assert sorted(map(repr, run_job(loaded, "src", params))) == sorted(
        map(repr, run_job(build_python_flow(), "src", params)))


def test_document_leaves_out_defaults_and_uses_registered_names():
    doc = flow_to_document(build_python_flow(), entry="src")
    clip = doc["routines"]["clip"]
    assert clip["type"] == "TextClipper"
    assert clip["config"] == {"max_length": 12}
    assert clip["error_handler"] == {
        "strategy": "retry", "max_retries": 2, "retry_delay": 0.01, "retry_backoff": 3.0, "is_critical": True,
        "retryable_exceptions": ["ConnectionError", "TimeoutError"],
    }
    assert doc["routines"]["route"]["config"] == {"routes": [["long", "len(data['transformed_data']) > 5"]]}
    assert doc["executor"] == {"name": "concurrent", "max_workers": 3, "options": {"idle_timeout": 1.5}}
    assert doc["error_handler"]["strategy"] == "continue"
    assert doc["connections"][1] == {"from": "clip.output", "to": "tidy.input",
                                     "mapping": {"clipped_text": "data"}}
    assert doc["entry"] == {"routine": "src", "params": {}}
    assert yaml.safe_load(yaml.safe_dump(doc)) == doc


class LocalRoutine(Routine):
    def __init__(self) -> None:
        super().__init__()
        self.define_slot("trigger", lambda **kw: None)


def test_module_class_types_round_trip(tmp_path: Path):
    flow = Flow(flow_id="custom")
    flow.add_routine(LocalRoutine(), "start")
    doc = flow_to_document(flow, entry="start")
    assert doc["routines"]["start"]["type"] == f"{__name__}:LocalRoutine"


def test_unwritable_flows_are_refused(tmp_path: Path):
    class Inner(Routine):
        pass

    flow = Flow(flow_id="x")
    flow.add_routine(Inner(), "inner")
    with pytest.raises(ValueError, match="inside a function"):
        flow_to_document(flow)
    flow = Flow(flow_id="y")
    out = FlowOutput()
    out.set_config(keys=[object()])
    flow.add_routine(out, "out")
    with pytest.raises(ValueError, match=r"routines\.out\.config\.keys\[0\]"):
        flow_to_document(flow)
    with pytest.raises(ValueError, match="suffix"):
        dump_flow_file(Flow(flow_id="z"), tmp_path / "flow.txt")


def test_values_nested_beyond_what_flow_files_read_are_refused_when_writing(tmp_path: Path):
    loop: list = []
    loop.append(loop)  # a list that contains itself: a RecursionError before
    out = FlowOutput()
    out.set_config(keys=loop)
    flow = Flow(flow_id="loop")
    flow.add_routine(out, "out")
    with pytest.raises(ValueError, match=r"routines\.out\.config\.keys(\[0\])+: nested deeper than 100"):
        flow_to_document(flow)
    deep: list = []
    for _ in range(95):  # config is level 4 of the document: 95 more levels make 100
        deep = [deep]
    out.set_config(keys=deep)
    data, _lines, problems = read_document(dump_flow_file(flow, tmp_path / "deep.yaml"))
    assert problems == [] and data["routines"]["out"]["config"]["keys"] == deep  # it reads back
    out.set_config(keys=[deep])
    with pytest.raises(ValueError, match="nested deeper than 100"):
        flow_to_document(flow)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_load_raises_with_every_problem(tmp_path: Path):
    path = write(tmp_path / "bad.yaml", """
        routines:
          src: {type: FlowInput, config: {each: items}, error_handler: {strategy: retyr}}
          out: {type: FlowOutput, colour: red}
        connections:
          - {from: src.output, to: out.input, mapping: [1, 2]}
        entry: {routine: out}
    """)
    with pytest.raises(FlowFileError) as caught:
        load_flow_file(path)
    problems = {p.location: p for p in caught.value.problems}
    assert "did you mean 'retry'" in problems["routines.src.error_handler.strategy"].message
    assert problems["routines.src.error_handler.strategy"].line == 2
    assert "unknown key 'colour'" in problems["routines.out.colour"].message
    assert "mapping" in problems["connections[0].mapping"].message
    assert "no 'trigger' slot" in problems["entry.routine"].message
    assert str(caught.value).startswith(f"4 problem(s) in {path}")
    assert validate_flow_file(path) == caught.value.problems


def test_validate_json_files_have_lines_too(tmp_path: Path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({
        "routines": {"src": {"type": "FlowInput"}, "x": {"type": "no.such.module:Thing"}},
        "entry": "src",
    }, indent=2), encoding="utf-8")
    problems = validate_flow_file(path)
    by_location = {p.location: p for p in problems}
    assert "ModuleNotFoundError" in by_location["routines.x.type"].message
    assert by_location["routines.x.type"].line == 7
    assert "not reachable" not in by_location.get("routines.x", Problem("", "")).message


def test_module_class_next_to_the_flow_file(tmp_path: Path):
    (tmp_path / "near_module.py").write_text(textwrap.dedent("""
        from routilux import Routine

        class Near(Routine):
            def __init__(self):
                super().__init__()
                self.define_slot("trigger", self.go)
                self.define_event("output", ["value"])

            def go(self, value=0):
                self.send_output("near", value=value + 1)
    """), encoding="utf-8")
    path = write(tmp_path / "near.yaml", """
        routines:
          start: {type: "near_module:Near"}
        entry: {routine: start, params: {value: 41}}
    """)
    flow, spec = load_flow_file(path)
    assert spec.flow_id == "near"  # the file name, so a saved job finds its flow again
    assert run_job(flow, spec.entry, spec.params) == [("start", "near", {"value": 42})]


def test_not_a_routine_and_bad_executor_settings(tmp_path: Path):
    path = write(tmp_path / "odd.yaml", """
        version: 2
        executor: {name: concurrent, max_workers: 0, options: 3}
        history_limit: -1
        routines:
          src: {type: "json:JSONDecoder"}
          start: FlowInput
        entry: start
    """)
    found = {p.location: p.message for p in validate_flow_file(path)}
    assert "unsupported version" in found["version"]
    assert "positive integer" in found["executor.max_workers"]
    assert "mapping" in found["executor.options"]
    assert "history_limit" in found["history_limit"]
    assert "not a Routine subclass" in found["routines.src.type"]
    assert set(found) == {"version", "executor.max_workers", "executor.options", "history_limit",
                          "routines.src.type"}
