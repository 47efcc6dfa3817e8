"""Workflow service: create, list, get, update, delete, clone and the lifecycle
``draft --activate--> active --deactivate--> inactive --draft--> draft`` (contract §4).

Every function takes plain dicts validated for shape by the web layer, runs the domain
checks, writes the change and its audit event in one transaction, and returns a plain dict.
"""

from __future__ import annotations

import uuid

import peewee

from core import audit, db, schedules, webhooks
from core.secrets import MASK
from core.caller import Caller
from core.errors import BadRequest, Conflict, NotFound, Unprocessable
from core import executor_configs
from core.executors import ENDPOINTS, ENGINE_KEYS, EXECUTORS, TRIGGERS
from core.provider_configs import schema_problem
from core.graph import Graph, validate_runnable, validate_structure
from core.expressions import ExpressionError
from core.mapping import MappingError, validate_mappings
from core.retry import RetryPolicy, RetryPolicyError
from core.templating import compile_template
from core.transforms import TransformError, validate_operations
from core.models import ExecutorConfiguration, ProviderConfiguration, Workflow, WorkflowVersion, utcnow
from core.pagination import PageRequest, paginate
from core.timefmt import rfc3339

MAX_NAME_BYTES = 100
STATUSES = ("draft", "active", "inactive")
SORT_FIELDS = {"createdAt": "created_at", "updatedAt": "updated_at", "name": "name"}
MAX_TIMEOUT_SECONDS = 86_400
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
ACTION_TYPES = ("set_output", "log", "transform", "fail", "delay")
LOG_LEVELS = ("debug", "info", "warning", "error")
MAX_DELAY_SECONDS = 86_400


def serialize(row: Workflow) -> dict:
    """WorkflowOutput: id, name, description?, status, nodes, edges, metadata?, version,
    createdAt, updatedAt."""
    out = {
        "id": str(row.id),
        "name": row.name,
        "status": row.status,
        "nodes": [_masked(node) for node in row.nodes or []],
        "edges": row.edges or [],
        "version": row.version,
        "timeoutSeconds": row.timeout_seconds,
        "createdAt": rfc3339(row.created_at),
        "updatedAt": rfc3339(row.updated_at),
    }
    if row.description:
        out["description"] = row.description
    if row.metadata:
        out["metadata"] = row.metadata
    if row.timeout_seconds is None:
        del out["timeoutSeconds"]
    if row.status == "active":
        fire_times = {
            node["id"]: [rfc3339(t) for t in schedules.next_fire_times(node["data"], utcnow())]
            for node in schedules.schedule_triggers(row)
        }
        if fire_times:
            out["nextFireTimes"] = fire_times
    return out


def _masked(node: dict) -> dict:
    """Trigger secrets (webhook token, signing secret) are never shown."""
    data = node.get("data") or {}
    if node.get("type") != "trigger" or not any(data.get(k) for k in webhooks.SECRET_KEYS):
        return node
    return {**node, "data": {**data, **{k: MASK for k in webhooks.SECRET_KEYS if data.get(k)}}}


def _keep_masked_secrets(nodes: list, old_nodes: list) -> list:
    """An update that sends back a masked trigger secret keeps the stored one."""
    old = {n.get("id"): (n.get("data") or {}) for n in old_nodes or []}
    kept = []
    for node in nodes:
        data = node.get("data") or {}
        if node.get("type") == "trigger" and any(data.get(k) == MASK for k in webhooks.SECRET_KEYS):
            stored = old.get(node.get("id"), {})
            for key in webhooks.SECRET_KEYS:
                if data.get(key) == MASK and not stored.get(key):
                    raise BadRequest("FLK-0126", f"node {node.get('id')!r}: {key} is masked but none is stored; send the real value")
            data = {**data, **{k: stored[k] for k in webhooks.SECRET_KEYS if data.get(k) == MASK}}
            node = {**node, "data": data}
        kept.append(node)
    return kept


