"""Schedule triggers: cron expressions (croniter) in an IANA time zone, fired exactly once
per slot.

Trigger data: ``{"triggerType": "schedule", "cron": "*/5 * * * *", "timezone": "America/Sao_Paulo",
"input": {...}, "catchUp": "skip" | "latest" | "all", "maxCatchUp": 10}``.

Daylight saving: the cron expression is read in the zone's wall-clock time and every
wall-clock slot fires at most once. A slot that does not exist (the hour skipped when clocks
spring forward) does not fire; a slot that exists twice (the hour repeated when clocks fall
back) fires once, at its first occurrence. So ``30 2 * * *`` in America/New_York does not run
on the spring-forward day, and ``0 * * * *`` runs 23 times that day and 24 times on the
fall-back day.

Missed slots (the scheduler was down): slots more than ``GRACE`` late are "missed";
``skip`` fires none of them, ``latest`` fires the newest one, ``all`` fires them all (up to
``maxCatchUp``, the newest ones). Exactly once: a cursor per trigger advanced by
compare-and-set, and a unique (workflow, trigger, slot) row inserted before the execution
starts; the execution's Idempotency-Key is derived from the slot, so a crash between the two
is healed by the next tick.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import peewee
from croniter import croniter

from core import db
from core.caller import Caller
from core.dispatch import Dispatcher
from core.models import ScheduleCursor, ScheduleSlot, Workflow, utcnow

log = logging.getLogger(__name__)

CATCH_UP = ("skip", "latest", "all")
DEFAULT_MAX_CATCH_UP = 10
MAX_CATCH_UP = 100
# A slot later than this when first seen counts as missed.
GRACE = timedelta(seconds=60)
SCHEDULER = Caller("system", "scheduler")


class ScheduleError(ValueError):
    """A schedule trigger that does not validate."""


def check(data: dict) -> None:
    """Validate a schedule trigger's data. Raises ScheduleError."""
    cron = data.get("cron")
    if not isinstance(cron, str) or not croniter.is_valid(cron):
        raise ScheduleError("cron must be a valid 5-field cron expression")
    if len(cron.split()) != 5:
        raise ScheduleError("cron must have 5 fields (minute hour day month weekday)")
    zone(data)
    if data.get("catchUp", "skip") not in CATCH_UP:
        raise ScheduleError(f"catchUp must be one of {', '.join(CATCH_UP)}")
    limit = data.get("maxCatchUp", DEFAULT_MAX_CATCH_UP)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_CATCH_UP:
        raise ScheduleError(f"maxCatchUp must be an integer between 1 and {MAX_CATCH_UP}")
    if not isinstance(data.get("input", {}), dict):
        raise ScheduleError("input must be an object")


