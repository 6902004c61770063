"""routilux-monitor: a live web monitor of the durable jobs of a routilux store (``routilux serve``).

:func:`create_app` builds the Starlette application over an open store;
:mod:`routilux_monitor.cli` is the ``serve`` command. See the README for the
pages, the JSON API and the security model.
"""

from routilux_monitor.app import create_app

__all__ = ["create_app"]
