"""Marshmallow schemas: request bodies (input), responses (output) and query strings.

Input schemas check types only (wrong type, malformed JSON -> 400 FLK-0001); the domain
rules with their own codes live in ``core``. Unknown fields are ignored, as the contract says.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class _In(Schema):
    class Meta:
        unknown = EXCLUDE


class PositionSchema(_In):
    x = fields.Integer(strict=True, load_default=0, validate=validate.Range(-1_000_000, 1_000_000))
    y = fields.Integer(strict=True, load_default=0, validate=validate.Range(-1_000_000, 1_000_000))


class NodeSchema(_In):
    id = fields.String(metadata={"description": "1-50 characters, unique, not workflow/output/nodes"})
    type = fields.String(metadata={"enum": ["trigger", "executor", "conditional", "action"]})
    name = fields.String(validate=validate.Length(max=100))
    position = fields.Nested(PositionSchema)
    data = fields.Dict(keys=fields.String(), metadata={"description": "type-specific settings"})


class EdgeSchema(_In):
    id = fields.String()
    source = fields.String()
    target = fields.String()
    sourceHandle = fields.String(validate=validate.Length(max=50))
    condition = fields.String(validate=validate.Length(max=500), metadata={"description": "CEL expression"})
    label = fields.String(validate=validate.Length(max=50))


class WorkflowInSchema(_In):
    name = fields.String(metadata={"description": "required, at most 100 bytes, unique"})
    description = fields.String(validate=validate.Length(max=500))
    nodes = fields.List(fields.Nested(NodeSchema), load_default=list)
    edges = fields.List(fields.Nested(EdgeSchema), load_default=list)
    metadata = fields.Dict(keys=fields.String())
    timeoutSeconds = fields.Integer(strict=True, metadata={"description": "execution deadline in seconds, default 300"})


class FromTemplateInSchema(_In):
    templateId = fields.String(required=True)
    params = fields.Dict(load_default=dict)


class CloneInSchema(_In):
    name = fields.String()


class WorkflowCreateOutSchema(Schema):
    workflowId = fields.UUID()
    version = fields.Integer()
    status = fields.String()
    createdAt = fields.String(metadata={"format": "date-time"})


class WorkflowOutSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    description = fields.String()
    status = fields.String(metadata={"enum": ["draft", "active", "inactive"]})
    nodes = fields.List(fields.Nested(NodeSchema))
    edges = fields.List(fields.Nested(EdgeSchema))
    metadata = fields.Dict()
    version = fields.Integer()
    timeoutSeconds = fields.Integer()
    nextFireTimes = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "active workflows: the next slots of each schedule trigger, by node id"},
    )
    createdAt = fields.String(metadata={"format": "date-time"})
    updatedAt = fields.String(metadata={"format": "date-time"})


class _Page(Schema):
    nextCursor = fields.String()
    hasMore = fields.Boolean()


class WorkflowPageSchema(_Page):
    items = fields.List(fields.Nested(WorkflowOutSchema))


class ListQuerySchema(_In):
    limit = fields.String(metadata={"description": "1-100, default 10"})
    cursor = fields.String(metadata={"description": "nextCursor of the previous page"})
    sortOrder = fields.String(metadata={"enum": ["ASC", "DESC"]})


class WorkflowListQuerySchema(ListQuerySchema):
    status = fields.String(metadata={"enum": ["draft", "active", "inactive"]})
    sortBy = fields.String(metadata={"enum": ["createdAt", "updatedAt", "name"]})


class ExecutionInSchema(_In):
    inputData = fields.Dict(load_default=dict, metadata={"description": "the execution input, a JSON object"})


class ExecutionCreateOutSchema(Schema):
    executionId = fields.UUID()
    workflowId = fields.UUID()
    status = fields.String()
    startedAt = fields.String(metadata={"format": "date-time"})


class ExecutionStatusSchema(ExecutionCreateOutSchema):
    currentStepNumber = fields.Integer()
    totalSteps = fields.Integer()
    completedAt = fields.String(metadata={"format": "date-time"})
    errorMessage = fields.String()


class ExecutionPageSchema(_Page):
    items = fields.List(fields.Nested(ExecutionStatusSchema))


class ExecutionListQuerySchema(ListQuerySchema):
    workflowId = fields.String(metadata={"format": "uuid"})
    status = fields.String(metadata={"enum": ["pending", "running", "completed", "failed", "cancelled"]})
    sortBy = fields.String(metadata={"enum": ["startedAt", "completedAt"]})


class StepResultSchema(Schema):
    stepNumber = fields.Integer()
    stepName = fields.String()
    nodeId = fields.String()
    status = fields.String(metadata={"enum": ["completed", "failed", "skipped", "running", "ready", "cancelled"]})
    attempt = fields.Integer()
    output = fields.Raw()
    errorMessage = fields.String()
    executedAt = fields.String(metadata={"format": "date-time"})
    durationMs = fields.Integer()
    attempts = fields.List(fields.Dict(), metadata={"description": "attempt, startedAt, durationMs, statusCode?, error?, outcome"})


class ExecutionResultsSchema(Schema):
    executionId = fields.UUID()
    workflowId = fields.UUID()
    status = fields.String()
    stepResults = fields.List(fields.Nested(StepResultSchema))
    finalOutput = fields.Raw()
    errorMessage = fields.String()
    startedAt = fields.String(metadata={"format": "date-time"})
    completedAt = fields.String(metadata={"format": "date-time"})


class ProviderConfigInSchema(_In):
    name = fields.String()
    description = fields.String()
    providerId = fields.String()
    config = fields.Dict(keys=fields.String())
    metadata = fields.Dict(keys=fields.String())


class ProviderConfigPatchSchema(_In):
    name = fields.String()
    description = fields.String(allow_none=True)
    providerId = fields.String()
    config = fields.Dict(keys=fields.String())
    metadata = fields.Dict(keys=fields.String())


class TestStageSchema(Schema):
    name = fields.String()
    status = fields.String(metadata={"enum": ["passed", "failed", "skipped"]})
    durationMs = fields.Integer()
    message = fields.String()
    details = fields.Dict()
    error = fields.String()


class ConnectivityResultSchema(Schema):
    """The three-stage test's result, shared by provider and executor configurations."""

    overallStatus = fields.String(metadata={"enum": ["passed", "failed", "partial"]})
    durationMs = fields.Integer()
    stages = fields.List(fields.Nested(TestStageSchema))
    summary = fields.String()
    startedAt = fields.String(metadata={"format": "date-time"})
    completedAt = fields.String(metadata={"format": "date-time"})


class TestResultSchema(ConnectivityResultSchema):
    providerConfigId = fields.UUID()
    providerId = fields.String()


class ProviderConfigCreateOutSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    status = fields.String()
    createdAt = fields.String(metadata={"format": "date-time"})


class ProviderConfigOutSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    description = fields.String()
    providerId = fields.String()
    config = fields.Dict(metadata={"description": "secrets masked"})
    status = fields.String(metadata={"enum": ["active", "disabled"]})
    metadata = fields.Dict()
    createdAt = fields.String(metadata={"format": "date-time"})
    updatedAt = fields.String(metadata={"format": "date-time"})


class ProviderConfigPageSchema(_Page):
    items = fields.List(fields.Nested(ProviderConfigOutSchema))


class ProviderConfigListQuerySchema(ListQuerySchema):
    status = fields.String(metadata={"enum": ["active", "disabled"]})
    providerId = fields.String()
    sortBy = fields.String(metadata={"enum": ["createdAt", "updatedAt", "name"]})


class ErrorSchema(Schema):
    """Every error: ``{code, title, message}``."""

    code = fields.String(metadata={"example": "FLK-0100"})
    title = fields.String(metadata={"example": "Not Found"})
    message = fields.String(metadata={"example": "workflow not found"})
