"""Entry-point discovery: lazy and once, failures isolated, allow/deny lists, strict mode."""

from __future__ import annotations

import sys
import warnings

import pytest

from routilux.plugins import PluginError, PluginLookupError, PluginRegistry
from routilux.testing import FakeEntryPoint, make_registry

pytestmark = pytest.mark.usefixtures("plugin_env")  # conftest.py


def good() -> FakeEntryPoint:
    return FakeEntryPoint("good", "plugin_fixtures.good", distribution="routilux-good", version="1.2.0")


def broken_import() -> FakeEntryPoint:
    return FakeEntryPoint(
        "exploding", "plugin_fixtures.broken_import", distribution="routilux-exploding", version="0.3"
    )


def broken_hook() -> FakeEntryPoint:
    return FakeEntryPoint("half", "plugin_fixtures.broken_hook", distribution="routilux-half", version="2.0")


def test_good_entry_point_is_loaded_and_recorded() -> None:
    registry = make_registry(entry_points=[good()], builtins=())

    assert registry.get_executor("fixture-threads").name == "fixture-threads"
    (record,) = registry.plugins
    assert (record.name, record.distribution, record.version, record.status) == (
        "good",
        "routilux-good",
        "1.2.0",
        "ok",
    )
    assert record.entry_point == "good = plugin_fixtures.good"
    assert "executor:fixture-threads" in record.provides


def test_discovery_is_lazy_and_happens_once() -> None:
    entry_point = FakeEntryPoint("good", "plugin_fixtures.good")
    registry = PluginRegistry(builtins=(), entry_points=[entry_point])
    assert entry_point.load_count == 0

    registry.register("plugin_fixtures.fake_core")
    assert entry_point.load_count == 0, "programmatic registration must not trigger discovery"

    assert "fixture-threads" in registry.executors
    registry.routines
    registry.serializers
    registry.get_error_strategy("fixture-ignore")
    registry.plugins
    assert entry_point.load_count == 1


def test_discover_false_never_loads_entry_points() -> None:
    entry_point = FakeEntryPoint("good", "plugin_fixtures.good")
    registry = PluginRegistry(builtins=(), entry_points=[entry_point], discover=False)

    assert dict(registry.executors) == {}
    assert registry.plugins == ()
    assert entry_point.load_count == 0


def test_installed_entry_points_are_read_from_importlib_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    groups: list[str] = []

    def fake_entry_points(*, group: str) -> list[FakeEntryPoint]:
        groups.append(group)
        return [good()]

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    registry = PluginRegistry(builtins=())
    assert groups == []

    assert "fixture-threads" in registry.executors
    assert groups == ["routilux"]


def test_plugin_raising_at_import_is_recorded_with_one_warning_and_isolated() -> None:
    with pytest.warns(RuntimeWarning) as caught:
        registry = make_registry(entry_points=[broken_import(), good()], builtins=())
        records = {record.name: record for record in registry.plugins}

    assert len(caught) == 1
    assert "'exploding' from routilux-exploding 0.3 failed to load" in str(caught[0].message)
    assert "RuntimeError: fixture plugin exploded at import" in str(caught[0].message)
    failed = records["exploding"]
    assert (failed.status, failed.distribution, failed.version) == ("error", "routilux-exploding", "0.3")
    assert failed.error == "RuntimeError: fixture plugin exploded at import"
    assert failed.provides == ()
    assert records["good"].status == "ok"
    assert "fixture-threads" in registry.executors


def test_plugin_raising_in_a_hook_is_unregistered_atomically() -> None:
    with pytest.warns(RuntimeWarning, match="'half' from routilux-half 2.0 failed to load") as caught:
        registry = make_registry(entry_points=[broken_hook(), good()], builtins=())
        registry.plugins
    assert len(caught) == 1

    records = {record.name: record for record in registry.plugins}
    assert records["half"].status == "error"
    assert records["half"].error == "ValueError: executor registration failed on purpose"
    assert records["half"].provides == ()
    # Its routine hook had worked, but nothing of a failed plugin is kept.
    assert "HalfRoutine" not in registry.routines
    assert sorted(registry.routines) == ["FixtureRoutine"]


