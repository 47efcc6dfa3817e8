"""Strict JSON text for everything Flowker stores: RFC 8259 only (no NaN/Infinity), finite
numbers, no NUL characters or lone surrogates (PostgreSQL and UTF-8 refuse them), bounded
nesting. Shared by the API's body parser and the webhook route."""

from __future__ import annotations

import json
import math

MAX_DEPTH = 64


class UnstorableJSON(ValueError):
    """JSON text that is malformed or holds something no database can store."""


def _constant(name: str):
    raise UnstorableJSON(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise UnstorableJSON(f"number {text[:40]} is outside the range of a double")
    return value


def loads(text: str | bytes):
    """Parse strictly. Raises UnstorableJSON with a message that quotes no content."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        document = json.loads(text, parse_constant=_constant, parse_float=_finite)
    except UnstorableJSON:
        raise
    except UnicodeDecodeError as exc:
        raise UnstorableJSON(f"body is not UTF-8: {exc.reason}") from None
    except RecursionError:
        raise UnstorableJSON("JSON nested too deeply") from None
    except ValueError as exc:  # malformed, or an integer longer than Python's digit limit
        raise UnstorableJSON(f"malformed JSON ({type(exc).__name__})") from None
    check(document)
    return document


def check(document) -> None:
    """Refuse NUL, lone surrogates and nesting deeper than MAX_DEPTH. Raises UnstorableJSON."""
    stack = [(document, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UnstorableJSON(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((key, depth + 1) for key in item)
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise UnstorableJSON("strings must not contain NUL characters")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise UnstorableJSON("strings must be valid Unicode (lone surrogate)") from None


def clean_text(value: str) -> str:
    """Text from the wire (headers, query) made storable: NUL and lone surrogates replaced."""
    return value.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "\ufffd")
