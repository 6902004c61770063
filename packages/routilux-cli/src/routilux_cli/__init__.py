"""routilux-cli: the ``routilux`` command and flow files.

* :mod:`routilux_cli.flowfile`: the flow-file format (YAML or JSON), loading,
  validation and writing a :class:`~routilux.Flow` back out.
* :mod:`routilux_cli.main`: the ``routilux`` click group (``run``, ``resume``,
  ``validate``, ``graph``, ``inspect``).
* :mod:`routilux_cli.routines`: ``FlowInput`` and ``FlowOutput``, registered as
  routine plugins so flow files can start a job and show its results.
"""

__version__ = "0.10.0"

__all__ = ["__version__"]
