"""The recovery sweep (transactional outbox): finds work that was committed but never
dispatched, or whose worker died, and dispatches it again.

* ``ready`` steps whose dispatch is older than ``redispatch_after`` seconds (the process
  died between commit and send, or the broker lost the message);
* ``running`` steps whose lease expired (the worker died mid-node): set back to ``ready``
  by compare-and-set, so a slow worker that comes back finds its claim gone.

* executions past their deadline: failed with a timeout error (compare-and-set), so no
  execution stays ``running`` forever even when none of its messages is left.

Re-sending is always safe: ``Engine.run_node`` claims a step by compare-and-set and ignores
finished steps. A delayed retry is due at its ``dispatched_at`` and is not re-sent before.
"""

from __future__ import annotations

from datetime import timedelta

from core.dispatch import Dispatcher
from core.engine import expire_execution
from core.webhooks import purge_replays
from core.models import Execution, IdempotencyRecord, Step, utcnow

# Most steps re-sent by one sweep; the next sweep takes the rest.
DEFAULT_BATCH = 500


def sweep(dispatcher: Dispatcher, redispatch_after_s: float, batch: int = DEFAULT_BATCH) -> dict:
    """One pass. Returns ``{"redispatched": n, "reclaimed": m, "expired": k}``."""
    now = utcnow()
    cutoff = now - timedelta(seconds=redispatch_after_s)
    redispatched = reclaimed = 0
    active = Execution.select(Execution.id).where(Execution.status.in_(("pending", "running")))
    stale = Step.select(Step.id, Step.execution, Step.node_id, Step.node_type, Step.dispatched_at).where(
        (Step.status == "ready") & ((Step.dispatched_at < cutoff) | Step.dispatched_at.is_null()) & Step.execution.in_(active)
    ).limit(batch)
    # Each query is read in full before any write: on SQLite an open read cursor would make
    # the first write fail at once ("database is locked") if another writer committed meanwhile.
    for step in list(stale):
        moved = Step.update(dispatched_at=now).where(
            (Step.id == step.id) & (Step.status == "ready") & (Step.dispatched_at == step.dispatched_at)
            if step.dispatched_at is not None
            else (Step.id == step.id) & (Step.status == "ready") & Step.dispatched_at.is_null()
        ).execute()
        if moved:
            dispatcher.dispatch(str(step.execution_id), [(step.node_id, step.node_type)])
            redispatched += 1
    expired = Step.select(Step.id, Step.execution, Step.node_id, Step.node_type, Step.attempt).where(
        (Step.status == "running") & (Step.lease_expires_at < now)
    ).limit(batch)
    # (Steps of finished executions are re-sent once more; run_node then closes them.)
    for step in list(expired):
        moved = Step.update(status="ready", dispatched_at=now, lease_expires_at=None).where(
            (Step.id == step.id) & (Step.status == "running") & (Step.attempt == step.attempt)
        ).execute()
        if moved:
            dispatcher.dispatch(str(step.execution_id), [(step.node_id, step.node_type)])
            reclaimed += 1
    expired = 0
    overdue = Execution.select(Execution.id).where(
        (Execution.status.in_(("pending", "running"))) & (Execution.deadline_at < now)
    ).limit(batch)
    for execution in list(overdue):
        expired += expire_execution(execution.id, now)
    return {"redispatched": redispatched, "reclaimed": reclaimed, "expired": expired}


def expire_records(now=None) -> int:
    """Delete idempotency records past their expiry (24 h) and webhook signatures that can
    no longer pass the time check. Returns how many rows went."""
    now = now or utcnow()
    gone = IdempotencyRecord.delete().where(IdempotencyRecord.expires_at < now).execute()
    return gone + purge_replays(now)
