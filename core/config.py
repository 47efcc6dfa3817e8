"""Configuration read from the environment, with embedded-mode defaults.

Every setting has one environment variable; ``Settings.from_env()`` reads them all once.
The embedded default is a SQLite file under ``./var/`` and an in-process broker, so
``flowker serve`` works on a fresh machine with no services running.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

# The SQLite file used when DATABASE_URL is not set.
DEFAULT_DATABASE_URL = "sqlite:///var/flowker.db"
# "memory" selects Dramatiq's in-process broker with worker threads inside the server.
DEFAULT_BROKER_URL = "memory://"
# Seconds of a running step's lease; the worker renews it every third of that while it runs.
DEFAULT_LEASE_SECONDS = 30.0
# Seconds a step may sit "ready" after dispatch before the sweep sends it again.
DEFAULT_REDISPATCH_AFTER_SECONDS = 60.0
# Seconds between two recovery sweeps of the scheduler.
DEFAULT_SWEEP_INTERVAL_SECONDS = 1.0
# Default HTTP timeout of an executor call, in seconds.
DEFAULT_NODE_TIMEOUT_SECONDS = 30.0
# Largest provider response body read, in bytes.
DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024
# Whole-execution deadline when the workflow sets no timeoutSeconds.
DEFAULT_EXECUTION_TIMEOUT_SECONDS = 300
# Per-execution limits.
DEFAULT_MAX_PROVIDER_CALLS = 1000
DEFAULT_MAX_STEP_OUTPUT_BYTES = 1024 * 1024
DEFAULT_MAX_EXECUTION_PAYLOAD_BYTES = 16 * 1024 * 1024
# Circuit breaker per provider configuration: consecutive failures to open, seconds open.
DEFAULT_BREAKER_FAIL_MAX = 5
DEFAULT_BREAKER_RESET_SECONDS = 30.0


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _float(env: dict, name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """All run-time settings.

    Attributes (environment variable in brackets):
      database_url [DATABASE_URL]: ``sqlite:///path`` or ``postgresql://user@host:port/db``.
      broker_url [BROKER_URL]: ``memory://`` (in-process) or ``redis://host:port/db``.
      broker_namespace [FLOWKER_BROKER_NAMESPACE]: Redis key prefix of the queues.
      api_keys [FLOWKER_API_KEYS]: comma-separated keys; empty means the API is open.
      allow_private_networks [FLOWKER_ALLOW_PRIVATE_NETWORKS]: egress to loopback and
        private ranges (link-local stays refused).
      worker_threads [FLOWKER_WORKER_THREADS]: Dramatiq worker threads per process.
      lease_seconds [FLOWKER_LEASE_SECONDS]: lease of a running step, renewed while it runs.
      redispatch_after_seconds [FLOWKER_REDISPATCH_AFTER_SECONDS]: age after which an
        undelivered ready step is sent again by the sweep.
      sweep_interval_seconds [FLOWKER_SWEEP_INTERVAL_SECONDS]: period of the sweep.
      embedded_sweeper [FLOWKER_EMBEDDED_SWEEPER]: run the sweep inside ``flowker serve``.
      max_response_bytes [FLOWKER_MAX_RESPONSE_BYTES]: cap on a provider response body.
      execution_timeout_seconds [FLOWKER_EXECUTION_TIMEOUT_SECONDS]: default deadline.
      max_provider_calls [FLOWKER_MAX_PROVIDER_CALLS]: calls (attempts) per execution.
      max_step_output_bytes [FLOWKER_MAX_STEP_OUTPUT_BYTES]: JSON size of one step output.
      max_execution_payload_bytes [FLOWKER_MAX_EXECUTION_PAYLOAD_BYTES]: all outputs together.
      breaker_fail_max [FLOWKER_BREAKER_FAIL_MAX]: consecutive failures that open a breaker.
      breaker_reset_seconds [FLOWKER_BREAKER_RESET_SECONDS]: open time before a trial call.
    """

    database_url: str = DEFAULT_DATABASE_URL
    broker_url: str = DEFAULT_BROKER_URL
    broker_namespace: str = "flowker"
    api_keys: tuple[str, ...] = field(default_factory=tuple)
    allow_private_networks: bool = False
    worker_threads: int = 8
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    redispatch_after_seconds: float = DEFAULT_REDISPATCH_AFTER_SECONDS
    sweep_interval_seconds: float = DEFAULT_SWEEP_INTERVAL_SECONDS
    embedded_sweeper: bool = True
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    execution_timeout_seconds: int = DEFAULT_EXECUTION_TIMEOUT_SECONDS
    max_provider_calls: int = DEFAULT_MAX_PROVIDER_CALLS
    max_step_output_bytes: int = DEFAULT_MAX_STEP_OUTPUT_BYTES
    max_execution_payload_bytes: int = DEFAULT_MAX_EXECUTION_PAYLOAD_BYTES
    breaker_fail_max: int = DEFAULT_BREAKER_FAIL_MAX
    breaker_reset_seconds: float = DEFAULT_BREAKER_RESET_SECONDS
    version: str = "0.1.0"
    commit: str = "unknown"

    @property
    def is_embedded_broker(self) -> bool:
        return self.broker_url.startswith("memory:")

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        """Build settings from ``env`` (default ``os.environ``).

        Raises ValueError naming the variable when a value cannot be parsed.
        """
        env = dict(os.environ if env is None else env)
        keys = tuple(k.strip() for k in env.get("FLOWKER_API_KEYS", "").split(",") if k.strip())
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            broker_url=env.get("BROKER_URL") or DEFAULT_BROKER_URL,
            broker_namespace=env.get("FLOWKER_BROKER_NAMESPACE") or "flowker",
            api_keys=keys,
            allow_private_networks=_flag(env.get("FLOWKER_ALLOW_PRIVATE_NETWORKS")),
            worker_threads=int(_float(env, "FLOWKER_WORKER_THREADS", 8)),
            lease_seconds=_float(env, "FLOWKER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS),
            redispatch_after_seconds=_float(
                env, "FLOWKER_REDISPATCH_AFTER_SECONDS", DEFAULT_REDISPATCH_AFTER_SECONDS
            ),
            sweep_interval_seconds=_float(env, "FLOWKER_SWEEP_INTERVAL_SECONDS", DEFAULT_SWEEP_INTERVAL_SECONDS),
            embedded_sweeper=_flag(env.get("FLOWKER_EMBEDDED_SWEEPER"), True),
            max_response_bytes=int(_float(env, "FLOWKER_MAX_RESPONSE_BYTES", DEFAULT_MAX_RESPONSE_BYTES)),
            execution_timeout_seconds=int(
                _float(env, "FLOWKER_EXECUTION_TIMEOUT_SECONDS", DEFAULT_EXECUTION_TIMEOUT_SECONDS)
            ),
            max_provider_calls=int(_float(env, "FLOWKER_MAX_PROVIDER_CALLS", DEFAULT_MAX_PROVIDER_CALLS)),
            max_step_output_bytes=int(_float(env, "FLOWKER_MAX_STEP_OUTPUT_BYTES", DEFAULT_MAX_STEP_OUTPUT_BYTES)),
            max_execution_payload_bytes=int(
                _float(env, "FLOWKER_MAX_EXECUTION_PAYLOAD_BYTES", DEFAULT_MAX_EXECUTION_PAYLOAD_BYTES)
            ),
            breaker_fail_max=int(_float(env, "FLOWKER_BREAKER_FAIL_MAX", DEFAULT_BREAKER_FAIL_MAX)),
            breaker_reset_seconds=_float(env, "FLOWKER_BREAKER_RESET_SECONDS", DEFAULT_BREAKER_RESET_SECONDS),
            version=env.get("FLOWKER_VERSION") or "0.1.0",
            commit=env.get("FLOWKER_COMMIT") or "unknown",
        )
