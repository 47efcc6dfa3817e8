"""The generic HTTP executor against a real server on 127.0.0.1: URL joining, egress
policy, response cap, redirects and error classification."""

from __future__ import annotations

import pytest

from catalog.egress import EgressDenied, check_url
from catalog.http import run
from catalog.transport import join_url as build_url
from core.executors import ExecutorCall


def _call(base_url, allow_private=True, cap=1024 * 1024, **data):
    return ExecutorCall(
        provider_config={"base_url": base_url, "headers": {"X-Tenant": "t1"}},
        node_data={"method": "POST", **data},
        body={"a": 1},
        timeout_s=5,
        idempotency_key="exec:node",
        allow_private_networks=allow_private,
        max_response_bytes=cap,
    )


def test_a_call_sends_body_headers_query_and_returns_status_headers_body(provider):
    result = run(_call(provider.url + "/api", path="/v1/x", query={"page": "2"}))
    assert result.ok and result.output["status"] == 200
    assert result.output["body"] == {"path": "/api/v1/x", "body": {"a": 1}}
    [request] = provider.calls()
    assert request["query"] == "page=2" and request["headers"]["X-Tenant"] == "t1"
    assert request["idempotency_key"] == "exec:node"


def test_loopback_is_refused_unless_private_networks_are_allowed(provider):
    result = run(_call(provider.url, allow_private=False))
    assert not result.ok and "FLOWKER_ALLOW_PRIVATE_NETWORKS" in result.error and result.kind == "refused"
    assert provider.calls() == []


def test_link_local_metadata_addresses_are_always_refused():
    with pytest.raises(EgressDenied, match="link-local"):
        check_url("http://169.254.169.254/latest/meta-data", allow_private=True)


def test_a_response_over_the_cap_fails(provider):
    provider.route("POST", "/big", lambda _b, _h: (200, {"blob": "x" * 5000}))
    result = run(_call(provider.url, cap=1000, path="/big"))
    assert not result.ok and "larger than 1000 bytes" in result.error


@pytest.mark.parametrize("status, outcome", [(503, "5xx"), (429, "429"), (404, "4xx"), (422, "4xx")])
def test_error_statuses_are_classified_for_retry(provider, status, outcome):
    provider.route("POST", "/s", lambda _b, _h: (status, {"err": status}))
    result = run(_call(provider.url, path="/s"))
    assert not result.ok and result.outcome == outcome and result.output["status"] == status


def test_a_closed_port_is_a_retryable_connection_error():
    result = run(_call("http://127.0.0.1:9"))
    assert not result.ok and result.outcome == "connection"


def test_build_url_keeps_the_base_path():
    assert build_url("https://h/api", "v1/x") == "https://h/api/v1/x"
    assert build_url("https://h/api/", "/v1/x") == "https://h/api/v1/x"
    assert build_url("https://h", None) == "https://h"