def _check_timeout(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIMEOUT_SECONDS:
        raise BadRequest("FLK-0125", f"timeoutSeconds must be an integer between 1 and {MAX_TIMEOUT_SECONDS}")
    return value


def _create_output(row: Workflow) -> dict:
    return {"workflowId": str(row.id), "version": row.version, "status": row.status, "createdAt": rfc3339(row.created_at)}


def _check_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("FLK-0110", "name is required")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise BadRequest("FLK-0111", f"name must be at most {MAX_NAME_BYTES} bytes")
    return name


def _check_executor_nodes(graph: Graph) -> None:
    """Executor, action and mapping checks shared by save and activation."""
    for node_id, node in graph.nodes.items():
        data = node.get("data") or {}
        if node["type"] == "action":
            _check_action(node_id, data, graph)
        if node["type"] == "trigger":
            _check_trigger(node_id, data)
        if node["type"] != "executor":
            continue
        if data.get("executorConfigId") is not None:
            _check_executor_config_node(node_id, data)
        else:
            _check_catalog_executor_node(node_id, data)
        _check_transforms(node_id, data, graph)
        _check_request_parts(node_id, data)
        try:
            RetryPolicy.from_node(data)
        except RetryPolicyError as exc:
            raise BadRequest("FLK-0143", f"node {node_id!r}: {exc}") from None
        timeout = data.get("timeout")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 300):
            raise BadRequest("WORKFLOW_INVALID_EXECUTOR_CONFIG", f"node {node_id!r}: timeout must be a number of seconds in (0, 300]")


def _check_executor_config_node(node_id: str, data: dict) -> None:
    try:
        uuid.UUID(str(data["executorConfigId"]))
    except ValueError:
        raise BadRequest("FLK-0152", f"node {node_id!r}: executorConfigId must be a UUID") from None
    endpoint = data.get("endpointName")
    if endpoint is not None and not isinstance(endpoint, str):
        raise BadRequest("FLK-0153", f"node {node_id!r}: endpointName must be a string")
    executor_configs.resolve(data["executorConfigId"], endpoint)


def _check_catalog_executor_node(node_id: str, data: dict) -> None:
    executor_id = data.get("executorId")
    if not executor_id or not isinstance(executor_id, str):
        raise BadRequest("WORKFLOW_INVALID_EXECUTOR_CONFIG", f"node {node_id!r}: executorId (or executorConfigId) is required")
    spec = EXECUTORS.get(executor_id)
    if spec is None:
        raise NotFound("FLK-0104", f"node {node_id!r}: executor {executor_id!r} not found in the catalog")
    method = data.get("method", "POST")
    if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
        raise BadRequest("WORKFLOW_INVALID_EXECUTOR_CONFIG", f"node {node_id!r}: method must be one of {', '.join(HTTP_METHODS)}")
    static = {k: v for k, v in data.items() if k not in ENGINE_KEYS}
    if static:
        # Mappings may supply required fields at run time: only the given ones are checked here.
        relaxed = {k: v for k, v in spec.schema.items() if k != "required"}
        problem = schema_problem(relaxed, static)
        if problem:
            raise BadRequest("WORKFLOW_INVALID_EXECUTOR_CONFIG", f"node {node_id!r}: invalid executor config: {problem}")
    config_id = data.get("providerConfigId")
    try:
        config_uuid = uuid.UUID(str(config_id))
    except ValueError:
        raise BadRequest("FLK-0150", f"node {node_id!r}: providerConfigId must be a UUID") from None
    config = ProviderConfiguration.get_or_none(ProviderConfiguration.id == config_uuid)
    if config is None:
        raise BadRequest("FLK-0150", f"node {node_id!r}: provider configuration {config_id} not found")
    if config.status != "active":
        raise BadRequest("FLK-0150", f"node {node_id!r}: provider configuration {config_id} is not active")
    if config.provider_id != spec.provider_id:
        raise BadRequest(
            "FLK-0151",
            f"node {node_id!r}: provider configuration {config_id} is for provider {config.provider_id!r}, executor {executor_id!r} needs {spec.provider_id!r}",
        )


def _check_trigger(node_id: str, data: dict) -> None:
    kind = data.get("triggerType", "manual")
    spec = TRIGGERS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise BadRequest("FLK-0126", f"node {node_id!r}: triggerType must be one of {', '.join(sorted(TRIGGERS))}")
    problem = schema_problem(spec.schema, data)
    if problem:
        raise BadRequest("FLK-0126", f"node {node_id!r}: invalid {kind} trigger: {problem}")
    if kind == "schedule":
        try:
            schedules.check(data)
        except schedules.ScheduleError as exc:
            raise BadRequest("FLK-0126", f"node {node_id!r}: {exc}") from None
    if kind == "webhook":
        problem = webhooks.check_trigger(data)
        if problem:
            raise BadRequest("FLK-0126", f"node {node_id!r}: {problem}")


