"""Limits enforced on the wire, against a real server on 127.0.0.1: chunked bodies, the
connection after a 413, duplicate Idempotency-Key headers."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests
from werkzeug.serving import make_server

from tests.support.api import active_workflow, edge, set_output, trigger


@pytest.fixture()
def base_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _chunks(size: int):
    yield b'{"inputData": {"blob": "'
    for _ in range(size // 65536):
        yield b"x" * 65536
    yield b'"}}'


def test_a_chunked_body_over_the_limit_is_413_and_closes_the_connection(client, base_url):
    workflow_id = active_workflow(client, [trigger(), set_output("o", {"a": 1})], [edge("start", "o")])
    response = requests.post(
        f"{base_url}/v1/workflows/{workflow_id}/executions", data=_chunks(2 * 1024 * 1024),
        headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}, timeout=30,
    )
    assert response.status_code == 413 and response.json()["code"] == "FLK-0506"
    assert "close" in response.headers.get("Connection", "").lower()
    small = requests.post(
        f"{base_url}/v1/workflows/{workflow_id}/executions", data=_chunks(1000),
        headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}, timeout=30,
    )
    assert small.status_code == 201


def test_two_idempotency_key_headers_are_refused(client, base_url):
    workflow_id = active_workflow(client, [trigger(), set_output("o", {"a": 1})], [edge("start", "o")])
    response = client.post(
        f"/v1/workflows/{workflow_id}/executions", json={"inputData": {}},
        headers=[("Idempotency-Key", "a"), ("Idempotency-Key", "b")],
    )
    assert response.status_code == 400 and response.json["code"] == "FLK-0509"
