"""``routilux describe TYPE [--json]``: what a routine type takes, by registered name or module:Class."""

from __future__ import annotations

import json
import textwrap

import pytest

DESCRIBED = '''
from routilux import ErrorHandler, Routine


class Described(Routine):
    """Joins words.

    Words arrive on ``words``; ``joined`` carries the text.
    """

    config_keys = ("sep", "limit", "when", "mode")

    def __init__(self):
        super().__init__()
        self.set_config(sep=" ", limit=3, when=None)
        self.define_slot("words", self.on_words, merge_strategy="append")
        self.define_slot("whole", self.on_data)
        self.define_slot("one", self.on_one)
        self.define_slot("bare")
        self.define_event("joined", ["text", "count"])
        self.define_event("anything")
        self.set_error_handler(
            ErrorHandler(strategy="retry", max_retries=2, retryable_exceptions=(ConnectionError,))
        )

    def on_words(self, words: list, sep: str = " ") -> None:
        pass

    def on_data(self, data):
        pass

    def on_one(self, item=None):
        pass


class NeedsArguments(Routine):
    def __init__(self, size):
        super().__init__()


NOT_A_ROUTINE = 3
'''


@pytest.fixture
def described(tmp_path, cli_env):
    (tmp_path / "described.py").write_text(textwrap.dedent(DESCRIBED), encoding="utf-8")
    return cli_env({"PYTHONPATH": str(tmp_path)})


def test_a_module_class_is_described_in_full_as_json(run_cli, described):
    result = run_cli("describe", "described:Described", "--json", env=described)

    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["type"] == "described:Described" and info["class"] == "described:Described"
    assert info["distribution"] is None and info["category"] is None
    assert info["docstring"] == "Joins words.\n\nWords arrive on ``words``; ``joined`` carries the text."
    slots = {slot["name"]: slot for slot in info["slots"]}
    assert list(slots) == ["words", "whole", "one", "bare"]
    assert slots["words"] == {
        "name": "words",
        "handler": "Described.on_words",
        "parameters": [
            {"name": "words", "kind": "keyword", "annotation": "list"},
            {"name": "sep", "kind": "keyword", "default": "' '", "annotation": "str"},
        ],
        "called_with": "the payload keys it names (the whole payload as one argument if none of them is "
                       "present)",
        "merge_strategy": "append",
    }
    assert slots["whole"]["called_with"] == "the whole payload (a dict) as 'data'"
    assert slots["one"]["called_with"] == (
        "the value of payload key 'item' (the whole payload if that key is missing)"
    )
    assert slots["bare"]["handler"] is None and slots["bare"]["parameters"] == []
    assert info["events"] == [
        {"name": "joined", "payload_keys": ["text", "count"]},
        {"name": "anything", "payload_keys": None},
    ]
    assert info["config"] == [
        {"key": "sep", "default": " ", "has_default": True, "type": "str"},
        {"key": "limit", "default": 3, "has_default": True, "type": "int"},
        {"key": "when", "default": None, "has_default": True, "type": None},
        {"key": "mode", "default": None, "has_default": False, "type": None},
    ]
    assert info["config_keys_declared"] is True
    assert info["error_handler"] == {
        "strategy": "retry", "max_retries": 2, "retry_delay": 1.0, "retry_backoff": 2.0,
        "is_critical": False, "retryable_exceptions": ["ConnectionError"],
    }


def test_text_output_shows_each_part(run_cli, described):
    result = run_cli("describe", "described:Described", env=described)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("described:Described  (described:Described)\n  from no installed distribution\n")
    assert "  words: Described.on_words(words: list, sep: str = ' '), merge append\n" in out
    assert "    receives the value of payload key 'item'" in out
    assert "  bare: (no handler), merge override\n" in out
    assert "  joined: text, count\n  anything: (payload keys not declared)\n" in out
    assert '  limit  3  int\n' in out and "  mode   (no default)\n" in out
    assert "Error handler\n  strategy retry, max_retries 2," in out


def test_a_registered_name_names_its_distribution(run_cli):
    from routilux_cli.plugin import routilux_register_routines

    spec = next(s for s in routilux_register_routines() if s.name == "FlowInput")
    result = run_cli("describe", "FlowInput", "--json")

    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["type"] == "FlowInput" and info["class"] == "routilux_cli.routines:FlowInput"
    assert info["distribution"]["name"] == "routilux-cli" and info["distribution"]["plugin"] == "cli"
    assert info["summary"] == spec.description and info["category"] == "flow_io"
    assert [s["name"] for s in info["slots"]] == ["trigger"]
    assert info["slots"][0]["called_with"] == "every payload key as a keyword argument"
    assert {"name": "done", "payload_keys": ["count"]} in info["events"]
    assert {"key": "item_key", "default": "item", "has_default": True, "type": "str"} in info["config"]
    assert info["error_handler"] is None


def test_module_class_of_a_registered_type_finds_its_distribution(run_cli):
    result = run_cli("describe", "routilux_cli.routines:FlowOutput", "--json")

    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["type"] == "FlowOutput" and info["distribution"]["name"] == "routilux-cli"


def test_an_unknown_name_exits_2_with_a_did_you_mean_line(run_cli):
    result = run_cli("describe", "FlowInptu")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "unknown routine type 'FlowInptu' (registered routine types: " in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == "did you mean 'FlowInput' or 'FlowOutput'?"


@pytest.mark.parametrize(
    ("type_name", "message"),
    [
        ("described:Describd",
         "module 'described' has no attribute 'Describd'\ndid you mean 'described:Described'?"),
        ("described:NOT_A_ROUTINE", "'described:NOT_A_ROUTINE' is not a Routine subclass"),
        ("no_such_module_here:Thing", "no module 'no_such_module_here' can be imported"),
        ("described:", "must be a registered routine type or 'module:Class'"),
    ],
)
def test_a_bad_module_class_exits_2(run_cli, described, type_name, message):
    result = run_cli("describe", type_name, env=described)

    assert result.returncode == 2, result.stdout
    assert message in result.stderr


def test_a_type_that_cannot_be_built_exits_1(run_cli, described):
    result = run_cli("describe", "described:NeedsArguments", env=described)

    assert result.returncode == 1
    assert ("'described:NeedsArguments' cannot be built with no arguments, as flow files build it: "
            "TypeError:") in result.stderr
