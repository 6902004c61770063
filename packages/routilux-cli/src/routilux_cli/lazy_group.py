"""A click group whose commands are imported only when they run or show their help.

Each command is a :class:`LazyCommand`: its name, where it lives (``"module:attribute"``)
and its one-line help, so ``routilux --help`` lists every command without importing any
command module (nor rich, yaml, routilux or a plugin). Other distributions add commands
through an entry-point group (``routilux.cli_commands``: ``name = "module:attribute"``);
listing them reads only the entry-point metadata (:mod:`routilux_cli.installed`).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, NamedTuple

import click

__all__ = ["LazyCommand", "LazyGroup"]


class LazyCommand(NamedTuple):
    """A command known by name before it is imported.

    ``target`` is ``"package.module:attribute"``, the attribute being a click command
    (or group). ``short_help`` is what ``--help`` lists; for routilux-cli's own commands
    it is the first sentence of the command's docstring (a test keeps them equal).
    ``origin`` names the distribution of a command found through an entry point.
    """

    name: str
    target: str
    short_help: str
    origin: str | None = None


class LazyGroup(click.Group):
    """A :class:`click.Group` with :class:`LazyCommand` entries besides its ordinary commands.

    Args:
        lazy_commands: the group's own commands; they win over entry-point commands.
        entry_point_group: an entry-point group whose entries (``name = "module:attr"``)
            become commands too; None for none.
    """

    def __init__(self, *args: Any, lazy_commands: Sequence[LazyCommand] = (),
                 entry_point_group: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, LazyCommand] = {c.name: c for c in lazy_commands}
        self.entry_point_group = entry_point_group
        self._external: dict[str, LazyCommand] | None = None

    # -- what exists ----------------------------------------------------------------------------

    def external_commands(self) -> dict[str, LazyCommand]:
        """Commands other distributions declare in :attr:`entry_point_group` (read once).

        An entry whose name is taken (by a command of this group or an earlier entry) is left
        out, with a warning on stderr naming both, so a plugin never replaces a built-in
        command silently.
        """
        if self._external is None:
            self._external = {}
            if self.entry_point_group:
                from routilux_cli.installed import entry_points

                for ep in entry_points(self.entry_point_group):
                    origin = f"{ep.distribution} {ep.version}" if ep.version else ep.distribution
                    taken = self._owner(ep.name)
                    if taken is not None:
                        click.echo(f"routilux: ignoring the command {ep.name!r} of {origin} "
                                   f"({self.entry_point_group} entry point {ep.value}): "
                                   f"the name is already {taken}'s", err=True)
                        continue
                    self._external[ep.name] = LazyCommand(ep.name, ep.value, f"(from {origin})", origin)
        return self._external

    def _owner(self, name: str) -> str | None:
        if name in self.commands or name in self.lazy_commands:
            return "routilux-cli"
        if self._external and name in self._external:
            return self._external[name].origin
        return None

    def _lazy(self, name: str) -> LazyCommand | None:
        return self.lazy_commands.get(name) or self.external_commands().get(name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands, *self.external_commands()})

    # -- loading --------------------------------------------------------------------------------

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is not None:
            return command
        lazy = self._lazy(cmd_name)
        if lazy is None:
            return None
        command = self.load(lazy)
        self.add_command(command, cmd_name)
        return command

    @staticmethod
    def load(lazy: LazyCommand) -> click.Command:
        """Import ``lazy.target`` and return its command.

        Raises:
            click.ClickException: the module cannot be imported, lacks the attribute, or the
                attribute is not a click command; the message names the command, the target
                and (for an entry point) the distribution.
        """
        where = f"{lazy.target}" + (f" of {lazy.origin}" if lazy.origin else "")
        module_name, _, attribute = lazy.target.partition(":")
        try:
            module = importlib.import_module(module_name)
            command = getattr(module, attribute) if attribute else module
        except Exception as error:
            raise click.ClickException(
                f"the command {lazy.name!r} cannot be loaded from {where}: "
                f"{type(error).__name__}: {error}") from error
        if not isinstance(command, click.Command):
            raise click.ClickException(
                f"the command {lazy.name!r} cannot be loaded from {where}: "
                f"{type(command).__name__} {command!r} is not a click command")
        return command

    # -- help -----------------------------------------------------------------------------------

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The ``Commands:`` section, from the short helps, without importing anything."""
        rows: list[tuple[str, click.Command | LazyCommand]] = []
        for name in self.list_commands(ctx):
            entry: click.Command | LazyCommand | None = self.commands.get(name) or self._lazy(name)
            if entry is None or (isinstance(entry, click.Command) and entry.hidden):
                continue
            rows.append((name, entry))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        lines = []
        for name, entry in rows:
            # A throw-away Command shortens the text exactly as click does for a loaded one.
            command = (entry if isinstance(entry, click.Command)
                       else click.Command(name, help=entry.short_help))
            lines.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(lines)