def zone(data: dict) -> ZoneInfo:
    name = data.get("timezone", "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ScheduleError(f"timezone {name!r} is not an IANA time zone") from None


def _exists(local: datetime, tz: ZoneInfo) -> bool:
    aware = local.replace(tzinfo=tz)
    back = aware.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
    return back == local


def slots_between(data: dict, start: datetime, end: datetime, limit: int = 10_000) -> list[datetime]:
    """Slot times (naive UTC) with ``start < slot <= end``, following the DST policy above."""
    tz = zone(data)
    local_start = start.replace(tzinfo=timezone.utc).astimezone(tz).replace(tzinfo=None)
    # Start a little early: a repeated hour means local time may run backwards across 'start'.
    iterator = croniter(data["cron"], local_start - timedelta(hours=2))
    found: list[datetime] = []
    seen_local: set[datetime] = set()
    while len(found) < limit:
        local = iterator.get_next(datetime)
        if local in seen_local or not _exists(local, tz):
            continue
        seen_local.add(local)
        moment = local.replace(tzinfo=tz, fold=0).astimezone(timezone.utc).replace(tzinfo=None)
        if moment <= start:
            continue
        if moment > end:
            break
        found.append(moment)
    return found


def next_fire_times(data: dict, after: datetime, count: int = 3) -> list[datetime]:
    """The next ``count`` slots after ``after`` (naive UTC)."""
    return slots_between(data, after, after + timedelta(days=400), limit=count)


def due_slots(data: dict, checked_until: datetime, now: datetime) -> list[datetime]:
    """Slots to fire now: on-time ones, plus missed ones as the catch-up policy says."""
    slots = slots_between(data, checked_until, now)
    missed = [s for s in slots if now - s > GRACE]
    on_time = [s for s in slots if now - s <= GRACE]
    policy = data.get("catchUp", "skip")
    if policy == "skip":
        missed = []
    elif policy == "latest":
        missed = missed[-1:]
    else:
        missed = missed[-int(data.get("maxCatchUp", DEFAULT_MAX_CATCH_UP)):]
    return missed + on_time


def schedule_triggers(workflow: Workflow) -> list[dict]:
    return [n for n in workflow.nodes or [] if n.get("type") == "trigger" and (n.get("data") or {}).get("triggerType") == "schedule"]


def tick(dispatcher: Dispatcher, now: datetime | None = None, start_execution=None) -> int:
    """Fire every due slot of every active workflow's schedule triggers. Returns how many
    executions were started. ``start_execution`` is ``core.executions.start`` (injected to
    keep this module free of the execution service's imports)."""
    now = now or utcnow()
    fired = _heal(now, dispatcher, start_execution)
    for workflow in Workflow.select().where(Workflow.status == "active"):
        for node in schedule_triggers(workflow):
            fired += _tick_trigger(workflow, node, now, dispatcher, start_execution)
    return fired


def _tick_trigger(workflow, node, now, dispatcher, start_execution) -> int:
    data = node["data"]
    cursor = ScheduleCursor.get_or_none(
        (ScheduleCursor.workflow_id == workflow.id) & (ScheduleCursor.trigger_node_id == node["id"])
    )
    if cursor is None:
        try:
            ScheduleCursor.create(workflow_id=workflow.id, trigger_node_id=node["id"], checked_until=workflow.updated_at)
        except peewee.IntegrityError:
            pass
        return 0
    if cursor.checked_until >= now:
        return 0
    slots = due_slots(data, cursor.checked_until, now)
    moved = ScheduleCursor.update(checked_until=now).where(
        (ScheduleCursor.id == cursor.id) & (ScheduleCursor.checked_until == cursor.checked_until)
    ).execute()
    if moved != 1:
        return 0  # another scheduler took these slots
    fired = 0
    for slot in slots:
        try:
            with db.transaction():
                ScheduleSlot.create(workflow_id=workflow.id, trigger_node_id=node["id"], slot_at=slot)
        except peewee.IntegrityError:
            continue
        fired += _fire(workflow, node, slot, dispatcher, start_execution)
    return fired


def _heal(now, dispatcher, start_execution) -> int:
    """Slots recorded but never started (a crash between the two) are started now."""
    fired = 0
    stale = ScheduleSlot.select().where(ScheduleSlot.execution_id.is_null() & (ScheduleSlot.created_at < now - timedelta(seconds=5)))
    for slot in stale.limit(100):
        workflow = Workflow.get_or_none(Workflow.id == slot.workflow_id)
        node = next((n for n in schedule_triggers(workflow) if n["id"] == slot.trigger_node_id), None) if workflow else None
        if workflow is None or workflow.status != "active" or node is None:
            continue
        fired += _fire(workflow, node, slot.slot_at, dispatcher, start_execution)
    return fired


def _fire(workflow, node, slot: datetime, dispatcher, start_execution) -> int:
    slot_text = slot.isoformat() + "Z"
    input_data = {**(node["data"].get("input") or {}), "_schedule": {"slot": slot_text, "triggerNodeId": node["id"]}}
    try:
        output, _ = start_execution(
            workflow.id, input_data, f"schedule:{node['id']}:{slot_text}", SCHEDULER, dispatcher, trigger_node_id=node["id"]
        )
    except Exception:
        log.exception("schedule slot %s of workflow %s could not start; the slot is kept", slot_text, workflow.id)
        return 0
    ScheduleSlot.update(execution_id=output["executionId"]).where(
        (ScheduleSlot.workflow_id == workflow.id) & (ScheduleSlot.trigger_node_id == node["id"]) & (ScheduleSlot.slot_at == slot)
    ).execute()
    return 1
