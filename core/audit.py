"""Audit events, written in the same transaction as the change they record, so none is
lost and none exists for a change that rolled back. (Hash chaining and sealing build on
these rows; see the audit issue.)"""

from __future__ import annotations

from core.caller import Caller
from core.models import AuditEvent


def record(
    event_type: str,
    action: str,
    resource_type: str,
    resource_id,
    caller: Caller,
    metadata: dict | None = None,
    result: str = "SUCCESS",
) -> None:
    """Insert one event in the caller's current transaction.

    ``event_type`` e.g. ``WORKFLOW_CREATED``; ``action`` e.g. ``CREATE``; ``resource_type``
    ``workflow | execution | provider_config``; ``metadata`` a small JSON object that must
    never hold secrets or request bodies.
    """
    AuditEvent.create(
        event_type=event_type,
        action=action,
        result=result,
        resource_type=resource_type,
        resource_id=str(resource_id),
        actor_type=caller.type,
        actor_id=caller.id,
        actor_ip=caller.ip or "0.0.0.0",
        metadata=metadata or {},
    )
