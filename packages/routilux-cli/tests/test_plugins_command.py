"""``routilux plugins``: each provided name with its description, the other project's ``routilux``
distribution reported, and ``routilux run`` naming a broken plugin behind an unknown type."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest

OTHER_INIT = 'raise ImportError("this is the other project\'s routilux")\n'


def file_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_distribution(site: Path, name: str, version: str, record: dict[str, str],
                       summary: str = "") -> None:
    """A ``.dist-info`` folder for ``name`` whose RECORD lists ``record`` (path -> hash)."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {summary}\n", encoding="utf-8"
    )
    rows = [f"{path},{digest},0" for path, digest in record.items()] + [f"{info.name}/METADATA,,"]
    (info / "RECORD").write_text("\n".join(rows) + "\n", encoding="utf-8")


def other_project(site: Path, *, with_package: bool, recorded_init: bytes = OTHER_INIT.encode()) -> None:
    """The other project's ``routilux`` 0.13.0, as pip installs it into ``site``."""
    if with_package:
        (site / "routilux").mkdir(parents=True, exist_ok=True)
        (site / "routilux" / "__init__.py").write_text(OTHER_INIT, encoding="utf-8")
    write_distribution(site, "routilux", "0.13.0", {"routilux/__init__.py": file_hash(recorded_init)},
                       summary="Event-driven workflow orchestration")


def core_metadata(site: Path) -> None:
    """routilux-core's metadata in ``site``, listing the package files there (a non-editable install)."""
    write_distribution(site, "routilux-core", "0.10.0", {"routilux/__init__.py": file_hash(b"core")})


def plugins_in(site: Path, run_cli, cli_env, *args: str):
    return run_cli("plugins", *args, env=cli_env({"PYTHONPATH": str(site)}))


def test_text_output_lists_each_name_with_its_description(run_cli):
    from routilux_cli.plugin import routilux_register_routines

    result = run_cli("plugins")

    assert result.returncode == 0, result.stderr
    block = result.stdout.split("cli [ok]\n", 1)[1].split("\n", 4)
    first, second = routilux_register_routines()
    assert block[3] == f"  provides:     routine:{first.name}   {first.description}"
    assert block[4].startswith(f"                routine:{second.name}  {second.description}\n")


def test_json_output_has_the_descriptions_by_name(run_cli):
    from routilux_cli.plugin import routilux_register_routines

    result = run_cli("plugins", "--json")

    assert result.returncode == 0, result.stderr
    cli = next(record for record in json.loads(result.stdout) if record["name"] == "cli")
    expected = {f"routine:{spec.name}": spec.description for spec in routilux_register_routines()}
    assert cli["provides"] == list(expected) and cli["descriptions"] == expected


def test_stores_are_listed_with_the_other_kinds(run_cli):
    from routilux_sqlite_store import SQLITE_STORE

    result = run_cli("plugins", "--json")

    assert result.returncode == 0, result.stderr
    sqlite = next(record for record in json.loads(result.stdout) if record["name"] == "sqlite")
    assert sqlite["distribution"] == "routilux-sqlite-store"
    assert sqlite["descriptions"] == {"store:sqlite": SQLITE_STORE.description}
    text = run_cli("plugins").stdout
    assert f"  provides:     store:sqlite  {SQLITE_STORE.description}" in text
    assert "store:file" in text  # routilux-json-store's snapshot store


def test_no_other_routilux_means_no_warning(run_cli):
    result = run_cli("plugins", "--json")

    assert result.returncode == 0
    assert "another project" not in result.stderr


def test_the_other_project_installed_over_core_is_reported(tmp_path, run_cli, cli_env):
    other_project(tmp_path, with_package=True)
    core_metadata(tmp_path)

    result = plugins_in(tmp_path, run_cli, cli_env)

    assert result.returncode == 1
    assert ("warning: the distribution 'routilux' 0.13.0 (Event-driven workflow orchestration) is "
            "installed in") in result.stderr
    assert "It was installed over routilux-core: its files replaced routilux-core's in" in result.stderr
    assert "To repair: python -m pip uninstall routilux routilux-core" in result.stderr
    assert ("Error: cannot list the plugins: importing routilux.plugins failed (ImportError: this is the "
            "other project's routilux)") in result.stderr


def test_core_installed_over_the_other_project_is_reported(tmp_path, run_cli, cli_env):
    import routilux

    shutil.copytree(Path(routilux.__file__).parent, tmp_path / "routilux",
                    ignore=shutil.ignore_patterns("__pycache__"))
    other_project(tmp_path, with_package=False)  # its recorded __init__.py was replaced by core's
    core_metadata(tmp_path)

    result = plugins_in(tmp_path, run_cli, cli_env, "--json")

    assert result.returncode == 1
    assert "routilux-core was installed over it: routilux-core's files replaced its own in" in result.stderr
    assert "'pip uninstall routilux' would delete routilux-core's files" in result.stderr
    assert any(record["name"] == "cli" for record in json.loads(result.stdout))  # the listing still works
    # core's own import-time warning is not repeated
    assert result.stderr.count("the distribution 'routilux' 0.13.0") == 1


def test_the_other_project_first_on_sys_path_is_reported(tmp_path, run_cli, cli_env):
    other_project(tmp_path, with_package=True)  # core's metadata stays where it is installed

    result = plugins_in(tmp_path, run_cli, cli_env)

    assert result.returncode == 1
    assert (f"'import routilux' loads the other project's package, {(tmp_path / 'routilux').resolve()}: its "
            f"directory comes before routilux-core's on sys.path.") in result.stderr


def test_the_other_project_shadowed_by_core_is_still_reported(tmp_path, run_cli, cli_env):
    import routilux

    other_project(tmp_path, with_package=False)

    result = plugins_in(tmp_path, run_cli, cli_env, "--json")

    assert result.returncode == 1
    loaded = Path(routilux.__file__).resolve().parent
    assert f"'import routilux' loads {loaded}; the other project's package is" in result.stderr
    assert json.loads(result.stdout)


# -- routilux run with a broken plugin -----------------------------------------------------------

FLOW = """\
version: 1
routines:
  src: {type: FlowInput}
  work: {type: WreckedRoutine}
connections:
  - {from: src.output, to: work.input}
entry: {routine: src}
"""


@pytest.mark.parametrize("command", ["run", "validate"])
def test_an_unknown_type_names_the_plugin_that_failed_to_load(tmp_path, run_cli, cli_env, command):
    module = tmp_path / "routilux_wreck"
    module.mkdir()
    (module / "__init__.py").write_text('raise ImportError("libwreck is missing")\n', encoding="utf-8")
    write_distribution(tmp_path, "routilux-wreck", "0.2", {})
    (tmp_path / "routilux_wreck-0.2.dist-info" / "entry_points.txt").write_text(
        "[routilux]\nwreck = routilux_wreck\n", encoding="utf-8"
    )
    flow = tmp_path / "flow.yaml"
    flow.write_text(textwrap.dedent(FLOW), encoding="utf-8")

    result = run_cli(command, str(flow), env=cli_env({"PYTHONPATH": str(tmp_path)}))

    assert result.returncode == (2 if command == "run" else 1), result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert re.search(
        r"routines\.work\.type.*unknown routine type 'WreckedRoutine'.*Plugin 'wreck' from "
        r"routilux-wreck 0\.2 failed to load and may have provided it: ImportError: libwreck is missing\.",
        output,
    ), output
