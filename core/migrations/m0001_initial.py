"""The first schema: workflows, versions, provider configurations, executions, steps,
idempotency records and audit events.

The table definitions are written out here, frozen, so that later changes to
``core.models`` do not change what this migration creates.
"""

import uuid

import peewee

from core.db import JSONField


def up(db):
    class _Base(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Workflow(_Base):
        id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
        name = peewee.CharField(max_length=100, unique=True)
        description = peewee.TextField(null=True)
        status = peewee.CharField(max_length=16)
        nodes = JSONField()
        edges = JSONField()
        metadata = JSONField(null=True)
        version = peewee.IntegerField()
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("created_at", "id"), False), (("updated_at", "id"), False), (("status", "created_at"), False))

    class WorkflowVersion(_Base):
        workflow_id = peewee.UUIDField()
        version = peewee.IntegerField()
        definition = JSONField()
        created_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("workflow_id", "version"), True),)

    class ProviderConfiguration(_Base):
        id = peewee.UUIDField(primary_key=True)
        name = peewee.CharField(max_length=100, unique=True)
        description = peewee.TextField(null=True)
        provider_id = peewee.CharField(max_length=100)
        config = JSONField()
        status = peewee.CharField(max_length=16)
        metadata = JSONField(null=True)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("created_at", "id"), False),)

    class Execution(_Base):
        id = peewee.UUIDField(primary_key=True)
        workflow_id = peewee.UUIDField()
        workflow_version = peewee.IntegerField()
        status = peewee.CharField(max_length=16)
        input = JSONField(null=True)
        final_output = JSONField(null=True)
        error_message = peewee.TextField(null=True)
        idempotency_key = peewee.CharField(max_length=255, null=True)
        trigger_node_id = peewee.CharField(max_length=50)
        total_steps = peewee.IntegerField()
        finished_steps = peewee.IntegerField()
        numbered_steps = peewee.IntegerField()
        edge_states = JSONField()
        started_at = peewee.DateTimeField()
        completed_at = peewee.DateTimeField(null=True)

        class Meta:
            indexes = (
                (("workflow_id", "started_at"), False),
                (("status", "started_at"), False),
                (("started_at", "id"), False),
                (("completed_at", "id"), False),
            )

    class IdempotencyRecord(_Base):
        workflow_id = peewee.UUIDField()
        key = peewee.CharField(max_length=255)
        fingerprint = peewee.CharField(max_length=64)
        execution_id = peewee.UUIDField()
        created_at = peewee.DateTimeField()
        expires_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("workflow_id", "key"), True), (("expires_at",), False))

    class Step(_Base):
        id = peewee.UUIDField(primary_key=True)
        execution = peewee.ForeignKeyField(Execution, on_delete="CASCADE")
        node_id = peewee.CharField(max_length=50)
        node_type = peewee.CharField(max_length=16)
        step_number = peewee.IntegerField(null=True)
        status = peewee.CharField(max_length=16)
        input = JSONField(null=True)
        output = JSONField(null=True)
        error_message = peewee.TextField(null=True)
        attempt = peewee.IntegerField()
        created_at = peewee.DateTimeField()
        dispatched_at = peewee.DateTimeField(null=True)
        started_at = peewee.DateTimeField(null=True)
        finished_at = peewee.DateTimeField(null=True)
        duration_ms = peewee.IntegerField(null=True)
        lease_expires_at = peewee.DateTimeField(null=True)

        class Meta:
            indexes = (
                (("execution", "node_id"), True),
                (("execution", "status"), False),
                (("status", "dispatched_at"), False),
                (("status", "lease_expires_at"), False),
            )

    class AuditEvent(_Base):
        id = peewee.BigAutoField()
        event_id = peewee.UUIDField(unique=True)
        event_type = peewee.CharField(max_length=64)
        action = peewee.CharField(max_length=16)
        result = peewee.CharField(max_length=16)
        resource_type = peewee.CharField(max_length=32)
        resource_id = peewee.CharField(max_length=255)
        actor_type = peewee.CharField(max_length=16)
        actor_id = peewee.CharField(max_length=255)
        actor_ip = peewee.CharField(max_length=45)
        metadata = JSONField()
        created_at = peewee.DateTimeField()

        class Meta:
            indexes = ((("resource_type", "resource_id"), False), (("created_at",), False))

    db.create_tables(
        [Workflow, WorkflowVersion, ProviderConfiguration, Execution, IdempotencyRecord, Step, AuditEvent]
    )
