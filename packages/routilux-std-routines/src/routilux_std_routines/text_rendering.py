"""Rendering structures as text: TextRenderer (spec §16.2)."""

from __future__ import annotations

from typing import Any, ClassVar

from routilux.routine import Routine

_CIRCULAR = "[Circular Reference]"


class TextRenderer(Routine):
    """Renders dicts and lists as XML-like tags or as markdown.

    Slot ``input`` (``data``); event ``output`` with ``rendered_text`` and
    ``original_type``. Config: ``tag_format`` (``"xml"``, anything else means
    markdown), ``indent`` (two spaces), ``include_type_hints`` (kept for
    compatibility, no effect).
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({"tag_format", "indent", "include_type_hints"})

    def __init__(self) -> None:
        super().__init__()
        self.set_config(tag_format="xml", indent="  ", include_type_hints=False)
        self.input_slot = self.define_slot("input", self._on_input)
        self.output_event = self.define_event("output", ["rendered_text", "original_type"])

    def _on_input(self, data: Any = None, **kwargs: Any) -> None:
        data = self._extract_input_data(data, **kwargs)
        self.emit("output", rendered_text=self.render(data), original_type=type(data).__name__)

    def render(self, value: Any) -> str:
        """``value`` rendered with the current config."""
        xml = self.get_config("tag_format", "xml") == "xml"
        return self._render(value, 0, xml, self.get_config("indent", "  "), set())

    def _render(self, value: Any, level: int, xml: bool, indent: str, path: set[int]) -> str:
        if not isinstance(value, (dict, list)):
            return str(value)
        if id(value) in path:
            return _CIRCULAR
        path.add(id(value))
        try:
            ind = indent * level
            lines = []
            pairs = (
                value.items() if isinstance(value, dict) else ((f"item_{i}", v) for i, v in enumerate(value))
            )
            for key, item in pairs:
                inner = self._render(item, level + 1, xml, indent, path)
                if xml:
                    lines.append(f"{ind}<{key}>{inner}</{key}>")
                elif isinstance(value, dict):
                    lines.append(f"{ind}**{key}**: {inner}")
                else:
                    lines.append(f"{ind}- {inner}")
            return "\n".join(lines)
        finally:
            path.discard(id(value))
