"""TextRenderer driven by direct receive() calls (spec §16.2)."""

from __future__ import annotations

from routilux_std_routines import TextRenderer


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
