"""What ``routilux plugin new`` renders, file by file (fast; the rendered plugins are run in
test_rendered_plugins.py). Needs copier: ``pip install 'routilux-cli[template]'``."""

from __future__ import annotations

import ast
import configparser
import sys
from pathlib import Path

import copier
import pytest
from click.testing import CliRunner

import routilux
from routilux_cli.main import main
from routilux_cli.scaffold import TEMPLATE_DIR, plugin_answers

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the template env runs a newer Python
    tomllib = pytest.importorskip("tomli")

KINDS = ("routine", "serializer", "executor", "store", "error-strategy")
HOOKS = {"routine": "routilux_register_routines", "serializer": "routilux_register_serializers",
         "executor": "routilux_register_executors", "store": "routilux_register_stores",
         "error-strategy": "routilux_register_error_strategies"}
CONTRACTS = {"routine": "RoutinePluginContract", "serializer": "SerializerPluginContract",
             "executor": "ExecutorPluginContract", "store": "StorePluginContract", "error-strategy": None}


def render(kind: str, name: str, destination: Path) -> str:
    result = CliRunner().invoke(main, ["plugin", "new", kind, name, "--dir", str(destination)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("kind", KINDS)
def test_renders_a_complete_distribution(kind: str, tmp_path: Path) -> None:
    project = tmp_path / "p"
    output = render(kind, "shout", project)
    package = "routilux_shout"

    files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    assert files == ["README.md", "pyproject.toml", f"src/{package}/__init__.py", f"src/{package}/plugin.py",
                     "tests/test_flow.py", "tests/test_plugin.py", "tox.ini"]
    assert f"Created routilux-shout ({kind} plugin" in output and "python -m pytest" in output
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "{{" not in text and "{%" not in text, f"{path}: template syntax left over"
            assert text.endswith("\n") and not text.endswith("\n\n"), f"{path}: ragged end"
            if path.suffix == ".py":
                ast.parse(text, filename=str(path))

    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == "routilux-shout"
    assert pyproject["project"]["dependencies"] == [f"routilux-core>={routilux.__version__}"]
    assert pyproject["project"]["entry-points"]["routilux"] == {"shout": f"{package}.plugin"}
    assert pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [f"src/{package}"]

    tox = configparser.ConfigParser()
    tox.read(project / "tox.ini", encoding="utf-8")
    assert tox["testenv"]["commands"].split() == ["pytest", "{posargs}"]
    assert "{env:ROUTILUX_CORE:routilux-core>=" in tox["testenv"]["deps"]

    plugin = (project / "src" / package / "plugin.py").read_text(encoding="utf-8")
    assert f"def {HOOKS[kind]}(" in plugin and "@hookimpl" in plugin
    tests = (project / "tests" / "test_plugin.py").read_text(encoding="utf-8")
    if CONTRACTS[kind]:
        assert f"from routilux.testing import {CONTRACTS[kind]}" in tests
    else:  # no contract class for this kind in routilux.testing: the tests say so
        assert "routilux.testing has no contract class for error strategies" in tests
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# routilux-shout\n") and "## Layout" in readme


@pytest.mark.parametrize("kind", KINDS)
def test_copier_alone_renders_the_same_project(kind: str, tmp_path: Path) -> None:
    # copier.yml derives every name from project_name, so the template is usable without the CLI.
    render(kind, "text-tools", tmp_path / "cli")
    requirement = plugin_answers(kind, "text-tools")["routilux_requirement"]
    copier.run_copy(str(TEMPLATE_DIR), str(tmp_path / "copier"), defaults=True, quiet=True,
                    data={"kind": kind, "project_name": "routilux-text-tools",
                          "routilux_requirement": requirement})

    def tree(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
                for p in root.rglob("*") if p.is_file()}

    assert tree(tmp_path / "copier") == tree(tmp_path / "cli")


def test_copier_refuses_a_bad_distribution_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="question 'project_name': lower-case letters"):
        copier.run_copy(str(TEMPLATE_DIR), str(tmp_path / "bad"), defaults=True, quiet=True,
                        data={"kind": "routine", "project_name": "Bad_Name"})
    assert not (tmp_path / "bad").exists()


def test_an_empty_existing_folder_is_used(tmp_path: Path) -> None:
    render("routine", "shout", tmp_path)

    assert (tmp_path / "pyproject.toml").is_file()
