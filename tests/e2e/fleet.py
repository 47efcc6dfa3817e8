"""Start and stop a Flowker fleet (gunicorn web, Dramatiq workers, scheduler) as real
processes against PostgreSQL and Redis, on free loopback ports; every process is stopped
by its own PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Fleet:
    """Processes sharing one database and one Redis namespace. ``env`` overrides settings."""

    def __init__(self, database_url: str, broker_url: str, log_dir: Path, **env: str):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "BROKER_URL": broker_url,
            "FLOWKER_BROKER_NAMESPACE": f"fleet-{uuid.uuid4().hex[:8]}",
            "FLOWKER_ALLOW_PRIVATE_NETWORKS": "1",
            "FLOWKER_LEASE_SECONDS": "2",
            "FLOWKER_REDISPATCH_AFTER_SECONDS": "3",
            "FLOWKER_SWEEP_INTERVAL_SECONDS": "0.5",
            "FLOWKER_BROKER_HEARTBEAT_MS": "5000",
            "FLOWKER_SECRET_KEYS": os.environ["FLOWKER_SECRET_KEYS"],
            **env,
        }
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.url = ""

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = process
        return process

    def migrate(self) -> None:
        subprocess.run([str(BIN / "flowker"), "migrate"], cwd=ROOT, env=self.env, check=True, timeout=60)

    def start_web(self, name: str = "web") -> str:
        """Start a gunicorn web process; returns its URL (the first one is ``self.url``)."""
        port = free_port()
        self._spawn(name, [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "8", "web.app:create_app()"])
        url = f"http://127.0.0.1:{port}"
        self.url = self.url or url
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/readyz", timeout=1).status_code == 200:
                    return url
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not become ready; see " + str(self.log_dir / f"{name}.log"))

    def start_worker(self, name: str, threads: int = 8) -> subprocess.Popen:
        return self._spawn(name, [str(BIN / "flowker"), "worker", "--threads", str(threads)])

    def start_scheduler(self, name: str = "scheduler", **env: str) -> subprocess.Popen:
        process = self._spawn_env(name, [str(BIN / "flowker"), "scheduler"], env)
        return process

    def _spawn_env(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        saved = self.env
        self.env = {**saved, **env}
        try:
            return self._spawn(name, args)
        finally:
            self.env = saved

    def kill(self, name: str) -> None:
        """SIGKILL one process (no chance to ack, release or clean up)."""
        process = self.processes.pop(name)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, name: str) -> None:
        """SIGTERM one process and wait for its graceful exit."""
        process = self.processes.pop(name)
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.processes.clear()
