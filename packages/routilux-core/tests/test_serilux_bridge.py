"""Classes registered with serilux's decorator are found by ``Flow.deserialize`` (issue 16).

serilux itself is not installed here (its tests against the real package are in
``tests/serilux/``, run by the ``serilux`` tox env). These tests put a stand-in
module with serilux's registry API (``SerializableRegistry.get_class``, the only
thing routilux reads) into ``sys.modules``, the way importing serilux would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types
import uuid
from pathlib import Path
from typing import Any

import pytest

from routilux import Flow, JobState, Routine, register_serializable
from routilux.plugins import RoutineSpec, hookimpl
from routilux.testing import make_registry, use_registry


def _fake_serilux() -> types.ModuleType:
    """A module shaped like serilux: a class-level dict behind ``SerializableRegistry``."""
    module = types.ModuleType("serilux")

    class SerializableRegistry:
        registry: dict[str, type] = {}

        @classmethod
        def get_class(cls, class_name: str) -> type | None:
            return cls.registry.get(class_name)

    def register(cls: type) -> type:
        SerializableRegistry.registry[cls.__name__] = cls
        return cls

    module.SerializableRegistry = SerializableRegistry  # type: ignore[attr-defined]
    module.register_serializable = register  # type: ignore[attr-defined]
    return module


@pytest.fixture
def serilux(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The stand-in, as if the user's code had run ``import serilux``."""
    module = _fake_serilux()
    monkeypatch.setitem(sys.modules, "serilux", module)
    return module


def _routine_class(name: str) -> type[Routine]:
    """A routine class called ``name`` that records what its ``input`` slot receives."""

    def __init__(self: Any) -> None:
        Routine.__init__(self)
        self.received = []
        self.define_slot("trigger", handler=self.start)
        self.define_slot("input", handler=self.take)
        self.define_event("out", ["value"])

    def start(self: Any, value: int = 0) -> None:
        self.emit("out", value=value)

    def take(self: Any, value: int) -> None:
        self.received.append(value)

    return type(name, (Routine,), {"__init__": __init__, "start": start, "take": take})


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def _flow_of(cls: type[Routine]) -> Flow:
    flow = Flow(flow_id=_unique("serilux-bridge"))
    source = cls()
    source.set_config(label="first")
    flow.add_routine(source, "source")
    flow.add_routine(cls(), "sink")
    flow.connect("source", "out", "sink", "input")
    return flow


def test_flow_with_a_serilux_registered_routine_round_trips_and_runs(serilux: Any) -> None:
    cls = serilux.register_serializable(_routine_class(_unique("SeriluxOnly")))
    data = _flow_of(cls).serialize()

    restored = Flow().deserialize(data)
    try:
        assert type(restored.routines["source"]) is cls and type(restored.routines["sink"]) is cls
        assert restored.routines["source"].get_config("label") == "first"
        job = restored.execute("source", entry_params={"value": 7})
        assert JobState.wait_for_completion(restored, job, timeout=10)
        assert job.status == "completed"
        assert restored.routines["sink"].received == [7]
    finally:
        restored.shutdown()


