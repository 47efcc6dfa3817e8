"""Retry policy of an executor node (``data.retry``) and its back-off.

    {"maxAttempts": 3, "initialDelayMs": 500, "multiplier": 2.0, "maxDelayMs": 30000,
     "jitter": true, "retryOn": ["timeout", "connection", "429", "5xx"]}

Every key is optional; the values above are the defaults. ``retryOn`` names outcomes:
``timeout``, ``connection`` (refused, reset, DNS), ``circuit_open``, ``429``, ``5xx``, ``4xx``
(other client errors; off by default since repeating a refused request rarely helps and
may double-apply a request the provider half-processed).

The delay before attempt n+1 is ``min(maxDelayMs, initialDelayMs * multiplier**(n-1))``; with
jitter it is drawn uniformly from [delay/2, delay] ("equal jitter", Marc Brooker, "Exponential
Backoff And Jitter", AWS Architecture Blog, 2015), so executions that failed together do not
retry in lockstep. Retries are delayed broker messages: no worker thread sleeps.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

OUTCOMES = ("timeout", "connection", "circuit_open", "429", "5xx", "4xx")
DEFAULT_RETRY_ON = ("timeout", "connection", "circuit_open", "429", "5xx")
MAX_ATTEMPTS_LIMIT = 10
MAX_DELAY_LIMIT_MS = 3_600_000


class RetryPolicyError(ValueError):
    """A ``retry`` block that does not validate."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    initial_delay_ms: int = 500
    multiplier: float = 2.0
    max_delay_ms: int = 30_000
    jitter: bool = True
    retry_on: tuple[str, ...] = DEFAULT_RETRY_ON

    @classmethod
    def from_node(cls, data: dict) -> "RetryPolicy":
        """Policy of a node's ``data.retry`` (defaults when absent). Raises RetryPolicyError."""
        raw = data.get("retry")
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise RetryPolicyError("retry must be an object")
        unknown = set(raw) - {"maxAttempts", "initialDelayMs", "multiplier", "maxDelayMs", "jitter", "retryOn"}
        if unknown:
            raise RetryPolicyError(f"retry has unknown keys: {', '.join(sorted(unknown))}")
        policy = cls(
            max_attempts=_number(raw, "maxAttempts", cls.max_attempts, 1, MAX_ATTEMPTS_LIMIT, integer=True),
            initial_delay_ms=_number(raw, "initialDelayMs", cls.initial_delay_ms, 0, MAX_DELAY_LIMIT_MS, integer=True),
            multiplier=_number(raw, "multiplier", cls.multiplier, 1, 10),
            max_delay_ms=_number(raw, "maxDelayMs", cls.max_delay_ms, 0, MAX_DELAY_LIMIT_MS, integer=True),
            jitter=raw.get("jitter", True),
            retry_on=tuple(raw.get("retryOn", DEFAULT_RETRY_ON)) if isinstance(raw.get("retryOn", []), list) else None,
        )
        if not isinstance(policy.jitter, bool):
            raise RetryPolicyError("retry.jitter must be a boolean")
        if policy.retry_on is None or any(o not in OUTCOMES for o in policy.retry_on):
            raise RetryPolicyError(f"retry.retryOn must be a list of {', '.join(OUTCOMES)}")
        return policy

    def retries(self, outcome: str | None) -> bool:
        """Whether a failure of kind ``outcome`` (see OUTCOMES) is retried."""
        return outcome in self.retry_on

    def delay_ms(self, attempt: int, rng: random.Random | None = None) -> int:
        """Delay before the attempt after ``attempt`` (1-based), in milliseconds."""
        delay = min(self.max_delay_ms, self.initial_delay_ms * self.multiplier ** (attempt - 1))
        if self.jitter:
            delay = (rng or random).uniform(delay / 2, delay)
        return int(delay)


def _number(raw: dict, key: str, default, low, high, integer: bool = False):
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and int(value) != value):
        raise RetryPolicyError(f"retry.{key} must be {'an integer' if integer else 'a number'}")
    if not low <= value <= high:
        raise RetryPolicyError(f"retry.{key} must be between {low} and {high}")
    return int(value) if integer else float(value)


def outcome_of(status: int | None, kind: str | None) -> str | None:
    """Classify a failed call: a transport ``kind`` wins, else the HTTP status class."""
    if kind in ("timeout", "connection", "circuit_open"):
        return kind
    if status is None:
        return None
    if status == 429:
        return "429"
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    return None
