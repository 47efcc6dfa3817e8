"""Authentication modes against a real loopback server: API key (header or query), bearer,
basic, OAuth2 client credentials (token cached, refreshed once on a 401) and OIDC discovery."""

from __future__ import annotations

import base64

import pytest

from catalog.auth import TOKENS, check_auth
from catalog.transport import OutboundRequest, send
from core.executors import ExecutorCall


def _call():
    return ExecutorCall(provider_config={}, node_data={}, body=None, timeout_s=5, idempotency_key="e:n",
                        allow_private_networks=True, max_response_bytes=1 << 20)


def _get(provider, auth):
    return send(OutboundRequest(method="GET", url=provider.url + "/r", auth=auth), _call())


@pytest.mark.parametrize("auth, header, value", [
    ({"type": "api_key", "key": "k1"}, "X-API-Key", "k1"),
    ({"type": "api_key", "key": "k1", "header_name": "X-Token", "prefix": "Key "}, "X-Token", "Key k1"),
    ({"type": "bearer", "token": "t1"}, "Authorization", "Bearer t1"),
    ({"type": "basic", "username": "u", "password": "p"}, "Authorization", "Basic " + base64.b64encode(b"u:p").decode()),
])
def test_static_credentials_go_where_configured(provider, auth, header, value):
    assert _get(provider, auth).ok
    assert provider.calls()[0]["headers"][header] == value


def test_an_api_key_can_travel_in_the_query(provider):
    assert _get(provider, {"type": "api_key", "key": "k9", "location": "query", "query_param_name": "key"}).ok
    assert provider.calls()[0]["query"] == "key=k9"


def _token_server(provider, expires_in=3600):
    issued = []

    def token(body, headers):
        issued.append(body)
        return 200, {"access_token": f"a{len(issued)}", "token_type": "bearer", "expires_in": expires_in}

    provider.route("POST", "/token", token)
    return issued


def test_client_credentials_tokens_are_cached_and_refreshed_once_on_a_401(provider):
    issued = _token_server(provider)
    revoked = {"a1"}
    provider.route("GET", "/r", lambda _b, h: (401, {}) if h["Authorization"].split()[1] in revoked else (200, {}))
    auth = {"type": "oauth2_client_credentials", "token_url": provider.url + "/token", "client_id": "c", "client_secret": "s",
            "scopes": ["ledger:write", "ledger:read"], "token_endpoint_auth_method": "client_secret_post", "audience": "midaz"}
    results = [_get(provider, auth) for _ in range(3)]
    assert all(r.ok for r in results)
    assert issued == [
        {"grant_type": "client_credentials", "scope": "ledger:write ledger:read", "audience": "midaz", "client_id": "c", "client_secret": "s"},
        {"grant_type": "client_credentials", "scope": "ledger:write ledger:read", "audience": "midaz", "client_id": "c", "client_secret": "s"},
    ]
    assert [c["headers"]["Authorization"] for c in provider.calls("GET", "/r")] == ["Bearer a1", "Bearer a2", "Bearer a2", "Bearer a2"]


def test_a_short_lived_token_is_refreshed_before_it_expires(provider):
    issued = _token_server(provider, expires_in=1)
    auth = {"type": "oauth2_client_credentials", "token_url": provider.url + "/token", "client_id": "short", "client_secret": "s"}
    _get(provider, auth)
    import time

    time.sleep(1.0)
    _get(provider, auth)
    assert len(issued) == 2


def test_oidc_discovery_finds_the_token_endpoint_once(provider):
    issued = _token_server(provider)
    provider.route("GET", "/issuer/.well-known/openid-configuration", lambda _b, _h: (200, {"token_endpoint": provider.url + "/token"}))
    auth = {"type": "oidc_client_credentials", "issuer_url": provider.url + "/issuer/", "client_id": "oidc-c", "client_secret": "s"}
    for _ in range(4):
        assert _get(provider, auth).ok
    assert len(issued) == 1 and len(provider.calls("GET", "/issuer/.well-known/openid-configuration")) == 1
    assert TOKENS.fetches >= 1


def test_a_refused_token_request_fails_the_call_without_the_secret(provider):
    provider.route("POST", "/token", lambda _b, _h: (401, {"error": "invalid_client"}))
    auth = {"type": "oauth2_client_credentials", "token_url": provider.url + "/token", "client_id": "c", "client_secret": "never-shown"}
    result = _get(provider, auth)
    assert not result.ok and "invalid_client" in result.error and "never-shown" not in result.error


@pytest.mark.parametrize("auth", [{"type": "bearer"}, {"type": "basic", "username": "u"}, {"type": "api_key", "key": "k", "location": "body"},
                                  {"type": "oauth2_client_credentials", "token_url": "https://x", "client_id": "c"}, {"type": "mystery"}])
def test_incomplete_auth_blocks_are_refused(auth):
    assert check_auth(auth) is not None
