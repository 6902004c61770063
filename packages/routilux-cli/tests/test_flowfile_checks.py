"""Validation catches what a run would silently ignore, and reports each mistake once."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from routilux_cli.flowfile import load_flow_file, validate_flow_file
from routilux_cli.params import ParamError, check_entry_params, parse_params

ENTRY_FIXTURES = Path(__file__).resolve().parent / "entry_fixtures.py"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def problems_of(path: Path) -> dict:
    return {p.location: p for p in validate_flow_file(path)}


def fed_by_flow_input(routine_id: str, routine: str) -> str:
    """A flow file: the entry ``src`` (a FlowInput) feeds ``routine_id``, whose keys are the YAML ``routine``.

    ``routine_id`` is on line 3 and its keys start on line 4.
    """
    keys = textwrap.indent(textwrap.dedent(routine).strip() + "\n", "    ")
    return (f"routines:\n  src: {{type: FlowInput}}\n  {routine_id}:\n{keys}"
            f"connections:\n  - {{from: src.output, to: {routine_id}.input}}\nentry: src\n")


def test_an_unknown_config_key_is_a_problem_with_the_closest_key(tmp_path: Path):
    path = write(tmp_path / "typo.yaml", fed_by_flow_input("clip", """
        type: TextClipper
        config: {max_lenght: 60}
    """))
    found = problems_of(path)
    assert set(found) == {"routines.clip.config.max_lenght"}
    problem = found["routines.clip.config.max_lenght"]
    assert "TextClipper has no config key 'max_lenght'; did you mean 'max_length'?" in problem.message
    assert "truncation_message" in problem.message  # the keys it does take
    assert problem.line == 5


def test_routine_types_that_declare_nothing_take_any_config(tmp_path: Path):
    shutil.copy(ENTRY_FIXTURES, tmp_path / "entry_fixtures.py")
    path = write(tmp_path / "free.yaml", """
        routines:
          start: {type: "entry_fixtures:Counter", config: {anything: 1, goes: [2]}}
        entry: start
    """)
    assert validate_flow_file(path) == []


def test_an_unknown_transformation_name_is_a_problem(tmp_path: Path):
    path = write(tmp_path / "shout.yaml", fed_by_flow_input("tidy", """
        type: DataTransformer
        config:
          transformations: [strip_whitespace, uppercse, 3]
    """))
    found = problems_of(path)
    assert set(found) == {"routines.tidy.config.transformations[1]",
                          "routines.tidy.config.transformations[2]"}
    unknown = found["routines.tidy.config.transformations[1]"]
    assert "unknown transformation 'uppercse' of DataTransformer; did you mean 'uppercase'" in unknown.message
    assert unknown.line == 6
    assert "named by a string" in found["routines.tidy.config.transformations[2]"].message


def test_entry_params_the_entry_would_drop_are_problems(tmp_path: Path):
    shutil.copy(ENTRY_FIXTURES, tmp_path / "entry_fixtures.py")
    path = write(tmp_path / "params.yaml", """
        routines:
          start: {type: "entry_fixtures:Counter"}
        entry: {routine: start, params: {value: 41, stpe: 2}}
    """)
    found = problems_of(path)
    assert set(found) == {"entry.params.stpe"}
    message = found["entry.params.stpe"].message
    assert "takes no parameter 'stpe'" in message and "did you mean 'step'?" in message
    assert "a run would drop it" in message


def test_a_minus_p_key_the_entry_does_not_take_is_refused(tmp_path: Path):
    shutil.copy(ENTRY_FIXTURES, tmp_path / "entry_fixtures.py")
    path = write(tmp_path / "counter.yaml", """
        routines:
          start: {type: "entry_fixtures:Counter"}
          free: {type: "entry_fixtures:Anything"}
        connections:
          - {from: start.output, to: free.trigger}
        entry: {routine: start, params: {value: 41}}
    """)
    flow, spec = load_flow_file(path)
    check_entry_params(flow, "start", spec.params, parse_params(["step=2"]))  # taken: no error
    with pytest.raises(ParamError, match=r"--param valu: .*did you mean 'value'\?"):
        check_entry_params(flow, "start", spec.params, parse_params(["valu=3"]))
    check_entry_params(flow, "free", {}, parse_params(["whatever=1"]))  # **params takes every key


def chain_flow(chain: Mapping[str, str], unconnected: Mapping[str, str] | None = None) -> str:
    """A flow file whose ``chain`` routines (id: type) are wired output -> input in order from the entry.

    The ``unconnected`` routines are listed after them, wired to nothing.
    """
    every = {**chain, **(unconnected or {})}
    routines = "".join(f"  {rid}: {{type: {kind}}}\n" for rid, kind in every.items())
    ids = list(chain)
    connections = "".join(f"  - {{from: {source}.output, to: {target}.input}}\n"
                          for source, target in zip(ids, ids[1:]))
    return f"routines:\n{routines}connections:\n{connections}entry: {ids[0]}\n"


def test_one_unknown_type_does_not_make_the_routines_after_it_unreachable(tmp_path: Path):
    path = write(tmp_path / "cascade.yaml", chain_flow(
        {"src": "FlowInput", "clip": "TextClippper", "tidy": "DataTransformer", "show": "FlowOutput"},
        unconnected={"orphan": "FlowOutput"}))
    found = problems_of(path)
    assert set(found) == {"routines.clip.type", "routines.orphan"}
    assert "did you mean 'TextClipper'" in found["routines.clip.type"].message
    assert "not reachable" in found["routines.orphan"].message


def test_an_entry_of_unknown_type_does_not_make_every_routine_unreachable(tmp_path: Path):
    path = write(tmp_path / "entry.yaml",
                 chain_flow({"src": "FlowInptu", "clip": "TextClipper", "show": "FlowOutput"}))
    assert set(problems_of(path)) == {"routines.src.type"}
