"""``routilux serve``: the monitor of a store's durable jobs, on a local web server.

Registered through the ``routilux.cli_commands`` entry point. It binds the
socket itself (so ``--port 0`` gets a free port and the printed URL names it),
prints ``routilux monitor: serving http://HOST:PORT/?token=TOKEN`` on stdout,
flushed, and serves until interrupted.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import sys

import click

__all__ = ["TOKEN_VARIABLE", "is_loopback", "serve"]

#: The environment variable that gives the token when ``--token`` does not.
TOKEN_VARIABLE = "ROUTILUX_MONITOR_TOKEN"
#: What a loopback monitor answers to in the ``Host`` header (with any port).
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only: ``localhost`` or a loopback address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port``; a usage error naming them if that fails."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as error:
        raise click.UsageError(f"cannot resolve the host {host!r}: {error}") from error
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise click.UsageError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    sock.set_inheritable(True)
    return sock


@click.command("serve")
@click.option("--store", "store_path", metavar="PATH_OR_URL",
              help="The store whose jobs to show (default: $ROUTILUX_STORE, else ~/.routilux/routilux.db).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Any but a loopback one needs --token (or "
                   f"${TOKEN_VARIABLE}), and then every page and read needs the token too.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="The port to listen on; 0 picks a free one (the printed URL names it).")
@click.option("--token", default=None, metavar="TOKEN",
              help=f"The token actions need (default: ${TOKEN_VARIABLE}, else a random one, printed).")
def serve(store_path: str | None, host: str, port: int, token: str | None) -> None:
    """Serve a live web monitor of the durable jobs of a store: jobs, graphs, logs, pause/resume/cancel.

    Prints the URL to open (with the token) and serves until Ctrl-C. Exit
    status 2 for a store that cannot be opened, a host or port that cannot be
    used, or a non-loopback host without a token.
    """
    import uvicorn

    from routilux_cli.job_store import open_store_or_exit, store_location
    from routilux_monitor.app import create_app

    given = token or os.environ.get(TOKEN_VARIABLE) or None
    loopback = is_loopback(host)
    if not loopback and given is None:
        raise click.UsageError(
            f"refusing to serve on the non-loopback host {host!r} without a token: anyone who can "
            f"reach it could read and control the jobs. Give one with --token TOKEN or "
            f"${TOKEN_VARIABLE}, or serve on 127.0.0.1 (the default)")
    chosen = given or secrets.token_urlsafe(24)
    store = open_store_or_exit(store_location(store_path), create=True)
    try:
        sock = _bind(host, port)
        bound_port = sock.getsockname()[1]
        allowed = [*_LOOPBACK_NAMES, host] if loopback else None
        app = create_app(store, chosen, require_token_for_reads=not loopback, allowed_hosts=allowed)
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        click.echo(f"routilux monitor: serving http://{shown}:{bound_port}/?token={chosen}")
        sys.stdout.flush()
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2,
                                lifespan="off")
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        store.close()
