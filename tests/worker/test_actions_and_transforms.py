"""Action nodes (set_output with ${} expressions, log, transform, fail) and executor
transforms, run through the engine."""

from __future__ import annotations

import logging

from tests.support.api import active_workflow, edge, executor, provider_config, run_to_end, trigger


def action(node_id, kind, **data):
    return {"id": node_id, "type": "action", "data": {"actionType": kind, **data}}


def test_set_output_evaluates_expressions_over_the_context(client, provider):
    provider.route("POST", "/score", lambda body, _h: (200, {"score": body["amount"] // 10, "decision": "ALLOW"}))
    config = provider_config(client, provider.url)
    nodes = [
        trigger(),
        executor("fraud-check", config, "/score", [{"source": "workflow.amount", "target": "amount"}]),
        action("out", "set_output", output={
            "decision": "${fraud-check.body.decision}", "score": "${fraud-check.body.score}",
            "summary": "amount ${workflow.amount} scored ${fraud-check.body.score}", "static": 1,
        }),
    ]
    workflow_id = active_workflow(client, nodes, [edge("start", "fraud-check"), edge("fraud-check", "out")])
    result = run_to_end(client, workflow_id, {"amount": 420})
    assert result["finalOutput"] == {"decision": "ALLOW", "score": 42, "summary": "amount 420 scored 42", "static": 1}


def test_log_writes_a_structured_line_and_an_output(client, caplog):
    nodes = [trigger(), action("note", "log", message="checking ${workflow.id}", level="warning", fields={"amount": "${workflow.amount}"})]
    workflow_id = active_workflow(client, nodes, [edge("start", "note")])
    with caplog.at_level(logging.INFO, logger="flowker.workflow"):
        result = run_to_end(client, workflow_id, {"id": "t-9", "amount": 5})
    assert result["stepResults"][0]["output"] == {"level": "warning", "message": "checking t-9", "fields": {"amount": 5}}
    records = [r for r in caplog.records if r.name == "flowker.workflow" and r.getMessage() == "checking t-9"]
    assert records and records[0].levelname == "WARNING" and records[0].node_id == "note"


def test_transform_action_and_executor_transforms_shape_data(client, provider):
    config = provider_config(client, provider.url)
    ops = [
        {"operation": "shift", "spec": {"customer.document": "workflow.cpf", "customer.name": "workflow.name"}},
        {"operation": "remove_characters", "spec": {"path": "customer.document", "characters": ".-"}},
        {"operation": "to_uppercase", "spec": {"path": "customer.name"}},
    ]
    nodes = [trigger(), action("shape", "transform", transforms=ops), executor("send", config, "/kyc", transforms=ops)]
    workflow_id = active_workflow(client, nodes, [edge("start", "shape"), edge("shape", "send")])
    result = run_to_end(client, workflow_id, {"cpf": "123.456.789-00", "name": "joão", "secret": "s"})
    expected = {"customer": {"document": "12345678900", "name": "JOÃO"}}
    assert result["stepResults"][0]["output"] == expected
    assert provider.calls("POST", "/kyc")[0]["body"] == expected


def test_fail_action_ends_the_execution_with_its_message(client):
    nodes = [trigger(), {"id": "check", "type": "conditional", "data": {"condition": "workflow.amount > 100"}},
             action("reject", "fail", message="amount ${workflow.amount} over the limit"), action("ok", "set_output", output={"ok": True})]
    edges = [edge("start", "check"), edge("check", "reject", "true"), edge("check", "ok", "false")]
    workflow_id = active_workflow(client, nodes, edges)
    result = run_to_end(client, workflow_id, {"amount": 500})
    assert result["status"] == "failed" and result["errorMessage"] == 'node "reject": amount 500 over the limit'
    assert run_to_end(client, workflow_id, {"amount": 5})["finalOutput"] == {"ok": True}


def test_bad_action_definitions_are_refused_at_save(client):
    cases = [
        (action("a", "teleport"), "FLK-0124"),
        (action("a", "set_output", output="x"), "FLK-0124"),
        (action("a", "delay", seconds=0), "FLK-0124"),
        (action("a", "log"), "FLK-0124"),
        (action("a", "set_output", output={"x": "${workflow.}"}), "FLK-0105"),
        (action("a", "transform", transforms=[{"operation": "explode", "spec": {"a": 1}}]), "FLK-0142"),
    ]
    for node, code in cases:
        response = client.post("/v1/workflows", json={"name": "bad-action", "nodes": [trigger(), node], "edges": [edge("start", "a")]})
        assert response.status_code == 400 and response.json["code"] == code, (node, response.json)


def test_a_scalar_step_output_is_stored_and_read_back(client):
    nodes = [trigger(), action("pick", "transform", transforms=[{"operation": "extract", "spec": {"path": "workflow.v"}}]),
             action("out", "set_output", output={"got": "${pick}"})]
    workflow_id = active_workflow(client, nodes, [edge("start", "pick"), edge("pick", "out")])
    for value in ("123", 42, True, "text"):
        result = run_to_end(client, workflow_id, {"v": value})
        assert result["status"] == "completed" and result["finalOutput"] == {"got": value}, result
        assert result["stepResults"][0]["output"] == value
