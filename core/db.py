"""Database connection by URL, a JSON column that is JSONB on PostgreSQL, and transactions.

``DATABASE_URL`` forms:
  sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite:///:memory:
  postgresql://user[:password]@host[:port]/dbname   (also postgres://)

SQLite runs in WAL mode with a busy timeout, and its write transactions begin IMMEDIATE so
that two writers queue instead of failing to upgrade a read lock.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from urllib.parse import unquote, urlparse

import peewee
import psycopg2.extras

database = peewee.DatabaseProxy()

# Seconds SQLite waits for a lock before raising "database is locked".
DEFAULT_SQLITE_BUSY_TIMEOUT_S = 30


class JSONField(peewee.Field):
    """A JSON document: JSONB on PostgreSQL, JSON text on SQLite. Holds dicts, lists,
    strings, numbers, booleans or None."""

    field_type = "FLOWKER_JSON"

    def db_value(self, value):
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def python_value(self, value):
        # Text is JSON to decode (PostgreSQL hands JSONB over as text, see connect());
        # anything else is a value an older SQLite column already converted (numeric affinity).
        return json.loads(value) if isinstance(value, str) else value


def connect(url: str) -> peewee.Database:
    """Open (lazily) the database named by ``url`` and bind it to every model.

    Raises ValueError for an unsupported scheme.
    """
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else parsed.path
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        db = peewee.SqliteDatabase(
            path or ":memory:",
            pragmas={
                "journal_mode": "wal",
                "synchronous": "normal",
                "foreign_keys": 1,
                "busy_timeout": DEFAULT_SQLITE_BUSY_TIMEOUT_S * 1000,
            },
            timeout=DEFAULT_SQLITE_BUSY_TIMEOUT_S,
            lock_type="IMMEDIATE",
            field_types={"FLOWKER_JSON": "TEXT"},  # TEXT: no numeric affinity rewriting "5" or "1e308"
            check_same_thread=False,
        )
    elif scheme in {"postgres", "postgresql"}:
        # JSONB arrives as text and JSONField decodes it: the same path as SQLite, and a JSON
        # string "123" stays a string.
        psycopg2.extras.register_default_jsonb(globally=True, loads=lambda text: text)
        db = peewee.PostgresqlDatabase(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            field_types={"FLOWKER_JSON": "JSONB"},
            connect_timeout=5,
        )
    else:
        raise ValueError(f"unsupported DATABASE_URL scheme {scheme!r}: use sqlite:// or postgresql://")
    database.initialize(db)
    return db


def is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


@contextmanager
def transaction():
    """One write transaction (nested calls become savepoints)."""
    with database.atomic():
        yield


def lock_for_update(query):
    """``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the IMMEDIATE transaction already
    holds the write lock, so the query is returned as is."""
    return query.for_update() if is_postgres() else query


def ping() -> None:
    """Run ``SELECT 1``; raises peewee.DatabaseError (or OperationalError) when down."""
    database.execute_sql("SELECT 1").fetchone()
