"""Shortening text: TextClipper (spec §16.1)."""

from __future__ import annotations

from typing import Any, ClassVar

from routilux.routine import Routine

_TEXT_KEYS = ("text", "content", "message", "data")


def _pick_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in _TEXT_KEYS:
            text = value.get(key)
            if isinstance(text, str):
                return text
        for item in value.values():
            if isinstance(item, str):
                return item
    return str(value)


class TextClipper(Routine):
    """Shortens long text to whole leading lines, leaving tracebacks intact.

    Slot ``input`` (``text``, ``max_length``); event ``output`` with
    ``clipped_text``, ``was_clipped`` and ``original_length``.
    Config: ``max_length`` (1000), ``preserve_tracebacks`` (True),
    ``truncation_message`` (a format string with ``{remaining}``, the number of
    dropped lines).
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({
        "max_length", "preserve_tracebacks", "truncation_message"
    })

    def __init__(self) -> None:
        super().__init__()
        self.set_config(
            max_length=1000, preserve_tracebacks=True, truncation_message="...(省略了{remaining}行)"
        )
        self.input_slot = self.define_slot("input", self._on_input)
        self.output_event = self.define_event("output", ["clipped_text", "was_clipped", "original_length"])

    def _on_input(self, text: Any = None, max_length: int | None = None, **kwargs: Any) -> None:
        # ``text`` is this handler's own name for the payload; ``data`` and other keys are fallbacks.
        text = _pick_text(text if text is not None else self._extract_input_data(**kwargs))
        limit = max_length or self.get_config("max_length", 1000)
        clipped, was_clipped = self._clip(text, limit)
        self.emit("output", clipped_text=clipped, was_clipped=was_clipped, original_length=len(text))

    def _clip(self, text: str, limit: int) -> tuple[str, bool]:
        if self.get_config("preserve_tracebacks", True) and "Traceback" in text:
            return text, False
        if len(text) <= limit:
            return text, False
        lines = text.split("\n")
        kept: list[str] = []
        total = 0
        for line in lines:
            if total + len(line) + 1 >= limit:
                break
            kept.append(line)
            total += len(line) + 1
        message = self.get_config("truncation_message", "...(省略了{remaining}行)")
        return "\n".join(kept) + "\n" + message.format(remaining=len(lines) - len(kept)), True
