"""Retries are delayed messages following the node's policy; every attempt is recorded;
the circuit breaker of a provider configuration opens, fails fast and closes again."""

from __future__ import annotations

from datetime import datetime

from tests.support.api import active_workflow, edge, executor, provider_config, run_to_end, trigger


def _flaky(failures: list[int]):
    """Answer the statuses in ``failures`` first, then 200."""
    remaining = list(failures)

    def handler(body, _headers):
        status = remaining.pop(0) if remaining else 200
        return status, {"status": status}

    return handler


def _times(attempts):
    return [datetime.fromisoformat(a["startedAt"].replace("Z", "+00:00")) for a in attempts]


def test_two_503s_then_a_200_completes_with_three_recorded_attempts(client, provider):
    provider.route("POST", "/ledger", _flaky([503, 503]))
    config = provider_config(client, provider.url)
    retry = {"maxAttempts": 4, "initialDelayMs": 200, "multiplier": 2, "jitter": False}
    workflow_id = active_workflow(client, [trigger(), executor("post", config, "/ledger", retry=retry)], [edge("start", "post")])
    result = run_to_end(client, workflow_id, {})
    assert result["status"] == "completed"
    [step] = result["stepResults"]
    assert [a["attempt"] for a in step["attempts"]] == [1, 2, 3]
    assert [a["statusCode"] for a in step["attempts"]] == [503, 503, 200]
    assert [a["outcome"] for a in step["attempts"]] == ["5xx", "5xx", "completed"]
    assert all("durationMs" in a for a in step["attempts"]) and "503" in step["attempts"][0]["error"]
    gaps = [(b - a).total_seconds() for a, b in zip(_times(step["attempts"]), _times(step["attempts"])[1:])]
    assert 0.2 <= gaps[0] < 0.39 and 0.4 <= gaps[1] < 0.79, gaps
    keys = {c["idempotency_key"] for c in provider.calls("POST", "/ledger")}
    assert len(provider.calls("POST", "/ledger")) == 3 and keys == {f"{result['executionId']}:post"}


def test_a_400_fails_at_once_with_one_attempt(client, provider):
    provider.route("POST", "/ledger", _flaky([400]))
    config = provider_config(client, provider.url)
    workflow_id = active_workflow(client, [trigger(), executor("post", config, "/ledger")], [edge("start", "post")])
    result = run_to_end(client, workflow_id, {})
    assert result["status"] == "failed" and "HTTP 400" in result["errorMessage"]
    [step] = result["stepResults"]
    assert len(step["attempts"]) == 1 and step["attempts"][0]["outcome"] == "4xx"
    assert len(provider.calls("POST", "/ledger")) == 1


