"""Fixtures shared by every test.

The suite runs twice in ``make test``: on the embedded default (SQLite file in a temp dir,
in-process broker) and with ``DATABASE_URL``/``BROKER_URL`` naming PostgreSQL and Redis,
where a fresh database and a fresh Redis namespace are made for the session.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
from cryptography.fernet import Fernet

from core.config import Settings
from tests.support.provider_server import ProviderServer
from tests.support.services import clear_redis_namespace, create_postgres_database


# One Fernet key for the session, shared with the fleet processes the e2e tests start.
os.environ.setdefault("FLOWKER_SECRET_KEYS", Fernet.generate_key().decode())


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    base = os.environ.get("DATABASE_URL") or ""
    drop = None
    if base.startswith("postgres"):
        url, drop = create_postgres_database(base)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db')}/flowker.db"
    broker = os.environ.get("BROKER_URL") or "memory://"
    namespace = f"flowker-test-{uuid.uuid4().hex[:8]}"
    yield Settings(
        database_url=url,
        broker_url=broker,
        broker_namespace=namespace,
        allow_private_networks=True,
        worker_threads=8,
        lease_seconds=3,
        redispatch_after_seconds=5,
        sweep_interval_seconds=0.5,
        breaker_fail_max=3,
        breaker_reset_seconds=3.0,  # pybreaker's Redis storage keeps opened_at in whole seconds
    )
    if broker.startswith("redis"):
        clear_redis_namespace(broker, namespace)
    if drop:
        from core import db

        if db.database.obj is not None:
            db.database.close()
        drop()


@pytest.fixture(scope="session")
def app(settings):
    from web.app import create_app
    from web.runtime import build_runtime

    # In-process workers consume from whichever broker the run uses (stub or Redis).
    application = create_app(settings, build_runtime(settings, migrate=True, run_workers=True))
    yield application
    application.extensions["flowker"].close()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def provider():
    with ProviderServer() as server:
        yield server


def unique(prefix: str = "wf") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns a truthy value; returns it or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")
