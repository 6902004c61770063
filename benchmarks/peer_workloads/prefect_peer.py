"""Prefect 3: ``@flow`` functions calling ``@task``s, against Prefect's ephemeral local API.

The environment (set by ``Peer.load`` before this module imports prefect; see
``_prefect_environment`` in this package's ``__init__``) leaves PREFECT_API_URL unset with ephemeral
mode on: the first run starts Prefect's own subprocess server on localhost over a SQLite database
in a temporary PREFECT_HOME. Every flow and task run is recorded there, as in any Prefect run.

Tasks are called directly in the chain and the pipeline (Prefect's docs: calling a task runs it and
returns its result; ``.submit``/``.map`` are for concurrency) and mapped in the fan-out
(``task.map``, its documented fan-out, on the flow's default ``ThreadPoolTaskRunner``).
"""

from __future__ import annotations

from typing import Any

from prefect import Flow, flow, task

from .cases import Case, NotExpressible, make_relay, sink, source


def items(count: int) -> list[int]:
    """The fan-out's source: the items 0..count-1."""
    return list(range(count))


def collect(values: list[int]) -> list[tuple[int, int]]:
    """The fan-out's sink: what routilux's Sink records for each value, in item order."""
    return [(0, value) for value in values]


def chain_flow(n: int) -> Flow[[int], Any]:
    """A flow calling n distinct tasks one after another: n0 (source), n1 .. n{n-2} (relays), the sink.

    Raises:
        ValueError: ``n`` < 2 (a chain has a source and a sink at least).
    """
    if n < 2:
        raise ValueError(f"a chain needs at least 2 nodes (source, sink), got n={n}")
    first = task(name="n0")(source)
    relays = [task(name=f"n{k}")(make_relay()) for k in range(1, n - 1)]
    last = task(name=f"n{n - 1}")(sink)

    @flow(name=f"chain-{n}")
    def chain(start: int) -> Any:
        value = first(start)
        for relay in relays:
            value = relay(value)
        return last(value)

    return chain


def run_chain(chain: Flow[[int], Any]) -> Any:
    """(g): one flow run from ``start=0``: its sink task's result."""
    return chain(0)


def fan_out_flow(n: int) -> tuple[Flow[[int], Any], int]:
    """(h): items -> relay.map(items) -> collect, and the item count."""
    make_items = task(name="items")(items)
    relay = task(name="relay")(make_relay())
    gather = task(name="collect")(collect)

    @flow(name="fan-out")
    def fan_out(count: int) -> Any:
        return gather(relay.map(make_items(count)).result())

    return fan_out, n


def run_fan_out(built: tuple[Flow[[int], Any], int]) -> Any:
    """One flow run over ``count`` items: the collect task's list."""
    fan_out, count = built
    return fan_out(count)


def pipeline_flow(n: int) -> tuple[Flow[[int], Any], int]:
    """(i): a flow of source -> relay -> sink tasks, and how many flow runs to make."""
    first = task(name="source")(source)
    relay = task(name="relay")(make_relay())
    last = task(name="sink")(sink)

    @flow(name="pipeline")
    def pipeline(start: int) -> Any:
        return last(relay(first(start)))

    return pipeline, n


def run_pipelines(built: tuple[Flow[[int], Any], int]) -> list[Any]:
    """``n`` flow runs, ``start=0..n-1``, one after another: the sinks' values, concatenated."""
    pipeline, runs = built
    values: list[Any] = []
    for start in range(runs):
        values += pipeline(start)
    return values


#: Measured with cProfile on Prefect 3.9.1: most of a flow run's time is this wait.
HEARTBEAT = ("Each flow run ends by joining its heartbeat thread, which sleeps in 1 s steps "
             "(prefect.flow_engine._send_heartbeats; PREFECT_FLOWS_HEARTBEAT_FREQUENCY takes no value "
             "below 30 s, and no 'off' from the environment), so a flow run costs about 1 s however little "
             "it does; the same second is in every (g) and (h) run")

CASES: dict[str, Case | NotExpressible] = {
    "g": Case("a fresh @flow calling n distinct @tasks directly, each on the previous one's result",
              chain_flow, run_chain, probe=100),
    "h": Case("items task -> relay.map(items) (default ThreadPoolTaskRunner) -> .result() -> collect task, "
              "one flow run", fan_out_flow, run_fan_out, probe=100),
    "i": Case("one @flow of 3 tasks called directly, n flow runs one after another. " + HEARTBEAT,
              pipeline_flow, run_pipelines, probe=3),
    "j": NotExpressible("a Prefect flow is a Python function whose task calls make its graph while it runs: "
                        "there is nothing to construct, add or connect before a run (decorating n functions "
                        "with @task would time only the decorator)"),
}