def test_lookup_of_a_missing_name_names_the_broken_distribution_and_its_error() -> None:
    with pytest.warns(RuntimeWarning):
        registry = make_registry(entry_points=[broken_hook()], builtins=())
        with pytest.raises(PluginLookupError) as caught:
            registry.get_executor("half-executor")

    message = str(caught.value)
    assert "unknown executor 'half-executor'; available executors: (none)" in message
    assert "'half' from routilux-half 2.0 failed to load" in message
    assert "ValueError: executor registration failed on purpose" in message


def test_duplicate_name_between_two_entry_points_raises_one_error_listing_both() -> None:
    registry = make_registry(
        entry_points=[
            good(),
            FakeEntryPoint("dup", "plugin_fixtures.duplicate", distribution="routilux-dup", version="9.9"),
        ],
        builtins=(),
    )

    with pytest.raises(PluginError) as caught:
        registry.get_executor("fixture-threads")
    message = str(caught.value)
    assert message.count("is provided by") == 1
    assert "executor 'fixture-threads' is provided by routilux-dup 9.9 and by routilux-good 1.2.0" in message
    assert "ROUTILUX_DISABLE_PLUGINS" in message
    # Listing still works, so the clash can be inspected.
    assert [record.status for record in registry.plugins] == ["ok", "ok"]


def test_entry_point_reusing_a_builtin_name_without_declaring_it_clashes() -> None:
    registry = make_registry(
        entry_points=[FakeEntryPoint("shadow", "plugin_fixtures.shadow", distribution="routilux-shadow")],
        builtins=("plugin_fixtures.fake_core",),
    )

    with pytest.raises(
        PluginError, match=r"executor 'sequential' is provided by routilux-core.* and by routilux-shadow"
    ):
        registry.executors


def test_allow_list_loads_only_listed_plugins_by_entry_point_or_distribution_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROUTILUX_LOAD_PLUGINS", " half , Routilux_Good ")
    exploding = broken_import()
    half = broken_hook()

    with pytest.warns(RuntimeWarning, match="'half'"):
        registry = make_registry(entry_points=[exploding, half, good()], builtins=())
        statuses = {record.name: (record.status, record.error) for record in registry.plugins}

    assert statuses["good"] == ("ok", None)
    assert statuses["half"][0] == "error"
    assert statuses["exploding"] == ("disabled", "not listed in ROUTILUX_LOAD_PLUGINS")
    assert exploding.load_count == 0, "a filtered plugin must not be imported"


def test_empty_allow_list_loads_no_entry_point_but_keeps_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTILUX_LOAD_PLUGINS", "")
    entry_point = good()
    registry = make_registry(entry_points=[entry_point], builtins=("plugin_fixtures.fake_core",))

    assert sorted(registry.executors) == ["sequential"]
    assert [(r.name, r.status) for r in registry.plugins] == [
        ("plugin_fixtures.fake_core", "ok"),
        ("good", "disabled"),
    ]
    assert entry_point.load_count == 0


def test_deny_list_skips_plugins_before_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTILUX_DISABLE_PLUGINS", "exploding,routilux-half")
    exploding, half = broken_import(), broken_hook()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        registry = make_registry(entry_points=[exploding, half, good()], builtins=())
        statuses = {record.name: (record.status, record.error) for record in registry.plugins}

    assert statuses == {
        "exploding": ("disabled", "listed in ROUTILUX_DISABLE_PLUGINS"),
        "half": ("disabled", "listed in ROUTILUX_DISABLE_PLUGINS"),
        "good": ("ok", None),
    }
    assert exploding.load_count == half.load_count == 0


def test_deny_list_can_resolve_a_clash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTILUX_DISABLE_PLUGINS", "dup")
    registry = make_registry(
        entry_points=[good(), FakeEntryPoint("dup", "plugin_fixtures.duplicate")],
        builtins=(),
    )

    assert registry.get_executor("fixture-threads").description == ""


