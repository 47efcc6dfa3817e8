"""Tables. Every query on a hot path of the engine or the API has an index here; the
comment beside each index names the query it serves."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import peewee

from core.db import JSONField, database


def utcnow() -> datetime:
    """Naive UTC now: every timestamp column holds UTC without an offset."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class SchemaMigration(BaseModel):
    version = peewee.IntegerField(primary_key=True)
    name = peewee.CharField(max_length=200)
    applied_at = peewee.DateTimeField(default=utcnow)


class Workflow(BaseModel):
    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    name = peewee.CharField(max_length=100, unique=True)
    description = peewee.TextField(null=True)
    status = peewee.CharField(max_length=16, default="draft")
    nodes = JSONField(default=list)
    edges = JSONField(default=list)
    metadata = JSONField(null=True)
    # Bumped by every update of the definition; executions pin (id, version).
    version = peewee.IntegerField(default=1)
    # Whole-execution deadline in seconds; None means the default (5 minutes).
    timeout_seconds = peewee.IntegerField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("created_at", "id"), False),  # list sorted by createdAt
            (("updated_at", "id"), False),  # list sorted by updatedAt
            (("status", "created_at"), False),  # list filtered by status
        )


class WorkflowVersion(BaseModel):
    """Immutable snapshot of a definition, taken at activation; executions run from it so
    that a later edit never changes a run in flight."""

    workflow_id = peewee.UUIDField()
    version = peewee.IntegerField()
    definition = JSONField()
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("workflow_id", "version"), True),)


class ProviderConfiguration(BaseModel):
    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    name = peewee.CharField(max_length=100, unique=True)
    description = peewee.TextField(null=True)
    provider_id = peewee.CharField(max_length=100)
    # The configuration with every secret replaced by a mask; the secrets are in ``secrets``.
    config = JSONField()
    # Fernet token of the secret values (core.secrets); never returned, never logged.
    secrets = peewee.TextField(null=True)
    status = peewee.CharField(max_length=16, default="active")
    metadata = JSONField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("created_at", "id"), False),)


class ExecutorConfiguration(BaseModel):
    """A user-defined HTTP executor: base URL, named endpoints and authentication. Lifecycle:
    unconfigured → configured → tested → active ⇄ disabled."""

    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    name = peewee.CharField(max_length=100, unique=True)
    description = peewee.TextField(null=True)
    base_url = peewee.CharField(max_length=500)
    endpoints = JSONField()
    # {"type": ..., "config": {...masked}}; the secrets are in ``secrets``.
    authentication = JSONField()
    secrets = peewee.TextField(null=True)
    status = peewee.CharField(max_length=16, default="unconfigured")
    metadata = JSONField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    last_tested_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("created_at", "id"), False),)


class Execution(BaseModel):
    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    workflow_id = peewee.UUIDField()
    workflow_version = peewee.IntegerField()
    status = peewee.CharField(max_length=16, default="pending")
    input = JSONField(null=True)
    final_output = JSONField(null=True)
    error_message = peewee.TextField(null=True)
    idempotency_key = peewee.CharField(max_length=255, null=True)
    trigger_node_id = peewee.CharField(max_length=50)
    total_steps = peewee.IntegerField(default=0)
    finished_steps = peewee.IntegerField(default=0)
    # Step numbers handed out so far (non-trigger steps), under the execution row lock.
    numbered_steps = peewee.IntegerField(default=0)
    # {edge_id: "taken" | "skipped"}; written only under the execution row lock.
    edge_states = JSONField(default=dict)
    started_at = peewee.DateTimeField(default=utcnow)
    completed_at = peewee.DateTimeField(null=True)
    deadline_at = peewee.DateTimeField(null=True)
    provider_calls = peewee.IntegerField(default=0)
    # Bytes of step outputs stored so far (JSON), against the execution payload limit.
    payload_bytes = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = (
            (("status", "deadline_at"), False),  # sweep: executions past their deadline
            (("workflow_id", "started_at"), False),  # list filtered by workflow
            (("status", "started_at"), False),  # list filtered by status
            (("started_at", "id"), False),  # list sorted by startedAt
            (("completed_at", "id"), False),  # list sorted by completedAt
        )


