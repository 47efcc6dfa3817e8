"""Who made a change: recorded on every audit event."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """``type`` is ``api_key``, ``user`` or ``system``; ``id`` the key id or ``flowker``;
    ``ip`` the client address (``0.0.0.0`` for the system)."""

    type: str
    id: str
    ip: str = "0.0.0.0"


SYSTEM = Caller("system", "flowker")
