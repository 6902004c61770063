"""A flow's graph laid out for an SVG: routines in layers from the entries, connections between them.

Works from the serialized definition a store keeps (``JobHeader.flow_data``
or ``flow.serialize()``), so no routine class needs to be importable. Both
shapes routilux writes are read: ``Flow.serialize()`` (connections as dicts)
and the ``FlowStructure`` fallback (connections as ``[source, event, target,
slot, mapping]`` lists).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["FlowGraph", "flow_graph"]

NODE_WIDTH = 200
NODE_HEIGHT = 64
_COLUMN = 290
_ROW = 96
_MARGIN = 16


@attrs.frozen
class Node:
    routine_id: str
    type_name: str
    x: int
    y: int


@attrs.frozen
class Edge:
    source: str
    event: str
    target: str
    slot: str
    path: str
    label_x: int
    label_y: int


@attrs.frozen
class FlowGraph:
    """Positioned nodes and edges, and the drawing's size (what ``_graph.html`` draws)."""

    flow_id: str
    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int
    node_width: int = NODE_WIDTH
    node_height: int = NODE_HEIGHT

    @property
    def routine_ids(self) -> list[str]:
        return [node.routine_id for node in self.nodes]

    def as_dict(self) -> dict[str, Any]:
        return {
            "flow_id": self.flow_id,
            "routines": [{"id": node.routine_id, "type": node.type_name} for node in self.nodes],
            "connections": [
                {"source": e.source, "event": e.event, "target": e.target, "slot": e.slot} for e in self.edges
            ],
        }


def _connections(flow_data: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    wiring = []
    for connection in flow_data.get("connections") or ():
        if isinstance(connection, Mapping):
            wiring.append((
                str(connection.get("_source_routine_id")), str(connection.get("_source_event_name")),
                str(connection.get("_target_routine_id")), str(connection.get("_target_slot_name")),
            ))
        else:
            source, event, target, slot, *_mapping = connection
            wiring.append((str(source), str(event), str(target), str(slot)))
    return wiring


def _layers(routine_ids: list[str], wiring: list[tuple[str, str, str, str]]) -> dict[str, int]:
    """Each routine's column: its longest path from a routine nothing feeds, with each cycle cut at
    the connection that closes it (found depth-first); linear in routines and connections."""
    feeds: dict[str, list[str]] = {rid: [] for rid in routine_ids}
    for source, _event, target, _slot in wiring:
        if source in feeds and target in feeds and source != target:
            feeds[source].append(target)
    fed = {target for targets in feeds.values() for target in targets}
    starts = [rid for rid in routine_ids if rid not in fed] + routine_ids
    # Depth-first: a connection to a routine still on the path closes a cycle and is dropped.
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    kept: dict[str, list[str]] = {rid: [] for rid in routine_ids}
    order: list[str] = []  # routines as they are done: a reverse topological order of what is kept
    for start in starts:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(feeds[start]))]
        while stack:
            routine_id, targets = stack[-1]
            target = next(targets, None)
            if target is None:
                stack.pop()
                state[routine_id] = 2
                order.append(routine_id)
            elif state.get(target) != 1:
                kept[routine_id].append(target)
                if target not in state:
                    state[target] = 1
                    stack.append((target, iter(feeds[target])))
    layer = dict.fromkeys(routine_ids, 0)
    for routine_id in reversed(order):
        for target in kept[routine_id]:
            layer[target] = max(layer[target], layer[routine_id] + 1)
    return layer


def flow_graph(flow_data: Mapping[str, Any]) -> FlowGraph:
    """Lay out the flow ``flow_data`` describes (left to right, one column per layer)."""
    routines = flow_data.get("routines") or {}
    routine_ids = sorted(str(rid) for rid in routines)
    wiring = _connections(flow_data)
    layer = _layers(routine_ids, wiring)
    rows: dict[int, int] = {}
    nodes: dict[str, Node] = {}
    for routine_id in sorted(routine_ids, key=lambda rid: (layer[rid], rid)):
        row = rows.get(layer[routine_id], 0)
        rows[layer[routine_id]] = row + 1
        type_name = str((routines[routine_id] or {}).get("_type", "")).rsplit(".", 1)[-1]
        nodes[routine_id] = Node(routine_id, type_name, _MARGIN + layer[routine_id] * _COLUMN,
                                 _MARGIN + row * _ROW)
    edges = [
        _edge(nodes[source], event, nodes[target], slot)
        for source, event, target, slot in wiring
        if source in nodes and target in nodes
    ]
    columns = max(layer.values(), default=0) + 1
    height = max(rows.values(), default=1)
    return FlowGraph(
        flow_id=str(flow_data.get("flow_id", "")),
        nodes=list(nodes.values()),
        edges=edges,
        width=2 * _MARGIN + (columns - 1) * _COLUMN + NODE_WIDTH,
        height=2 * _MARGIN + (height - 1) * _ROW + NODE_HEIGHT + 24,
    )


def _edge(source: Node, event: str, target: Node, slot: str) -> Edge:
    if source.routine_id == target.routine_id:  # a routine feeding itself: a loop under the box
        x, y = source.x + NODE_WIDTH // 2, source.y + NODE_HEIGHT
        path = f"M{x - 20},{y} C{x - 30},{y + 30} {x + 30},{y + 30} {x + 20},{y}"
        return Edge(source.routine_id, event, target.routine_id, slot, path, x, y + 22)
    x1, y1 = source.x + NODE_WIDTH, source.y + NODE_HEIGHT // 2
    x2, y2 = target.x, target.y + NODE_HEIGHT // 2
    if x2 <= x1:  # a connection back to an earlier column: route it over the boxes
        top = min(source.y, target.y) - 8
        x1, y1, x2, y2 = source.x + NODE_WIDTH // 2, source.y, target.x + NODE_WIDTH // 2, target.y
        path = f"M{x1},{y1} C{x1},{top - 30} {x2},{top - 30} {x2},{y2}"
        return Edge(source.routine_id, event, target.routine_id, slot, path, (x1 + x2) // 2, top - 14)
    middle = (x1 + x2) // 2
    path = f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}"
    return Edge(source.routine_id, event, target.routine_id, slot, path, middle, (y1 + y2) // 2 - 6)