def test_without_serilux_imported_such_a_class_is_not_found(
    serilux: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls = serilux.register_serializable(_routine_class(_unique("SeriluxGone")))
    data = _flow_of(cls).serialize()
    monkeypatch.delitem(sys.modules, "serilux")

    with pytest.raises(ValueError, match=f"class not found in registry: '{cls.__name__}'"):
        Flow().deserialize(data)


def test_routilux_registry_is_asked_before_serilux(serilux: Any) -> None:
    # A class registered with both decorators is one class: no clash, found either way.
    cls = register_serializable(serilux.register_serializable(_routine_class(_unique("BothDecorators"))))
    other = serilux.register_serializable(register_serializable(_routine_class(_unique("BothReversed"))))

    restored = Flow().deserialize(_flow_of(cls).serialize())
    assert type(restored.routines["sink"]) is cls
    assert type(Flow().deserialize(_flow_of(other).serialize()).routines["sink"]) is other


def test_a_name_registered_by_both_for_different_classes_is_a_clash_at_load(serilux: Any) -> None:
    name = _unique("Clash")
    ours = register_serializable(_routine_class(name))
    data = _flow_of(ours).serialize()
    theirs = serilux.register_serializable(_routine_class(name))  # serilux's decorator ran last

    with pytest.raises(ValueError, match="Class name conflict") as raised:
        Flow().deserialize(data)
    message = str(raised.value)
    assert f"{ours.__module__}.{ours.__qualname__} (routilux.register_serializable)" in message
    assert f"{theirs.__module__}.{theirs.__qualname__} (serilux.register_serializable)" in message


def test_routilux_decorator_refuses_a_name_serilux_holds_for_another_class(serilux: Any) -> None:
    name = _unique("ClashEarly")
    theirs = serilux.register_serializable(_routine_class(name))

    with pytest.raises(ValueError, match="Class name conflict") as raised:
        register_serializable(_routine_class(name))
    message = str(raised.value)
    assert f"{theirs.__module__}.{theirs.__qualname__}" in message
    assert "(serilux.register_serializable)" in message and "(routilux.register_serializable)" in message


def test_a_routine_plugin_type_and_a_different_serilux_class_clash(serilux: Any) -> None:
    name = _unique("PluginType")
    plugin_cls = _routine_class(name)

    class Plugin:
        @hookimpl
        def routilux_register_routines(self) -> list[RoutineSpec]:
            return [RoutineSpec(name=name, cls=plugin_cls)]

    with use_registry(make_registry(Plugin())):
        data = _flow_of(plugin_cls).serialize()
        assert type(Flow().deserialize(data).routines["sink"]) is plugin_cls  # plugin alone: found
        serilux.register_serializable(_routine_class(name))
        with pytest.raises(ValueError, match="Class name conflict.*routine plugin"):
            Flow().deserialize(data)


def test_serilux_classes_follow_the_same_rules(serilux: Any) -> None:
    not_a_routine = serilux.register_serializable(type(_unique("NotARoutine"), (), {}))
    data = {
        "_type": "Flow",
        "flow_id": "rules",
        "routines": {"r": {"_type": not_a_routine.__name__}},
        "connections": [],
    }
    with pytest.raises(TypeError, match=f"'{not_a_routine.__name__}'.* is not a Routine"):
        Flow().deserialize(data)

    # serilux >= 0.4 accepts classes whose constructor needs arguments; routilux cannot create them.
    class NeedsArgument(Routine):
        def __init__(self, size: int) -> None:
            super().__init__()
            self.size = size

    serilux.register_serializable(NeedsArgument)
    data["routines"] = {"r": {"_type": "NeedsArgument"}}
    with pytest.raises(TypeError, match="constructor requires the argument 'size'"):
        Flow().deserialize(data)


def test_a_serilux_without_its_registry_api_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "serilux", types.ModuleType("serilux"))
    data = {"_type": "Flow", "flow_id": "x", "routines": {"r": {"_type": "NoSuchClass"}}, "connections": []}
    with pytest.raises(ValueError, match="class not found in registry: 'NoSuchClass'"):
        Flow().deserialize(data)


def test_routilux_never_imports_serilux(tmp_path: Path) -> None:
    """An importable ``serilux`` that records being imported stays untouched by routilux."""
    package = tmp_path / "serilux"
    package.mkdir()
    marker = tmp_path / "imported"
    (package / "__init__.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nraise ImportError('routilux imported serilux')\n",
        encoding="utf-8",
    )
    script = textwrap.dedent(
        """
        import sys

        import routilux
        from routilux import Flow, JobState, Routine, register_serializable
        from routilux.analysis import analyze_workflow


        @register_serializable
        class BridgeProbe(Routine):
            def __init__(self):
                super().__init__()
                self.define_slot("trigger", handler=self.go)
                self.define_event("out", ["value"])

            def go(self, value=0):
                self.emit("out", value=value)


        flow = Flow(flow_id="probe")
        flow.add_routine(BridgeProbe(), "a")
        flow.add_routine(BridgeProbe(), "b")
        flow.connect("a", "out", "b", "trigger")
        restored = Flow().deserialize(flow.serialize())
        job = restored.execute("a", entry_params={"value": 1})
        assert JobState.wait_for_completion(restored, job, timeout=10), job.status
        JobState().deserialize(job.serialize())
        analyze_workflow(restored)
        restored.shutdown()
        try:
            Flow().deserialize({"_type": "Flow", "flow_id": "x", "routines": {"r": {"_type": "Missing"}}})
        except ValueError:
            pass
        print("serilux" in sys.modules)
        """
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"
    assert not marker.exists()
