"""Authentication of outbound calls, shared by every provider and executor configuration.

``auth`` block (in a provider configuration's or executor configuration's config):

  {"type": "none"}
  {"type": "api_key", "key": K, "header_name"?: "X-API-Key", "prefix"?: "",
   "location"?: "header" | "query", "query_param_name"?: "api_key"}
  {"type": "bearer", "token": T}
  {"type": "basic", "username": U, "password": P}
  {"type": "oauth2_client_credentials", "token_url": URL, "client_id", "client_secret",
   "scopes"?: [..], "audience"?, "token_endpoint_auth_method"?: "client_secret_basic" |
   "client_secret_post", "extra_params"?: {..}}
  {"type": "oidc_client_credentials", "issuer_url": URL, ...same as above without token_url}

OAuth2 client credentials follow RFC 6749 §4.4; OIDC discovery reads
``<issuer>/.well-known/openid-configuration`` (OpenID Connect Discovery 1.0 §4) for its
``token_endpoint``, cached for an hour. Access tokens are cached per (token endpoint, client,
scopes, audience) until 60 s before they expire (or a tenth of a short lifetime); concurrent
callers wait for one fetch. A 401 answer discards the token and the call is made once more
with a fresh one (``catalog.transport``). Error messages never contain a credential.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from catalog.egress import EgressDenied, check_url

AUTH_TYPES = ("none", "api_key", "bearer", "basic", "oauth2_client_credentials", "oidc_client_credentials")
TOKEN_TYPES = ("oauth2_client_credentials", "oidc_client_credentials")
# Seconds before expiry at which a cached token is refreshed.
DEFAULT_REFRESH_BEFORE_S = 60.0
DISCOVERY_TTL_S = 3600.0
TOKEN_TIMEOUT_S = 10.0

_REQUIRED = {
    "api_key": ("key",),
    "bearer": ("token",),
    "basic": ("username", "password"),
    "oauth2_client_credentials": ("token_url", "client_id", "client_secret"),
    "oidc_client_credentials": ("issuer_url", "client_id", "client_secret"),
}


class AuthError(Exception):
    """Credentials could not be obtained or applied (message free of secrets)."""


_OPTIONAL_TEXT = ("header_name", "prefix", "query_param_name", "audience")
_URL_FIELDS = ("token_url", "issuer_url")


def is_clean_text(value: str) -> bool:
    """Usable in a header: no control characters, no surrounding spaces."""
    return value == value.strip() and value.isprintable()


def check_url_field(value) -> bool:
    """An http(s) URL with a host, a valid port, and no credentials in it."""
    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port
    except ValueError:  # an invalid port, or an unparseable [IPv6] host
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.username is None and parts.password is None


def check_auth(auth) -> str | None:
    """Problem with an ``auth`` block, or None when it is usable. Messages name fields,
    never values."""
    if auth is None:
        return None
    if not isinstance(auth, dict):
        return "auth must be an object"
    kind = auth.get("type", "none")
    if kind not in AUTH_TYPES:
        return f"auth.type must be one of {', '.join(AUTH_TYPES)}"
    for field in _REQUIRED.get(kind, ()):
        if not isinstance(auth.get(field), str) or not auth[field]:
            return f"{kind} auth needs a non-empty text {field}"
        if not is_clean_text(auth[field]):
            return f"auth.{field} must not hold control characters or surrounding spaces"
    for field in _OPTIONAL_TEXT:
        if field in auth and (not isinstance(auth[field], str) or not is_clean_text(auth[field])):
            return f"auth.{field} must be text without control characters"
    for field in _URL_FIELDS:
        if field in auth and not check_url_field(auth[field]):
            return f"auth.{field} must be an http(s) URL with a host and no credentials"
    if kind == "api_key" and auth.get("location", "header") not in ("header", "query"):
        return "api_key auth location must be header or query"
    if kind in TOKEN_TYPES:
        if auth.get("token_endpoint_auth_method", "client_secret_basic") not in ("client_secret_basic", "client_secret_post"):
            return "token_endpoint_auth_method must be client_secret_basic or client_secret_post"
        scopes = auth.get("scopes", [])
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            return "auth.scopes must be a list of strings"
        extra = auth.get("extra_params", {})
        if not isinstance(extra, dict) or not all(isinstance(v, (str, int, float, bool)) for v in extra.values()):
            return "auth.extra_params must be an object of text or number values"
    return None


@dataclass
class _Token:
    value: str
    token_type: str
    refresh_at: float


class TokenCache:
    """Access tokens by key, with one fetch at a time per key."""

    def __init__(self):
        self._tokens: dict[tuple, _Token] = {}
        self._discovery: dict[str, tuple[str, float]] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._guard = threading.Lock()
        self.fetches = 0  # token requests made (observability and tests)

    def _lock_for(self, key) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    @staticmethod
    def _key(endpoint: str, auth: dict) -> tuple:
        # The secret is part of the key (hashed): a configuration with a wrong secret must
        # never borrow a token fetched with the right one.
        secret = hashlib.sha256(auth["client_secret"].encode()).hexdigest()
        return (endpoint, auth["client_id"], secret, tuple(auth.get("scopes") or ()), auth.get("audience"),
                auth.get("token_endpoint_auth_method", "client_secret_basic"))

    def token(self, auth: dict, allow_private: bool) -> _Token:
        endpoint = self.token_endpoint(auth, allow_private)
        key = self._key(endpoint, auth)
        token = self._tokens.get(key)
        if token and time.monotonic() < token.refresh_at:
            return token
        with self._lock_for(key):
            token = self._tokens.get(key)
            if token and time.monotonic() < token.refresh_at:
                return token
            token = self._fetch(endpoint, auth, allow_private)
            self._tokens[key] = token
            return token

    def invalidate(self, auth: dict, allow_private: bool) -> None:
        self._tokens.pop(self._key(self.token_endpoint(auth, allow_private), auth), None)

    def token_endpoint(self, auth: dict, allow_private: bool) -> str:
        if auth["type"] == "oauth2_client_credentials":
            return auth["token_url"]
        issuer = auth["issuer_url"].strip().rstrip("/")
        cached = self._discovery.get(issuer)
        if cached and time.monotonic() < cached[1]:
            return cached[0]
        url = f"{issuer}/.well-known/openid-configuration"
        response = _request("GET", url, allow_private)
        if response.status_code != 200:
            raise AuthError(f"OIDC discovery at {_safe(url)} answered HTTP {response.status_code}")
        try:
            endpoint = response.json()["token_endpoint"]
        except (ValueError, KeyError, TypeError):
            raise AuthError(f"OIDC discovery document at {_safe(url)} has no token_endpoint") from None
        if not check_url_field(endpoint):
            raise AuthError(f"OIDC discovery document at {_safe(url)} names an unusable token_endpoint")
        self._discovery[issuer] = (endpoint, time.monotonic() + DISCOVERY_TTL_S)
        return endpoint

    def _fetch(self, endpoint: str, auth: dict, allow_private: bool) -> _Token:
        form = {"grant_type": "client_credentials"}
        if auth.get("scopes"):
            form["scope"] = " ".join(auth["scopes"])
        if auth.get("audience"):
            form["audience"] = auth["audience"]
        form.update({k: str(v) for k, v in (auth.get("extra_params") or {}).items()})
        headers = {"Accept": "application/json"}
        if auth.get("token_endpoint_auth_method", "client_secret_basic") == "client_secret_post":
            form.update(client_id=auth["client_id"], client_secret=auth["client_secret"])
        else:
            pair = f"{auth['client_id']}:{auth['client_secret']}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        self.fetches += 1
        response = _request("POST", endpoint, allow_private, data=form, headers=headers)
        if response.status_code != 200:
            reason = ""
            try:
                reason = f" ({response.json().get('error')})"
            except (ValueError, AttributeError):
                pass
            raise AuthError(f"token endpoint {_safe(endpoint)} answered HTTP {response.status_code}{reason}")
        try:
            payload = response.json()
            value = payload["access_token"]
            lifetime = float(payload.get("expires_in") or 300)
        except (ValueError, KeyError, TypeError):
            raise AuthError(f"token endpoint {_safe(endpoint)} answered without an access_token") from None
        margin = min(DEFAULT_REFRESH_BEFORE_S, lifetime / 10)
        return _Token(value, payload.get("token_type") or "Bearer", time.monotonic() + lifetime - margin)


def _request(method: str, url: str, allow_private: bool, **kwargs) -> requests.Response:
    try:
        check_url(url, allow_private)
        return requests.request(method, url, timeout=TOKEN_TIMEOUT_S, allow_redirects=False, **kwargs)
    except EgressDenied as exc:
        raise AuthError(f"egress refused: {exc}") from None
    except (requests.RequestException, ValueError) as exc:
        raise AuthError(f"{method} {_safe(url)} failed: {type(exc).__name__}") from None


def _safe(url: str) -> str:
    """scheme://host[:port]/path — no credentials, no query (they may hold secrets)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{parts.hostname or ''}{f':{port}' if port else ''}{parts.path}"


TOKENS = TokenCache()


def apply(auth: dict | None, headers: dict, params: dict, allow_private: bool) -> None:
    """Add credentials to ``headers`` / ``params`` in place. Raises AuthError."""
    if not auth or auth.get("type", "none") == "none":
        return
    kind = auth["type"]
    if kind == "api_key":
        value = f"{auth.get('prefix', '')}{auth['key']}"
        if auth.get("location", "header") == "query":
            params[auth.get("query_param_name", "api_key")] = value
        else:
            headers[auth.get("header_name", "X-API-Key")] = value
    elif kind == "bearer":
        headers["Authorization"] = f"Bearer {auth['token']}"
    elif kind == "basic":
        pair = f"{auth['username']}:{auth['password']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    elif kind in TOKEN_TYPES:
        token = TOKENS.token(auth, allow_private)
        headers["Authorization"] = f"{token.token_type.capitalize() if token.token_type.lower() == 'bearer' else token.token_type} {token.value}"
    else:
        raise AuthError(f"unknown auth type {kind!r}")


def refreshable(auth: dict | None) -> bool:
    return bool(auth) and auth.get("type") in TOKEN_TYPES
