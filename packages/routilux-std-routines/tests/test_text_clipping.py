"""TextClipper driven by direct receive() calls (spec §16.1)."""

from __future__ import annotations

from routilux_std_routines import TextClipper


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
