"""PluginRegistry: maps, lookups, programmatic registration, clashes and replacement."""

from __future__ import annotations

import threading
import types
from pathlib import Path

import pytest

from routilux.plugins import (
    ExecutorSpec,
    PluginError,
    PluginLookupError,
    PluginRegistry,
    get_registry,
    hookimpl,
    set_registry,
)
from routilux.testing import FakeEntryPoint, make_registry, use_registry

pytestmark = pytest.mark.usefixtures("plugin_env")  # conftest.py


def test_good_plugin_fills_every_map_and_its_record() -> None:
    registry = make_registry("plugin_fixtures.good", builtins=())

    assert registry.get_routine("FixtureRoutine").category == "fixtures"
    assert registry.get_error_strategy("fixture-ignore").name == "fixture-ignore"
    assert registry.get_serializer("fixture-json").suffixes == (".fixjson", ".fix.json")
    assert registry.get_executor("fixture-threads").name == "fixture-threads"
    (record,) = registry.plugins
    assert record.name == "plugin_fixtures.good"
    assert record.status == "ok" and record.error is None
    assert record.distribution is None and record.entry_point is None
    assert record.hooks == (
        "routilux_register_error_strategies",
        "routilux_register_executors",
        "routilux_register_routines",
        "routilux_register_serializers",
    )
    assert record.provides == (
        "routine:FixtureRoutine",
        "error_strategy:fixture-ignore",
        "serializer:fixture-json",
        "executor:fixture-threads",
    )


def test_builtins_are_recorded_as_routilux_core() -> None:
    registry = make_registry(builtins=("plugin_fixtures.fake_core",))

    (record,) = registry.plugins
    assert (record.name, record.distribution, record.status) == (
        "plugin_fixtures.fake_core",
        "routilux-core",
        "ok",
    )
    assert sorted(registry.executors) == ["sequential"]
    assert sorted(registry.error_strategies) == ["stop"]


def test_default_builtins_are_cores_executors_and_error_strategies() -> None:
    registry = make_registry(entry_points=())

    assert [(r.name, r.distribution) for r in registry.plugins] == [
        ("routilux.engine.executors", "routilux-core"),
        ("routilux.error_strategies", "routilux-core"),
    ]
    assert {"sequential", "concurrent"} <= set(registry.executors)
    assert {"stop", "continue", "retry", "skip"} <= set(registry.error_strategies)


def test_maps_are_read_only() -> None:
    registry = make_registry("plugin_fixtures.good", builtins=())

    with pytest.raises(TypeError):
        registry.executors["other"] = registry.get_executor("fixture-threads")  # type: ignore[index]


def test_unknown_name_error_names_kind_value_and_choices() -> None:
    registry = make_registry("plugin_fixtures.good", builtins=("plugin_fixtures.fake_core",))

    with pytest.raises(PluginLookupError) as caught:
        registry.get_executor("paralel")
    message = str(caught.value)
    assert "unknown executor 'paralel'" in message
    assert "available executors: fixture-threads, sequential" in message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, LookupError)
    with pytest.raises(PluginLookupError, match="unknown error strategy 'retry'; available error strategies"):
        registry.get_error_strategy("retry")
    with pytest.raises(
        PluginLookupError, match=r"unknown routine 'Nope'; available routines: FixtureRoutine"
    ):
        registry.get_routine("Nope")
    with pytest.raises(
        PluginLookupError, match=r"unknown serializer 'yaml'; available serializers: fixture-json"
    ):
        registry.get_serializer("yaml")


def test_serializer_for_path_prefers_the_longest_suffix_and_ignores_case() -> None:
    registry = make_registry("plugin_fixtures.good", builtins=())
    spec = registry.get_serializer("fixture-json")

    assert registry.serializer_for_path("run/state.FIXJSON") is spec
    assert registry.serializer_for_path(Path("state.v2.fix.json")) is spec
    with pytest.raises(
        PluginLookupError, match=r"no serializer for file 'state\.json'.*\.fix\.json, \.fixjson"
    ):
        registry.serializer_for_path("state.json")


