"""Data processing routines: DataTransformer and DataValidator (spec §16.6, §16.7)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from routilux.routine import Routine


def _on_strings(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    return lambda value: fn(value) if isinstance(value, str) else value


def _on_scalars(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: fn(value) if isinstance(value, (int, float, str)) else value


# Kept out of ``_config`` on purpose (spec §18 item 14): functions in config do
# not survive serialization, the built-ins are found here at lookup instead.
BUILTIN_TRANSFORMATIONS: Mapping[str, Callable[[Any], Any]] = {
    "lowercase": _on_strings(str.lower),
    "uppercase": _on_strings(str.upper),
    "strip_whitespace": _on_strings(str.strip),
    "to_string": str,
    "to_int": _on_scalars(int),
    "to_float": _on_scalars(float),
    "remove_none": lambda value: (
        {k: v for k, v in value.items() if v is not None} if isinstance(value, dict) else value
    ),
}


class DataTransformer(Routine):
    """Applies a list of named or callable transformations in order.

    Slot ``input`` (``data``, ``transformations``); event ``output`` with
    ``transformed_data``, ``transformation_applied`` and ``errors`` (None when
    there were none). Config: ``transformations`` (default list),
    ``transformation_map`` (functions added by ``register_transformation``;
    the built-ins are always available), ``chain_transformations`` (no effect).
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({
        "transformations", "transformation_map", "chain_transformations"
    })

    def __init__(self) -> None:
        super().__init__()
        self.set_config(transformations=[], transformation_map={}, chain_transformations=True)
        self.input_slot = self.define_slot("input", self._on_input)
        self.output_event = self.define_event(
            "output", ["transformed_data", "transformation_applied", "errors"]
        )

    @property
    def transformation_names(self) -> frozenset[str]:
        """The names ``transformations`` can use: the built-ins and those of ``register_transformation``."""
        registered = self._config.get("transformation_map")
        if not isinstance(registered, Mapping):
            return frozenset(BUILTIN_TRANSFORMATIONS)
        return frozenset(BUILTIN_TRANSFORMATIONS) | {name for name, fn in registered.items() if callable(fn)}

    def register_transformation(self, name: str, fn: Callable[[Any], Any]) -> None:
        """Make ``fn`` available under ``name`` (it wins over a built-in of that name)."""
        if not callable(fn):
            raise TypeError(f"transformation {name!r} must be callable, got {type(fn).__name__}")
        self._config.setdefault("transformation_map", {})[name] = fn

    def _lookup(self, name: str) -> Callable[[Any], Any] | None:
        registered = self._config.get("transformation_map") or {}
        fn = registered.get(name)
        return fn if callable(fn) else BUILTIN_TRANSFORMATIONS.get(name)

    def _on_input(self, data: Any = None, transformations: list[Any] | None = None, **kwargs: Any) -> None:
        value = self._extract_input_data(data, **kwargs)
        steps = transformations if transformations is not None else self.get_config("transformations", [])
        applied: list[str] = []
        errors: list[str] = []
        for step in steps or ():
            if isinstance(step, str):
                fn, label = self._lookup(step), step
                if fn is None:
                    errors.append(f"Unknown transformation: {step}")
                    continue
            elif callable(step):
                fn, label = step, getattr(step, "__name__", "custom")
            else:
                errors.append(f"Invalid transformation: {step}")
                continue
            try:
                value = fn(value)
            except Exception as exc:
                errors.append(f"Error applying {label}: {exc}")
                continue
            applied.append(label)
        self.emit("output", transformed_data=value, transformation_applied=applied, errors=errors or None)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


BUILTIN_VALIDATORS: Mapping[str, Callable[[Any], bool]] = {
    "not_empty": lambda v: v is not None and v != "",
    "is_string": lambda v: isinstance(v, str),
    "is_int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "is_float": lambda v: isinstance(v, float),
    "is_number": _is_number,
    "is_dict": lambda v: isinstance(v, dict),
    "is_list": lambda v: isinstance(v, list),
    "is_positive": lambda v: _is_number(v) and v > 0,
    "is_non_negative": lambda v: _is_number(v) and v >= 0,
}


class DataValidator(Routine):
    """Checks data against per-field rules and routes it to ``valid`` or ``invalid``.

    Slot ``input`` (``data``, ``rules``); events ``valid`` (``validated_data``)
    and ``invalid`` (``errors``, ``data``). Config: ``rules`` (field ->
    validator name or callable; ``"items"`` for list items, ``"value"`` for a
    scalar), ``required_fields``, ``strict_mode`` (stop at the first error),
    ``allow_extra_fields``.
    """

    #: The config keys it takes; flow-file validation refuses any other.
    config_keys: ClassVar[frozenset[str]] = frozenset({
        "rules", "strict_mode", "required_fields", "allow_extra_fields"
    })

    def __init__(self) -> None:
        super().__init__()
        self.set_config(rules={}, strict_mode=False, required_fields=[], allow_extra_fields=True)
        self._builtin_validators: dict[str, Callable[[Any], Any]] = dict(BUILTIN_VALIDATORS)
        self.input_slot = self.define_slot("input", self._on_input)
        self.valid_event = self.define_event("valid", ["validated_data"])
        self.invalid_event = self.define_event("invalid", ["errors", "data"])

    def register_validator(self, name: str, fn: Callable[[Any], Any]) -> None:
        """Make ``fn`` available as the validator ``name``."""
        if not callable(fn):
            raise TypeError(f"validator {name!r} must be callable, got {type(fn).__name__}")
        self._builtin_validators[name] = fn

    def _on_input(self, data: Any = None, rules: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        value = self._extract_input_data(data, **kwargs)
        errors = self.validate_data(value, rules if rules is not None else self.get_config("rules", {}))
        if errors:
            self.emit("invalid", errors=errors, data=value)
        else:
            self.emit("valid", validated_data=value)

    def validate_data(self, data: Any, rules: Mapping[str, Any]) -> list[str]:
        """The error messages for ``data`` under ``rules`` (empty when valid)."""
        rules = rules or {}
        strict = self.get_config("strict_mode", False)
        errors: list[str] = []
        if isinstance(data, dict):
            for name in self.get_config("required_fields", []) or ():
                if name not in data:
                    errors.append(f"Required field '{name}' is missing")
                    if strict:
                        break
            allow_extra = self.get_config("allow_extra_fields", True)
            for name, value in data.items():
                if name in rules:
                    error = self._check_field(name, value, rules[name])
                elif not allow_extra:
                    error = f"Unexpected field '{name}'"
                else:
                    error = None
                if error:
                    errors.append(error)
                    if strict:
                        break
        elif isinstance(data, (list, tuple)):
            if "items" in rules:
                for index, item in enumerate(data):
                    error = self._check_field(f"items[{index}]", item, rules["items"])
                    if error:
                        errors.append(error)
        elif "value" in rules:
            error = self._check_field("value", data, rules["value"])
            if error:
                errors.append(error)
        return errors

    def _check_field(self, name: str, value: Any, rule: Any) -> str | None:
        if isinstance(rule, str):
            validator = self._builtin_validators.get(rule)
            if validator is None:
                return f"Unknown validator: {rule}"
        elif callable(rule):
            validator = rule
        else:
            return f"Invalid validator for field '{name}'"
        try:
            outcome = validator(value)
        except Exception as exc:
            return f"Validation error for field '{name}': {exc}"
        message = None
        if isinstance(outcome, tuple) and len(outcome) == 2:
            outcome, message = outcome
        if outcome:
            return None
        return message or f"Field '{name}' failed validation"
