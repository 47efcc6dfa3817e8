"""Workflow graphs: structural validation and the next-node decisions, as pure functions
over plain data (no database, no broker).

Readiness rule (dead-path elimination): a node is decided when every incoming edge is
decided. If at least one incoming edge was taken it becomes *ready* and runs once; if all
were skipped it is *skipped* and all its outgoing edges are skipped in turn. This gives
parallel fan-out, joins that run once, and no node that waits forever on a branch not taken.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from core.errors import BadRequest, Unprocessable
from core.expressions import ExpressionError, compile_condition

NODE_TYPES = ("trigger", "executor", "conditional", "action")
RESERVED_NODE_IDS = ("workflow", "output", "nodes")
MAX_NODES = 100
MAX_EDGES = 200
MAX_ID_LENGTH = 50
_ID = re.compile(r"^[A-Za-z0-9_-]+$")
TAKEN = "taken"
SKIPPED = "skipped"


@dataclass
class Graph:
    """Indexed view of ``{"nodes": [...], "edges": [...]}``; edges keep their array order."""

    nodes: dict[str, dict]
    edges: list[dict]
    outgoing: dict[str, list[dict]] = field(default_factory=dict)
    incoming: dict[str, list[dict]] = field(default_factory=dict)
    edges_by_id: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def from_definition(cls, nodes: list[dict], edges: list[dict]) -> "Graph":
        graph = cls(nodes={n["id"]: n for n in nodes}, edges=list(edges))
        for node_id in graph.nodes:
            graph.outgoing[node_id] = []
            graph.incoming[node_id] = []
        for edge in edges:
            graph.edges_by_id[edge["id"]] = edge
            graph.outgoing[edge["source"]].append(edge)
            graph.incoming[edge["target"]].append(edge)
        return graph

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(self.nodes)

    def triggers(self) -> list[str]:
        return [node_id for node_id, node in self.nodes.items() if node.get("type") == "trigger"]


# ---------------------------------------------------------------------------------------
# Validation


def _check_ids(items: list, kind: str, missing_code: str, duplicate_code: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        item_id = item.get("id")
        if not isinstance(item_id, str) or not item_id.strip():
            raise BadRequest(missing_code, f"{kind}[{index}]: id is required")
        if len(item_id) > MAX_ID_LENGTH:
            raise BadRequest(missing_code, f"{kind} {item_id!r}: id longer than {MAX_ID_LENGTH} characters")
        # Node ids appear in expressions and paths, so they keep to a safe alphabet.
        if kind == "node" and not _ID.match(item_id):
            raise BadRequest(missing_code, f"{kind} {item_id!r}: id may hold only letters, digits, '_' and '-'")
        if not item_id.isprintable():
            raise BadRequest(missing_code, f"{kind} {item_id!r}: id must not hold control characters")
        if item_id in seen:
            raise BadRequest(duplicate_code, f"duplicate {kind} id {item_id!r}")
        seen.add(item_id)


def validate_structure(nodes: list[dict], edges: list[dict]) -> Graph:
    """Checks made at every save (create, update, clone, activate).

    Raises BadRequest with: FLK-0113 / FLK-0114 (limits), FLK-0120 (node id missing or
    invalid), FLK-0121 (duplicate node id), FLK-0122 (reserved node id), FLK-0123 (node
    type), FLK-0130 (edge id missing or duplicate), FLK-0115 (edge to unknown node),
    FLK-0131 (self-loop), FLK-0132 (cycle), FLK-0105 (condition does not compile).
    """
    if len(nodes) > MAX_NODES:
        raise BadRequest("FLK-0113", f"a workflow has at most {MAX_NODES} nodes")
    if len(edges) > MAX_EDGES:
        raise BadRequest("FLK-0114", f"a workflow has at most {MAX_EDGES} edges")
    _check_ids(nodes, "node", "FLK-0120", "FLK-0121")
    for node in nodes:
        if node["id"] in RESERVED_NODE_IDS:
            raise BadRequest("FLK-0122", f"node id {node['id']!r} is reserved")
        if node.get("type") not in NODE_TYPES:
            raise BadRequest(
                "FLK-0123", f"node {node['id']!r}: type must be one of {', '.join(NODE_TYPES)}"
            )
    _check_ids(edges, "edge", "FLK-0130", "FLK-0130")
    ids = {node["id"] for node in nodes}
    for edge in edges:
        for end in ("source", "target"):
            if edge.get(end) not in ids:
                raise BadRequest("FLK-0115", f"edge {edge['id']!r}: {end} {edge.get(end)!r} is not a node of this workflow")
        if edge["source"] == edge["target"]:
            raise BadRequest("FLK-0131", f"edge {edge['id']!r} is a self-loop on node {edge['source']!r}")
    graph = Graph.from_definition(nodes, edges)
    cycle_node = _find_cycle(graph)
    if cycle_node is not None:
        raise BadRequest("FLK-0132", f"the edges form a cycle through node {cycle_node!r}")
    for node in nodes:
        if node["type"] == "conditional":
            condition = (node.get("data") or {}).get("condition")
            if condition not in (None, ""):
                _compile(condition, graph, f"node {node['id']!r}")
    for edge in edges:
        if edge.get("condition") not in (None, ""):
            _compile(edge["condition"], graph, f"edge {edge['id']!r}")
    return graph


def _compile(text, graph: Graph, where: str) -> None:
    if not isinstance(text, str):
        raise BadRequest("FLK-0105", f"{where}: condition must be a string")
    try:
        compile_condition(text, graph.node_ids)
    except ExpressionError as exc:
        raise BadRequest("FLK-0105", f"{where}: {exc}") from None


def _find_cycle(graph: Graph) -> str | None:
    """Kahn's algorithm; returns a node on a cycle, or None when the graph is acyclic."""
    indegree = {node_id: len(graph.incoming[node_id]) for node_id in graph.nodes}
    queue = deque(node_id for node_id, degree in indegree.items() if degree == 0)
    seen = 0
    while queue:
        node_id = queue.popleft()
        seen += 1
        for edge in graph.outgoing[node_id]:
            indegree[edge["target"]] -= 1
            if indegree[edge["target"]] == 0:
                queue.append(edge["target"])
    if seen == len(graph.nodes):
        return None
    return next(node_id for node_id, degree in indegree.items() if degree > 0)


