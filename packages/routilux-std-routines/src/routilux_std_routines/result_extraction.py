"""Pulling structured results out of LLM or interpreter output: ResultExtractor (spec §16.3).

An extractor is ``fn(data, config) -> (result, format, metadata) | None``; the
routine runs the built-in ones below (each switched by a config key) and those
added with :meth:`ResultExtractor.register_extractor`, in order, and scores what
they found.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from routilux.routine import Routine

logger = logging.getLogger(__name__)

Extraction = tuple[Any, str, dict[str, Any]]
Extractor = Callable[[Any, Mapping[str, Any]], Extraction | None]


def _code_blocks(text: str, language: str) -> list[str]:
    # ```json and ```{json} both open a json block.
    pattern = r"```\{?" + re.escape(language) + r"\}?\s*\n(.*?)```"
    return re.findall(pattern, text, re.DOTALL | re.IGNORECASE)


def _extract_interpreter_output(data: Any, config: Mapping[str, Any]) -> Extraction | None:
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


def _last_parsed_block(
    data: Any, fmt: str, parse: Callable[[str], Any], error: type[Exception]
) -> Extraction | None:
    """The last ``fmt`` code block of ``data`` that ``parse`` accepts (raising ``error`` on the others)."""
    if not isinstance(data, str):
        return None
    blocks = _code_blocks(data, fmt)
    for index in reversed(range(len(blocks))):
        try:
            parsed = parse(blocks[index])
        except error:
            continue
        return parsed, fmt, {
            "extraction_method": f"{fmt}_code_block", "block_count": len(blocks), "block_index": index
        }
    return None


def _extract_json_code_block(data: Any, config: Mapping[str, Any]) -> Extraction | None:
    return _last_parsed_block(data, "json", json.loads, ValueError)


def _extract_json_string(data: Any, config: Mapping[str, Any]) -> Extraction | None:
    if not isinstance(data, str):
        return None
    text = data.strip()
    if len(text) <= 2 or text[0] not in "{[":
        return None
    try:
        return json.loads(text), "json", {"extraction_method": "json_string"}
    except ValueError:
        return None


def _yaml() -> Any:
    """PyYAML, an optional dependency: the YAML extractors are registered only when it imports.

    Imported by name, so that neither this module nor a type check needs it installed.
    """
    return importlib.import_module("yaml")


def _extract_yaml_code_block(data: Any, config: Mapping[str, Any]) -> Extraction | None:
    yaml = _yaml()
    return _last_parsed_block(data, "yaml", yaml.safe_load, yaml.YAMLError)


def _extract_yaml_string(data: Any, config: Mapping[str, Any]) -> Extraction | None:
    yaml = _yaml()
    if not isinstance(data, str) or ":" not in data:
        return None
    try:
        parsed = yaml.safe_load(data)
    except yaml.YAMLError:
        return None
    if not isinstance(parsed, (dict, list)):
        return None
    return parsed, "yaml", {"extraction_method": "yaml_string"}


def _extract_xml_code_block(data: Any, config: Mapping[str, Any]) -> Extraction | None:
    if not isinstance(data, str):
        return None
    blocks = _code_blocks(data, "xml")
    if not blocks:
        return None
    return blocks[-1], "xml", {"extraction_method": "xml_code_block", "block_count": len(blocks)}


def _extract_code_block(data: Any, config: Mapping[str, Any]) -> Extraction | None:
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


def _extract_dict(data: Any, config: Mapping[str, Any]) -> Extraction | None:
    if not isinstance(data, dict):
        return None
    return data, "dict", {"extraction_method": "direct", "key_count": len(data)}


def _extract_list(data: Any, config: Mapping[str, Any]) -> Extraction | None:
    if not isinstance(data, list):
        return None
    return data, "list", {"extraction_method": "direct", "item_count": len(data)}


def _yaml_available() -> bool:
    try:
        _yaml()
    except ImportError:
        return False
    return True


# (order, name, extractor, config key that switches it on or None)
_BUILTIN_EXTRACTORS: list[tuple[int, str, Extractor, str | None]] = [
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
        self._extractors: dict[str, Extractor] = {}
        self._extractor_order: dict[str, int] = {}
        self._extractor_switches: dict[str, str] = {}
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

    def _ordered_extractors(self) -> list[str]:
        config = self._config
        switches = self._extractor_switches
        enabled = (n for n in self._extractors if n not in switches or config.get(switches[n], False))
        names = sorted(enabled, key=self._extractor_order.__getitem__)
        priority = list(config.get("extractor_priority") or [])
        if priority:
            names.sort(key=lambda n: priority.index(n) if n in priority else len(priority))
        return names

    def extract(self, data: Any) -> dict[str, Any]:
        """Run the extractors on ``data``; the dict has the ``output`` event's fields."""
        config = self._config
        strategy = config.get("strategy", "auto")
        successes: list[dict[str, Any]] = []
        errors: list[dict[str, str]] = []
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
