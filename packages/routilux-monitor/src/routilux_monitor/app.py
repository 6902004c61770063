"""The monitor's application: :func:`create_app` over an open durable store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from routilux_monitor import api, events, pages
from routilux_monitor.auth import TokenMiddleware
from routilux_monitor.reader import StoreReader

__all__ = ["create_app"]


def create_app(
    store: Any,
    token: str,
    require_token_for_reads: bool = False,
    *,
    allowed_hosts: Sequence[str] | None = None,
    poll_s: float = events.POLL_S,
) -> Starlette:
    """The monitor of ``store``'s jobs, as an ASGI application.

    Args:
        store: an open :class:`routilux.DurableStore` (the caller closes it).
        token: the token actions need (and reads, with ``require_token_for_reads``).
        require_token_for_reads: every route needs the token (a monitor on a non-loopback address).
        allowed_hosts: the ``Host`` header values to serve (None: any). A loopback monitor gives
            its loopback names, so a page of another site that rebinds its domain name to
            127.0.0.1 cannot read the jobs.
        poll_s: how often a live stream looks at its job's row.

    Raises:
        TypeError: ``store`` keeps no job journal.
        ValueError: an empty token, or ``poll_s`` not positive.
    """
    from routilux import DurableStore

    if not isinstance(store, DurableStore):
        raise TypeError(f"the monitor needs a durable store (one that journals jobs), got {store!r}")
    if not poll_s > 0:
        raise ValueError(f"poll_s must be a positive number of seconds, got {poll_s!r}")
    middleware = [Middleware(TokenMiddleware, token=token, require_token_for_reads=require_token_for_reads)]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    # The stream's route first: /api/jobs/{id}/events must not be taken for an action.
    app = Starlette(routes=[*events.routes(), *api.routes(), *pages.routes()], middleware=middleware)
    app.state.reader = StoreReader(store)
    app.state.templates = pages.templates()
    app.state.poll_s = poll_s
    return app
