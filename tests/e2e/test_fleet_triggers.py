"""Triggers across processes: a webhook route activated through one web process answers
through another (and disappears from it at once); two scheduler processes on a fast fake
clock fire every slot exactly once."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

import psycopg2
import requests

from core.schedules import slots_between
from tests.e2e.conftest import api


def test_a_webhook_activated_through_one_web_process_runs_through_another(fleet):
    first = fleet.start_web("web-a")
    second = fleet.start_web("web-b")
    fleet.start_worker("worker")
    path = f"/hook-{uuid.uuid4().hex[:8]}"
    body = {"name": f"wf-{uuid.uuid4().hex[:8]}", "nodes": [
        {"id": "hook", "type": "trigger", "data": {"triggerType": "webhook", "path": path, "method": "POST", "respond": "sync"}},
        {"id": "out", "type": "action", "data": {"actionType": "set_output", "output": {"got": "${workflow.n}"}}}],
        "edges": [{"id": "e", "source": "hook", "target": "out"}]}
    workflow_id = requests.post(first + "/v1/workflows", json=body, timeout=10).json()["workflowId"]
    assert requests.post(f"{first}/v1/workflows/{workflow_id}/activate", timeout=10).status_code == 200
    answer = requests.post(f"{second}/v1/webhooks{path}", json={"n": 5}, timeout=20)
    assert answer.status_code == 200 and answer.json()["finalOutput"] == {"got": 5}
    assert requests.post(f"{first}/v1/workflows/{workflow_id}/deactivate", timeout=10).status_code == 200
    gone = requests.post(f"{second}/v1/webhooks{path}", json={"n": 6}, timeout=10)
    assert gone.status_code == 404 and gone.json()["code"] == "FLK-0361"


def test_two_scheduler_processes_fire_each_slot_exactly_once(fleet):
    fleet.start_web()
    fleet.start_worker("worker")
    data = {"triggerType": "schedule", "cron": "* * * * *", "timezone": "America/Sao_Paulo", "input": {"job": "reconcile"}}
    body = {"name": f"wf-{uuid.uuid4().hex[:8]}", "nodes": [
        {"id": "tick", "type": "trigger", "data": data},
        {"id": "out", "type": "action", "data": {"actionType": "set_output", "output": {"slot": "${workflow._schedule.slot}"}}}],
        "edges": [{"id": "e", "source": "tick", "target": "out"}]}
    workflow_id = api(fleet, "POST", "/v1/workflows", json=body).json()["workflowId"]
    assert api(fleet, "POST", f"/v1/workflows/{workflow_id}/activate").status_code == 200
    clock = f"{datetime.utcnow().isoformat()}Z@60"  # one real second is one fake minute
    for name in ("scheduler-1", "scheduler-2"):
        fleet.start_scheduler(name, FLOWKER_SCHEDULER_FAKE_CLOCK=clock, FLOWKER_SWEEP_INTERVAL_SECONDS="0.2")
    time.sleep(9)
    fleet.stop("scheduler-1")
    fleet.stop("scheduler-2")
    with psycopg2.connect(fleet.env["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT updated_at FROM workflow WHERE id = %s", (workflow_id,))
        activated = cur.fetchone()[0]
        cur.execute("SELECT checked_until FROM schedule_cursor WHERE workflow_id = %s", (workflow_id,))
        checked_until = cur.fetchone()[0]
        cur.execute("SELECT slot_at, execution_id FROM schedule_slot WHERE workflow_id = %s ORDER BY slot_at", (workflow_id,))
        fired = cur.fetchall()
        cur.execute("SELECT count(*), count(DISTINCT idempotency_key) FROM execution WHERE workflow_id = %s", (workflow_id,))
        runs, distinct = cur.fetchone()
    expected = slots_between(data, activated, checked_until)
    assert len(expected) >= 6, (activated, checked_until)
    assert [slot for slot, _ in fired] == expected
    assert all(execution_id for _, execution_id in fired)
    assert runs == distinct == len(expected)
    assert checked_until - activated > timedelta(minutes=5)
