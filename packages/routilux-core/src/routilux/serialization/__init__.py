"""Serialization of flows, routines and job states to plain data, and of plain data to files.

``serialize()`` methods of the object model (``Flow``, ``Routine``, ``Slot``,
``Event``, ``Connection``, ``ErrorHandler``, ``JobState``,
``ExecutionRecord``, ``ExecutionTracker``) return plain data: dicts, lists,
strings, numbers, booleans, None (and the user's own values). The matching
``deserialize(data, registry=None)`` methods restore an object in place from
such data, never mutating it, and raise ``ValueError``/``TypeError`` naming the
field and the value for malformed input. Each class's own module holds that code.

Imports run one way. Importing this package imports nothing of the object
model, which uses it: ``_values``, ``callables``, ``files``, ``registry`` and
``classes`` are leaves (core's classes are entered in the ``_type`` table by
:mod:`routilux.flow.flow`). Only ``flows`` (``Flow``'s form, used by
:mod:`routilux.flow`) imports the object model; it is loaded on first use.

Turning plain data into bytes is the job of serializer plugins (the
``routilux_register_serializers`` hook; ``routilux-json-store`` provides
``"json"``): see :func:`write_data`, :func:`read_data` and
:func:`atomic_write_bytes`, which ``JobState.save``/``load`` and the stores use.

Classes are found by their ``_type`` name with :func:`resolve_class` (core's
classes, classes decorated with :func:`routilux.register_serializable`, and
routine plugins' types); callables with :func:`serialize_callable` /
:func:`deserialize_callable` (see :mod:`routilux.serialization.callables` for
what may be restored and why).
"""

from routilux.serialization._values import MAX_DEPTH
from routilux.serialization.callables import SAFE_BUILTINS, deserialize_callable, serialize_callable
from routilux.serialization.classes import resolve_class
from routilux.serialization.files import atomic_write_bytes, choose_serializer, read_data, write_data
from routilux.serialization.registry import ObjectRegistry

__all__ = [
    "MAX_DEPTH",
    "SAFE_BUILTINS",
    "ObjectRegistry",
    "atomic_write_bytes",
    "choose_serializer",
    "deserialize_callable",
    "read_data",
    "resolve_class",
    "serialize_callable",
    "write_data",
]