def test_registering_the_same_name_twice_lists_both_owners() -> None:
    registry = make_registry(builtins=())
    registry.register("plugin_fixtures.good")

    with pytest.raises(PluginError) as caught:
        registry.register("plugin_fixtures.duplicate")
    message = str(caught.value)
    assert "executor 'fixture-threads' is provided by plugin 'plugin_fixtures.good'" in message
    assert "and by plugin 'plugin_fixtures.duplicate'" in message
    # The refused plugin left nothing behind.
    assert [r.name for r in registry.plugins] == ["plugin_fixtures.good"]
    assert registry.get_executor("fixture-threads").description == ""


def test_reusing_a_builtin_name_needs_an_explicit_replace() -> None:
    registry = make_registry(builtins=("plugin_fixtures.fake_core",))
    with pytest.raises(PluginError, match=r"executor 'sequential' is provided by routilux-core"):
        registry.register("plugin_fixtures.shadow")
    assert registry.get_executor("sequential").description == "core's"

    registry.register("plugin_fixtures.shadow", replace=True)
    assert registry.get_executor("sequential").description == "shadow"
    # Names the replacing plugin does not provide stay with the built-in.
    assert registry.get_error_strategy("stop").name == "stop"


def test_later_explicit_replacement_wins() -> None:
    first = _executor_plugin("sequential", "first")
    second = _executor_plugin("sequential", "second")
    registry = make_registry(builtins=("plugin_fixtures.fake_core",))

    registry.register(first, name="first", replace=True)
    assert registry.get_executor("sequential").description == "first"
    registry.register(second, name="second", replace=True)
    assert registry.get_executor("sequential").description == "second"


def test_declared_replacement_of_a_builtin_works_for_entry_points() -> None:
    registry = make_registry(
        builtins=("plugin_fixtures.fake_core",),
        entry_points=[FakeEntryPoint("fast-seq", "plugin_fixtures.shadow_declared", distribution="fast-seq")],
    )

    assert registry.get_executor("sequential").description == "declared replacement"
    assert [r.status for r in registry.plugins] == ["ok", "ok"]


def test_two_declared_replacements_of_one_name_clash() -> None:
    registry = make_registry(
        builtins=("plugin_fixtures.fake_core",),
        entry_points=[
            FakeEntryPoint("a", "plugin_fixtures.shadow_declared", distribution="dist-a", version="1.0"),
            FakeEntryPoint("b", _executor_plugin("sequential", "b", replaces=True), distribution="dist-b"),
        ],
    )

    with pytest.raises(
        PluginError, match=r"executor 'sequential' is provided by dist-a 1\.0 and by dist-b 0\.0"
    ):
        registry.executors


@pytest.mark.parametrize(
    ("declared", "problem"),
    [
        (("executor-sequential",), "entry 'executor-sequential' is not valid"),
        (("workflow:sequential",), "entry 'workflow:sequential' is not valid"),
        ("executor:sequential", "must be a tuple of '<kind>:<name>' strings, got 'executor:sequential'"),
    ],
)
def test_malformed_replaces_declaration_fails_registration(declared: object, problem: str) -> None:
    plugin = _executor_plugin("sequential", "x")
    plugin.routilux_replaces = declared

    with pytest.raises(PluginError, match=problem):
        make_registry(plugin, builtins=())


def test_misspelled_hookimpl_fails_loudly() -> None:
    registry = make_registry(builtins=())

    with pytest.raises(
        PluginError,
        match=r"unknown hook 'routilux_register_executor'.*hooks are.*routilux_register_executors",
    ):
        registry.register("plugin_fixtures.misspelled")
    assert registry.plugins == ()
    # The pending misspelled hook went with the plugin: the next registration is not blamed for it.
    registry.register("plugin_fixtures.good")


def test_hook_function_without_marker_fails_loudly() -> None:
    with pytest.raises(
        PluginError, match=r"routilux_register_executors\(\) is not a registered hook.*@routilux"
    ):
        make_registry("plugin_fixtures.unmarked", builtins=())


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ("sequential", "must return a list or tuple of ExecutorSpec"),
        ([object()], "must return ExecutorSpec records"),
        ([ExecutorSpec(name="x", factory=dict), ExecutorSpec(name="x", factory=dict)], "name 'x' twice"),
    ],
)
def test_invalid_hook_results_fail_registration(result: object, problem: str) -> None:
    plugin = types.SimpleNamespace(routilux_register_executors=hookimpl(lambda: result))

    with pytest.raises(PluginError, match=problem):
        make_registry(plugin, builtins=())


