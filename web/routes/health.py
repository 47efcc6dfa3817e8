"""Probes: ``/health`` (liveness), ``/readyz`` (database and broker), ``/version``."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from flask import current_app

from core import db
from core.timefmt import rfc3339
from core.models import utcnow
from web.routes.common import Blueprint, runtime
from worker.broker import ping as broker_ping

blp = Blueprint("health", __name__, description="Liveness, readiness and version probes")
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")
# Seconds each readiness check may take before it counts as down.
CHECK_TIMEOUT_S = 2.0


def _timed(check) -> dict:
    started = time.monotonic()
    try:
        _pool.submit(check).result(timeout=CHECK_TIMEOUT_S)
    except TimeoutError:
        return {"status": "down", "error": "timeout exceeded"}
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "up", "latency_ms": round((time.monotonic() - started) * 1000, 2)}


@blp.route("/health")
@blp.response(200)
def health():
    """Liveness: the process answers. Returns ``{status, version, uptimeSeconds, timestamp}``."""
    return {
        "status": "healthy",
        "version": runtime().settings.version,
        "uptimeSeconds": round(time.time() - current_app.config["FLOWKER_STARTED"], 3),
        "timestamp": rfc3339(utcnow()),
    }


def _database_check():
    db.ping()
    db.database.close()


@blp.route("/readyz")
@blp.response(200)
@blp.alt_response(503, description="A dependency is down")
def readyz():
    """Readiness: database and broker answer within 2 s each.

    Returns ``{status: healthy|unhealthy, checks: {database, broker}, mode}``; 503 when any
    check is down.
    """
    rt = runtime()
    checks = {"database": _timed(_database_check), "broker": _timed(lambda: broker_ping(rt.broker))}
    healthy = all(check["status"] == "up" for check in checks.values())
    body = {
        "status": "healthy" if healthy else "unhealthy",
        "checks": checks,
        "mode": "embedded" if rt.settings.is_embedded_broker else "fleet",
    }
    return body, 200 if healthy else 503


@blp.route("/version")
@blp.response(200)
def version():
    """Build version and commit: ``{version, commit, requestDate}``."""
    settings = runtime().settings
    return {"version": settings.version, "commit": settings.commit, "requestDate": rfc3339(utcnow())}
