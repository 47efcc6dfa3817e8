"""Graph validation and next-node decisions, as pure functions (no database, no broker)."""

from __future__ import annotations

import pytest

from core.errors import BadRequest, Unprocessable
from core.graph import Graph, plan_next, validate_runnable, validate_structure


def node(node_id, kind="action", **data):
    return {"id": node_id, "type": kind, "data": data}


def edge(source, target, **extra):
    return {"id": f"{source}-{target}", "source": source, "target": target, **extra}


def diamond():
    nodes = [node("t", "trigger"), node("a"), node("b"), node("j")]
    edges = [edge("t", "a"), edge("t", "b"), edge("a", "j"), edge("b", "j")]
    return Graph.from_definition(nodes, edges)


def test_a_join_is_ready_only_when_every_incoming_edge_is_decided():
    graph = diamond()
    after_trigger = plan_next(graph, {}, {"t": {"t-a": True, "t-b": True}})
    assert sorted(after_trigger.ready) == ["a", "b"]
    states = after_trigger.edge_states
    after_a = plan_next(graph, states, {"a": {"a-j": True}})
    assert after_a.ready == [] and after_a.skipped == []
    after_b = plan_next(graph, {**states, **after_a.edge_states}, {"b": {"b-j": True}})
    assert after_b.ready == ["j"]


def test_a_join_with_one_skipped_branch_still_runs_once():
    graph = diamond()
    plan = plan_next(graph, {}, {"t": {"t-a": True, "t-b": False}})
    assert plan.ready == ["a"] and plan.skipped == ["b"]
    final = plan_next(graph, plan.edge_states, {"a": {"a-j": True}})
    assert final.ready == ["j"]


def test_skipping_propagates_down_a_dead_path():
    nodes = [node("t", "trigger"), node("a"), node("b"), node("c")]
    graph = Graph.from_definition(nodes, [edge("t", "a"), edge("a", "b"), edge("b", "c")])
    plan = plan_next(graph, {}, {"t": {"t-a": False}})
    assert plan.skipped == ["a", "b", "c"] and plan.ready == []
    assert set(plan.edge_states.values()) == {"skipped"}


def test_plan_next_does_not_modify_its_input():
    graph = diamond()
    states = {"t-a": "taken"}
    plan_next(graph, states, {"t": {"t-b": True}})
    assert states == {"t-a": "taken"}


@pytest.mark.parametrize(
    "nodes, edges, code",
    [
        ([node("a"), node("a")], [], "FLK-0121"),
        ([{"type": "action"}], [], "FLK-0120"),
        ([node("x" * 51)], [], "FLK-0120"),
        ([node("a.b")], [], "FLK-0120"),
        ([node("workflow")], [], "FLK-0122"),
        ([node("a", "robot")], [], "FLK-0123"),
        ([node("a"), node("b")], [edge("a", "b"), {**edge("a", "b")}], "FLK-0130"),
        ([node("a")], [edge("a", "ghost")], "FLK-0115"),
        ([node("a")], [edge("a", "a")], "FLK-0131"),
        ([node("a"), node("b"), node("c")], [edge("a", "b"), edge("b", "c"), edge("c", "a")], "FLK-0132"),
        ([node("c", "conditional", condition="workflow.x >")], [], "FLK-0105"),
        ([node("a"), node("b")], [edge("a", "b", condition="&&")], "FLK-0105"),
        ([node(f"n{i}") for i in range(101)], [], "FLK-0113"),
    ],
)
def test_structural_errors_have_their_own_codes(nodes, edges, code):
    with pytest.raises(BadRequest) as caught:
        validate_structure(nodes, edges)
    assert caught.value.code == code


def test_too_many_edges_is_refused():
    nodes = [node(f"n{i}") for i in range(21)]
    edges = [{"id": f"e{i}-{j}", "source": f"n{i}", "target": f"n{j}"} for i in range(21) for j in range(i + 1, 21)]
    assert len(edges) > 200
    with pytest.raises(BadRequest) as caught:
        validate_structure(nodes, edges)
    assert caught.value.code == "FLK-0114"


def test_reference_style_conditions_with_hyphenated_ids_and_and_or_compile():
    nodes = [node("tracer-validate", "executor"), node("c", "conditional",
             condition='tracer-validate.body.decision == "ALLOW" AND workflow.amount > 10 OR false')]
    validate_structure(nodes, [edge("tracer-validate", "c")])


@pytest.mark.parametrize(
    "nodes, edges, code",
    [
        ([], [], "FLK-0112"),
        ([node("a")], [], "FLK-0116"),
        ([node("t", "trigger"), node("a"), node("island")], [edge("t", "a")], "FLK-0117"),
        ([node("t", "trigger"), node("c", "conditional", condition="true"), node("a")], [edge("t", "c"), edge("c", "a")], "FLK-0118"),
        ([node("t", "trigger"), node("c", "conditional")], [edge("t", "c")], "FLK-0119"),
    ],
)
def test_activation_needs_a_runnable_graph(nodes, edges, code):
    graph = validate_structure(nodes, edges)
    with pytest.raises(Unprocessable) as caught:
        validate_runnable(graph)
    assert caught.value.code == code
