"""100 concurrent POSTs with one Idempotency-Key create exactly one execution (run against
a real HTTP server on 127.0.0.1; on PostgreSQL in the fleet pass)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from werkzeug.serving import make_server

from core.models import Execution, IdempotencyRecord
from tests.support.api import active_workflow, edge, set_output, trigger

REQUESTS = 100


def test_concurrent_posts_with_one_key_create_exactly_one_execution(app, client):
    workflow_id = active_workflow(client, [trigger(), set_output("o", {"x": 1})], [edge("start", "o")])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/v1/workflows/{workflow_id}/executions"
    barrier = threading.Barrier(20)

    def post(_):
        try:
            barrier.wait(timeout=5)
        except threading.BrokenBarrierError:
            pass
        response = requests.post(url, json={"inputData": {"amount": 10}}, headers={"Idempotency-Key": "same-key"}, timeout=30)
        return response.status_code, response.json()["executionId"]

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(post, range(REQUESTS)))
    finally:
        server.shutdown()
    codes = [code for code, _ in results]
    assert codes.count(201) == 1 and codes.count(200) == REQUESTS - 1
    assert len({execution_id for _, execution_id in results}) == 1
    assert Execution.select().where(Execution.workflow_id == workflow_id).count() == 1
    assert IdempotencyRecord.select().where(IdempotencyRecord.workflow_id == workflow_id).count() == 1
