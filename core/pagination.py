"""Cursor pagination (contract §0.1): ``{"items", "nextCursor", "hasMore"}``.

The cursor is URL-safe base64 of ``{"id": last id, "sv": last sort value, "sb": sort field,
"so": order}``; listing resumes with a keyset condition
``(field op sv) OR (field = sv AND id op last_id)`` on an indexed (field, id) pair.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from core.errors import INVALID_CURSOR, INVALID_LIMIT, INVALID_QUERY, INVALID_SORT_ORDER, BadRequest

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


@dataclass(frozen=True)
class PageRequest:
    limit: int
    sort_by: str
    descending: bool
    after: tuple | None  # (sort value, id) of the last item already returned


def parse_page_request(args: dict, sort_fields: dict[str, str], default_sort: str) -> PageRequest:
    """Read ``limit``, ``cursor``, ``sortBy``, ``sortOrder`` from query ``args``.

    ``sort_fields`` maps API names to model attribute names. Raises BadRequest:
    FLK-0304 (limit not an integer, unknown sortBy), FLK-0309 (limit outside 1..100),
    FLK-0310 (sortOrder not ASC/DESC), INVALID_CURSOR (undecodable cursor, or a cursor
    combined with a different sortBy/sortOrder).
    """
    raw_limit = args.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit not in (None, ""):
        try:
            limit = int(raw_limit)
        except ValueError:
            raise BadRequest(INVALID_QUERY, "limit must be an integer") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise BadRequest(INVALID_LIMIT, f"limit must be between 1 and {MAX_LIMIT}")
    sort_by = args.get("sortBy") or default_sort
    if sort_by not in sort_fields:
        raise BadRequest(INVALID_QUERY, f"sortBy must be one of {', '.join(sort_fields)}")
    order = (args.get("sortOrder") or "DESC").upper()
    if order not in ("ASC", "DESC"):
        raise BadRequest(INVALID_SORT_ORDER, "sortOrder must be ASC or DESC")
    after = None
    cursor = args.get("cursor")
    if cursor:
        data = decode_cursor(cursor)
        if (args.get("sortBy") and data["sb"] != sort_by) or (args.get("sortOrder") and data["so"] != order):
            raise BadRequest(INVALID_CURSOR, "cursor was made for another sortBy/sortOrder")
        sort_by, order = data["sb"], data["so"]
        if sort_by not in sort_fields:
            raise BadRequest(INVALID_CURSOR, "invalid cursor")
        # A cursor is client input: its values reach SQL only once their types are right.
        expected = datetime if sort_fields[sort_by].endswith("_at") else str
        try:
            last_id = str(uuid.UUID(str(data["id"])))
        except ValueError:
            raise BadRequest(INVALID_CURSOR, "invalid cursor") from None
        if not isinstance(data["sv"], expected):
            raise BadRequest(INVALID_CURSOR, "invalid cursor")
        after = (data["sv"], last_id)
    return PageRequest(limit=limit, sort_by=sort_by, descending=order == "DESC", after=after)


def encode_cursor(last_id: str, sort_value, page: PageRequest) -> str:
    if isinstance(sort_value, datetime):
        sort_value = {"t": sort_value.isoformat()}
    payload = {"id": str(last_id), "sv": sort_value, "sb": page.sort_by, "so": "DESC" if page.descending else "ASC"}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> dict:
    """Raises BadRequest(INVALID_CURSOR) for anything that is not a cursor we made."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        if not isinstance(data, dict) or not {"id", "sv", "sb", "so"} <= set(data) or data["so"] not in ("ASC", "DESC"):
            raise ValueError("shape")
        if isinstance(data["sv"], dict):
            data["sv"] = datetime.fromisoformat(data["sv"]["t"])
        return data
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(INVALID_CURSOR, "invalid cursor") from None


def paginate(query, model, page: PageRequest, sort_attr: str, serialize) -> dict:
    """Apply keyset pagination to a peewee ``query`` of ``model`` and build the envelope."""
    field = getattr(model, sort_attr)
    pk = model.id
    if page.after is not None:
        value, last_id = page.after
        if page.descending:
            query = query.where((field < value) | ((field == value) & (pk < last_id)))
        else:
            query = query.where((field > value) | ((field == value) & (pk > last_id)))
    ordering = (field.desc(), pk.desc()) if page.descending else (field.asc(), pk.asc())
    rows = list(query.order_by(*ordering).limit(page.limit + 1))
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = ""
    if has_more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(str(last.id), getattr(last, sort_attr), page)
    return {"items": [serialize(row) for row in rows], "nextCursor": next_cursor, "hasMore": has_more}