def test_jittered_retry_delays_differ_between_executions(client, provider):
    counts: dict[str, int] = {}

    def fail_twice(body, _headers):
        counts[body["n"]] = counts.get(body["n"], 0) + 1
        return (503 if counts[body["n"]] <= 2 else 200), {}

    provider.route("POST", "/x", fail_twice)
    config = provider_config(client, provider.url)
    retry = {"maxAttempts": 3, "initialDelayMs": 400, "multiplier": 1, "jitter": True}
    node = executor("call", config, "/x", [{"source": "workflow.n", "target": "n"}], retry=retry)
    workflow_id = active_workflow(client, [trigger(), node], [edge("start", "call")])
    delays, gaps = [], []
    for n in ("a", "b", "c"):
        [step] = run_to_end(client, workflow_id, {"n": n})["stepResults"]
        delays += [a["retryInMs"] for a in step["attempts"] if "retryInMs" in a]
        times = _times(step["attempts"])
        gaps += [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    # Each delay is drawn from [200, 400] ms (equal jitter on 400 ms); without jitter all would be 400.
    assert len(delays) == 6 and all(200 <= d <= 400 for d in delays) and len(set(delays)) > 1, delays
    assert all(gap >= delay / 1000 for gap, delay in zip(gaps, delays)), (gaps, delays)


def test_a_retry_policy_that_does_not_validate_is_refused_at_save(client, provider):
    config = provider_config(client, provider.url)
    for bad in ({"maxAttempts": 0}, {"retryOn": ["sometimes"]}, {"multiplier": "x"}, {"surprise": 1}, "often"):
        body = {"name": "bad-retry", "nodes": [trigger(), executor("c", config, "/x", retry=bad)], "edges": [edge("start", "c")]}
        response = client.post("/v1/workflows", json=body)
        assert response.status_code == 400 and response.json["code"] == "FLK-0143", (bad, response.json)


def test_the_breaker_opens_fails_fast_and_closes_after_a_good_trial_call(app, client, provider):
    healthy = {"value": False}
    provider.route("POST", "/svc", lambda _b, _h: (200, {"ok": True}) if healthy["value"] else (503, {"ok": False}))
    config = provider_config(client, provider.url)
    once = {"maxAttempts": 1}
    workflow_id = active_workflow(client, [trigger(), executor("call", config, "/svc", retry=once)], [edge("start", "call")])
    guard = app.extensions["flowker"].engine.guard
    for _ in range(3):  # breaker_fail_max is 3 in the test settings
        assert run_to_end(client, workflow_id, {})["status"] == "failed"
    assert guard.state(config) == "open"
    calls_before = len(provider.calls())
    fast = run_to_end(client, workflow_id, {})
    assert fast["status"] == "failed" and "circuit breaker open" in fast["errorMessage"]
    assert len(provider.calls()) == calls_before, "a call went through an open breaker"
    assert fast["stepResults"][0]["attempts"][0]["outcome"] == "circuit_open"
    healthy["value"] = True
    import time

    time.sleep(3.1)  # the breaker's reset timeout in the test settings
    assert run_to_end(client, workflow_id, {})["status"] == "completed"
    assert guard.state(config) == "closed"


def test_an_open_breaker_is_retried_after_its_cool_down(app, client, provider):
    healthy = {"value": False}
    provider.route("POST", "/svc", lambda _b, _h: (200, {}) if healthy["value"] else (503, {}))
    config = provider_config(client, provider.url)
    failing = active_workflow(client, [trigger(), executor("call", config, "/svc", retry={"maxAttempts": 1})], [edge("start", "call")])
    patient = active_workflow(
        client, [trigger(), executor("call", config, "/svc", retry={"maxAttempts": 2, "initialDelayMs": 10})], [edge("start", "call")]
    )
    for _ in range(3):
        run_to_end(client, failing, {})
    assert app.extensions["flowker"].engine.guard.state(config) == "open"
    healthy["value"] = True
    result = run_to_end(client, patient, {})
    assert result["status"] == "completed"
    outcomes = [a["outcome"] for a in result["stepResults"][0]["attempts"]]
    assert outcomes == ["circuit_open", "completed"]
    gap = _times(result["stepResults"][0]["attempts"])
    assert (gap[1] - gap[0]).total_seconds() >= 1.9  # waited for the cool-down (3 s, less Redis's rounding), not 10 ms


def test_calls_to_one_provider_run_in_parallel(client, provider):
    import threading
    import time

    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def slow(_body, _headers):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.4)
        with lock:
            state["now"] -= 1
        return 200, {}

    provider.route("POST", "/slow", slow)
    config = provider_config(client, provider.url)
    workflow_id = active_workflow(client, [trigger(), executor("call", config, "/slow")], [edge("start", "call")])
    from tests.support.api import start
    from tests.conftest import wait_for

    ids = [start(client, workflow_id, {"n": i}).json["executionId"] for i in range(6)]
    for execution_id in ids:
        wait_for(lambda: client.get(f"/v1/executions/{execution_id}").json["status"] == "completed", 20)
    assert state["peak"] >= 3, f"calls to one provider configuration ran {state['peak']} at a time"


def test_a_manual_retry_gets_the_full_retry_budget_again(client, provider):
    provider.route("POST", "/busy", _flaky([429, 429, 429, 429]))
    config = provider_config(client, provider.url)
    retry = {"maxAttempts": 3, "initialDelayMs": 10, "jitter": False}
    workflow_id = active_workflow(client, [trigger(), executor("call", config, "/busy", retry=retry)], [edge("start", "call")])
    failed = run_to_end(client, workflow_id, {})
    assert failed["status"] == "failed" and "after 3 attempts" in failed["errorMessage"]
    client.post(f"/v1/executions/{failed['executionId']}/retry")
    from tests.conftest import wait_for

    wait_for(lambda: client.get(f"/v1/executions/{failed['executionId']}").json["status"] == "completed", 20)
    step = client.get(f"/v1/executions/{failed['executionId']}/results").json["stepResults"][0]
    assert [a["outcome"] for a in step["attempts"]] == ["429", "429", "429", "manual_retry", "429", "completed"]