def _check_request_parts(node_id: str, data: dict) -> None:
    """``path`` relative to the provider's base URL; ``headers`` text without line breaks;
    ``query`` scalar values. Raises BadRequest WORKFLOW_INVALID_EXECUTOR_CONFIG."""
    def bad(message: str) -> BadRequest:
        return BadRequest("WORKFLOW_INVALID_EXECUTOR_CONFIG", f"node {node_id!r}: {message}")

    path = data.get("path", "")
    if not isinstance(path, str):
        raise bad("path must be a string")
    problem = ENDPOINTS.check_path(path) if path else None
    if problem:
        raise bad(problem)
    headers = data.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise bad("headers must be an object of text values")
    if any(c in f"{k}{v}" for k, v in headers.items() for c in "\r\n\x00"):
        raise bad("headers must not hold line breaks")
    query = data.get("query", {})
    if not isinstance(query, dict) or not all(isinstance(v, (str, int, float, bool)) for v in query.values()):
        raise bad("query must be an object of text, number or boolean values")


def _check_action(node_id: str, data: dict, graph: Graph) -> None:
    """Action nodes: set_output {output}, log {message, level?, fields?}, transform
    {transforms | inputMapping}, fail {message?}, delay {seconds}. Raises BadRequest FLK-0124
    (shape), FLK-0105 (a ${...} expression that does not compile), FLK-0142 (transforms)."""
    kind = data.get("actionType")
    where = f"node {node_id!r}"
    if kind not in ACTION_TYPES:
        raise BadRequest("FLK-0124", f"{where}: actionType must be one of {', '.join(ACTION_TYPES)}")
    if kind == "set_output" and not isinstance(data.get("output"), dict):
        raise BadRequest("FLK-0124", f"{where}: set_output needs an object \"output\"")
    if kind == "log":
        if not isinstance(data.get("message"), str):
            raise BadRequest("FLK-0124", f"{where}: log needs a string \"message\"")
        if data.get("level", "info") not in LOG_LEVELS:
            raise BadRequest("FLK-0124", f"{where}: level must be one of {', '.join(LOG_LEVELS)}")
    if kind == "fail" and not isinstance(data.get("message", ""), str):
        raise BadRequest("FLK-0124", f"{where}: fail message must be a string")
    if kind == "delay":
        seconds = data.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= MAX_DELAY_SECONDS:
            raise BadRequest("FLK-0124", f"{where}: delay needs \"seconds\" in (0, {MAX_DELAY_SECONDS}]")
    if kind == "transform":
        if not data.get("transforms") and not data.get("inputMapping"):
            raise BadRequest("FLK-0124", f"{where}: transform needs \"transforms\" or \"inputMapping\"")
        _check_transforms(node_id, data, graph)
    try:
        compile_template([data.get("output"), data.get("message"), data.get("fields")], graph.node_ids)
    except ExpressionError as exc:
        raise BadRequest("FLK-0105", f"{where}: {exc}") from None


# Roots an outputMapping may read: the executor's answer.
OUTPUT_ROOTS = ("status", "headers", "body")


def _check_transforms(node_id: str, data: dict, graph: Graph) -> None:
    """Mappings and transforms: shape, known roots (``workflow`` or a node of this workflow
    for inputs; the answer's status/headers/body for outputs), no overlapping targets."""
    for key, code, allowed in (
        ("inputMapping", "FLK-0140", ("workflow",) + graph.node_ids),
        ("outputMapping", "FLK-0141", OUTPUT_ROOTS),
    ):
        try:
            roots = validate_mappings(data.get(key))
        except MappingError as exc:
            raise BadRequest(code, f"node {node_id!r}: {key}{exc}" if str(exc).startswith("[") else f"node {node_id!r}: {key} {exc}") from None
        unknown = [root for root in roots if root not in allowed]
        if unknown:
            raise BadRequest(code, f"node {node_id!r}: {key} reads {unknown[0]!r}, which is not one of {', '.join(allowed)}")
    try:
        validate_operations(data.get("transforms"))
    except TransformError as exc:
        raise BadRequest("FLK-0142", f"node {node_id!r}: transforms{exc}" if str(exc).startswith("[") else f"node {node_id!r}: transforms {exc}") from None


def _validate_definition(nodes: list, edges: list) -> Graph:
    graph = validate_structure(nodes, edges)
    _check_executor_nodes(graph)
    return graph


