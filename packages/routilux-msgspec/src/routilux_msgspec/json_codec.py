"""The ``msgspec-json`` format: the ``json`` serializer's format, written and read by msgspec.

UTF-8 JSON, keys sorted, no whitespace. Values plain JSON cannot hold are the
tagged objects ``{"__routilux__": <tag>, ...}`` of
:mod:`routilux.serialization.tagged`, which the ``json`` codec
(routilux-json-store) writes too, so each serializer reads the other's files,
with one exception: msgspec cannot read or write the non-standard
``NaN``/``Infinity`` literals the ``json`` codec writes for non-finite floats,
so this format writes those as
``{"__routilux__": "float", "value": "nan" | "inf" | "-inf"}``, a tag the
``json`` codec does not know.

Decoding looks for tags only when the text contains the tag key at all, so
the common case, data without tuples, sets, datetimes, enums or bytes, is
msgspec's decoder alone. Reading never imports or evaluates anything;
malformed input raises ``ValueError``.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from routilux.serialization import TAG, JsonTagger, TagDecoder, tag_text
from routilux_msgspec.job_codec import MsgspecJobCodec

__all__ = ["JOB_CODEC", "TAG", "dumps", "loads"]

_MARKER = f'"{TAG}"'
_MARKER_BYTES = _MARKER.encode("ascii")
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class _MsgspecJsonTagger(JsonTagger):
    # Floats are checked one by one: msgspec would write NaN and infinities as null.
    plain = JsonTagger.plain - {float}

    def special(self, value: Any, depth: int) -> Any:
        if type(value) is float:
            if value - value == 0.0:  # false for NaN and both infinities
                return value
            return {TAG: "float", "value": "nan" if value != value else ("inf" if value > 0 else "-inf")}
        return super().special(value, depth)


def _read_float(obj: dict[str, Any]) -> float:
    text = tag_text(obj, "float")
    if text not in _NON_FINITE:
        raise ValueError(f"float tag: 'value' must be one of {sorted(_NON_FINITE)}, got {text!r:.80}")
    return _NON_FINITE[text]


_encoder = msgspec.json.Encoder(order="sorted")
_tagger = _MsgspecJsonTagger(_encoder.encode)
_decoder = msgspec.json.Decoder()
_restore = TagDecoder(extra={"float": _read_float}).restore


def _holds_tags(data: bytes) -> bool:
    # Text holds a tag key only if it spells '"__routilux__"' or escapes a character
    # (which the encoders do only for control characters).
    return _MARKER_BYTES in data or b"\\u" in data


#: ``JobState.save``/``load``'s fast path for this format (registered by the plugin). Floats
#: are not among the plain values written untouched: NaN and the infinities need tags.
JOB_CODEC = MsgspecJobCodec(
    msgspec.json.Encoder(order="deterministic"),
    msgspec.json.Decoder,
    _tagger,
    frozenset(_MsgspecJsonTagger.plain),
    reserved_key=TAG,
    skip_load=_holds_tags,
)


def dumps(obj: Any) -> bytes:
    """``obj`` as UTF-8 JSON bytes (sorted keys, compact). ``TypeError`` for values the format
    cannot hold, ``ValueError`` for data nested more than 500 levels deep."""
    try:
        return _encoder.encode(_tagger(obj))
    except RecursionError:
        raise ValueError("cannot encode: data nested too deeply") from None


def loads(data: bytes) -> Any:
    """The value :func:`dumps` (or the ``json`` codec) wrote. ``ValueError`` for anything that
    is not such JSON."""
    if isinstance(data, str):
        tagged = _MARKER in data or "\\u" in data
    elif isinstance(data, (bytes, bytearray, memoryview)):
        if isinstance(data, memoryview):
            data = data.tobytes()
        tagged = _holds_tags(data)
    else:
        raise TypeError(f"loads() takes bytes, got {type(data).__name__}")
    try:
        decoded = _decoder.decode(data)
        # Without a tag key in the text (see _holds_tags), skip the walk.
        return _restore(decoded) if tagged else decoded
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