def test_bad_serializer_suffix_fails_registration() -> None:
    from routilux.plugins import SerializerSpec

    spec = SerializerSpec(name="bad", dumps=bytes, loads=bytes, suffixes=("json",))
    plugin = types.SimpleNamespace(routilux_register_serializers=hookimpl(lambda: [spec]))

    with pytest.raises(PluginError, match=r"serializer 'bad' has suffix 'json'"):
        make_registry(plugin, builtins=())


def test_two_serializers_claiming_one_suffix_clash() -> None:
    from routilux.plugins import SerializerSpec

    other = SerializerSpec(name="other-json", dumps=bytes, loads=bytes, suffixes=(".FIXJSON",))
    plugin = types.SimpleNamespace(routilux_register_serializers=hookimpl(lambda: [other]))
    registry = make_registry(
        "plugin_fixtures.good",
        entry_points=[FakeEntryPoint("other", plugin, distribution="other-dist")],
        builtins=(),
    )

    with pytest.raises(PluginError) as caught:
        registry.serializers
    message = str(caught.value)
    assert "file suffix '.fixjson' is provided by" in message
    assert "other-dist 0.0 (serializer 'other-json')" in message
    assert "plugin 'plugin_fixtures.good' (serializer 'fixture-json')" in message


def test_failing_builtin_raises_when_the_registry_is_built() -> None:
    with pytest.raises(
        PluginError, match=r"built-in plugin 'plugin_fixtures\.broken_import' of routilux-core"
    ):
        PluginRegistry(builtins=("plugin_fixtures.broken_import",))


def test_registering_one_object_twice_is_refused() -> None:
    registry = make_registry("plugin_fixtures.good", builtins=())

    with pytest.raises(PluginError, match="already registered"):
        registry.register("plugin_fixtures.good", name="again")


def test_register_rebuilds_resolved_maps() -> None:
    registry = make_registry(builtins=())
    assert dict(registry.executors) == {}

    registry.register("plugin_fixtures.good")

    assert list(registry.executors) == ["fixture-threads"]


def test_get_registry_builds_one_default_lazily_and_set_registry_swaps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from routilux.plugins import manager

    built: list[PluginRegistry] = []
    original_init = PluginRegistry.__init__

    def counting_init(self: PluginRegistry, **kwargs: object) -> None:
        original_init(self, builtins=("plugin_fixtures.fake_core",), entry_points=())
        built.append(self)

    monkeypatch.setattr(PluginRegistry, "__init__", counting_init)
    previous = set_registry(None)
    try:
        barrier = threading.Barrier(8)
        results: list[PluginRegistry] = []

        def fetch() -> None:
            barrier.wait()
            results.append(get_registry())

        threads = [threading.Thread(target=fetch) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(built) == 1
        assert all(result is built[0] for result in results)

        mine = make_registry(builtins=())
        assert set_registry(mine) is built[0]
        assert get_registry() is mine
        assert manager.get_registry() is mine
    finally:
        set_registry(previous)


def test_use_registry_restores_the_previous_one_even_on_error() -> None:
    outer = make_registry(builtins=())
    inner = make_registry(builtins=())
    previous = set_registry(outer)
    try:
        with pytest.raises(RuntimeError):
            with use_registry(inner) as active:
                assert active is inner and get_registry() is inner
                raise RuntimeError("leave the block")
        assert get_registry() is outer
    finally:
        set_registry(previous)


def _executor_plugin(name: str, description: str, *, replaces: bool = False) -> types.SimpleNamespace:
    spec = ExecutorSpec(name=name, factory=dict, description=description)
    plugin = types.SimpleNamespace(
        __name__=f"inline-{description}",
        routilux_register_executors=hookimpl(lambda: [spec]),
    )
    if replaces:
        plugin.routilux_replaces = (f"executor:{name}",)
    return plugin
