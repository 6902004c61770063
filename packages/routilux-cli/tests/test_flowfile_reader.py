"""Reading flow files: hostile documents are refused with one message, syntax errors point at the right line.

Every parse here is bounded: a regression to expanding aliases or recursing
shows up as a failure (the pytest-level timeout of the CLI tests covers the
command; these call the library, which must return at once).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from routilux_cli.flowfile import (
    FlowFileError,
    FlowFileRefused,
    load_flow_file,
    read_document,
    validate_flow_file,
)
from routilux_cli.flowfile.limits import MAX_ALIAS_NODES, MAX_DEPTH, MAX_DOCUMENT_BYTES, LimitExceeded
from routilux_cli.flowfile.yaml_text import HAVE_LIBYAML, load_yaml

# Both parsers PyYAML may have: libyaml's and the pure-Python one (the only one without libyaml).
PARSERS = [pytest.param(True, id="libyaml", marks=pytest.mark.skipif(not HAVE_LIBYAML, reason="no libyaml")),
           pytest.param(False, id="pure-python")]

TAIL = "routines:\n  src: {type: FlowInput}\nentry: src\n"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


# -- aliases -----------------------------------------------------------------------------------


@pytest.mark.parametrize("libyaml", PARSERS)
def test_billion_laughs_is_refused_before_it_expands(libyaml):
    with pytest.raises(LimitExceeded) as caught:
        load_yaml(laughs(), use_libyaml=libyaml)
    assert f"{MAX_ALIAS_NODES:,}" in caught.value.message
    # l5, on line 6, is the first list whose expansion (597,871 values) is beyond the bound.
    assert caught.value.line == 6


@pytest.mark.parametrize("libyaml", PARSERS)
def test_merge_keys_count_as_expansion(libyaml):
    # "<<: *x" copies the pairs of x: nine merges of nine merges of ... is the same bomb.
    lines = ["m0: &m0 {" + ", ".join(f"k{i}: {i}" for i in range(9)) + "}"]
    lines += [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 9)}]}}" for i in range(1, 10)]
    with pytest.raises(LimitExceeded, match="aliases expand"):
        load_yaml("\n".join(lines) + "\n", use_libyaml=libyaml)


@pytest.mark.parametrize("libyaml", PARSERS)
def test_a_recursive_alias_is_refused(libyaml):
    with pytest.raises(LimitExceeded, match="inside its own anchor") as caught:
        load_yaml("a: 1\nloop: &x [1, *x]\n", use_libyaml=libyaml)
    assert caught.value.line == 2


@pytest.mark.parametrize("libyaml", PARSERS)
def test_reusing_an_anchor_a_few_times_is_fine(libyaml):
    text = "base: &base {max_length: 40, preserve_tracebacks: false}\n" + "".join(
        f"r{i}: *base\n" for i in range(50))
    data, _lines = load_yaml(text, use_libyaml=libyaml)
    assert data["r49"] == {"max_length": 40, "preserve_tracebacks": False}


def test_a_billion_laughs_flow_file_is_refused_with_its_name_and_line(tmp_path: Path):
    path = write(tmp_path / "laughs.yaml", laughs() + TAIL)
    with pytest.raises(FlowFileRefused) as caught:
        validate_flow_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:6: not read: YAML aliases expand")
    assert "\n" not in message
    with pytest.raises(FlowFileError):  # what run and graph catch
        load_flow_file(path)


# -- nesting and numbers ---------------------------------------------------------------------


@pytest.mark.parametrize("libyaml", PARSERS)
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 20_000])
def test_deep_yaml_nesting_is_refused(libyaml, depth):
    text = "x:\n  y: " + "[" * depth + "]" * depth + "\n"
    with pytest.raises(LimitExceeded, match=f"deeper than {MAX_DEPTH} levels") as caught:
        load_yaml(text, use_libyaml=libyaml)
    assert caught.value.line == 2


@pytest.mark.parametrize("libyaml", PARSERS)
def test_nesting_up_to_the_bound_is_read(libyaml):
    # The document is level 1, "x" level 2: 98 lists more make 100.
    depth = MAX_DEPTH - 2
    data, _lines = load_yaml("x: " + "[" * depth + "1" + "]" * depth + "\n", use_libyaml=libyaml)
    value = data["x"]
    for _ in range(depth - 1):
        (value,) = value
    assert value == [1]


@pytest.mark.parametrize("libyaml", PARSERS)
def test_deep_block_nesting_is_refused(libyaml):
    text = "".join("  " * level + f"k{level}:\n" for level in range(MAX_DEPTH + 5)) + "  " * 105 + "v\n"
    with pytest.raises(LimitExceeded, match="deeper than"):
        load_yaml(text, use_libyaml=libyaml)


@pytest.mark.parametrize("libyaml", PARSERS)
def test_an_integer_too_long_to_convert_is_refused_with_its_line(libyaml):
    with pytest.raises(LimitExceeded, match="5000 digits") as caught:
        load_yaml("a: 1\nb: " + "9" * 5000 + "\n", use_libyaml=libyaml)
    assert caught.value.line == 2
    data, _lines = load_yaml('b: "' + "9" * 5000 + '"\n', use_libyaml=libyaml)
    assert data["b"] == "9" * 5000  # quoted, it is text


@pytest.mark.parametrize("libyaml", PARSERS)
@pytest.mark.parametrize("value, what", [
    ("2001-13-45", "a date or time"),  # shaped like a date, month 13: a ValueError inside PyYAML
    ("!!int", "an integer"), ("!!int abc", "an integer"), ("!!float x", "a number"),
    ("!!bool maybe", "a boolean"), ("!!timestamp soon", "a date or time"),
])
def test_values_that_are_not_what_they_say_are_yaml_errors_with_a_line(libyaml, value, what):
    with pytest.raises(yaml.MarkedYAMLError, match=f"is not {what}") as caught:
        load_yaml(f"a: 1\nb: {value}\n", use_libyaml=libyaml)
    assert caught.value.problem_mark.line + 1 == 2


YAML_PIECES = list("[]{}:,-&*!|>'\"#\n 09a?<=.%@`~\t") + [
    "&a ", "*a", "<<: ", "!!int ", "!!float ", "!!bool ", "!!binary ", "!!timestamp ", "!!set ", "!!omap ",
    "!!python/object ", "2001-13-45", "0x", "1:2:3", "---\n", "? ", "1e5", ".inf", "0o7", "0b2", "\\u",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=40).map("".join), st.booleans())
def test_any_text_is_data_or_a_yaml_error_or_a_limit(text, libyaml):
    # Nothing else may escape: a stray ValueError or IndexError would be a traceback in the CLI.
    try:
        load_yaml(text, use_libyaml=libyaml and HAVE_LIBYAML)
    except (yaml.YAMLError, LimitExceeded):
        pass


def test_json_nesting_and_long_integers_are_refused_with_their_lines(tmp_path: Path):
    deep = tmp_path / "deep.json"
    deep.write_text('{\n"routines": {"src": {"type": "FlowInput"}},\n"x": ' + "[" * 20_000 + "]" * 20_000
                    + '\n}', encoding="utf-8")
    with pytest.raises(FlowFileRefused, match=f"{deep}:3: not read: lists and mappings nested deeper"):
        read_document(deep)
    just_over = tmp_path / "over.json"
    just_over.write_text('{"x":\n' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}", encoding="utf-8")
    with pytest.raises(FlowFileRefused, match=f"{just_over}:2: "):
        read_document(just_over)
    digits = tmp_path / "digits.json"
    digits.write_text('{"a": "[[[ 99999",\n "b": ' + "7" * 5000 + "}", encoding="utf-8")
    with pytest.raises(FlowFileRefused, match=f"{digits}:2: not read: an integer with 5000 digits"):
        read_document(digits)


def test_a_file_beyond_the_size_bound_is_refused_unread(tmp_path: Path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as stream:  # sparse: the size is what counts, nothing is read
        stream.truncate(MAX_DOCUMENT_BYTES + 1)
    with pytest.raises(FlowFileRefused, match=f"{path}: not read: {MAX_DOCUMENT_BYTES + 1:,} bytes"):
        validate_flow_file(path)


# -- syntax errors and lines ------------------------------------------------------------------


@pytest.mark.parametrize("text, line, words", [
    # A quote left open: the parser notices at the end of the text, the mistake is where it opened.
    ('routines:\n  src: {type: "FlowInput}\n  clip: {type: TextClipper}\nentry: src\n', 2,
     "quoted scalar that starts at line 2"),
    # A brace left open: noticed on the next line, with where the mapping started.
    ("routines:\n  src: {type: FlowInput\n  clip: {type: TextClipper}\nentry: src\n", 3,
     "flow mapping that starts at line 2"),
    ("routines:\n  src:\n    type: FlowInput\n   config: {}\nentry: src\n", 4, "line 4"),
])
def test_yaml_syntax_errors_name_the_file_and_the_right_line(tmp_path: Path, text, line, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    (problem,) = validate_flow_file(path)
    assert problem.line == line
    assert problem.message.startswith("invalid YAML: ")
    assert words in problem.message
    assert "<unicode string>" not in problem.message and "\n" not in problem.message
    with pytest.raises(FlowFileError) as caught:
        load_flow_file(path)
    assert str(caught.value) == f"{path}:{line}: {problem.message}"  # one line naming the file


def test_lines_of_keys_that_contain_dots_and_of_list_items(tmp_path: Path):
    path = write(tmp_path / "dots.yaml", """
        routines:
          src: {type: FlowInput}
          a.b: {type: TextClipper}
        connections:
          - {from: src.output, to: nowhere.input}
        entry: src
    """)
    found = {p.location: p.line for p in validate_flow_file(path)}
    assert found == {"routines.a.b": 3, "connections[0].to": 5}


def test_json_lines_are_found_without_a_second_parser(tmp_path: Path):
    path = tmp_path / "flow.json"
    path.write_text(json.dumps({
        "routines": {"src": {"type": "FlowInput"},
                     "clip": {"type": "TextClipper", "config": {"max_lenght": 3}}},
        "connections": [{"from": "src.output", "to": "clip.input"},
                        {"from": "src.output", "to": "clip.inptu"}],
        "entry": "src",
    }, indent=2), encoding="utf-8")
    found = {p.location: p.line for p in validate_flow_file(path)}
    lines = path.read_text(encoding="utf-8").splitlines()
    assert '"max_lenght"' in lines[found["routines.clip.config.max_lenght"] - 1]
    assert '"to": "clip.inptu"' in lines[found["connections[1].to"] - 1]
