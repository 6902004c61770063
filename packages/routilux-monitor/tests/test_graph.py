"""The flow graph's layout: a column per longest path from the entries, cycles cut, any size."""

from __future__ import annotations

from routilux_monitor.graph import flow_graph


def _columns(routines: list[str], connections: list[tuple[str, str]]) -> dict[str, int]:
    graph = flow_graph({
        "flow_id": "f",
        "routines": {rid: {"_type": "pkg.Kind"} for rid in routines},
        "connections": [[source, "out", target, "in", None] for source, target in connections],
    })
    left = min(node.x for node in graph.nodes)
    step = sorted({node.x for node in graph.nodes})
    width = step[1] - step[0] if len(step) > 1 else 1
    return {node.routine_id: (node.x - left) // width for node in graph.nodes}


def test_each_routine_is_placed_after_its_longest_feed() -> None:
    # a -> b -> d and a -> d directly: d goes after b, not beside it.
    assert _columns(["a", "b", "d"], [("a", "b"), ("b", "d"), ("a", "d")]) == {"a": 0, "b": 1, "d": 2}


def test_a_cycle_is_cut_where_it_closes() -> None:
    # source -> work -> check -> work (a retry loop) and a self-loop on check.
    columns = _columns(["source", "work", "check"],
                       [("source", "work"), ("work", "check"), ("check", "work"), ("check", "check")])
    assert columns == {"source": 0, "work": 1, "check": 2}
    # A flow that is one cycle has no entry: it starts at its first routine.
    assert _columns(["x", "y"], [("x", "y"), ("y", "x")]) == {"x": 0, "y": 1}


def test_a_dense_flow_is_laid_out_at_once() -> None:
    # 30 layers of 4 routines, every routine feeding every routine of the next layer: 2^60 paths.
    layers = [[f"r{layer}_{n}" for n in range(4)] for layer in range(30)]
    connections = [(a, b) for upper, lower in zip(layers, layers[1:]) for a in upper for b in lower]
    columns = _columns([rid for layer in layers for rid in layer], connections)
    assert all(columns[rid] == index for index, layer in enumerate(layers) for rid in layer)


def test_a_long_chain_gets_a_column_per_routine() -> None:
    chain = [f"step{n:04d}" for n in range(2000)]
    columns = _columns(chain, list(zip(chain, chain[1:])))
    assert [columns[rid] for rid in chain] == list(range(2000))