class IdempotencyRecord(BaseModel):
    """One per (workflow, Idempotency-Key). The unique index is what makes concurrent
    requests with one key create exactly one execution."""

    workflow_id = peewee.UUIDField()
    key = peewee.CharField(max_length=255)
    fingerprint = peewee.CharField(max_length=64)
    execution_id = peewee.UUIDField()
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField()

    class Meta:
        indexes = (
            (("workflow_id", "key"), True),
            (("expires_at",), False),  # expiry sweep
        )


class Step(BaseModel):
    """The run of one node in one execution. Statuses: ready → running → completed | failed;
    or skipped (dead path). A step row exists once its node is decided."""

    id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
    execution = peewee.ForeignKeyField(Execution, backref="steps", on_delete="CASCADE")
    node_id = peewee.CharField(max_length=50)
    node_type = peewee.CharField(max_length=16)
    step_number = peewee.IntegerField(null=True)
    status = peewee.CharField(max_length=16)
    input = JSONField(null=True)
    output = JSONField(null=True)
    error_message = peewee.TextField(null=True)
    attempt = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=utcnow)
    dispatched_at = peewee.DateTimeField(null=True)
    started_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)
    duration_ms = peewee.IntegerField(null=True)
    lease_expires_at = peewee.DateTimeField(null=True)
    # [{attempt, startedAt, durationMs, statusCode?, error?, outcome}] in attempt order.
    attempts = JSONField(null=True)
    # A delayed retry (or a delay node) must not run before this time.
    not_before = peewee.DateTimeField(null=True)
    # {edge_id: taken} of a completed step, kept so a retried execution can resume.
    decisions = JSONField(null=True)

    class Meta:
        indexes = (
            (("execution", "node_id"), True),  # run_node's lookup; one step per node
            (("execution", "status"), False),  # "is anything still open?" at completion
            (("status", "dispatched_at"), False),  # sweep: ready steps never picked up
            (("status", "lease_expires_at"), False),  # sweep: running steps whose worker died
        )


class AuditEvent(BaseModel):
    """Append-only record of a state change, written in the change's own transaction."""

    id = peewee.BigAutoField()
    event_id = peewee.UUIDField(unique=True, default=uuid.uuid4)
    event_type = peewee.CharField(max_length=64)
    action = peewee.CharField(max_length=16)
    result = peewee.CharField(max_length=16)
    resource_type = peewee.CharField(max_length=32)
    resource_id = peewee.CharField(max_length=255)
    actor_type = peewee.CharField(max_length=16)
    actor_id = peewee.CharField(max_length=255)
    actor_ip = peewee.CharField(max_length=45, default="0.0.0.0")
    metadata = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("resource_type", "resource_id"), False),
            (("created_at",), False),
        )


class WebhookRoute(BaseModel):
    """(method, normalised path) → the active workflow and trigger node it starts. In the
    database, so every web process sees an activation or deactivation at once."""

    method = peewee.CharField(max_length=8)
    path = peewee.CharField(max_length=200)
    workflow_id = peewee.UUIDField()
    trigger_node_id = peewee.CharField(max_length=50)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("method", "path"), True), (("workflow_id",), False))


class WebhookReplay(BaseModel):
    """Signatures already accepted, kept until they could no longer pass the time check."""

    signature = peewee.CharField(max_length=128, unique=True)
    expires_at = peewee.DateTimeField(index=True)


class ScheduleSlot(BaseModel):
    """One fired (or firing) schedule slot; the unique index makes each slot fire once."""

    workflow_id = peewee.UUIDField()
    trigger_node_id = peewee.CharField(max_length=50)
    slot_at = peewee.DateTimeField()
    execution_id = peewee.UUIDField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("workflow_id", "trigger_node_id", "slot_at"), True),)


class ScheduleCursor(BaseModel):
    """Up to when a schedule trigger's slots were considered (UTC)."""

    workflow_id = peewee.UUIDField()
    trigger_node_id = peewee.CharField(max_length=50)
    checked_until = peewee.DateTimeField()

    class Meta:
        indexes = ((("workflow_id", "trigger_node_id"), True),)


ALL_MODELS = [
    SchemaMigration,
    Workflow,
    WorkflowVersion,
    ProviderConfiguration,
    ExecutorConfiguration,
    Execution,
    IdempotencyRecord,
    Step,
    AuditEvent,
    WebhookRoute,
    WebhookReplay,
    ScheduleSlot,
    ScheduleCursor,
]
