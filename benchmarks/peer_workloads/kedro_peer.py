"""Kedro: ``kedro.pipeline.node``/``pipeline`` run by a ``SequentialRunner`` over a ``DataCatalog``.

A Kedro pipeline is a static DAG of nodes joined by dataset names. The entry value is a
``MemoryDataset`` in the catalog (``start``), as is the sink's output (``result``, loaded after the
run); the datasets in between are the ``MemoryDataset``s Kedro creates for names the catalog does
not list. Logging is at WARNING (see ``_kedro_environment`` in this package's ``__init__``).
"""

from __future__ import annotations

from typing import Any

from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node, pipeline
from kedro.runner import SequentialRunner

from .cases import Case, NotExpressible, make_relay, sink, source


def chain_pipeline(n: int) -> Pipeline:
    """``start`` -> n0 (source) -> n1 .. n{n-2} (relays) -> n{n-1} (sink) -> ``result``.

    Raises:
        ValueError: ``n`` < 2 (a chain has a source and a sink at least).
    """
    if n < 2:
        raise ValueError(f"a chain needs at least 2 nodes (source, sink), got n={n}")
    nodes = [node(source, "start", "d0", name="n0")]
    nodes += [node(make_relay(), f"d{k - 1}", f"d{k}", name=f"n{k}") for k in range(1, n - 1)]
    nodes.append(node(sink, f"d{n - 2}", "result", name=f"n{n - 1}"))
    return pipeline(nodes)


def run_once(pipe: Pipeline, start: int) -> Any:
    """One run of ``pipe`` with ``start`` in a fresh catalog: the value saved to ``result``."""
    catalog = DataCatalog({"start": MemoryDataset(data=start), "result": MemoryDataset()})
    SequentialRunner().run(pipe, catalog)
    return catalog["result"].load()


def run_chain(pipe: Pipeline) -> Any:
    """(g): one run of the fresh chain from ``start=0``."""
    return run_once(pipe, 0)


def pipeline_runs(n: int) -> tuple[Pipeline, int]:
    """(i): the 3-node pipeline (built untimed) and how many runs to make."""
    return chain_pipeline(3), n


def run_pipelines(built: tuple[Pipeline, int]) -> list[Any]:
    """``n`` runs, ``start=0..n-1``, one after another, each with its own catalog: the results in order."""
    pipe, runs = built
    values: list[Any] = []
    for start in range(runs):
        values += run_once(pipe, start)
    return values


def readout_built(pipe: Pipeline) -> Any:
    """(j): one run of the built chain (its node count is the length of the chain it was built for)."""
    return run_chain(pipe)


CASES: dict[str, Case | NotExpressible] = {
    "g": Case("SequentialRunner().run(pipeline, catalog) on a fresh pipeline of n node()s (distinct "
              "functions); the catalog holds MemoryDataset start and result", chain_pipeline, run_chain),
    "h": NotExpressible("a Kedro pipeline is a static DAG of named datasets with no per-item map or "
                        "dynamic fan-out: the Kedro way is one node over the whole list (a plain Python "
                        "loop, nothing per item) or one node per item generated for a known count (the "
                        "per-node cost of (g))"),
    "i": Case("one pipeline of 3 nodes (built untimed), n SequentialRunner().run calls, each with a new "
              "DataCatalog holding start=k", pipeline_runs, run_pipelines),
    "j": Case("n node() calls + pipeline(nodes) (which joins them by dataset name and sorts them)",
              lambda n: n, chain_pipeline, readout_built),
}