def validate_runnable(graph: Graph) -> None:
    """Extra checks made at activation.

    Raises Unprocessable with: FLK-0112 (no nodes), FLK-0116 (no trigger), FLK-0117 (a node
    not reachable from any trigger), FLK-0118 (a conditional edge without sourceHandle
    "true"/"false"), FLK-0119 (a conditional node without a condition).
    """
    if not graph.nodes:
        raise Unprocessable("FLK-0112", "workflow must have at least one node")
    triggers = graph.triggers()
    if not triggers:
        raise Unprocessable("FLK-0116", "workflow must have at least one trigger node")
    reached = set(triggers)
    queue = deque(triggers)
    while queue:
        for edge in graph.outgoing[queue.popleft()]:
            if edge["target"] not in reached:
                reached.add(edge["target"])
                queue.append(edge["target"])
    unreachable = [node_id for node_id in graph.nodes if node_id not in reached]
    if unreachable:
        raise Unprocessable("FLK-0117", f"nodes not reachable from a trigger: {', '.join(unreachable)}")
    for node_id, node in graph.nodes.items():
        if node["type"] != "conditional":
            continue
        if not (node.get("data") or {}).get("condition"):
            raise Unprocessable("FLK-0119", f"conditional node {node_id!r} has no condition")
        for edge in graph.outgoing[node_id]:
            if edge.get("sourceHandle") not in ("true", "false"):
                raise Unprocessable(
                    "FLK-0118",
                    f"edge {edge['id']!r} leaves conditional node {node_id!r} and needs sourceHandle \"true\" or \"false\"",
                )


# ---------------------------------------------------------------------------------------
# Traversal


@dataclass
class Plan:
    """What a finished (or skipped) node decides: new edge states, nodes that became ready
    (to create and dispatch) and nodes that became skipped (to create as skipped)."""

    edge_states: dict[str, str] = field(default_factory=dict)
    ready: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def plan_next(graph: Graph, edge_states: dict[str, str], decisions: dict[str, dict[str, bool]]) -> Plan:
    """Propagate decisions through the graph.

    ``edge_states`` is what the execution decided so far (``{edge_id: "taken"|"skipped"}``);
    ``decisions`` maps each node just finished to ``{edge_id: taken?}`` for its outgoing
    edges (a node finished as skipped gives all False). Returns the Plan; the caller stores
    ``plan.edge_states`` merged into its own. Pure: ``edge_states`` is not modified.
    """
    states = dict(edge_states)
    plan = Plan()
    queue = deque(decisions.items())
    while queue:
        _node_id, outgoing = queue.popleft()
        for edge_id, taken in outgoing.items():
            states[edge_id] = TAKEN if taken else SKIPPED
            plan.edge_states[edge_id] = states[edge_id]
        targets = []
        for edge_id in outgoing:
            target = graph.edges_by_id[edge_id]["target"]
            if target not in targets:
                targets.append(target)
        for target in targets:
            incoming = graph.incoming[target]
            if any(edge["id"] not in states for edge in incoming):
                continue
            if any(states[edge["id"]] == TAKEN for edge in incoming):
                plan.ready.append(target)
            else:
                plan.skipped.append(target)
                queue.append((target, {edge["id"]: False for edge in graph.outgoing[target]}))
    return plan

