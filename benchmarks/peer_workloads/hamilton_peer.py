"""Hamilton (``apache-hamilton``): a ``driver.Driver`` over a module of generated functions.

Hamilton builds its DAG from the functions of a module: a function's name is a node, its parameter
names are the nodes it depends on. The modules here are generated as source (one ``def`` per node,
with type annotations), compiled once, and executed into a fresh ``types.ModuleType`` registered in
``sys.modules`` while the driver is built (Hamilton looks functions' modules up there), as
``hamilton.ad_hoc_utils.module_from_source`` does.
"""

from __future__ import annotations

import itertools
import sys
import types
from typing import Any

from hamilton import driver
from hamilton.execution import executors

from .cases import Case, NotExpressible

#: Hamilton walks the DAG depth-first by recursion (``dfs_traverse`` in hamilton.execution.graph_functions),
#: a frame per node at least: a chain of 2,000 fails with RecursionError under the default limit of
#: 1,000. Four frames per node leave headroom for the frames around each one.
FRAMES_PER_NODE = 4

_module_numbers = itertools.count()


def chain_source(n: int) -> str:
    """Source of a chain of ``n`` distinct functions: ``n0(start)``, ``n1(n0)`` ... ``n{n-1}(n{n-2})``.

    Raises:
        ValueError: ``n`` < 3 (a chain has a source, a relay and a sink at least).
    """
    if n < 3:
        raise ValueError(f"a chain needs at least 3 nodes (source, relay, sink), got n={n}")
    defs = ["def n0(start: int) -> int:\n    return start\n"]
    defs += [f"def n{k}(n{k - 1}: int) -> int:\n    return n{k - 1} + 1\n" for k in range(1, n - 1)]
    defs.append(f"def n{n - 1}(n{n - 2}: int) -> list:\n    return [(0, n{n - 2})]\n")
    return "\n".join(defs)


#: Fan-out the way Hamilton's docs map over items: a Parallelizable source, one node run per item,
#: a Collect sink. Pipeline (i): the same three steps without the fan-out.
FAN_OUT_SOURCE = '''
from hamilton.htypes import Collect, Parallelizable

def item(count: int) -> Parallelizable[int]:
    for value in range(count):
        yield value

def relay(item: int) -> int:
    return item + 1

def sink(relay: Collect[int]) -> list:
    return [(0, value) for value in relay]
'''

PIPELINE_SOURCE = '''
def source(start: int) -> int:
    return start

def relay(source: int) -> int:
    return source + 1

def sink(relay: int) -> list:
    return [(0, relay)]
'''


def build_driver(code: types.CodeType, dynamic: bool = False) -> driver.Driver:
    """A driver over a fresh module holding ``code``'s functions (``dynamic``: Parallelizable enabled,
    its per-item tasks run by a ``SynchronousLocalTaskExecutor``, in this thread)."""
    name = f"routilux_peers_hamilton_{next(_module_numbers)}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
        builder = driver.Builder().with_modules(module)
        if dynamic:
            builder = (builder.enable_dynamic_execution(allow_experimental_mode=True)
                       .with_remote_executor(executors.SynchronousLocalTaskExecutor()))
        return builder.build()
    finally:
        # Only the graph's construction looks the module up; the driver holds the functions.
        del sys.modules[name]


def compiled(source: str) -> types.CodeType:
    """``source`` compiled once: the timed builds of (j) execute the ``def`` statements, not compile them."""
    return compile(source, "<routilux-peers-hamilton>", "exec")


def allow_depth(n: int) -> None:
    """Raise the recursion limit (never lower it) so that Hamilton can walk a chain of ``n`` nodes."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), FRAMES_PER_NODE * n + 1_000))


def chain_driver(n: int) -> tuple[driver.Driver, str]:
    """A driver over a chain of ``n`` functions, and the name of its sink."""
    allow_depth(n)
    return build_driver(compiled(chain_source(n))), f"n{n - 1}"


def run_chain(built: tuple[driver.Driver, str]) -> Any:
    """One execution of the chain from ``start=0``: what its sink returned."""
    dr, sink = built
    return dr.execute([sink], inputs={"start": 0})[sink]


def fan_out_driver(n: int) -> tuple[driver.Driver, int]:
    """A dynamic-execution driver over the Parallelizable fan-out, and the item count."""
    return build_driver(compiled(FAN_OUT_SOURCE), dynamic=True), n


def run_fan_out(built: tuple[driver.Driver, int]) -> Any:
    """One execution over ``count`` items: the Collect sink's list."""
    dr, count = built
    return dr.execute(["sink"], inputs={"count": count})["sink"]


def pipeline_driver(n: int) -> tuple[driver.Driver, int]:
    """A driver over the 3-step pipeline, and how many executions to run."""
    return build_driver(compiled(PIPELINE_SOURCE)), n


def run_pipelines(built: tuple[driver.Driver, int]) -> list[Any]:
    """``n`` executions, ``start=0..n-1``, one after another: the sinks' values, concatenated."""
    dr, runs = built
    values: list[Any] = []
    for start in range(runs):
        values += dr.execute(["sink"], inputs={"start": start})["sink"]
    return values


def build_code(n: int) -> tuple[types.CodeType, int]:
    """The compiled chain of ``n`` functions (untimed) that (j) turns into a driver."""
    allow_depth(n)
    return compiled(chain_source(n)), n


def build_chain(built: tuple[types.CodeType, int]) -> tuple[driver.Driver, int]:
    """(j)'s timed part: the ``def``s executed into a fresh module, and the driver built over it."""
    code, n = built
    return build_driver(code), n


def readout_built(result: tuple[driver.Driver, int]) -> Any:
    """The built driver's node count checked (n functions + the ``start`` input), then one run."""
    dr, n = result
    count = len(dr.list_available_variables())
    if count != n + 1:
        return f"{count} variables, expected {n + 1}"
    return run_chain((dr, f"n{n - 1}"))


CASES: dict[str, Case | NotExpressible] = {
    "g": Case("execute([sink], inputs={'start': 0}) on a fresh Builder().with_modules(m).build() over n "
              "generated functions; recursion limit raised to 4n + 1000 (Hamilton's graph walk is "
              "recursive)", chain_driver, run_chain),
    "h": Case("Parallelizable[int] source -> relay -> Collect[int] sink (Hamilton's documented map over "
              "items), enable_dynamic_execution with a SynchronousLocalTaskExecutor for the per-item "
              "tasks (in this thread, as routilux's sequential flows; the default MultiThreadingExecutor "
              "is slower for this CPU-bound work)", fan_out_driver, run_fan_out),
    "i": Case("one driver (built untimed), execute(['sink'], inputs={'start': k}) n times",
              pipeline_driver, run_pipelines),
    "j": Case("the n defs executed into a fresh module (compiled beforehand) + "
              "Builder().with_modules(m).build()", build_code, build_chain, readout_built),
}
