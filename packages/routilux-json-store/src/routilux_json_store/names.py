"""File names for store ids: readable where they can be, hashed where they cannot.

An id is any non-empty string of at most :data:`MAX_ID_LENGTH` characters.
Its file name is, by default, the id percent-encoded (everything but letters,
digits and ``-_.~`` becomes ``%XX`` of its UTF-8 bytes, so ``/``, ``\\`` and NUL
never reach the file system), then the serializer's suffix: ``orders.json``,
``a%2Fb.json``. Three adjustments keep every id storable on common file
systems:

* a leading ``.`` is encoded (``%2E``), so no id makes a hidden file, ``.`` or ``..``;
* a Windows device name (``CON``, ``nul.txt``, ``COM1``, ...; any case) gets
  its first letter encoded (``%43ON.json``), since Windows opens the device
  instead of a file of that name;
* a name longer than :data:`MAX_NAME_BYTES` (``"/" * 200`` encodes to 600
  characters, an emoji to 12) is replaced by a hashed one:
  ``<the first 100 characters of the readable name>@<sha256 of the id>.json``.
  ``@`` never appears in a readable name, so it marks these; the file holds
  the id itself (the store writes it into every file), which is how
  listing gets it back.

The previous layout differed only for device names (``con.json``):
:func:`previous_name` gives that name, which the store still reads.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote, unquote

__all__ = [
    "HASH_MARK",
    "MAX_ID_LENGTH",
    "MAX_NAME_BYTES",
    "check_id",
    "file_name",
    "id_from_readable_name",
    "is_hashed",
    "previous_name",
]

MAX_ID_LENGTH = 200

#: Longest file name written: 255 bytes (the name limit of ext4, XFS, Btrfs, APFS and NTFS) less
#: the 14 characters ``atomic_write_bytes`` adds for its temporary file (".", ".", 8 random, ".tmp").
MAX_NAME_BYTES = 241

#: Separates the readable prefix of a hashed name from the hash; ``quote`` always encodes it.
HASH_MARK = "@"

_PREFIX_CHARS = 100

_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{n}" for n in range(10)} | {f"LPT{n}" for n in range(10)}
)


def check_id(object_id: Any) -> str:
    """``object_id`` if it is a valid id; ``ValueError`` saying what a valid one is otherwise."""
    if not isinstance(object_id, str):
        raise ValueError(f"ids must be non-empty strings, got {type(object_id).__name__}")
    if not object_id:
        raise ValueError("ids must be non-empty strings, got ''")
    if len(object_id) > MAX_ID_LENGTH:
        raise ValueError(f"ids are at most {MAX_ID_LENGTH} characters, got one of {len(object_id)}")
    try:
        object_id.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"ids must be valid Unicode text; {object_id[:40]!r} has a lone surrogate at position "
            f"{error.start}"
        ) from None
    return object_id


def _quoted(object_id: str) -> str:
    # "~" is unreserved for quote() and stays; "@" and everything else outside "-_.~" and
    # ASCII letters and digits is encoded.
    stem = quote(object_id, safe="-_.")
    if stem.startswith("."):
        stem = "%2E" + stem[1:]
    return stem


def _readable_stem(object_id: str) -> str:
    stem = _quoted(object_id)
    if stem.partition(".")[0].upper() in _WINDOWS_DEVICES:
        stem = f"%{ord(stem[0]):02X}{stem[1:]}"  # the first character is an ASCII letter
    return stem


def file_name(object_id: str, suffix: str) -> str:
    """The file name of a checked ``object_id`` (see the module docstring)."""
    stem = _readable_stem(object_id)
    if len(stem.encode("utf-8")) + len(suffix.encode("utf-8")) <= MAX_NAME_BYTES:
        return stem + suffix
    digest = hashlib.sha256(object_id.encode("utf-8")).hexdigest()
    return f"{_readable_stem(object_id[: _prefix_length(object_id)])}{HASH_MARK}{digest}{suffix}"


def _prefix_length(object_id: str) -> int:
    """How many leading characters of the id encode to at most ``_PREFIX_CHARS`` characters."""
    used = 0
    for count, char in enumerate(object_id):
        used += len(quote(char, safe="-_."))
        if used > _PREFIX_CHARS:
            return max(count, 1)
    return len(object_id)


def previous_name(object_id: str, suffix: str) -> str | None:
    """The name the previous layout gave ``object_id``, where it differs from :func:`file_name`."""
    name = _quoted(object_id) + suffix
    if name == file_name(object_id, suffix) or len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return None  # the same, or one the previous layout could never write
    return name


def is_hashed(name: str) -> bool:
    return HASH_MARK in name


def id_from_readable_name(name: str, suffix: str) -> str | None:
    """The id whose file (current or previous layout) is called ``name``; None if no id's is."""
    if not name.endswith(suffix) or is_hashed(name):
        return None
    try:
        object_id = check_id(unquote(name[: len(name) - len(suffix)], errors="strict"))
    except (UnicodeDecodeError, ValueError):
        return None
    if name == file_name(object_id, suffix) or name == previous_name(object_id, suffix):
        return object_id
    return None
