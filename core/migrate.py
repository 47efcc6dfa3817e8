"""Versioned schema migrations.

Each migration is a module ``core/migrations/mNNNN_<name>.py`` with ``up(db)``. Applied
versions are recorded in ``schema_migrations``; ``apply_migrations`` runs the missing ones in
order, each in its own transaction. On PostgreSQL an advisory lock keeps two processes that
start at once (a fleet) from applying the same migration twice.
"""

from __future__ import annotations

import importlib
import pkgutil

from core import db as dbmod
from core.models import SchemaMigration

# Arbitrary constant naming Flowker's migration lock among PostgreSQL advisory locks.
_MIGRATION_LOCK_ID = 0x464C4F57


def _migrations() -> list[tuple[int, str, object]]:
    import core.migrations as pkg

    found = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            module = importlib.import_module(f"core.migrations.{info.name}")
            found.append((int(info.name[1:5]), info.name, module))
    return sorted(found, key=lambda item: item[0])


def apply_migrations() -> list[str]:
    """Apply every pending migration; returns the names applied (empty when up to date)."""
    database = dbmod.database
    applied: list[str] = []
    if dbmod.is_postgres():
        database.execute_sql("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK_ID,))
    try:
        database.create_tables([SchemaMigration], safe=True)
        done = {row.version for row in SchemaMigration.select(SchemaMigration.version)}
        for version, name, module in _migrations():
            if version in done:
                continue
            with database.atomic():
                module.up(database.obj)  # the real database, so migrations can tell the dialect
                SchemaMigration.create(version=version, name=name)
            applied.append(name)
    finally:
        if dbmod.is_postgres():
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK_ID,))
    return applied
