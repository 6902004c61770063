"""ResultExtractor driven by direct receive() calls (spec §16.3)."""

from __future__ import annotations

import pytest

from routilux_std_routines import ResultExtractor


def extract(capture, value, extractor=None, **config):
    return capture.deliver(extractor or ResultExtractor(), {"data": value}, **config)


def test_extractor_json_code_block(capture):
    out = extract(capture, 'text\n```json\n{"key": "value"}\n```\n')
    assert out["format"] == "json" and out["extracted_result"] == {"key": "value"}
    assert out["confidence"] > 0.5 and out["confidence"] == pytest.approx(0.9)
    assert out["extraction_path"] == ["json_code_block"]
    assert out["metadata"]["extraction_method"] == "json_code_block"
    assert out["metadata"]["extractor"] == "json_code_block" and out["metadata"]["strategy"] == "auto"


def test_extractor_last_valid_json_block_wins(capture):
    text = '```json\n{"a": 1}\n```\n```json\nnot json\n```'
    out = extract(capture, text)
    assert out["extracted_result"] == {"a": 1} and out["metadata"]["block_index"] == 0


def test_extractor_json_string(capture):
    assert extract(capture, '{"key":"value"}')["format"] == "json"
    out = extract(capture, "[1, 2]")
    assert out["extracted_result"] == [1, 2] and out["confidence"] == pytest.approx(0.8)


def test_extractor_python_block_keeps_trailing_newline(capture):
    out = extract(capture, "```python\nprint('hello')\n```")
    assert out["format"] == "python" and out["extracted_result"] == "print('hello')\n"
    assert "code_block" in out["metadata"]["extraction_method"]
    assert out["confidence"] == pytest.approx(0.6)


def test_extractor_interpreter_output(capture):
    items = [
        {"format": "output", "content": "line 1"},
        {"format": "code", "content": "ignored"},
        {"format": "output", "content": "line 2"},
    ]
    out = extract(capture, items)
    assert out["format"] == "interpreter_output" and out["extracted_result"] == "line 1\nline 2"
    assert out["metadata"]["output_count"] == 2


def test_extractor_dict_and_list(capture):
    assert extract(capture, {"a": 1})["format"] == "dict"
    assert extract(capture, [1, 2, 3])["format"] == "list"


@pytest.mark.parametrize("text", ["plain text", "```json\n{invalid}\n```", "{}"])
def test_extractor_falls_back_to_original(capture, text):
    out = extract(capture, text)
    assert out["extracted_result"] == text and out["confidence"] == 0.0
    assert out["format"] == "str" and out["extraction_path"] == []
    assert out["metadata"]["extraction_method"] == "none"


def test_extractor_raises_without_fallback():
    extractor = ResultExtractor()
    extractor.set_config(return_original_on_failure=False)
    with pytest.raises(ValueError, match="All extractors failed"):
        extractor.extract("plain text")


def test_extractor_first_match_and_priority(capture):
    text = '```json\n{"a": 1}\n```\n```python\nx = 1\n```'
    assert extract(capture, text, strategy="first_match")["format"] == "json"
    out = extract(capture, text, extractor_priority=["code_block", "json_code_block"])
    assert out["extraction_path"] == ["code_block"] and out["format"] == "python"


def test_extractor_all_and_best_strategies(capture):
    text = '```json\n{"a": 1}\n```\n```python\nx = 1\n```'
    out = extract(capture, text, strategy="all")
    assert out["format"] == "multi" and out["extraction_path"] == ["json_code_block", "code_block"]
    assert out["metadata"]["count"] == 2 and out["confidence"] == pytest.approx(0.9)
    assert extract(capture, text, strategy="best")["format"] == "json"


def test_extractor_custom_extractor_with_priority(capture):
    extractor = ResultExtractor()

    def prefix(data, config):
        if isinstance(data, str) and data.startswith("RESULT:"):
            return data[len("RESULT:") :], "custom", {"method": "prefix"}
        return None

    extractor.register_extractor("prefix", prefix)
    out = extract(capture, "RESULT:test_value", extractor, extractor_priority=["prefix"])
    assert (out["extracted_result"], out["format"], out["metadata"]["method"]) == (
        "test_value",
        "custom",
        "prefix",
    )


def test_extractor_failing_extractor_is_recorded(capture):
    extractor = ResultExtractor()

    def broken(data, config):
        raise RuntimeError("boom")

    extractor.register_extractor("broken", broken)
    out = extract(capture, "plain", extractor, log_errors=False)
    assert out["metadata"]["errors"] == [{"extractor": "broken", "error": "boom"}]


def test_extractor_switches_off_json_blocks(capture):
    out = extract(capture, '```json\n{"a": 1}\n```', extract_json_blocks=False, code_block_languages=[])
    assert out["confidence"] == 0.0


def test_extractor_empty_input_becomes_empty_string(capture):
    extractor = ResultExtractor()
    out = capture(extractor)
    extractor.input_slot.receive({})
    assert out.last["extracted_result"] == "" and out.last["confidence"] == 0.0
