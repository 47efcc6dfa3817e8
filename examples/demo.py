"""End-to-end demo of Flowker: screen payments with a fraud check and post the good ones.

Run by ``make demo`` (``.venv/bin/python examples/demo.py``). It:

1. starts ``examples/bank_services.py`` (a fraud-check API and a ledger) and
   ``flowker serve`` on free loopback ports, with a fresh SQLite database in a temporary
   directory and the embedded broker (worker threads inside the server);
2. creates two ``http`` provider configurations (fraud, ledger) and the workflow of
   ``examples/workflows/payment_screening.json``, and activates it;
3. runs every transaction of ``examples/transactions.json`` through the workflow,
   prints each step's result and the final output;
4. checks that each final output matches the transaction's ``expected`` value and that
   the ledger holds exactly the approved transactions, once each.

Exit status 0 when every check passes, 1 otherwise. Standard library plus ``requests``.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

EXAMPLES = Path(__file__).resolve().parent
ROOT = EXAMPLES.parent
WORKFLOW_FILE = EXAMPLES / "workflows" / "payment_screening.json"
TRANSACTIONS_FILE = EXAMPLES / "transactions.json"
BANK_SERVICES = EXAMPLES / "bank_services.py"

STARTUP_TIMEOUT_S = 30.0
EXECUTION_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 10.0
TERMINAL_STATUSES = {"completed", "failed", "cancelled"}
OUTPUT_WIDTH = 160


class DemoError(Exception):
    """A step of the demo could not be carried out."""


# -- processes ------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flowker_command() -> list[str]:
    """The ``flowker`` entry point next to this interpreter, else ``python -m web.cli``."""
    script = Path(sys.executable).parent / "flowker"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "web.cli"]


def start_bank_services(env: dict, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Start the bank services on a free port; return the process and its base URL."""
    with open(log_path, "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, str(BANK_SERVICES), "--port", "0"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True,
        )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=STARTUP_TIMEOUT_S)
    except queue.Empty:
        line = ""
    prefix = "listening on "
    if not line.startswith(prefix):
        stop_process(proc, "bank services")
        raise DemoError(f"bank services did not start (first line {line!r}); log: {log_path}")
    return proc, line[len(prefix):].strip()


def start_flowker(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    """Start ``flowker serve`` on ``port``; its stdout and stderr go to ``log_path``."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [*flowker_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )


def wait_ready(proc: subprocess.Popen, url: str, log_path: Path) -> None:
    """Poll ``url`` until it answers 200; fail if the process exits or time runs out."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DemoError(f"flowker exited with status {proc.returncode}:\n{tail(log_path)}")
        try:
            response = requests.get(url, timeout=2)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code} {response.text[:200]}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise DemoError(f"{url} not ready after {STARTUP_TIMEOUT_S:g}s ({last}):\n{tail(log_path)}")


def stop_process(proc: subprocess.Popen | None, name: str) -> None:
    """Terminate ``proc`` by PID, wait, and kill it if it does not stop in time."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print(f"{name} (pid {proc.pid}) did not stop after {STOP_TIMEOUT_S:g}s; killing it")
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)
    if proc.stdout:
        proc.stdout.close()


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file, indented."""
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return "    (no log)"
    return "\n".join("    " + line for line in text)


# -- API calls ------------------------------------------------------------------------


def call(method: str, url: str, expected: tuple[int, ...], **kwargs) -> requests.Response:
    """Make an HTTP call; raise DemoError unless the status is one of ``expected``."""
    response = requests.request(method, url, timeout=HTTP_TIMEOUT_S, **kwargs)
    if response.status_code not in expected:
        raise DemoError(f"{method} {url} answered HTTP {response.status_code}: {response.text[:500]}")
    return response


def create_provider_config(api: str, name: str, base_url: str) -> str:
    """Create an ``http`` provider configuration; return its id."""
    body = {"name": name, "providerId": "http", "config": {"base_url": base_url}}
    created = call("POST", f"{api}/v1/provider-configurations", (201,), json=body).json()
    print(f"provider configuration {name!r}: {created['id']} -> {base_url}")
    return created["id"]


def load_workflow(substitutions: dict[str, str]) -> dict:
    """The workflow body of WORKFLOW_FILE with ``${NAME}`` placeholders replaced."""
    text = WORKFLOW_FILE.read_text()
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", value)
    if "${" in text:
        raise DemoError(f"unreplaced placeholder left in {WORKFLOW_FILE.name}")
    return json.loads(text)


