"""Schedule triggers: daylight-saving policy in two time zones, catch-up policies, and each
slot firing exactly once with two schedulers at work."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from core import executions, schedules
from core.models import Execution, ScheduleSlot, Workflow
from core.schedules import due_slots, slots_between
from tests.conftest import unique
from tests.support.api import edge, set_output


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def hours(slots):
    return [s.strftime("%m-%d %H:%M") for s in slots]


def test_new_york_spring_forward_skips_the_missing_hour_and_fall_back_fires_once():
    daily = {"cron": "30 2 * * *", "timezone": "America/New_York"}
    # 2026-03-08: clocks go 02:00 → 03:00 EST→EDT, so 02:30 does not exist that day.
    spring = slots_between(daily, utc("2026-03-07T00:00:00"), utc("2026-03-10T00:00:00"))
    assert hours(spring) == ["03-07 07:30", "03-09 06:30"]
    hourly = {"cron": "0 * * * *", "timezone": "America/New_York"}
    spring_day = slots_between(hourly, utc("2026-03-08T05:00:00") - timedelta(seconds=1), utc("2026-03-09T04:00:00") - timedelta(seconds=1))
    assert len(spring_day) == 23
    # 2026-11-01: 01:00-02:00 happens twice (EDT then EST); 01:00 local fires once, the first time.
    fall_day = slots_between(hourly, utc("2026-11-01T04:00:00") - timedelta(seconds=1), utc("2026-11-02T05:00:00") - timedelta(seconds=1))
    assert len(fall_day) == 24
    assert "11-01 05:00" in hours(fall_day) and "11-01 06:00" not in hours(fall_day)


def test_berlin_transitions_follow_the_same_policy():
    daily = {"cron": "30 2 * * *", "timezone": "Europe/Berlin"}
    # 2026-03-29: 02:00 → 03:00 CET→CEST; 2026-10-25: 03:00 → 02:00 CEST→CET.
    spring = slots_between(daily, utc("2026-03-28T00:00:00"), utc("2026-03-31T00:00:00"))
    assert hours(spring) == ["03-28 01:30", "03-30 00:30"]
    fall = slots_between(daily, utc("2026-10-24T00:00:00"), utc("2026-10-27T00:00:00"))
    assert hours(fall) == ["10-24 00:30", "10-25 00:30", "10-26 01:30"]  # 02:30 once, at its first (CEST) occurrence


@pytest.mark.parametrize("policy, fired", [("skip", 0), ("latest", 1), ("all", 3)])
def test_three_missed_slots_fire_zero_one_or_three_times(policy, fired):
    data = {"cron": "*/10 * * * *", "timezone": "UTC", "catchUp": policy}
    stopped_at, back_at = utc("2026-01-01T12:00:30"), utc("2026-01-01T12:35:00")  # missed 12:10, 12:20, 12:30
    due = due_slots(data, stopped_at, back_at)
    assert len(due) == fired
    if policy == "latest":
        assert due == [utc("2026-01-01T12:30:00")]


def test_an_on_time_slot_always_fires():
    data = {"cron": "*/10 * * * *", "catchUp": "skip"}
    assert due_slots(data, utc("2026-01-01T12:09:00"), utc("2026-01-01T12:10:05")) == [utc("2026-01-01T12:10:00")]


def test_bad_schedules_are_refused_at_save(client):
    for data in ({"cron": "every minute"}, {"cron": "* * * * *", "timezone": "Mars/Olympus"},
                 {"cron": "* * * * *", "catchUp": "sometimes"}, {"cron": "* * * * * *"}):
        node = {"id": "tick", "type": "trigger", "data": {"triggerType": "schedule", **data}}
        response = client.post("/v1/workflows", json={"name": unique(), "nodes": [node, set_output("o", {"a": 1})], "edges": [edge("tick", "o")]})
        assert response.status_code == 400 and response.json["code"] == "FLK-0126", (data, response.json)


class _Drop:
    def dispatch(self, execution_id, nodes, delay_ms=0):
        pass


def test_two_schedulers_over_ten_fake_minutes_fire_every_slot_exactly_once(client):
    node = {"id": "tick", "type": "trigger", "data": {"triggerType": "schedule", "cron": "* * * * *", "input": {"job": "sweep"}}}
    created = client.post("/v1/workflows", json={"name": unique(), "nodes": [node, set_output("o", {"a": 1})], "edges": [edge("tick", "o")]})
    workflow_id = created.json["workflowId"]
    assert client.post(f"/v1/workflows/{workflow_id}/activate").status_code == 200
    shown = client.get(f"/v1/workflows/{workflow_id}").json["nextFireTimes"]["tick"]
    assert len(shown) == 3 and all(t.endswith(":00Z") for t in shown)
    start = Workflow.get_by_id(workflow_id).updated_at
    start_execution = executions.start
    schedules.tick(_Drop(), start, start_execution)  # creates the cursor at activation time
    ticks = [start + timedelta(seconds=7 * i) for i in range(1, 87)]  # ~10 fake minutes
    errors = []

    def scheduler():
        try:
            for moment in ticks:
                schedules.tick(_Drop(), moment, start_execution)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = slots_between(node["data"], start, ticks[-1])
    fired = [s.slot_at for s in ScheduleSlot.select().where(ScheduleSlot.workflow_id == workflow_id).order_by(ScheduleSlot.slot_at)]
    assert fired == expected and len(fired) >= 9
    runs = Execution.select().where(Execution.workflow_id == workflow_id)
    assert runs.count() == len(expected)
    assert {r.input["_schedule"]["slot"] for r in runs} == {s.isoformat() + "Z" for s in expected}
    assert all(r.input["job"] == "sweep" for r in runs)


def test_a_cron_that_never_fires_is_refused(client):
    node = {"id": "tick", "type": "trigger", "data": {"triggerType": "schedule", "cron": "0 0 31 2 *"}}
    response = client.post("/v1/workflows", json={"name": unique(), "nodes": [node, set_output("o", {"a": 1})], "edges": [edge("tick", "o")]})
    assert response.status_code == 400 and "never fires" in response.json["message"]


def test_after_a_long_outage_latest_fires_the_newest_slot():
    data = {"cron": "* * * * *", "catchUp": "latest"}
    due = due_slots(data, utc("2026-12-01T00:00:30"), utc("2026-12-11T06:55:30"))
    # The newest missed slot, then the ones still within the grace window (on time).
    assert due == [utc("2026-12-11T06:53:00"), utc("2026-12-11T06:54:00"), utc("2026-12-11T06:55:00")]


def test_reactivation_never_fires_the_slots_of_the_inactive_period(client):
    node = {"id": "tick", "type": "trigger", "data": {"triggerType": "schedule", "cron": "* * * * *", "catchUp": "all"}}
    workflow_id = client.post("/v1/workflows", json={"name": unique(), "nodes": [node, set_output("o", {"a": 1})], "edges": [edge("tick", "o")]}).json["workflowId"]
    client.post(f"/v1/workflows/{workflow_id}/activate")
    first = Workflow.get_by_id(workflow_id).updated_at
    schedules.tick(_Drop(), first, executions.start)
    schedules.tick(_Drop(), first + timedelta(seconds=30), executions.start)
    client.post(f"/v1/workflows/{workflow_id}/deactivate")
    client.post(f"/v1/workflows/{workflow_id}/draft")
    client.post(f"/v1/workflows/{workflow_id}/activate")
    again = Workflow.get_by_id(workflow_id).updated_at
    later = again + timedelta(minutes=10)  # as if the inactive period were long: catch-up must not reach back
    schedules.tick(_Drop(), again, executions.start)
    schedules.tick(_Drop(), later, executions.start)
    fired = [s.slot_at for s in ScheduleSlot.select().where(ScheduleSlot.workflow_id == workflow_id)]
    assert all(slot > again for slot in fired) and len(fired) >= 1


def test_old_idempotency_records_expire():
    from datetime import timedelta as td

    from core.models import IdempotencyRecord, utcnow
    from core.recovery import expire_records

    old = IdempotencyRecord.create(workflow_id="7c9e6679-7425-40de-944b-e07fc1f90ae7", key=unique("k"), fingerprint="f",
                                   execution_id="7c9e6679-7425-40de-944b-e07fc1f90ae7", expires_at=utcnow() - td(seconds=1))
    fresh = IdempotencyRecord.create(workflow_id="7c9e6679-7425-40de-944b-e07fc1f90ae7", key=unique("k"), fingerprint="f",
                                     execution_id="7c9e6679-7425-40de-944b-e07fc1f90ae7", expires_at=utcnow() + td(hours=24))
    expire_records()
    assert IdempotencyRecord.get_or_none(IdempotencyRecord.id == old.id) is None
    assert IdempotencyRecord.get_or_none(IdempotencyRecord.id == fresh.id) is not None


def test_a_leap_day_cron_is_accepted():
    schedules.check({"cron": "0 0 29 2 *"})
