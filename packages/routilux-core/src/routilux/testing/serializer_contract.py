"""The contract of plugins that register serializers (``routilux_register_serializers``)."""

from __future__ import annotations

import datetime
import enum
from typing import Any, ClassVar

from routilux.testing.contract import PluginContract

__all__ = ["SerializerPluginContract"]


class _Color(str, enum.Enum):
    RED = "red"
    GREEN = "green"


def _representative_payload() -> dict[str, Any]:
    """Plain data as ``serialize()`` methods produce it, with the awkward cases."""
    return {
        "_type": "JobState",
        "flow_id": "flow-ünïcödé-流れ-🚀",
        "status": _Color.RED,
        "count": 3,
        "ratio": 0.25,
        "negative": -7,
        "big": 2**53 + 1,
        "flag": True,
        "off": False,
        "nothing": None,
        "empty_text": "",
        "empty_list": [],
        "empty_dict": {},
        "created_at": datetime.datetime(2024, 2, 29, 23, 59, 58, 123456),
        "updated_at": datetime.datetime(
            2024, 3, 1, 8, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30))
        ),
        "history": [
            {"routine_id": "src", "event_name": "out", "data": {"text": 'héllo\nwörld\t"quoted"'}},
            {"routine_id": "sink", "event_name": "error", "data": {"values": [1, 2.5, None, "x"]}},
        ],
        "nested": {"level1": {"level2": {"level3": [{"k": "v"}, [1, [2, [3]]]]}}},
    }


class SerializerPluginContract(PluginContract):
    """Contract for plugins implementing ``routilux_register_serializers``.

    Set ``plugin`` and ``serializer`` (the name of the format to check).
    """

    serializer: ClassVar[str]

    def _spec(self) -> Any:
        return self.plugin_registry().get_serializer(type(self).serializer)

    def test_dumps_returns_bytes(self) -> None:
        dumped = self._spec().dumps(_representative_payload())
        assert isinstance(dumped, bytes), f"dumps() must return bytes, got {type(dumped).__name__}"

    def test_round_trips_representative_payload(self) -> None:
        spec = self._spec()
        payload = _representative_payload()
        restored = spec.loads(spec.dumps(payload))
        assert restored == payload, f"serializer {spec.name!r} changed the data:\n{restored!r}"
        for key in ("created_at", "updated_at"):
            assert isinstance(restored[key], datetime.datetime), f"{key} came back as {restored[key]!r}"
        assert restored["updated_at"].utcoffset() == payload["updated_at"].utcoffset()
        assert restored["status"] == "red"

    def test_round_trip_is_stable(self) -> None:
        spec = self._spec()
        once = spec.loads(spec.dumps(_representative_payload()))
        twice = spec.loads(spec.dumps(once))
        assert twice == once

    def test_suffixes_select_the_serializer(self) -> None:
        registry = self.plugin_registry()
        spec = registry.get_serializer(type(self).serializer)
        for suffix in spec.suffixes:
            assert suffix.startswith(".") and len(suffix) > 1, f"suffix {suffix!r} must look like '.json'"
            assert registry.serializer_for_path(f"state{suffix}") is spec