def create_workflow(api: str, body: dict) -> str:
    """Create and activate the workflow; return its id."""
    workflow_id = call("POST", f"{api}/v1/workflows", (201,), json=body).json()["workflowId"]
    call("POST", f"{api}/v1/workflows/{workflow_id}/activate", (200,))
    print(f"workflow {body['name']!r}: {workflow_id} (active)")
    return workflow_id


def start_execution(api: str, workflow_id: str, transaction_id: str, input_data: dict) -> requests.Response:
    """Start one execution keyed by the transaction id; return the raw response."""
    return call(
        "POST", f"{api}/v1/workflows/{workflow_id}/executions", (200, 201),
        json={"inputData": input_data}, headers={"Idempotency-Key": transaction_id},
    )


def wait_finished(api: str, execution_id: str) -> dict:
    """Poll an execution until it reaches a terminal status; return its status body."""
    deadline = time.monotonic() + EXECUTION_TIMEOUT_S
    while True:
        status = call("GET", f"{api}/v1/executions/{execution_id}", (200,)).json()
        if status.get("status") in TERMINAL_STATUSES:
            return status
        if time.monotonic() > deadline:
            raise DemoError(
                f"execution {execution_id} still {status.get('status')!r} after {EXECUTION_TIMEOUT_S:g}s"
            )
        time.sleep(0.1)


# -- printing -------------------------------------------------------------------------


