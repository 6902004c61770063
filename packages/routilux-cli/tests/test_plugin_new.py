"""``routilux plugin new``: names, kinds and refusals (the parts that need no copier).

Rendering itself, and the rendered plugins at work, are tested in ../template_tests
(``tox -e template``), where copier is installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import routilux
from routilux_cli.main import main
from routilux_cli.scaffold import KINDS, TEMPLATE_DIR, TemplateError, plugin_answers, render_plugin


@pytest.mark.parametrize(("kind", "name", "registered", "class_name"), [
    ("routine", "shout", "Shout", "Shout"),
    ("routine", "text-tools", "TextTools", "TextTools"),
    ("serializer", "Routilux_Zjson", "zjson", "Zjson"),
    ("executor", "fast-lane", "fast-lane", "FastLaneExecutor"),
    ("executor", "pool.executor", "pool-executor", "PoolExecutor"),
    ("error-strategy", "retry-then-skip", "retry-then-skip", "RetryThenSkip"),
])
def test_names_follow_from_kind_and_name(kind: str, name: str, registered: str, class_name: str) -> None:
    answers = plugin_answers(kind, name)

    short = registered.lower() if kind != "routine" else name
    assert answers == {
        "kind": kind,
        "project_name": f"routilux-{short}",
        "package_name": f"routilux_{short.replace('-', '_')}",
        "plugin_name": registered,
        "class_name": class_name,
        "entry_point_name": short,
        "description": f"A routilux {kind} plugin.",
        "routilux_requirement": f"routilux-core>={routilux.__version__}",
    }


@pytest.mark.parametrize("name", ["", "1st", "two--dashes", "has space", "trailing-", "ünï", "a/b"])
def test_invalid_names_are_refused_with_the_value(name: str) -> None:
    with pytest.raises(TemplateError, match=f"NAME {name!r} is not a valid plugin name"):
        plugin_answers("routine", name)


def test_names_of_routilux_itself_or_of_importable_packages_are_refused() -> None:
    with pytest.raises(TemplateError, match="names routilux itself"):
        plugin_answers("routine", "routilux")
    with pytest.raises(TemplateError, match="gives the package 'routilux_cli', which is already importable"):
        plugin_answers("routine", "cli")


def test_every_kind_has_a_template_and_an_unknown_kind_is_refused() -> None:
    assert KINDS == ("routine", "serializer", "executor", "store", "error-strategy")
    for kind in KINDS:
        assert (TEMPLATE_DIR / "kinds" / kind).is_dir(), kind
    with pytest.raises(TemplateError, match="unknown plugin kind 'job'; kinds: routine, serializer"):
        render_plugin("job", "shout")


def test_an_existing_folder_with_files_is_never_written_into(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")

    result = CliRunner().invoke(main, ["plugin", "new", "routine", "shout", "--dir", str(tmp_path)])

    assert result.exit_code == 2
    assert f"{tmp_path} already exists and is not an empty folder" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_without_copier_the_command_says_how_to_install_it(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "copier", None)  # makes `import copier` fail

    result = CliRunner().invoke(main, ["plugin", "new", "routine", "shout", "--dir", str(tmp_path / "p")])

    assert result.exit_code == 2
    assert "copier, which is not installed: pip install 'routilux-cli[template]'" in result.output
    assert not (tmp_path / "p").exists()


def test_unknown_kind_is_a_usage_error_listing_the_kinds() -> None:
    result = CliRunner().invoke(main, ["plugin", "new", "widget", "shout"])

    assert result.exit_code == 2
    kinds = "'routine', 'serializer', 'executor', 'store', 'error-strategy'"
    assert f"'widget' is not one of {kinds}" in result.output
