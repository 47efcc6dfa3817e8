"""Encrypted secrets of provider configurations, and executor configurations."""

import peewee
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from core.db import JSONField


def up(db):
    migrator = PostgresqlMigrator(db) if isinstance(db, peewee.PostgresqlDatabase) else SqliteMigrator(db)
    migrate(migrator.add_column("provider_configuration", "secrets", peewee.TextField(null=True)))

    class ExecutorConfiguration(peewee.Model):
        id = peewee.UUIDField(primary_key=True)
        name = peewee.CharField(max_length=100, unique=True)
        description = peewee.TextField(null=True)
        base_url = peewee.CharField(max_length=500)
        endpoints = JSONField()
        authentication = JSONField()
        secrets = peewee.TextField(null=True)
        status = peewee.CharField(max_length=16)
        metadata = JSONField(null=True)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()
        last_tested_at = peewee.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "executor_configuration"
            indexes = ((("created_at", "id"), False),)

    db.create_tables([ExecutorConfiguration])
