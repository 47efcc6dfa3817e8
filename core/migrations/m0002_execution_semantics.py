"""Columns for retries, leases, deadlines, delays and limits.

step: ``attempts`` (JSON list of attempt records), ``not_before`` (a delayed retry or a
delay node is not run earlier), ``decisions`` (outgoing edge decisions, kept so a retried
execution can resume). execution: ``deadline_at``, ``provider_calls``, ``payload_bytes``.
workflow: ``timeout_seconds``.
"""

import peewee
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from core.db import JSONField


def up(db):
    migrator = PostgresqlMigrator(db) if isinstance(db, peewee.PostgresqlDatabase) else SqliteMigrator(db)
    migrate(
        migrator.add_column("step", "attempts", JSONField(null=True)),
        migrator.add_column("step", "not_before", peewee.DateTimeField(null=True)),
        migrator.add_column("step", "decisions", JSONField(null=True)),
        migrator.add_column("execution", "deadline_at", peewee.DateTimeField(null=True)),
        migrator.add_column("execution", "provider_calls", peewee.IntegerField(default=0)),
        migrator.add_column("execution", "payload_bytes", peewee.BigIntegerField(default=0)),
        migrator.add_column("workflow", "timeout_seconds", peewee.IntegerField(null=True)),
        migrator.add_index("execution", ("status", "deadline_at"), False),
    )
