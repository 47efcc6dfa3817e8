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

Missed slots (no scheduler ran for longer than ``GRACE``): slots older than ``GRACE`` are
"missed"; ``skip`` fires none of them, ``latest`` fires the newest one, ``all`` fires them all
(up to ``maxCatchUp``, the newest ones). Activation starts a schedule afresh: slots that passed
while the workflow was inactive never fire. Exactly once: a cursor per trigger advanced by
compare-and-set, and a unique (workflow, trigger, slot) row inserted before the execution
starts; the execution's Idempotency-Key is derived from the slot, so a crash between the two
is healed by the next tick (slot rows are written before the cursor moves).
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import peewee
from croniter import CroniterBadDateError, croniter

from core import db
from core.caller import Caller
from core.dispatch import Dispatcher
from core.models import ScheduleCursor, ScheduleSlot, Workflow, utcnow

log = logging.getLogger(__name__)

CATCH_UP = ("skip", "latest", "all")
DEFAULT_MAX_CATCH_UP = 10
MAX_CATCH_UP = 100
# A gap between two passes longer than this means no scheduler ran: older slots are missed.
GRACE = timedelta(seconds=120)
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
    if not next_fire_times(data, utcnow(), count=1):
        raise ScheduleError("cron expression never fires (no slot in the next 5 years)")


def zone(data: dict) -> ZoneInfo:
    name = data.get("timezone", "UTC")
    if not isinstance(name, str) or (name != "UTC" and name not in _zones()):
        raise ScheduleError(f"timezone {name!r} is not an IANA time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"timezone {name!r} is not an IANA time zone") from None


@functools.lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


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
        try:
            local = iterator.get_next(datetime)
        except CroniterBadDateError:  # the expression has no further date
            break
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
    """The next ``count`` slots after ``after`` (naive UTC); fewer if the expression does
    not fire within 5 years (long enough to reach the next 29 February)."""
    try:
        return slots_between(data, after, after + timedelta(days=5 * 366), limit=count)
    except ScheduleError:
        return []


def due_slots(data: dict, checked_until: datetime, now: datetime) -> list[datetime]:
    """Slots to fire now. If the previous pass was recent (within GRACE) every new slot is on
    time; after a longer gap (no scheduler was running) slots older than GRACE are missed and
    the catch-up policy picks among them. Only the last ``maxCatchUp`` missed slots are ever
    computed, however long the outage."""
    if now - checked_until <= GRACE:
        return slots_between(data, checked_until, now)
    on_time = slots_between(data, max(checked_until, now - GRACE), now)
    policy = data.get("catchUp", "skip")
    if policy == "skip":
        return on_time
    wanted = 1 if policy == "latest" else int(data.get("maxCatchUp", DEFAULT_MAX_CATCH_UP))
    missed = _slots_before(data, max(checked_until, now - GRACE), checked_until, wanted)
    return missed + on_time


def _slots_before(data: dict, end: datetime, start: datetime, count: int) -> list[datetime]:
    """Up to ``count`` newest slots with ``start < slot <= end``, oldest first."""
    tz = zone(data)
    local_end = end.replace(tzinfo=timezone.utc).astimezone(tz).replace(tzinfo=None)
    iterator = croniter(data["cron"], local_end + timedelta(hours=2, seconds=1))
    found: list[datetime] = []
    seen_local: set[datetime] = set()
    while len(found) < count:
        try:
            local = iterator.get_prev(datetime)
        except CroniterBadDateError:
            break
        if local in seen_local or not _exists(local, tz):
            continue
        seen_local.add(local)
        moment = local.replace(tzinfo=tz, fold=0).astimezone(timezone.utc).replace(tzinfo=None)
        if moment > end:
            continue
        if moment <= start:
            break
        found.append(moment)
    return sorted(found)


def schedule_triggers(workflow: Workflow) -> list[dict]:
    return [n for n in workflow.nodes or [] if n.get("type") == "trigger" and (n.get("data") or {}).get("triggerType") == "schedule"]


def reset(workflow_id) -> None:
    """Forget a workflow's progress: called at activation, so it fires from then on."""
    ScheduleCursor.delete().where(ScheduleCursor.workflow_id == workflow_id).execute()


def tick(dispatcher: Dispatcher, now: datetime | None = None, start_execution=None) -> int:
    """Fire every due slot of every active workflow's schedule triggers. Returns how many
    executions were started. ``now`` is the schedule clock (a fake one when rehearsing);
    healing uses the real clock. ``start_execution`` is ``core.executions.start`` (injected to
    keep this module free of the execution service's imports). A trigger that fails is
    logged and skipped; the others still fire."""
    now = now or utcnow()
    fired = _heal(utcnow(), dispatcher, start_execution)
    # Read in full before writing (an open SQLite read cursor makes later writes fail).
    for workflow in list(Workflow.select().where(Workflow.status == "active")):
        for node in schedule_triggers(workflow):
            try:
                fired += _tick_trigger(workflow, node, now, dispatcher, start_execution)
            except Exception:
                log.exception("schedule trigger %s of workflow %s failed this pass", node["id"], workflow.id)
    return fired


def _tick_trigger(workflow, node, now, dispatcher, start_execution) -> int:
    data = node["data"]
    cursor = ScheduleCursor.get_or_none(
        (ScheduleCursor.workflow_id == workflow.id) & (ScheduleCursor.trigger_node_id == node["id"])
    )
    if cursor is None:
        try:
            ScheduleCursor.create(workflow_id=workflow.id, trigger_node_id=node["id"], checked_until=min(now, workflow.updated_at))
        except peewee.IntegrityError:
            pass
        return 0
    if cursor.checked_until >= now:
        return 0
    # Slot rows first (unique: each fires once), the cursor after: a crash in between leaves
    # rows that _heal starts, never slots that nobody fires.
    created = []
    for slot in due_slots(data, cursor.checked_until, now):
        try:
            with db.transaction():
                ScheduleSlot.create(workflow_id=workflow.id, trigger_node_id=node["id"], slot_at=slot)
            created.append(slot)
        except peewee.IntegrityError:
            continue
    ScheduleCursor.update(checked_until=now).where(
        (ScheduleCursor.id == cursor.id) & (ScheduleCursor.checked_until < now)
    ).execute()
    return sum(_fire(workflow, node, slot, dispatcher, start_execution) for slot in created)


def _heal(now, dispatcher, start_execution) -> int:
    """Slots recorded but never started (a crash between the two) are started now."""
    fired = 0
    stale = ScheduleSlot.select().where(ScheduleSlot.execution_id.is_null() & (ScheduleSlot.created_at < now - timedelta(seconds=5)))
    for slot in list(stale.limit(100)):
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