def _get(workflow_id) -> Workflow:
    row = Workflow.get_or_none(Workflow.id == workflow_id)
    if row is None:
        raise NotFound("FLK-0100", "workflow not found")
    return row


def _name_taken() -> Conflict:
    return Conflict("FLK-0101", "a workflow with this name already exists")


def _insert(name, description, nodes, edges, metadata, timeout_seconds=None) -> Workflow:
    try:
        with db.database.atomic():
            return Workflow.create(
                name=name, description=description, status="draft", nodes=nodes, edges=edges,
                metadata=metadata or None, timeout_seconds=timeout_seconds,
            )
    except peewee.IntegrityError:
        raise _name_taken() from None


def create(body: dict, caller: Caller) -> dict:
    """Create a draft. ``body``: name, description?, nodes?, edges?, metadata?,
    timeoutSeconds? (whole-execution deadline, 1..86400; default 300).

    Returns CreateOutput ``{workflowId, version, status, createdAt}``. Raises the save-time
    errors of ``validate_structure``, executor checks (FLK-0104, FLK-0140..0142, FLK-0150,
    FLK-0151, WORKFLOW_INVALID_EXECUTOR_CONFIG), FLK-0110/0111 (name), 409 FLK-0101.
    """
    name = _check_name(body.get("name"))
    timeout = _check_timeout(body.get("timeoutSeconds"))
    nodes, edges = body.get("nodes") or [], body.get("edges") or []
    _validate_definition(nodes, edges)
    with db.transaction():
        row = _insert(name, body.get("description"), webhooks.seal_secrets(nodes), edges, body.get("metadata"), timeout)
        audit.record("WORKFLOW_CREATED", "CREATE", "workflow", row.id, caller, {"workflow.name": name})
    return _create_output(row)


def get(workflow_id) -> dict:
    """WorkflowOutput; raises NotFound FLK-0100."""
    return serialize(_get(workflow_id))


def list_workflows(status: str | None, page: PageRequest) -> dict:
    """Page of WorkflowOutput. ``status`` must be one of STATUSES (else 400 FLK-0304)."""
    query = Workflow.select()
    if status:
        if status not in STATUSES:
            raise BadRequest("FLK-0304", f"status must be one of {', '.join(STATUSES)}")
        query = query.where(Workflow.status == status)
    return paginate(query, Workflow, page, SORT_FIELDS[page.sort_by], serialize)


def _compare_and_set(row: Workflow, expected_status: str, **changes) -> None:
    """Update ``row`` only if nobody changed its status or version since it was read."""
    changes["updated_at"] = utcnow()
    updated = (
        Workflow.update(**changes)
        .where((Workflow.id == row.id) & (Workflow.status == expected_status) & (Workflow.version == row.version))
        .execute()
    )
    if updated != 1:
        raise Conflict("FLK-0350", "the workflow was changed by another request; retry")
    for key, value in changes.items():
        setattr(row, key, value)


def update(workflow_id, body: dict, caller: Caller) -> dict:
    """Replace name, description, nodes and edges of a draft; metadata keys are upserted.

    Raises 404 FLK-0100, 422 FLK-0103 (not a draft), the save-time errors, 409 FLK-0101/0350.
    """
    row = _get(workflow_id)
    if row.status != "draft":
        raise Unprocessable("FLK-0103", "cannot modify non-draft workflow")
    name = _check_name(body.get("name"))
    timeout = _check_timeout(body.get("timeoutSeconds"))
    nodes, edges = _keep_masked_secrets(body.get("nodes") or [], row.nodes), body.get("edges") or []
    _validate_definition(nodes, edges)
    metadata = dict(row.metadata or {})
    metadata.update(body.get("metadata") or {})
    try:
        with db.transaction():
            _compare_and_set(
                row, "draft", name=name, description=body.get("description"), nodes=webhooks.seal_secrets(nodes), edges=edges,
                metadata=metadata or None, version=row.version + 1, timeout_seconds=timeout,
            )
            audit.record("WORKFLOW_UPDATED", "UPDATE", "workflow", row.id, caller, {"workflow.name": name})
    except peewee.IntegrityError:
        raise _name_taken() from None
    return serialize(row)


