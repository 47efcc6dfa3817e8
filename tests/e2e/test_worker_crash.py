"""A worker killed with SIGKILL mid-run loses nothing: once a worker is started again,
every execution finishes and no node whose call had completed is called again."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg2

from tests.e2e.conftest import api, screening_workflow
from tests.e2e.test_fleet_runs import _wait_all_terminal
from tests.support.provider_server import ProviderServer

EXECUTIONS = 40


def _steps(database_url: str, execution_ids: list[str], status: str) -> set[tuple[str, str]]:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT execution_id::text, node_id FROM step WHERE status = %s AND execution_id::text = ANY(%s)",
            (status, execution_ids),
        )
        return {(row[0], row[1]) for row in cur.fetchall()}


def test_sigkill_of_a_worker_mid_run_loses_and_duplicates_nothing(fleet, settings):
    with ProviderServer() as provider:
        fleet.start_web()
        fleet.start_worker("victim", threads=8)
        fleet.start_scheduler()
        workflow_id = screening_workflow(fleet, provider)
        slow = provider.routes[("POST", "/aml")]

        def slow_aml(body, headers):  # keeps calls in flight when the worker dies
            time.sleep(0.4)
            return slow(body, headers)

        provider.route("POST", "/aml", slow_aml)
        inputs = [{"txn": f"c{i}", "account": f"acc-{i}", "amount": 100 + i} for i in range(EXECUTIONS)]

        def submit(data):
            response = api(fleet, "POST", f"/v1/workflows/{workflow_id}/executions",
                           json={"inputData": data}, headers={"Idempotency-Key": data["txn"]})
            assert response.status_code == 201, response.text
            return response.json()["executionId"]

        with ThreadPoolExecutor(max_workers=8) as pool:
            execution_ids = list(pool.map(submit, inputs))

        deadline = time.monotonic() + 30
        while len(provider.calls("POST", "/aml")) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        fleet.kill("victim")
        killed_at = time.monotonic()
        completed_before_kill = _steps(fleet.env["DATABASE_URL"], execution_ids, "completed")
        running_at_kill = _steps(fleet.env["DATABASE_URL"], execution_ids, "running")
        assert len(provider.calls("POST", "/ledger")) < EXECUTIONS, "the run finished before the kill"

        fleet.start_worker("replacement", threads=8)
        statuses = _wait_all_terminal(fleet, execution_ids, timeout=120)
        assert Counter(statuses.values()) == {"completed": EXECUTIONS}

        calls_by_key = Counter(c["idempotency_key"] for c in provider.calls())
        for execution_id, node_id in completed_before_kill:
            if node_id in ("kyc", "aml", "ledger"):
                assert calls_by_key[f"{execution_id}:{node_id}"] == 1, (execution_id, node_id)
        for execution_id in execution_ids:
            for node_id in ("kyc", "aml", "ledger"):
                key = f"{execution_id}:{node_id}"
                assert calls_by_key[key] >= 1, f"{key} never called"
                if calls_by_key[key] > 1:  # only a call cut short by the kill may be made again
                    assert (execution_id, node_id) in running_at_kill, f"{key} called twice but was not in flight"
                    assert calls_by_key[key] == 2, key
                after_kill = [c for c in provider.calls() if c["idempotency_key"] == key and c["time"] > killed_at]
                assert len(after_kill) <= 1, f"{key} called {len(after_kill)} times after the kill"
        print(f"\nSIGKILL scenario: started {EXECUTIONS}, completed {EXECUTIONS}, lost 0, "
              f"in-flight calls repeated after the kill {sum(1 for n in calls_by_key.values() if n > 1)}")
