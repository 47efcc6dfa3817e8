"""Test databases and broker namespaces: SQLite in a temp dir by default; with
``DATABASE_URL=postgresql://...`` a fresh PostgreSQL database per session, dropped after."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlparse, urlunparse

import psycopg2
import pytest

def services_required() -> bool:
    return os.environ.get("FLOWKER_REQUIRE_SERVICES") == "1" or os.environ.get("CI") == "true"


def is_fleet_run() -> bool:
    return (os.environ.get("DATABASE_URL") or "").startswith("postgres") and (os.environ.get("BROKER_URL") or "").startswith("redis")


def create_postgres_database(base_url: str) -> tuple[str, callable]:
    """Create ``flowker_test_<random>`` next to ``base_url``'s database; returns its URL and a
    function that drops it."""
    name = f"flowker_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg2.connect(base_url, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        if services_required():
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    parsed = urlparse(base_url)
    url = urlunparse(parsed._replace(path=f"/{name}"))

    def drop():
        conn = psycopg2.connect(base_url, connect_timeout=5)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()

    return url, drop


def clear_redis_namespace(url: str, namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{namespace}*"))
    if keys:
        client.delete(*keys)
    client.close()
