"""The fleet: gunicorn web + two worker processes + scheduler on PostgreSQL and Redis run
200 executions of a workflow with a conditional branch and a parallel fan-out/join."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import api, screening_workflow
from tests.support.provider_server import ProviderServer

EXECUTIONS = 200


def _wait_all_terminal(fleet, execution_ids, timeout):
    deadline = time.monotonic() + timeout
    pending = set(execution_ids)
    statuses = {}
    while pending and time.monotonic() < deadline:
        for execution_id in list(pending):
            status = api(fleet, "GET", f"/v1/executions/{execution_id}").json()["status"]
            if status in ("completed", "failed", "cancelled"):
                statuses[execution_id] = status
                pending.discard(execution_id)
        if pending:
            time.sleep(0.3)
    if pending:
        pytest.fail(f"{len(pending)} executions not terminal after {timeout}s")
    return statuses


def test_two_workers_run_200_executions_each_call_exactly_once(fleet):
    with ProviderServer() as provider:
        fleet.start_web()
        fleet.start_worker("worker-1")
        fleet.start_worker("worker-2")
        fleet.start_scheduler()
        workflow_id = screening_workflow(fleet, provider)
        inputs = [{"txn": f"t{i}", "account": f"acc-{i}", "amount": (i * 97) % 9000} for i in range(EXECUTIONS)]

        def submit(data):
            response = api(fleet, "POST", f"/v1/workflows/{workflow_id}/executions",
                           json={"inputData": data}, headers={"Idempotency-Key": data["txn"]})
            assert response.status_code == 201, response.text
            return response.json()["executionId"], data

        with ThreadPoolExecutor(max_workers=8) as pool:
            submitted = dict(pool.map(submit, inputs))
        statuses = _wait_all_terminal(fleet, submitted, timeout=120)
        assert Counter(statuses.values()) == {"completed": EXECUTIONS}

        calls = Counter((c["path"], c["idempotency_key"]) for c in provider.calls())
        assert set(calls.values()) == {1}, "a node was called more than once"
        approved = 0
        for execution_id, data in submitted.items():
            expected_nodes = ("kyc", "aml", "ledger") if data["amount"] < 5000 else ()
            approved += bool(expected_nodes)
            for node in ("kyc", "aml", "ledger"):
                made = calls.get((f"/{node}", f"{execution_id}:{node}"), 0)
                assert made == (1 if node in expected_nodes else 0), (execution_id, node)
            results = api(fleet, "GET", f"/v1/executions/{execution_id}/results").json()
            steps = {s["nodeId"]: s for s in results["stepResults"]}
            if expected_nodes:
                assert steps["ledger"]["status"] == "completed"
                risk = "low" if data["amount"] < 1000 else "medium"
                ledger_call = next(c for c in provider.calls("POST", "/ledger") if c["idempotency_key"] == f"{execution_id}:ledger")
                assert ledger_call["body"] == {"txn": data["txn"], "kyc": "verified", "risk": risk}
                assert steps["ledger"]["output"]["body"] == {"posted": data["txn"]}
            else:
                assert {steps[n]["status"] for n in ("kyc", "aml", "ledger")} == {"skipped"}
        assert 0 < approved < EXECUTIONS
        workers = set()
        for execution_id in submitted:
            results = api(fleet, "GET", f"/v1/executions/{execution_id}/results").json()
            workers |= {a["worker"] for s in results["stepResults"] for a in s.get("attempts", [])}
        assert len(workers) == 2, f"expected both worker processes to run nodes, saw {workers}"
