"""routilux_cli.installed reads versions and entry points as importlib.metadata does, without it."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from routilux_cli.installed import distribution_version, entry_points, normalize


def make_dist(site: Path, dir_name: str, *, metadata: str | None = None,
              entry_points_txt: str | None = None) -> None:
    dist = site / dir_name
    dist.mkdir(parents=True)
    if metadata is not None:
        (dist / "METADATA").write_text(metadata, encoding="utf-8")
    if entry_points_txt is not None:
        (dist / "entry_points.txt").write_text(entry_points_txt, encoding="utf-8")


def test_version_comes_from_metadata_and_names_are_normalized(tmp_path: Path) -> None:
    make_dist(tmp_path, "Routilux_Core-0.10.0.dist-info",
              metadata="Metadata-Version: 2.1\nName: routilux-core\nVersion: 0.10.1\n\nVersion: body\n")
    make_dist(tmp_path, "legacy-2.0-py3.11.egg-info")

    assert distribution_version("routilux-core", [str(tmp_path)]) == "0.10.1"
    assert distribution_version("ROUTILUX.core", [str(tmp_path)]) == "0.10.1"
    assert distribution_version("legacy", [str(tmp_path)]) == "2.0"  # no METADATA: the folder name
    assert distribution_version("absent", [str(tmp_path)]) is None
    assert normalize("Routilux__Core.x") == "routilux-core-x"


def test_the_first_path_holding_a_distribution_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    make_dist(first, "demo-1.0.dist-info", metadata="Name: demo\nVersion: 1.0\n",
              entry_points_txt="[g]\na = first:a\n")
    make_dist(second, "demo-2.0.dist-info", metadata="Name: demo\nVersion: 2.0\n",
              entry_points_txt="[g]\na = second:a\nb = second:b\n")
    paths = [str(tmp_path / "missing"), str(first), str(second)]

    assert distribution_version("demo", paths) == "1.0"
    assert [(e.name, e.value, e.version) for e in entry_points("g", paths)] == [("a", "first:a", "1.0")]


def test_entry_points_of_one_group(tmp_path: Path) -> None:
    make_dist(tmp_path, "routilux_serve-0.3.dist-info", metadata="Name: routilux-serve\nVersion: 0.3\n",
              entry_points_txt=(
                  "# a comment\n[console_scripts]\nserve = routilux_serve:main\n\n"
                  "[routilux.cli_commands]\n; another comment\nserve=routilux_serve.cli:serve\n"
                  "  jobs =  routilux_serve.cli:jobs  \n[routilux]\nserve = routilux_serve.plugin\n"))
    make_dist(tmp_path, "other-1.0.dist-info", entry_points_txt="[console_scripts]\nother = other:main\n")

    found = entry_points("routilux.cli_commands", [str(tmp_path)])

    assert [(e.name, e.value, e.group, e.distribution, e.version) for e in found] == [
        ("serve", "routilux_serve.cli:serve", "routilux.cli_commands", "routilux-serve", "0.3"),
        ("jobs", "routilux_serve.cli:jobs", "routilux.cli_commands", "routilux-serve", "0.3"),
    ]


def test_agrees_with_importlib_metadata_on_this_environment() -> None:
    for group in ("routilux", "console_scripts"):
        expected = {(e.name, e.value, normalize(e.dist.name))
                    for e in importlib.metadata.entry_points(group=group)}
        assert {(e.name, e.value, normalize(e.distribution)) for e in entry_points(group)} == expected
    assert distribution_version("routilux-core") == importlib.metadata.version("routilux-core")
    assert distribution_version("click") == importlib.metadata.version("click")
