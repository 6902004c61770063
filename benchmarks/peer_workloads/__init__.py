"""The peers of ``benchmarks/peers.py``: issue 15's workloads (g)-(j) in Hamilton, Kedro and Prefect 3.

* :mod:`.cases`: the workloads, the :class:`~.cases.Case` a peer module gives for each, their timing;
* :mod:`.hamilton_peer`, :mod:`.kedro_peer`, :mod:`.prefect_peer`: one module per peer, each with
  ``CASES`` (workload key -> Case or NotExpressible);
* :mod:`.table`: the side-by-side table.

A peer module imports its library at the top, so it is imported only once :func:`installed` said
the library is there, and after :func:`Peer.configure` set the environment it must see at import.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def _prefect_environment() -> dict[str, str]:
    """Prefect 3 kept local: an ephemeral API (a SQLite database in a temporary PREFECT_HOME, served
    by the subprocess server Prefect starts itself), no analytics, no UI, INFO logs off."""
    home = tempfile.mkdtemp(prefix="routilux-peers-prefect-")
    # Registered before prefect is imported, so it runs after prefect's own exit handlers stop the server.
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return {
        "PREFECT_HOME": home,
        "PREFECT_API_URL": "",
        "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "DO_NOT_TRACK": "1",
    }


def _kedro_environment() -> dict[str, str]:
    """Kedro's logging through its documented KEDRO_LOGGING_CONFIG (WARNING and up to stderr): at its
    default INFO it prints three rich console lines per node, which would be most of what is timed."""
    return {"KEDRO_LOGGING_CONFIG": str(HERE / "kedro_logging.yml"), "KEDRO_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "1"}


@dataclass(frozen=True)
class Peer:
    """A peer: its column name, the distribution and import names, its module here, its environment."""

    name: str
    distribution: str
    import_name: str
    module: str
    environment: Callable[[], dict[str, str]] = field(default=dict)

    def installed(self) -> bool:
        """Whether the peer's library can be imported (without importing it)."""
        return importlib.util.find_spec(self.import_name) is not None

    def version(self) -> str:
        """The installed distribution's version, or "not installed"."""
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    def load(self) -> ModuleType:
        """Set the peer's environment (an empty value unsets a variable), then import its module."""
        for key, value in self.environment().items():
            if value:
                os.environ[key] = value
            else:
                os.environ.pop(key, None)
        return importlib.import_module(f"{__name__}.{self.module}")


PEERS: tuple[Peer, ...] = (
    Peer("hamilton", "apache-hamilton", "hamilton", "hamilton_peer"),
    Peer("kedro", "kedro", "kedro", "kedro_peer", _kedro_environment),
    Peer("prefect", "prefect", "prefect", "prefect_peer", _prefect_environment),
)
