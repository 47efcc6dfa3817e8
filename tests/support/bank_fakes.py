"""Fake Tracer, Midaz and OIDC services on one loopback server, for the integration tests.

* OIDC: ``GET /oidc/.well-known/openid-configuration``; ``POST /oidc/token`` (client
  credentials with HTTP Basic client authentication) issues ``tok-<n>``, valid 1 hour.
* Tracer: ``POST /v1/validations`` needs ``X-API-Key``; ALLOW up to ``ALLOW_LIMIT``, else DENY.
* Midaz: transactions and accounts under the configured organization and ledger; needs a
  ``Bearer`` token the fake issued; honours ``X-Idempotency`` (a repeat returns the first
  posting). ``fail_next_posts`` makes the next N transaction posts answer 503.
"""

from __future__ import annotations

import base64
import threading
import uuid

from tests.support.provider_server import ProviderServer

ALLOW_LIMIT = 1000
ORG = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
LEDGER = "9b2f4c2e-3d4a-4b5c-8d6e-7f8091a2b3c4"
CLIENT_ID, CLIENT_SECRET = "flowker-client", "oidc-secret-Zq81"
TRACER_KEY = "tracer-key-Hy72"


class FakeBank(ProviderServer):
    def __init__(self):
        super().__init__()
        self.tokens: set[str] = set()
        self.postings: dict[str, dict] = {}
        self.fail_next_posts = 0
        self._lock = threading.Lock()
        base = f"/v1/organizations/{ORG}/ledgers/{LEDGER}"
        self.transactions_path = f"{base}/transactions/json"
        self.accounts_path = f"{base}/accounts"
        self.route("GET", "/oidc/.well-known/openid-configuration", lambda _b, _h: (200, {
            "issuer": self.url + "/oidc", "token_endpoint": self.url + "/oidc/token"}))
        self.route("POST", "/oidc/token", self._token)
        self.route("POST", "/v1/validations", self._validate)
        self.route("POST", self.transactions_path, self._post_transaction)
        self.route("POST", self.accounts_path, self._create_account)
        self.route("POST", "/v1/kyc/checks", lambda body, _h: (200, {"status": "approved" if body.get("document") != "000" else "rejected"}))
        self.route("GET", "/", lambda _b, _h: (200, {"service": "fake bank"}))

    def _token(self, _body, headers):
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if headers.get("Authorization") != expected:
            return 401, {"error": "invalid_client"}
        with self._lock:
            token = f"tok-{len(self.tokens) + 1}"
            self.tokens.add(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}

    def _authorized(self, headers) -> bool:
        value = headers.get("Authorization", "")
        return value.startswith("Bearer ") and value[7:] in self.tokens

    def _validate(self, body, headers):
        if headers.get("X-API-Key") != TRACER_KEY:
            return 401, {"error": "bad api key"}
        decision = "ALLOW" if float(body["amount"]) <= ALLOW_LIMIT else "DENY"
        return 200, {"validationId": str(uuid.uuid4()), "requestId": body["requestId"], "decision": decision}

    def _post_transaction(self, body, headers):
        if not self._authorized(headers):
            return 401, {"error": "unauthorized"}
        with self._lock:
            if self.fail_next_posts:
                self.fail_next_posts -= 1
                return 503, {"error": "try later"}
            key = headers.get("X-Idempotency")
            if key in self.postings:
                return 200, self.postings[key]
            posting = {"id": str(uuid.uuid4()), "status": "APPROVED", **body}
            self.postings[key] = posting
        return 201, posting

    def _create_account(self, body, headers):
        if not self._authorized(headers):
            return 401, {"error": "unauthorized"}
        return 201, {"id": str(uuid.uuid4()), **body}

    def token_requests(self) -> int:
        return len(self.calls("POST", "/oidc/token"))
