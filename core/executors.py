"""The seam between the engine and the integrations.

``catalog`` registers providers and executors here at import; the engine looks them up by
id and calls ``ExecutorSpec.run`` with an ``ExecutorCall``. Tests and dry runs can register
their own executors the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class ExecutorCall:
    """One call of an executor node.

    provider_config: the provider configuration's ``config`` (decrypted, never logged).
    node_data: the node's ``data``; body: the JSON body built by ``inputMapping`` or None.
    timeout_s: the whole call's deadline in seconds. idempotency_key: stable per
    (execution, node), sent to providers so a repeated call never posts twice.
    """

    provider_config: dict
    node_data: dict
    body: dict | None
    timeout_s: float
    idempotency_key: str
    allow_private_networks: bool
    max_response_bytes: int


@dataclass(frozen=True)
class ExecutorResult:
    """``output`` is ``{status, headers, body}`` when a response came back (else None);
    ``error`` is set when the call failed; ``retryable`` says whether trying again could
    help (timeouts, connection errors, 429, 5xx)."""

    output: dict | None
    error: str | None = None
    retryable: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ProviderSpec:
    """A provider in the catalog; ``config_schema`` is JSON Schema 2020-12."""

    id: str
    name: str
    description: str
    version: str
    config_schema: dict


@dataclass(frozen=True)
class ExecutorSpec:
    """An executor in the catalog; ``schema`` validates the node's extra data keys."""

    id: str
    name: str
    provider_id: str
    version: str
    run: Callable[[ExecutorCall], ExecutorResult]
    schema: dict = field(default_factory=lambda: {"type": "object"})


PROVIDERS: dict[str, ProviderSpec] = {}
EXECUTORS: dict[str, ExecutorSpec] = {}


def register_provider(spec: ProviderSpec) -> None:
    PROVIDERS[spec.id] = spec


def register_executor(spec: ExecutorSpec) -> None:
    EXECUTORS[spec.id] = spec
