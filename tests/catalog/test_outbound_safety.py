"""Credentials never leave the provider's origin, and provider answers that no database can
store do not break an execution."""

from __future__ import annotations

import pytest

from catalog.http import run
from catalog.transport import join_url as build_url
from core.executors import ExecutorCall
from tests.support.api import active_workflow, edge, executor, provider_config, run_to_end, trigger
from tests.support.provider_server import ProviderServer


def _call(base_url, path, headers=None):
    return ExecutorCall(
        provider_config={"base_url": base_url, "headers": headers or {}}, node_data={"method": "POST", "path": path},
        body={}, timeout_s=5, idempotency_key="e:n", allow_private_networks=True, max_response_bytes=1 << 20,
    )


@pytest.mark.parametrize("path", ["http://evil.test/steal", "//evil.test/x", "https://evil.test"])
def test_a_path_naming_another_host_is_refused(path):
    with pytest.raises(ValueError):
        build_url("https://bank.test/api", path)


def test_a_cross_origin_redirect_does_not_carry_the_configured_headers(provider):
    with ProviderServer() as elsewhere:
        provider.route("POST", "/go", lambda _b, _h: (307, {}, {"Location": elsewhere.url + "/landing"}))
        result = run(_call(provider.url, "/go", {"Authorization": "Bearer TOP-SECRET", "X-Tenant": "t"}))
        assert result.ok
        [landed] = elsewhere.calls()
        assert "Authorization" not in landed["headers"] and "X-Tenant" not in landed["headers"]
        assert landed["idempotency_key"] == "e:n"


def test_a_same_origin_redirect_keeps_them(provider):
    provider.route("POST", "/go", lambda _b, _h: (307, {}, {"Location": "/landing"}))
    assert run(_call(provider.url, "/go", {"Authorization": "Bearer x"})).ok
    assert provider.calls("POST", "/landing")[0]["headers"]["Authorization"] == "Bearer x"


def test_an_answer_with_nan_is_kept_as_text_and_one_with_nul_fails_the_step_cleanly(client, provider):
    provider.route("POST", "/nan", lambda _b, _h: (200, b'{"x": NaN, "y": Infinity}'))
    provider.route("POST", "/nul", lambda _b, _h: (200, b'{"x": "a\\u0000b"}'))
    config = provider_config(client, provider.url)
    nodes = [trigger(), executor("nan", config, "/nan"), executor("nul", config, "/nul")]
    workflow_id = active_workflow(client, nodes, [edge("start", "nan"), edge("nan", "nul")])
    result = run_to_end(client, workflow_id, {})
    assert result["status"] == "failed" and 'node "nul"' in result["errorMessage"]
    steps = {s["nodeId"]: s for s in result["stepResults"]}
    assert steps["nan"]["status"] == "completed" and steps["nan"]["output"]["body"] == '{"x": NaN, "y": Infinity}'
    assert steps["nul"]["status"] == "failed" and "NUL" in steps["nul"]["errorMessage"]


def test_unsafe_executor_settings_are_refused_at_save(client, provider):
    config = provider_config(client, provider.url)
    cases = [
        ({"path": "http://elsewhere.test/x"}, "WORKFLOW_INVALID_EXECUTOR_CONFIG"),
        ({"headers": "abc"}, "WORKFLOW_INVALID_EXECUTOR_CONFIG"),
        ({"headers": {"X-A": "a\r\nInjected: 1"}}, "WORKFLOW_INVALID_EXECUTOR_CONFIG"),
        ({"query": 5}, "WORKFLOW_INVALID_EXECUTOR_CONFIG"),
        ({"inputMapping": [{"source": "typo.amount", "target": "a"}]}, "FLK-0140"),
        ({"inputMapping": [{"source": "workflow.a", "target": "a"}, {"source": "workflow.b", "target": "a.b"}]}, "FLK-0140"),
        ({"outputMapping": [{"source": "workflow.a", "target": "a"}]}, "FLK-0141"),
    ]
    for extra, code in cases:
        node = executor("c", config, "/x")
        node["data"].update(extra)
        response = client.post("/v1/workflows", json={"name": "unsafe", "nodes": [trigger(), node], "edges": [edge("start", "c")]})
        assert response.status_code == 400 and response.json["code"] == code, (extra, response.json)


@pytest.mark.parametrize("base_url", ["http://", "http://a b", "ftp://bank.test", "bank.test"])
def test_a_base_url_without_an_http_host_is_refused(client, base_url):
    response = client.post("/v1/provider-configurations", json={"name": "bad-base", "providerId": "http", "config": {"base_url": base_url}})
    assert response.status_code == 422 and response.json["code"] == "FLK-0293", response.json


@pytest.mark.parametrize("path", ["../tenant-b/echo", "a/../../b", "%2e%2e/x", "./x"])
def test_a_path_cannot_climb_out_of_the_base_path(path):
    with pytest.raises(ValueError):
        build_url("https://bank.test/tenant-a/", path)


def test_a_node_path_that_climbs_out_is_refused_at_save(client, provider):
    config = provider_config(client, provider.url)
    for path in ("../other/x", "%2e%2e/x", "a/../../x", ".%2e/x"):
        node = executor("c", config, path)
        response = client.post("/v1/workflows", json={"name": "climb", "nodes": [trigger(), node], "edges": [edge("start", "c")]})
        assert response.status_code == 400 and response.json["code"] == "WORKFLOW_INVALID_EXECUTOR_CONFIG", path


@pytest.mark.parametrize("url", ["http://[::1", "http://[zz]/", "http://]/"])
def test_unparseable_urls_are_4xx_not_500(client, url):
    config = {"base_url": "https://t.test", "auth": {"type": "oauth2_client_credentials", "token_url": url, "client_id": "c", "client_secret": "s"}}
    response = client.post("/v1/provider-configurations", json={"name": "ipv6", "providerId": "http", "config": config})
    assert response.status_code == 422
    body = {"name": "ipv6-exec", "baseUrl": url, "endpoints": [{"name": "a", "path": "/a", "method": "GET"}]}
    assert client.post("/v1/executors", json=body).status_code == 400
