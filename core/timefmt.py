"""Timestamps on the wire: RFC 3339 in UTC with a ``Z`` and microseconds, trailing zeros trimmed."""

from __future__ import annotations

from datetime import datetime


def rfc3339(value: datetime | None) -> str | None:
    """``2026-11-30T05:13:33.12Z`` for a naive-UTC datetime; None stays None."""
    if value is None:
        return None
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"
