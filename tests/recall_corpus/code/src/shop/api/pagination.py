"""Cursor pagination for list endpoints."""

import base64
import json

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"])


def paginate(request, fetch) -> dict:
    size = min(int(request.query_params.get("limit", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE)
    rows = fetch(decode_cursor(request.query_params.get("cursor")), size + 1)
    more = len(rows) > size
    rows = rows[:size]
    return {"items": rows, "next": encode_cursor(rows[-1][0]) if more else None}
