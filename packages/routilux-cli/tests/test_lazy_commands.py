"""Commands load on first use: ``--help``/``--version`` import no command module, rich, yaml,
routilux or plugin; commands from other distributions come through ``routilux.cli_commands``."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from routilux_cli.lazy_group import LazyCommand, LazyGroup
from routilux_cli.main import COMMANDS, main

# Runs the CLI in this interpreter and reports its exit code and every module it imported.
PROBE = textwrap.dedent("""
    import json, sys
    from routilux_cli.main import main
    code = 0
    try:
        main(sys.argv[1:], prog_name="routilux")
    except SystemExit as done:
        code = done.code or 0
    print("@@" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
""")

# What a start-up that only prints help or the version must not pay for.
HEAVY = ("rich", "yaml", "routilux", "pluggy", "attrs", "importlib.metadata", "copier",
         "routilux_std_routines", "routilux_json_store", "routilux_dask", "routilux_msgspec",
         "routilux_cli.commands", "routilux_cli.runner", "routilux_cli.flowfile", "routilux_cli.plugin")


def probe(*args: str, cli_env, pythonpath: Path | None = None) -> tuple[int, str, str, list[str]]:
    extra = {"PYTHONPATH": str(pythonpath)} if pythonpath is not None else {}
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                            encoding="utf-8", env=cli_env(extra), timeout=120, check=False)
    out, _, report = result.stdout.rpartition("@@")
    assert report, f"probe printed no report: {result.stdout}\n{result.stderr}"
    data = json.loads(report)
    return data["code"], out, result.stderr, data["modules"]


def heavy_modules(modules: list[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """The ``modules`` that are one of ``heavy`` or inside one of them."""
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in heavy)]


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_command_module_nor_rich_yaml_or_plugins(flag, cli_env):
    code, out, err, modules = probe(flag, cli_env=cli_env)

    assert code == 0, err
    assert heavy_modules(modules) == []
    if flag == "--help":
        for command in COMMANDS:
            assert f"  {command.name} " in out


# Runs `routilux ARGS` and reports what its first line was and which modules were imported by then.
FIRST_LINE_PROBE = textwrap.dedent("""
    import json, sys
    from routilux_cli.main import main

    class FirstLine:
        def __init__(self, stream):
            self.stream, self.line, self.modules = stream, None, None
        def write(self, text):
            if self.line is None and text.strip():
                self.line, self.modules = text, sorted(sys.modules)
            return self.stream.write(text)
        def __getattr__(self, name):
            return getattr(self.stream, name)

    spy = sys.stdout = FirstLine(sys.stdout)
    try:
        main(sys.argv[1:], prog_name="routilux")
    except SystemExit:
        pass
    sys.stdout = spy.stream
    print("@@" + json.dumps({"line": spy.line, "modules": spy.modules}))
""")


def test_run_prints_its_first_line_before_importing_rich_or_the_runner(cli_env, examples_dir):
    flow = examples_dir / "text_pipeline.yaml"
    result = subprocess.run([sys.executable, "-c", FIRST_LINE_PROBE, "run", str(flow)], capture_output=True,
                            text=True, encoding="utf-8", env=cli_env(), timeout=120, check=False)
    report = json.loads(result.stdout.rpartition("@@")[2])

    assert report["line"].startswith("Running flow 'text-pipeline' from "), result.stdout + result.stderr
    # The live display, the tables and the summary: what the first line need not wait for.
    assert heavy_modules(report["modules"], ("rich", "routilux_cli.runner", "routilux_cli.run_report")) == []


def test_help_lists_every_command_with_its_short_help():
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)

    assert result.exit_code == 0, result.output
    listed = {line.split()[0]: " ".join(line.split()[1:]) for line in
              result.output.split("Commands:\n", 1)[1].splitlines() if line.strip()}
    builtin = {c.name: c.short_help for c in COMMANDS}
    assert {name: text for name, text in listed.items() if name in builtin} == builtin
    # Commands of installed plugins (routilux serve, of routilux-monitor) name their distribution.
    assert all(text.startswith("(from ") for name, text in listed.items() if name not in builtin)


def _module_exists(lazy: LazyCommand) -> bool:
    return importlib.util.find_spec(lazy.target.partition(":")[0]) is not None


# `describe` (routilux_cli/commands/describe.py) is registered before its module exists; until it
# does, `routilux describe` fails alone with a clear message (see the ghost test below).
@pytest.mark.parametrize("lazy", [
    pytest.param(c, marks=pytest.mark.xfail(not _module_exists(c), raises=click.ClickException, strict=True,
                                            reason=f"{c.target} is not there yet"))
    for c in COMMANDS
], ids=[c.name for c in COMMANDS])
def test_the_listed_short_help_is_the_commands_own(lazy: LazyCommand):
    # The mapping in main.py repeats each command's first docstring sentence so --help need not
    # import it; this keeps the two from drifting apart.
    command = LazyGroup.load(lazy)

    assert command.name == lazy.name
    assert command.get_short_help_str(limit=1000) == lazy.short_help


@click.command("hello")
def hello() -> None:
    """Say hello."""
    click.echo("hello")


NOT_A_COMMAND = "just a string"


def ghost_group() -> LazyGroup:
    return LazyGroup(name="demo", commands=[hello], lazy_commands=[
        LazyCommand("ghost", "routilux_cli.commands.no_such_module:command", "Haunts the house."),
        LazyCommand("plain", f"{__name__}:NOT_A_COMMAND", "Is not a command."),
    ])


def test_a_command_that_cannot_be_loaded_fails_alone():
    group = ghost_group()
    runner = CliRunner()

    listing = runner.invoke(group, ["--help"])
    ghost = runner.invoke(group, ["ghost"])
    plain = runner.invoke(group, ["plain"])
    other = runner.invoke(group, ["hello"])

    assert listing.exit_code == 0 and "ghost  Haunts the house." in listing.output
    assert ghost.exit_code == 1
    assert ("the command 'ghost' cannot be loaded from routilux_cli.commands.no_such_module:command: "
            "ModuleNotFoundError") in ghost.output
    assert plain.exit_code == 1 and "str 'just a string' is not a click command" in plain.output
    assert (other.exit_code, other.output) == (0, "hello\n")


def test_loaded_commands_are_kept():
    group = LazyGroup(name="demo", lazy_commands=[LazyCommand("hello", f"{__name__}:hello", "Say hello.")])
    ctx = click.Context(group)

    assert group.get_command(ctx, "hello") is hello
    assert group.commands == {"hello": hello}
    assert group.get_command(ctx, "nope") is None


# -- commands from other distributions ---------------------------------------------------------


@pytest.fixture
def fake_site(tmp_path: Path) -> Path:
    """A sys.path entry with one installed distribution adding three commands."""
    dist = tmp_path / "routilux_serve_fake-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: routilux-serve-fake\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent("""
        [routilux]
        serve-fake = routilux_serve_fake_plugin

        [routilux.cli_commands]
        serve = routilux_serve_fake:serve
        broken = routilux_serve_fake_broken:command
        run = routilux_serve_fake:serve
    """))
    (tmp_path / "routilux_serve_fake.py").write_text(textwrap.dedent('''
        import click

        @click.command("serve")
        @click.option("--name", default="world")
        def serve(name):
            """Serve flows over HTTP."""
            click.echo(f"serving {name}")
    '''))
    (tmp_path / "routilux_serve_fake_broken.py").write_text('raise ImportError("needs uvicorn")\n')
    return tmp_path


def test_help_lists_commands_of_other_distributions_without_importing_them(fake_site, cli_env):
    code, out, err, modules = probe("--help", cli_env=cli_env, pythonpath=fake_site)

    assert code == 0, err
    assert "serve     (from routilux-serve-fake 1.0)" in out
    assert "broken    (from routilux-serve-fake 1.0)" in out
    assert [m for m in modules if m.startswith("routilux_serve_fake")] == []
    assert heavy_modules(modules) == []
    # The distribution cannot take a name of routilux-cli's; it is told so, not silently dropped.
    assert ("ignoring the command 'run' of routilux-serve-fake 1.0 (routilux.cli_commands entry point "
            "routilux_serve_fake:serve): the name is already routilux-cli's") in err
    assert "Run the job of a flow file" in out


def test_a_command_of_another_distribution_runs(fake_site, cli_env):
    code, out, err, modules = probe("serve", "--name", "Ada", cli_env=cli_env, pythonpath=fake_site)

    assert (code, out) == (0, "serving Ada\n"), err
    assert "routilux_serve_fake" in modules


def test_a_broken_command_of_another_distribution_names_it(fake_site, cli_env):
    code, _out, err, _modules = probe("broken", cli_env=cli_env, pythonpath=fake_site)

    assert code == 1
    assert ("the command 'broken' cannot be loaded from routilux_serve_fake_broken:command of "
            "routilux-serve-fake 1.0: ImportError: needs uvicorn") in err