def compact(value, width: int = OUTPUT_WIDTH) -> str:
    """One-line JSON of ``value``, cut to ``width`` characters."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def describe_output(output) -> str:
    """A short view of a step output: HTTP status and body for executor calls."""
    if isinstance(output, dict) and {"status", "body"} <= output.keys() and "headers" in output:
        return f"HTTP {output['status']} {compact(output['body'])}"
    return compact(output)


def print_results(results: dict) -> None:
    """Print every step of one execution and its final output."""
    steps = sorted(results.get("stepResults") or [], key=lambda s: s.get("stepNumber", 0))
    for step in steps:
        line = f"    {step.get('stepNumber', '?'):>2}. {step.get('nodeId', '?'):<12} {step.get('status', '?'):<9}"
        if step.get("durationMs") is not None:
            line += f" {step['durationMs']:>5} ms"
        if "output" in step and step["output"] is not None:
            line += f"  {describe_output(step['output'])}"
        if step.get("errorMessage"):
            line += f"  error: {step['errorMessage']}"
        print(line)
    print(f"    final output: {compact(results.get('finalOutput'))}  (status {results.get('status')})")
    if results.get("errorMessage"):
        print(f"    error: {results['errorMessage']}")


# -- the demo -------------------------------------------------------------------------


def run_transactions(api: str, workflow_id: str, transactions: list[dict]) -> tuple[list[str], dict[str, str]]:
    """Run each transaction and print its results.

    Returns the failed checks and the execution id of each transaction id.
    """
    failures: list[str] = []
    execution_ids: dict[str, str] = {}
    for transaction in transactions:
        expected = transaction["expected"]
        input_data = {k: v for k, v in transaction.items() if k != "expected"}
        txn = input_data["transactionId"]
        print(f"\n{txn}: {input_data['amount']} {input_data['currency']} from {input_data['accountId']} "
              f"({input_data['country']}), expected {expected}")
        started = start_execution(api, workflow_id, txn, input_data)
        if started.status_code != 201:
            failures.append(f"{txn}: first start answered HTTP {started.status_code}, expected 201")
        execution_id = execution_ids[txn] = started.json()["executionId"]
        try:
            wait_finished(api, execution_id)
        except DemoError as exc:
            failures.append(f"{txn}: {exc}")
            continue
        results = call("GET", f"{api}/v1/executions/{execution_id}/results", (200,)).json()
        print(f"    execution {execution_id}")
        print_results(results)
        final = results.get("finalOutput")
        result = final.get("result") if isinstance(final, dict) else None
        if results.get("status") != "completed":
            failures.append(f"{txn}: execution {results.get('status')}: {results.get('errorMessage')}")
        if result != expected:
            failures.append(f"{txn}: result {result!r}, expected {expected!r}")
    return failures, execution_ids


def check_replay(api: str, workflow_id: str, transaction: dict, first_execution_id: str | None) -> list[str]:
    """Start one transaction again with the same Idempotency-Key: it must return the first
    execution (HTTP 200) and not start a new one."""
    input_data = {k: v for k, v in transaction.items() if k != "expected"}
    txn = input_data["transactionId"]
    replay = start_execution(api, workflow_id, txn, input_data)
    replay_id = replay.json().get("executionId")
    print(f"\nreplay of {txn} with the same Idempotency-Key: HTTP {replay.status_code}, execution {replay_id}")
    failures = []
    if replay.status_code != 200:
        failures.append(f"replay of {txn}: HTTP {replay.status_code}, expected 200")
    if replay_id != first_execution_id:
        failures.append(f"replay of {txn}: execution {replay_id}, expected the first one {first_execution_id}")
    return failures


def check_ledger(bank: str, transactions: list[dict]) -> list[str]:
    """The ledger must hold each approved transaction exactly once and nothing else."""
    postings = call("GET", f"{bank}/ledger/transactions", (200,)).json()["items"]
    posted = [p["transactionId"] for p in postings]
    approved = sorted(t["transactionId"] for t in transactions if t["expected"] == "approved")
    print(f"\nledger postings: {', '.join(posted) or '(none)'}")
    failures = []
    if sorted(posted) != approved:
        failures.append(f"ledger holds {sorted(posted)}, expected exactly {approved}")
    calls = [r for r in call("GET", f"{bank}/requests", (200,)).json()["items"] if r["method"] == "POST"]
    unkeyed = [r["path"] for r in calls if not r.get("idempotencyKey")]
    print(f"provider calls: {len(calls)} POSTs, {len(calls) - len(unkeyed)} with an Idempotency-Key")
    if unkeyed:
        failures.append(f"provider calls without an Idempotency-Key: {unkeyed}")
    return failures


def main() -> int:
    """Run the demo; return the process exit status."""
    transactions = json.loads(TRANSACTIONS_FILE.read_text())
    tmp = Path(tempfile.mkdtemp(prefix="flowker-demo-"))
    env = dict(os.environ)
    for name in ("BROKER_URL", "FLOWKER_API_KEYS"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'demo.db'}",
        FLOWKER_ALLOW_PRIVATE_NETWORKS="1",
        PYTHONUNBUFFERED="1",
    )
    bank_proc = flowker_proc = None
    failures: list[str] = []
    try:
        bank_proc, bank = start_bank_services(env, tmp / "bank_services.log")
        print(f"bank services: {bank} (pid {bank_proc.pid})")
        port = free_port()
        api = f"http://127.0.0.1:{port}"
        flowker_log = tmp / "flowker.log"
        flowker_proc = start_flowker(env, port, flowker_log)
        wait_ready(flowker_proc, f"{api}/readyz", flowker_log)
        print(f"flowker: {api} (pid {flowker_proc.pid}, database {tmp / 'demo.db'})")

        run_id = time.strftime("%Y%m%d-%H%M%S")
        fraud_id = create_provider_config(api, f"demo-fraud-{run_id}", f"{bank}/fraud")
        ledger_id = create_provider_config(api, f"demo-ledger-{run_id}", f"{bank}/ledger")
        workflow_id = create_workflow(
            api, load_workflow({"FRAUD_PROVIDER_CONFIG_ID": fraud_id, "LEDGER_PROVIDER_CONFIG_ID": ledger_id})
        )

        run_failures, execution_ids = run_transactions(api, workflow_id, transactions)
        failures += run_failures
        first = transactions[0]
        failures += check_replay(api, workflow_id, first, execution_ids.get(first["transactionId"]))
        failures += check_ledger(bank, transactions)
    except (DemoError, requests.RequestException, KeyError, ValueError) as exc:
        failures.append(f"demo aborted: {type(exc).__name__}: {exc}")
    finally:
        stop_process(flowker_proc, "flowker")
        stop_process(bank_proc, "bank services")

    approved = sum(1 for t in transactions if t["expected"] == "approved")
    summary = f"{len(transactions)} transactions ({approved} approved, {len(transactions) - approved} denied)"
    if failures:
        print(f"\nDEMO FAILED: {summary}; {len(failures)} check(s) failed:")
        for failure in failures:
            print(f"  - {failure}")
        print(f"logs kept in {tmp}")
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nDEMO OK: {summary}; every result as expected; ledger holds each approved transaction once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
