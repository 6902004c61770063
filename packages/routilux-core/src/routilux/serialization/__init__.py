"""Serialization of flows, routines and job states to plain data, and of plain data to files.

``serialize()`` methods of the object model (``Flow``, ``Routine``, ``Slot``,
``Event``, ``Connection``, ``ErrorHandler``, ``JobState``,
``ExecutionRecord``, ``ExecutionTracker``) return plain data: dicts, lists,
strings, numbers, booleans, None (and the user's own values). The matching
``deserialize(data, registry=None)`` methods restore an object in place from
such data, never mutating it, and raise ``ValueError``/``TypeError`` naming the
field and the value for malformed input. Each class's own module holds that code.

Imports run one way. Importing this package imports nothing of the object
model, which uses it: ``values``, ``callables``, ``files``, ``registry`` and
``classes`` are leaves (core's classes are entered in the ``_type`` table by
:mod:`routilux.flow.flow`). Only ``flows`` (``Flow``'s form, used by
:mod:`routilux.flow`) imports the object model; it is loaded on first use.

Turning plain data into bytes is the job of serializer plugins (the
``routilux_register_serializers`` hook; ``routilux-json-store`` provides
``"json"``): see :func:`write_data`, :func:`read_data` and
:func:`atomic_write_bytes`, which ``JobState.save``/``load`` and the stores use. A
serializer may also register a job codec (:func:`register_job_codec`, see
:mod:`routilux.serialization.jobs`, a leaf too): a fast path for whole job
states that ``JobState.save``/``load`` use instead of its ``dumps``/``loads``.

The serializers keep the values plain JSON has no type for (datetimes, enums,
tuples, sets, bytes, dicts with other keys) with the tagged-value format of
:mod:`routilux.serialization.tagged` (a leaf too): :func:`encode_tagged` /
:func:`decode_tagged` for the stdlib ``json`` module, :class:`Tagger` and
:class:`TagDecoder` for other encoders.

Classes are found by their ``_type`` name with :func:`resolve_class` (core's
classes, classes decorated with :func:`routilux.register_serializable`, and
routine plugins' types); callables with :func:`serialize_callable` /
:func:`deserialize_callable` (see :mod:`routilux.serialization.callables` for
what may be restored and why).
"""

from routilux.serialization.callables import SAFE_BUILTINS, deserialize_callable, serialize_callable
from routilux.serialization.classes import resolve_class
from routilux.serialization.files import atomic_write_bytes, choose_serializer, read_data, write_data
from routilux.serialization.jobs import (
    HistoryRecord,
    HistoryRow,
    JobCodec,
    JobParts,
    JobSnapshot,
    job_codec_for,
    paused_gc,
    register_job_codec,
)
from routilux.serialization.registry import ObjectRegistry
from routilux.serialization.tagged import (
    MAX_NESTING,
    TAG,
    JsonTagger,
    TagDecoder,
    Tagger,
    decode_tagged,
    encode_tagged,
    enum_member,
    enum_path,
    restore_tagged,
    tag_text,
)
from routilux.serialization.values import MAX_DEPTH

__all__ = [
    "MAX_DEPTH",
    "MAX_NESTING",
    "HistoryRecord",
    "HistoryRow",
    "JobCodec",
    "JobParts",
    "JobSnapshot",
    "SAFE_BUILTINS",
    "TAG",
    "JsonTagger",
    "ObjectRegistry",
    "TagDecoder",
    "Tagger",
    "atomic_write_bytes",
    "choose_serializer",
    "decode_tagged",
    "deserialize_callable",
    "encode_tagged",
    "enum_member",
    "enum_path",
    "job_codec_for",
    "paused_gc",
    "read_data",
    "register_job_codec",
    "resolve_class",
    "restore_tagged",
    "serialize_callable",
    "tag_text",
    "write_data",
]

