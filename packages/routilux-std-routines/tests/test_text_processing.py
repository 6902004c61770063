"""TextClipper, TextRenderer and ResultExtractor driven by direct receive() calls (spec §16.1–§16.3)."""

from __future__ import annotations

import pytest

from routilux_std_routines import ResultExtractor, TextClipper, TextRenderer

# --------------------------------------------------------------------------- TextClipper


def clip(capture, payload, **config):
    return capture.deliver(TextClipper(), payload, **config)


def test_clipper_defaults_and_surface():
    clipper = TextClipper()
    assert clipper.get_config("max_length") == 1000
    assert clipper.get_config("preserve_tracebacks") is True
    assert clipper.get_slot("input") is clipper.input_slot
    assert clipper.get_event("output") is clipper.output_event


def test_clipper_truncates_whole_lines_with_message(capture):
    out = clip(capture, {"text": "aaaa\nbbbb\ncccc\ndddd"}, max_length=10)
    assert out == {"clipped_text": "aaaa\n...(省略了3行)", "was_clipped": True, "original_length": 19}
    assert "省略了" in out["clipped_text"]


def test_clipper_first_line_too_long(capture):
    out = clip(capture, {"text": "x" * 30 + "\nshort"}, max_length=10)
    assert out["clipped_text"] == "\n...(省略了2行)"


def test_clipper_argument_limit_wins_over_config(capture):
    out = clip(capture, {"text": "a" * 50, "max_length": 100}, max_length=10)
    assert out["was_clipped"] is False


def test_clipper_short_and_empty_text_unchanged(capture):
    assert clip(capture, {"text": "short"})["clipped_text"] == "short"
    out = clip(capture, {"text": ""})
    assert (out["clipped_text"], out["was_clipped"], out["original_length"]) == ("", False, 0)


def test_clipper_preserves_tracebacks(capture):
    text = "Traceback (most recent call last):\n" + "line\n" * 100
    out = clip(capture, {"text": text}, max_length=20)
    assert out["clipped_text"] == text and out["was_clipped"] is False
    assert clip(capture, {"text": text}, max_length=20, preserve_tracebacks=False)["was_clipped"] is True


def test_clipper_text_choice(capture):
    assert clip(capture, {"text": 12345})["clipped_text"] == "12345"
    assert clip(capture, {"data": {"message": "m", "content": "c"}})["clipped_text"] == "c"
    assert clip(capture, {"data": {"n": 1, "other": "s"}})["clipped_text"] == "s"
    assert clip(capture, {"data": {"n": 1}})["clipped_text"] == "{'n': 1}"
    assert clip(capture, {"content": "only"})["clipped_text"] == "only"


def test_clipper_custom_message(capture):
    out = clip(capture, {"text": "a\nb\nc"}, max_length=3, truncation_message="[{remaining} more]")
    assert out["clipped_text"] == "a\n[2 more]"


# --------------------------------------------------------------------------- TextRenderer


def render(capture, payload, **config):
    return capture.deliver(TextRenderer(), payload, **config)


def test_renderer_xml(capture):
    out = render(capture, {"data": {"name": "test", "value": 42}})
    assert out["rendered_text"] == "<name>test</name>\n<value>42</value>"
    assert out["original_type"] == "dict"


def test_renderer_nested_and_lists(capture):
    assert (
        render(capture, {"data": {"a": {"b": 1, "c": 2}}})["rendered_text"] == "<a>  <b>1</b>\n  <c>2</c></a>"
    )
    assert render(capture, {"data": ["x", "y"]})["rendered_text"] == "<item_0>x</item_0>\n<item_1>y</item_1>"


def test_renderer_markdown(capture):
    text = render(capture, {"data": {"name": "test", "tags": ["a"]}}, tag_format="markdown")["rendered_text"]
    assert text == "**name**: test\n**tags**:   - a"


def test_renderer_primitives_and_empty(capture):
    assert render(capture, {"data": "test"})["rendered_text"] == "test"
    out = render(capture, {"data": 7})
    assert (out["rendered_text"], out["original_type"]) == ("7", "int")
    assert render(capture, {"data": []})["rendered_text"] == ""


def test_renderer_circular_reference(capture):
    data = {"a": 1}
    data["self"] = data
    assert render(capture, {"data": data})["rendered_text"] == "<a>1</a>\n<self>[Circular Reference]</self>"


# --------------------------------------------------------------------------- ResultExtractor


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
