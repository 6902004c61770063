"""TimeProvider driven by direct receive() calls (spec §16.4)."""

from __future__ import annotations

import re
import time
from datetime import datetime

from routilux_std_routines import TimeProvider


def request_time(capture, payload=None, **config):
    return capture.deliver(TimeProvider(), payload or {}, slot="request", **config)


def test_time_provider_slot_is_request_on_trigger_slot():
    provider = TimeProvider()
    assert provider.trigger_slot.name == "request" and provider.get_slot("request") is provider.trigger_slot


def test_time_provider_iso_default(capture):
    before = time.time()
    out = request_time(capture)
    assert isinstance(out["timestamp"], float) and before <= out["timestamp"] <= time.time()
    assert datetime.fromisoformat(out["time_string"]) == datetime.fromisoformat(out["datetime"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", out["formatted"])


def test_time_provider_formats(capture):
    assert "年" in request_time(capture, format="formatted")["time_string"]
    assert "星期" in request_time(capture, format="formatted")["time_string"]
    english = request_time(capture, format="formatted", locale="en_US")["time_string"]
    assert re.fullmatch(r"[A-Z][a-z]+, [A-Z][a-z]+ \d{2}, \d{4} \d{2}:\d{2}:\d{2}", english)
    plain = request_time(capture, format="formatted", include_weekday=False)["time_string"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", plain)
    custom = request_time(capture, format="custom", custom_format="%Y-%m-%d")["time_string"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", custom)
    assert float(request_time(capture, format="timestamp")["time_string"]) > 0
    datetime.fromisoformat(request_time(capture, format="no-such-format")["time_string"])


def test_time_provider_format_override_from_payload(capture):
    assert "年" in request_time(capture, {"format": "formatted"})["time_string"]
    custom = request_time(capture, {"data": {"format": "custom"}}, custom_format="%Y")["time_string"]
    assert re.fullmatch(r"\d{4}", custom)
