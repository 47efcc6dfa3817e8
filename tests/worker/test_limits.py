"""Per-execution limits fail the execution with a clear error."""

from __future__ import annotations

import dataclasses

from core import executions as executions_service
from core.caller import SYSTEM
from core.engine import Engine
from core.models import Execution
from tests.conftest import unique
from tests.support.api import active_workflow, edge, executor, provider_config, trigger


class _Collect:
    """Keeps dispatched nodes so the test runs them itself, in order."""

    def __init__(self):
        self.queue = []

    def dispatch(self, execution_id, nodes, delay_ms=0):
        self.queue += [(execution_id, node_id) for node_id, _ in nodes]


def _run_all(engine, dispatcher, execution_id):
    engine.run_node(execution_id, "start")
    while dispatcher.queue:
        engine.run_node(*dispatcher.queue.pop(0))
    return Execution.get_by_id(execution_id)


def _limited_engine(app, **limits):
    dispatcher = _Collect()
    settings = dataclasses.replace(app.extensions["flowker"].settings, **limits)
    return Engine(dispatcher, settings), dispatcher


def test_a_step_output_over_the_limit_fails_the_execution(app, client, provider):
    provider.route("POST", "/big", lambda _b, _h: (200, {"blob": "x" * 500}))
    config = provider_config(client, provider.url)
    workflow_id = active_workflow(client, [trigger(), executor("call", config, "/big")], [edge("start", "call")])
    engine, dispatcher = _limited_engine(app, max_step_output_bytes=300)
    output, _ = executions_service.start(workflow_id, {}, unique("k"), SYSTEM, dispatcher)
    dispatcher.queue.clear()
    execution = _run_all(engine, dispatcher, output["executionId"])
    assert execution.status == "failed" and "limit reached: step output" in execution.error_message


def test_provider_calls_over_the_limit_stop_retries_and_fail(app, client, provider):
    provider.route("POST", "/down", lambda _b, _h: (503, {}))
    config = provider_config(client, provider.url)
    retry = {"maxAttempts": 10, "initialDelayMs": 0, "jitter": False}
    nodes = [trigger(), executor("call", config, "/down", retry=retry)]
    workflow_id = active_workflow(client, nodes, [edge("start", "call")])
    engine, dispatcher = _limited_engine(app, max_provider_calls=2, breaker_fail_max=100)
    output, _ = executions_service.start(workflow_id, {}, unique("k"), SYSTEM, dispatcher)
    dispatcher.queue.clear()
    execution = _run_all(engine, dispatcher, output["executionId"])
    assert execution.status == "failed" and execution.provider_calls == 2
    assert "no retry: limit reached: 2 provider calls per execution" in execution.error_message
    assert len(provider.calls("POST", "/down")) == 2