def test_deny_list_wins_over_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTILUX_LOAD_PLUGINS", "good")
    monkeypatch.setenv("ROUTILUX_DISABLE_PLUGINS", "routilux-good")
    registry = make_registry(entry_points=[good()], builtins=())

    assert [(r.status, r.error) for r in registry.plugins] == [
        ("disabled", "listed in ROUTILUX_DISABLE_PLUGINS")
    ]


def test_environment_is_read_at_discovery_time(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = make_registry(entry_points=[good()], builtins=())
    monkeypatch.setenv("ROUTILUX_DISABLE_PLUGINS", "good")

    assert [r.status for r in registry.plugins] == ["disabled"]


@pytest.mark.parametrize("make_entry_point", [broken_import, broken_hook])
def test_strict_mode_raises_instead_of_warning(monkeypatch: pytest.MonkeyPatch, make_entry_point) -> None:
    monkeypatch.setenv("ROUTILUX_STRICT_PLUGINS", "1")
    registry = make_registry(entry_points=[make_entry_point(), good()], builtins=())

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(PluginError) as caught:
            registry.executors
        # Still broken on the next access: strict mode never serves a partial registry.
        with pytest.raises(PluginError):
            registry.get_executor("fixture-threads")
    assert isinstance(caught.value.__cause__, (RuntimeError, ValueError))
    assert "routilux-" in str(caught.value)


def test_invalid_strict_value_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTILUX_STRICT_PLUGINS", "maybe")
    registry = make_registry(entry_points=[good()], builtins=())

    with pytest.raises(PluginError, match=r"ROUTILUX_STRICT_PLUGINS='maybe' is not valid; use one of"):
        registry.plugins


def test_misspelled_hookimpl_in_an_entry_point_is_a_load_failure() -> None:
    entry_point = FakeEntryPoint("typo", "plugin_fixtures.misspelled", distribution="routilux-typo")

    with pytest.warns(RuntimeWarning, match="unknown hook 'routilux_register_executor'"):
        registry = make_registry(entry_points=[entry_point, good()], builtins=())
        (typo,) = [record for record in registry.plugins if record.name == "typo"]

    assert typo.status == "error"
    assert typo.error is not None
    assert typo.error.startswith("PluginError: unknown hook 'routilux_register_executor'")
    assert "fixture-threads" in registry.executors


def test_loader_callables_and_missing_distribution() -> None:
    def explode() -> object:
        raise ImportError("No module named 'routilux_missing'")

    entry_point = FakeEntryPoint("missing", explode, distribution=None)
    with pytest.warns(RuntimeWarning, match="'missing' from plugin 'missing'"):
        registry = make_registry(entry_points=[entry_point], builtins=())
        (record,) = registry.plugins

    assert (record.distribution, record.version, record.status) == (None, None, "error")
    assert record.error == "ImportError: No module named 'routilux_missing'"
    assert record.entry_point is not None and record.entry_point.startswith("missing = ")


def test_same_entry_point_name_in_two_distributions_are_two_plugins() -> None:
    first = FakeEntryPoint("plugin", "plugin_fixtures.good", distribution="dist-one")
    second = FakeEntryPoint("plugin", "plugin_fixtures.fake_core", distribution="dist-two")

    registry = make_registry(entry_points=[first, second], builtins=())

    assert [(r.name, r.distribution, r.status) for r in registry.plugins] == [
        ("plugin", "dist-one", "ok"),
        ("plugin", "dist-two", "ok"),
    ]
    assert sorted(registry.executors) == ["fixture-threads", "sequential"]


def test_fake_entry_point_import_failure_is_not_cached() -> None:
    entry_point = broken_import()
    for _ in range(2):
        with pytest.raises(RuntimeError, match="exploded at import"):
            entry_point.load()
    assert "plugin_fixtures.broken_import" not in sys.modules