def delete(workflow_id, caller: Caller) -> None:
    """Hard-delete a draft or inactive workflow (executions and their history stay).

    Raises 404 FLK-0100, 422 FLK-0103 (active), 409 FLK-0350.
    """
    row = _get(workflow_id)
    if row.status == "active":
        raise Unprocessable("FLK-0103", "cannot delete an active workflow; deactivate it first")
    with db.transaction():
        webhooks.unregister(row.id)
        deleted = Workflow.delete().where((Workflow.id == row.id) & (Workflow.status == row.status)).execute()
        if deleted != 1:
            raise Conflict("FLK-0350", "the workflow was changed by another request; retry")
        audit.record("WORKFLOW_DELETED", "DELETE", "workflow", row.id, caller, {"workflow.id": str(row.id)})


def clone(workflow_id, body: dict, caller: Caller) -> dict:
    """New draft with the source's description, nodes, edges and metadata under a new name.

    Raises 404 FLK-0100, 400 FLK-0110/0111, 409 FLK-0101.
    """
    source = _get(workflow_id)
    name = _check_name(body.get("name"))
    with db.transaction():
        row = _insert(name, source.description, source.nodes, source.edges, source.metadata, source.timeout_seconds)
        audit.record(
            "WORKFLOW_CLONED", "CREATE", "workflow", row.id, caller,
            {"workflow.name": name, "workflow.sourceId": str(source.id)},
        )
    return _create_output(row)


def activate(workflow_id, caller: Caller) -> dict:
    """Validate fully and make the workflow runnable; snapshots the definition.

    Raises the save-time errors, 422 FLK-0112/0116/0117/0118/0119 (not runnable), 422
    FLK-0102 (not a draft), 409 FLK-0350.
    """
    row = _get(workflow_id)
    graph = _validate_definition(row.nodes or [], row.edges or [])
    validate_runnable(graph)
    if row.status != "draft":
        raise Unprocessable("FLK-0102", f"invalid workflow status transition: {row.status} -> active")
    with db.transaction():
        _lock_configurations(graph)
        _compare_and_set(row, "draft", status="active")
        webhooks.register(row.id, graph)
        schedules.reset(row.id)  # slots fire from now on, never for the time it was inactive
        WorkflowVersion.insert(
            workflow_id=row.id, version=row.version, definition={"nodes": row.nodes, "edges": row.edges}
        ).on_conflict_ignore().execute()
        audit.record("WORKFLOW_ACTIVATED", "ACTIVATE", "workflow", row.id, caller, {"workflow.name": row.name})
    return serialize(row)


def _lock_configurations(graph: Graph) -> None:
    """Inside the activation's transaction: share-lock every configuration the executor
    nodes use and check it is still there and active. A concurrent delete or disable either
    committed before (and is seen here) or waits for this activation and then sees it."""
    for node_id, node in graph.nodes.items():
        data = node.get("data") or {}
        if node["type"] != "executor":
            continue
        if data.get("executorConfigId"):
            model, key, code, kind = ExecutorConfiguration, data["executorConfigId"], "FLK-0152", "executor"
        else:
            model, key, code, kind = ProviderConfiguration, data.get("providerConfigId"), "FLK-0150", "provider"
        query = model.select(model.id, model.status).where(model.id == key)
        row = (query.for_update("FOR SHARE") if db.is_postgres() else query).get_or_none()
        if row is None or row.status != "active":
            raise BadRequest(code, f"node {node_id!r}: {kind} configuration {key} is missing or not active")


def _transition(workflow_id, caller: Caller, source: str, target: str, event: str, action: str) -> dict:
    row = _get(workflow_id)
    if row.status != source:
        raise Unprocessable("FLK-0102", f"invalid workflow status transition: {row.status} -> {target}")
    with db.transaction():
        _compare_and_set(row, source, status=target)
        webhooks.unregister(row.id)
        audit.record(event, action, "workflow", row.id, caller, {"workflow.name": row.name})
    return serialize(row)


def deactivate(workflow_id, caller: Caller) -> dict:
    """active -> inactive (running executions continue). Raises 404, 422 FLK-0102, 409."""
    return _transition(workflow_id, caller, "active", "inactive", "WORKFLOW_DEACTIVATED", "DEACTIVATE")


def to_draft(workflow_id, caller: Caller) -> dict:
    """inactive -> draft. Raises 404, 422 FLK-0102, 409."""
    return _transition(workflow_id, caller, "inactive", "draft", "WORKFLOW_DRAFTED", "DRAFT")
