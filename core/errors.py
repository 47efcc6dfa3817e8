"""Flowker's error tree. Every error a user can see carries a code, an HTTP status, a title
and a message, so the web layer never decides anything by matching strings.

    FlowkerError                      (code, status, title, message)
    ├── BadRequest          400       malformed input: FLK-0001 body, FLK-0002 id, FLK-0304 query, ...
    ├── Unauthorized        401       UNAUTHORIZED
    ├── NotFound            404       FLK-0100 workflow, FLK-0500 execution, FLK-0290 provider config, ...
    ├── Conflict            409       FLK-0101 name taken, FLK-0350 concurrent change, ...
    ├── PayloadTooLarge     413       FLK-0506 execution body, FLK-0005 any body
    ├── Unprocessable       422       FLK-0102 transition, FLK-0103 not modifiable, FLK-0501 inactive, ...
    └── Unavailable         503       FLK-0801 a dependency is down

Errors raised *while running a node* are not FlowkerErrors: they are recorded on the step
(see ``core.engine``), classified by ``NodeFailure.outcome`` (``timeout``, ``connection``,
``circuit_open``, ``429``, ``5xx``, ``4xx`` or None), and retried or not by the node's
``core.retry.RetryPolicy``.
"""

from __future__ import annotations


class FlowkerError(Exception):
    """Base of every user-visible error: ``code`` (e.g. ``FLK-0100``), ``status`` (HTTP),
    ``title`` (HTTP reason phrase) and ``message`` (one sentence for a person)."""

    status = 500
    title = "Internal Server Error"

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def to_dict(self) -> dict:
        """The contract's error body: ``{"code", "title", "message"}``."""
        return {"code": self.code, "title": self.title, "message": self.message}


class BadRequest(FlowkerError):
    status = 400
    title = "Bad Request"


class Unauthorized(FlowkerError):
    status = 401
    title = "Unauthorized"


class NotFound(FlowkerError):
    status = 404
    title = "Not Found"


class Conflict(FlowkerError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(FlowkerError):
    status = 413
    title = "Payload Too Large"


class Unprocessable(FlowkerError):
    status = 422
    title = "Unprocessable Entity"


class Unavailable(FlowkerError):
    status = 503
    title = "Service Unavailable"


# Codes used in more than one place.
INVALID_BODY = "FLK-0001"
INVALID_ID = "FLK-0002"
ROUTE_NOT_FOUND = "FLK-0003"
METHOD_NOT_ALLOWED = "FLK-0004"
BODY_TOO_LARGE = "FLK-0005"
UNSUPPORTED_MEDIA_TYPE = "FLK-0006"
INVALID_QUERY = "FLK-0304"
INVALID_LIMIT = "FLK-0309"
INVALID_SORT_ORDER = "FLK-0310"
INVALID_CURSOR = "INVALID_CURSOR"
CONCURRENT_CHANGE = "FLK-0350"
INTERNAL = "FLK-9999"


def invalid_body(message: str) -> BadRequest:
    return BadRequest(INVALID_BODY, message)


def invalid_id(kind: str) -> BadRequest:
    return BadRequest(INVALID_ID, f"invalid {kind} ID")
