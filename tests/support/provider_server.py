"""A programmable HTTP provider on 127.0.0.1 for tests: records every request and answers
from per-route handlers."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qsl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

Handler = Callable[[dict | None, dict], tuple[int, object]]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that died mid-request (a killed worker) is expected in these tests.
        pass


class ProviderServer:
    """Start with ``with ProviderServer() as server:``; ``server.url`` is the base URL.

    ``server.route("POST", "/checks", fn)`` sets a handler ``fn(body, headers) -> (status,
    json or raw bytes[, extra headers])``; unknown routes echo ``{"path", "body"}`` with 200. ``server.requests`` lists
    ``{"method", "path", "idempotency_key", "body", "time"}`` in arrival order.
    """

    def __init__(self):
        self.requests: list[dict] = []
        self.routes: dict[tuple[str, str], Handler] = {}
        self.lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not raw:
                    body = None
                elif "json" in (self.headers.get("Content-Type") or "json"):
                    body = json.loads(raw)
                else:  # a form (OAuth2 token requests)
                    body = dict(parse_qsl(raw.decode()))
                path = self.path.split("?", 1)[0]
                with outer.lock:
                    outer.requests.append(
                        {
                            "method": self.command,
                            "path": path,
                            "query": self.path.split("?", 1)[1] if "?" in self.path else "",
                            "idempotency_key": self.headers.get("Idempotency-Key"),
                            "headers": dict(self.headers),
                            "body": body,
                            "time": time.monotonic(),
                        }
                    )
                handler = outer.routes.get((self.command, path))
                answer = handler(body, dict(self.headers)) if handler else (200, {"path": path, "body": body})
                status, payload, extra = (answer + ({},))[:3]
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def calls(self, method: str | None = None, path: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if (method is None or r["method"] == method) and (path is None or r["path"] == path)]

    def __enter__(self) -> "ProviderServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
