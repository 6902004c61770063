"""Text processing routines: TextClipper, TextRenderer and ResultExtractor (spec §16.1–§16.3)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Callable, ClassVar, Dict, List, Mapping, Optional, Tuple

from routilux.routine import Routine

logger = logging.getLogger(__name__)

_CIRCULAR = "[Circular Reference]"
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

    def _on_input(self, text: Any = None, max_length: Optional[int] = None, **kwargs: Any) -> None:
        # ``text`` is this handler's own name for the payload; ``data`` and other keys are fallbacks.
        text = _pick_text(text if text is not None else self._extract_input_data(**kwargs))
        limit = max_length or self.get_config("max_length", 1000)
        clipped, was_clipped = self._clip(text, limit)
        self.emit("output", clipped_text=clipped, was_clipped=was_clipped, original_length=len(text))

    def _clip(self, text: str, limit: int) -> Tuple[str, bool]:
        if self.get_config("preserve_tracebacks", True) and "Traceback" in text:
            return text, False
        if len(text) <= limit:
            return text, False
        lines = text.split("\n")
        kept: List[str] = []
        total = 0
        for line in lines:
            if total + len(line) + 1 >= limit:
                break
            kept.append(line)
            total += len(line) + 1
        message = self.get_config("truncation_message", "...(省略了{remaining}行)")
        return "\n".join(kept) + "\n" + message.format(remaining=len(lines) - len(kept)), True


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

    def _render(self, value: Any, level: int, xml: bool, indent: str, path: set) -> str:
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


# --------------------------------------------------------------------------- ResultExtractor

Extraction = Tuple[Any, str, Dict[str, Any]]
Extractor = Callable[[Any, Mapping[str, Any]], Optional[Extraction]]


def _code_blocks(text: str, language: str) -> List[str]:
    # ```json and ```{json} both open a json block.
    pattern = r"```\{?" + re.escape(language) + r"\}?\s*\n(.*?)```"
    return re.findall(pattern, text, re.DOTALL | re.IGNORECASE)


def _extract_interpreter_output(data: Any, config: Mapping[str, Any]) -> Optional[Extraction]:
    if not isinstance(data, list):
        return None
    if not any(isinstance(item, dict) and ("format" in item or "content" in item) for item in data):
        return None
    parts = []
    for item in data:
        if isinstance(item, dict):
            content = item.get("content")
            if item.get("format") == "output" and isinstance(content, str) and content.strip():
                parts.append(content)
        elif isinstance(item, str) and item.strip():
            parts.append(item)
    if not parts:
        return None
    text = "\n".join(parts)
    metadata = {
        "extraction_method": "interpreter_output",
        "output_count": len(parts),
        "line_count": len(text.split("\n")),
    }
    return text, "interpreter_output", metadata


def _extract_json_code_block(data: Any, config: Mapping[str, Any]) -> Optional[Extraction]:
    if not isinstance(data, str):
        return None
    blocks = _code_blocks(data, "json")
    for index in reversed(range(len(blocks))):
        try:
            parsed = json.loads(blocks[index])
        except ValueError:
            continue
        metadata = {"extraction_method": "json_code_block", "block_count": len(blocks), "block_index": index}
        return parsed, "json", metadata
    return None


def _extract_json_string(data: Any, config: Mapping[str, Any]) -> Optional[Extraction]:
    if not isinstance(data, str):
        return None
    text = data.strip()
    if len(text) <= 2 or text[0] not in "{[":
        return None
    try:
        return json.loads(text), "json", {"extraction_method": "json_string"}
    except ValueError:
        return None


def _extract_yaml_code_block(data: Any, config: Mapping[str, Any]) -> Optional[Extraction]:
    import yaml  # registered only when importable

    if not isinstance(data, str):
        return None
    blocks = _code_blocks(data, "yaml")
    for index in reversed(range(len(blocks))):
        try:
            parsed = yaml.safe_load(blocks[index])
        except yaml.YAMLError:
            continue
        metadata = {"extraction_method": "yaml_code_block", "block_count": len(blocks), "block_index": index}
        return parsed, "yaml", metadata
    return None


def _extract_yaml_string(data: Any, config: Mapping[str, Any]) -> Optional[Extraction]:
    import yaml  # registered only when importable

    if not isinstance(data, str) or ":" not in data:
        return None
    try:
        parsed = yaml.safe_load(data)
    except yaml.YAMLError:
        return None
    if not isinstance(parsed, (dict, list)):
        return None
    return parsed, "yaml", {"extraction_method": "yaml_string"}


def _extract_xml_code_block(data: Any, config: Mapping[str, Any]) -> Optional[Extraction]:
    if not isinstance(data, str):
        return None
    blocks = _code_blocks(data, "xml")
    if not blocks:
        return None
    return blocks[-1], "xml", {"extraction_method": "xml_code_block", "block_count": len(blocks)}


def _extract_code_block(data: Any, config: Mapping[str, Any]) -> Optional[Extraction]:
    if not isinstance(data, str):
        return None
    for language in config.get("code_block_languages", []):
        if language == "json":
            continue
        blocks = _code_blocks(data, language)
        if blocks:
            metadata = {"extraction_method": f"{language}_code_block", "block_count": len(blocks)}
            return blocks[-1], language, metadata
    return None


def _extract_dict(data: Any, config: Mapping[str, Any]) -> Optional[Extraction]:
    if not isinstance(data, dict):
        return None
    return data, "dict", {"extraction_method": "direct", "key_count": len(data)}


def _extract_list(data: Any, config: Mapping[str, Any]) -> Optional[Extraction]:
    if not isinstance(data, list):
        return None
    return data, "list", {"extraction_method": "direct", "item_count": len(data)}


def _yaml_available() -> bool:
    try:
        import yaml  # noqa: F401
    except ImportError:
        return False
    return True


# (order, name, extractor, config key that switches it on or None)
_BUILTIN_EXTRACTORS: List[Tuple[int, str, Extractor, Optional[str]]] = [
    (0, "interpreter_output", _extract_interpreter_output, "format_interpreter_output"),
    (1, "json_code_block", _extract_json_code_block, "extract_json_blocks"),
    (2, "json_string", _extract_json_string, "parse_json_strings"),
    (3, "yaml_code_block", _extract_yaml_code_block, "extract_yaml_blocks"),
    (4, "yaml_string", _extract_yaml_string, "parse_yaml_strings"),
    (5, "xml_code_block", _extract_xml_code_block, "extract_xml_blocks"),
    (6, "code_block", _extract_code_block, "extract_code_blocks"),
    (50, "dict_extractor", _extract_dict, None),
    (51, "list_extractor", _extract_list, None),
]
_YAML_EXTRACTORS = ("yaml_code_block", "yaml_string")
_CUSTOM_ORDER = 150


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (dict, list, tuple)):
        return not value
    return False


def _confidence(result: Any, fmt: str, metadata: Mapping[str, Any]) -> float:
    score = 0.5
    if isinstance(result, (dict, list)):
        score += 0.2
    if "code_block" in str(metadata.get("extraction_method", "")):
        score += 0.1
    if fmt in ("json", "yaml"):
        score += 0.1
    if _is_empty(result):
        score -= 0.3
    return round(min(1.0, max(0.0, score)), 10)


class ResultExtractor(Routine):
    """Pulls structured results out of LLM or interpreter output.

    Slot ``input`` (``data``); event ``output`` with ``extracted_result``,
    ``format``, ``metadata``, ``confidence`` and ``extraction_path``. See the
    package README for the extractors, strategies and config keys.
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({
        "strategy", "extractor_priority", "extract_json_blocks", "extract_code_blocks",
        "extract_yaml_blocks", "extract_xml_blocks", "code_block_languages", "format_interpreter_output",
        "parse_json_strings", "parse_yaml_strings", "detect_nested_structures", "continue_on_error",
        "return_original_on_failure", "log_errors"
    })

    def __init__(self) -> None:
        super().__init__()
        self.set_config(
            strategy="auto",
            extractor_priority=[],
            extract_json_blocks=True,
            extract_code_blocks=True,
            extract_yaml_blocks=False,
            extract_xml_blocks=False,
            code_block_languages=["json", "python", "output", "yaml", "xml"],
            format_interpreter_output=True,
            parse_json_strings=True,
            parse_yaml_strings=False,
            detect_nested_structures=True,
            continue_on_error=True,
            return_original_on_failure=True,
            log_errors=True,
        )
        self._extractors: Dict[str, Extractor] = {}
        self._extractor_order: Dict[str, int] = {}
        self._extractor_switches: Dict[str, str] = {}
        yaml_ok = _yaml_available()
        for order, name, fn, switch in _BUILTIN_EXTRACTORS:
            if name in _YAML_EXTRACTORS and not yaml_ok:
                continue
            self._extractors[name] = fn
            self._extractor_order[name] = order
            if switch is not None:
                self._extractor_switches[name] = switch
        self.input_slot = self.define_slot("input", self._on_input)
        self.output_event = self.define_event(
            "output", ["extracted_result", "format", "metadata", "confidence", "extraction_path"]
        )

    def register_extractor(self, name: str, extractor: Extractor) -> None:
        """Add or replace an extractor ``fn(data, config) -> (result, format, metadata) | None``."""
        if not callable(extractor):
            raise TypeError(f"extractor {name!r} must be callable, got {type(extractor).__name__}")
        self._extractors[name] = extractor
        self._extractor_order.setdefault(name, _CUSTOM_ORDER)
        self._extractor_switches.pop(name, None)

    def _on_input(self, data: Any = None, **kwargs: Any) -> None:
        data = self._extract_input_data(data, **kwargs)
        if isinstance(data, dict) and not data:
            data = ""
        self.emit("output", **self.extract(data))

    def _ordered_extractors(self) -> List[str]:
        config = self._config
        switches = self._extractor_switches
        enabled = (n for n in self._extractors if n not in switches or config.get(switches[n], False))
        names = sorted(enabled, key=self._extractor_order.__getitem__)
        priority = list(config.get("extractor_priority") or [])
        if priority:
            names.sort(key=lambda n: priority.index(n) if n in priority else len(priority))
        return names

    def extract(self, data: Any) -> Dict[str, Any]:
        """Run the extractors on ``data``; the dict has the ``output`` event's fields."""
        config = self._config
        strategy = config.get("strategy", "auto")
        successes: List[Dict[str, Any]] = []
        errors: List[Dict[str, str]] = []
        for name in self._ordered_extractors():
            try:
                found = self._extractors[name](data, config)
            except Exception as exc:
                errors.append({"extractor": name, "error": str(exc)})
                if config.get("log_errors", True):
                    logger.warning("extractor %r failed: %s", name, exc)
                if not config.get("continue_on_error", True):
                    break
                continue
            if found is None:
                continue
            result, fmt, metadata = found
            metadata = {**metadata, "extractor": name, "strategy": strategy}
            successes.append(
                {
                    "extracted_result": result,
                    "format": fmt,
                    "metadata": metadata,
                    "confidence": _confidence(result, fmt, metadata),
                    "extraction_path": [name],
                }
            )
            if strategy in ("first_match", "auto", "priority"):
                break
        if successes:
            if strategy in ("first_match", "auto", "priority"):
                return successes[0]
            if strategy == "all":
                return {
                    "extracted_result": [s["extracted_result"] for s in successes],
                    "format": "multi",
                    "metadata": {"extractions": successes, "count": len(successes), "errors": errors},
                    "confidence": max(s["confidence"] for s in successes),
                    "extraction_path": [s["extraction_path"][0] for s in successes],
                }
            return max(successes, key=lambda s: s["confidence"])
        if not config.get("return_original_on_failure", True):
            raise ValueError(f"All extractors failed for input of type {type(data).__name__}: {errors}")
        return {
            "extracted_result": data,
            "format": type(data).__name__.lower(),
            "metadata": {"extraction_method": "none", "errors": errors, "original_type": type(data).__name__},
            "confidence": 0.0,
            "extraction_path": [],
        }
