"""What a routine takes, so that a flow file is checked for what a run would silently ignore.

* Slots and events by name (connections), and the parameters a slot's handler
  takes (mappings, entry params): the engine drops payload keys a handler
  does not take, so a misspelt one would vanish without a word.
* Config keys: ``set_config`` accepts any key, so ``max_lenght: 60`` would be
  stored and never read. A routine type opts in to the check by declaring the
  class attribute ``config_keys`` (the keys it reads); the standard routines do.
* Named steps: a routine with a ``transformation_names`` attribute
  (``DataTransformer``) reports an unknown name in ``transformations`` only in
  its output, at run time; here it is a problem of the file.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from routilux import Routine
from routilux_cli.flowfile.schema import did_you_mean, listing

__all__ = [
    "config_problems",
    "event_names",
    "ignored_parameters",
    "parameter_problems",
    "slot_names",
    "slot_parameters",
]


def slot_names(routine: Routine) -> list[str]:
    # ``_slots``/``_events`` are the name -> object dicts of the 0.10 API (its spec lists them
    # among the attributes user code reads); Routine has no public listing of them.
    return list(routine._slots)


def event_names(routine: Routine) -> list[str]:
    return list(routine._events)


def slot_parameters(handler: Any) -> list[str] | None:
    """The parameter names a handler takes by name, or None when it takes any (``**kw``, ``data``)."""
    if handler is None:
        return None
    try:
        params = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    names = [p.name for p in params if p.kind is not inspect.Parameter.VAR_POSITIONAL]
    if names == ["data"] or not names:
        return None
    return names


def ignored_parameters(handler: Any, keys: Iterable[str]) -> list[str]:
    """The keys of a payload that ``handler`` would never see.

    The 0.10 dispatch passes a handler with named parameters the keys it
    names, and the whole payload only when it names none of them.
    """
    names = slot_parameters(handler)
    keys = list(keys)
    if names is None or not any(key in names for key in keys):
        return []
    return [key for key in keys if key not in names]


def parameter_problems(routine: Routine, rid: str, slot: str, keys: Iterable[str]) -> list[tuple[str, str]]:
    """``(key, message)`` for each key that slot ``slot`` of ``routine`` would drop."""
    handler = getattr(routine.get_slot(slot), "handler", None)
    accepted = slot_parameters(handler) or []
    return [
        (key, f"routine {rid!r} ({type(routine).__name__}) takes no parameter {key!r} in its {slot!r} "
              f"slot{did_you_mean(key, accepted)}{listing(accepted, 'its parameters')}; a run would drop it")
        for key in ignored_parameters(handler, keys)
    ]


def config_problems(routine: Routine, config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(location under config, message)`` for config a run would never use.

    Only routine types that declare ``config_keys`` are checked for keys, and
    only those with ``transformation_names`` for transformation names.
    """
    problems: list[tuple[str, str]] = []
    name = type(routine).__name__
    declared: Collection[str] | None = getattr(type(routine), "config_keys", None)
    if declared is not None:
        known = sorted(declared)
        for key in config:
            if key not in declared:
                problems.append((str(key), f"{name} has no config key {key!r}{did_you_mean(str(key), known)}"
                                           f"{listing(known, 'its config keys')}"))
    steps = config.get("transformations")
    names: Collection[str] | None = getattr(routine, "transformation_names", None)
    if names is not None and isinstance(steps, list):
        known = sorted(names)
        for index, step in enumerate(steps):
            where = f"transformations[{index}]"
            if not isinstance(step, str):
                problems.append((where, f"a transformation of {name} is named by a string, got {step!r}"))
            elif step not in names:
                hint = did_you_mean(step, known) + listing(known, "its transformations")
                problems.append((where, f"unknown transformation {step!r} of {name}{hint}"))
    elif names is not None and steps is not None and "transformations" in config:
        problems.append(("transformations", f"transformations of {name} must be a list of names"))
    return problems
