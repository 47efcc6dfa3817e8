"""Stand-ins for two bank services that a payment-screening workflow calls.

* A fraud-check API (``POST /fraud/checks``) that scores a transaction and answers
  ``ALLOW`` or ``DENY`` with fixed, explainable rules.
* A ledger (``POST /ledger/transactions``, ``GET /ledger/transactions``) that records
  postings in memory and honours the ``Idempotency-Key`` request header, so a retried
  call never posts twice.

Two helper routes make the demo verifiable: ``GET /requests`` returns every request
received (method, path, idempotency key) and ``GET /health`` answers 200.

Standard library only. Run::

    python examples/bank_services.py --port 0

Port 0 picks a free port; the first line printed is ``listening on http://127.0.0.1:<port>``.
All state lives in memory and is lost when the process stops.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Amounts above this are denied by the fraud check.
MAX_ALLOWED_AMOUNT = 10000
# Countries (ISO 3166-1 alpha-2) the fraud check always denies.
SANCTIONED_COUNTRIES = frozenset({"KP", "IR", "SY", "CU"})
# Accounts the fraud check always denies.
BLOCKED_ACCOUNTS = frozenset({"acc-blocked-001", "acc-mule-666"})
# Largest request body accepted, in bytes.
MAX_BODY_BYTES = 64 * 1024


class ValidationError(Exception):
    """A request body that is missing a field or has a field of the wrong type."""


def _require_string(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"'{name}' is required and must be a non-empty string")
    return value


def _require_amount(body: dict) -> float:
    value = body.get("amount")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError("'amount' is required and must be a number")
    if value <= 0:
        raise ValidationError("'amount' must be greater than zero")
    return value


def assess_fraud(body: dict) -> dict:
    """Score one transaction and decide ``ALLOW`` or ``DENY``.

    ``body`` must hold ``transactionId``, ``amount`` (a positive number), ``currency``,
    ``accountId`` and ``country``; raises ValidationError otherwise. The score starts at
    5 and each rule that fires adds to it; any fired rule means ``DENY``.
    """
    transaction_id = _require_string(body, "transactionId")
    amount = _require_amount(body)
    _require_string(body, "currency")
    account_id = _require_string(body, "accountId")
    country = _require_string(body, "country").upper()

    score, reasons = 5, []
    if amount > MAX_ALLOWED_AMOUNT:
        score += 60
        reasons.append(f"amount {amount:g} exceeds limit {MAX_ALLOWED_AMOUNT}")
    if country in SANCTIONED_COUNTRIES:
        score += 90
        reasons.append(f"country {country} is sanctioned")
    if account_id in BLOCKED_ACCOUNTS:
        score += 95
        reasons.append(f"account {account_id} is blocked")
    return {
        "transactionId": transaction_id,
        "decision": "DENY" if reasons else "ALLOW",
        "score": min(score, 100),
        "reasons": reasons,
    }


class Ledger:
    """In-memory postings with idempotent writes; safe to use from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._postings: list[dict] = []
        self._by_key: dict[str, dict] = {}

    def post(self, body: dict, idempotency_key: str | None) -> tuple[dict, bool]:
        """Record a posting; return ``(posting, created)``.

        With an ``idempotency_key`` already seen, the first posting is returned and
        ``created`` is False. Raises ValidationError on a malformed body.
        """
        transaction_id = _require_string(body, "transactionId")
        amount = _require_amount(body)
        currency = _require_string(body, "currency")
        account_id = _require_string(body, "accountId")
        with self._lock:
            if idempotency_key and idempotency_key in self._by_key:
                return self._by_key[idempotency_key], False
            posting = {
                "id": str(uuid.uuid4()),
                "transactionId": transaction_id,
                "amount": amount,
                "currency": currency,
                "accountId": account_id,
                "status": "posted",
                "idempotencyKey": idempotency_key,
                "postedAt": datetime.now(timezone.utc).isoformat(),
            }
            self._postings.append(posting)
            if idempotency_key:
                self._by_key[idempotency_key] = posting
            return posting, True

    def all(self) -> list[dict]:
        """Every posting, oldest first."""
        with self._lock:
            return list(self._postings)


class RequestLog:
    """The method, path and ``Idempotency-Key`` of every request received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[dict] = []

    def add(self, method: str, path: str, idempotency_key: str | None) -> None:
        """Append one request."""
        with self._lock:
            self._items.append({"method": method, "path": path, "idempotencyKey": idempotency_key})

    def all(self) -> list[dict]:
        """Every logged request, oldest first."""
        with self._lock:
            return list(self._items)


class BankHandler(BaseHTTPRequestHandler):
    """Routes requests to the fraud check, the ledger and the helper routes.

    The server instance carries the shared ``ledger`` and ``request_log``.
    """

    server_version = "BankServices/1.0"
    protocol_version = "HTTP/1.1"
    # Send small responses at once (no Nagle delay on kept-alive connections).
    disable_nagle_algorithm = True

    # -- plumbing -----------------------------------------------------------------

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        """Silence the default per-request logging on stderr."""

    def _send_json(self, status: int, payload) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send_json(status, {"error": message})

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/") or "/"

    def _log(self) -> None:
        self.server.request_log.add(self.command, self._path(), self.headers.get("Idempotency-Key"))

    def _read_json(self) -> dict:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ValidationError("invalid Content-Length") from None
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the unread body would corrupt the next request
            raise ValidationError(f"body larger than {MAX_BODY_BYTES} bytes")
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            raise ValidationError("body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ValidationError("body must be a JSON object")
        return body

    # -- verbs --------------------------------------------------------------------

    def do_GET(self):  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        """``/health``, ``/ledger/transactions`` and ``/requests``."""
        self._log()
        path = self._path()
        if path == "/health":
            self._send_json(200, {"status": "ok"})
        elif path == "/ledger/transactions":
            self._send_json(200, {"items": self.server.ledger.all()})
        elif path == "/requests":
            self._send_json(200, {"items": self.server.request_log.all()})
        else:
            self._error(404, f"no route GET {path}")

    def do_POST(self):  # noqa: N802 - name fixed by BaseHTTPRequestHandler
        """``/fraud/checks`` and ``/ledger/transactions``."""
        self._log()
        path = self._path()
        if path not in ("/fraud/checks", "/ledger/transactions"):
            # Drain the body so the connection stays usable.
            try:
                self._read_json()
            except ValidationError:
                pass
            self._error(404, f"no route POST {path}")
            return
        try:
            body = self._read_json()
            if path == "/fraud/checks":
                self._send_json(200, assess_fraud(body))
            else:
                posting, created = self.server.ledger.post(body, self.headers.get("Idempotency-Key"))
                self._send_json(201 if created else 200, posting)
        except ValidationError as exc:
            self._error(400, str(exc))


def make_server(host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A ready-to-serve server with a fresh ledger and request log (port 0 = any free port)."""
    server = ThreadingHTTPServer((host, port), BankHandler)
    server.daemon_threads = True
    server.ledger = Ledger()
    server.request_log = RequestLog()
    return server


def main(argv: list[str] | None = None) -> int:
    """Parse ``--host``/``--port``, print the listening URL and serve until interrupted."""
    parser = argparse.ArgumentParser(description="Fraud-check and ledger stand-ins for the Flowker demo.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port)
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
