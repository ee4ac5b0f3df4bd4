"""Page cursors: opaque tokens signed with a server secret, so clients cannot forge them.

A cursor is `base64url(JSON payload) "." base64url(HMAC-SHA256(secret, payload)[:16])`. The
payload says which listing made it (`k`), so a search cursor is never taken for a failures
cursor. The API answers a cursor it did not sign with 400 `invalid_cursor`.

The secret is `settings.cursor_secret`. Left empty, it is derived from the store, queue and
index URLs: the same in every process of one deployment (cursors made by one API process are
read by another) and as secret as the store password in `database_url`. A deployment whose
URLs carry no secret (the SQLite default) should set `NEWSFLOW_CURSOR_SECRET`; changing it
only invalidates the cursors in flight.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

import orjson

from shared.settings import Settings, get_settings

INVALID_CURSOR_STATUS = 400
MAX_CURSOR_CHARS = 1000
_SIGNATURE_BYTES = 16


class InvalidCursor(ValueError):
    """A page cursor this deployment did not make (damaged, forged or of another listing)."""


def cursor_key(settings: Settings) -> bytes:
    if settings.cursor_secret:
        return settings.cursor_secret.encode("utf-8")
    material = "\n".join(
        (settings.database_url, settings.redis_url, settings.elasticsearch_url)
    ).encode("utf-8")
    return hashlib.sha256(b"newsflow cursor key\n" + material).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: bytes) -> bytes:
    key = cursor_key(get_settings())
    return hmac.new(key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def encode_cursor(kind: str, value: Any) -> str:
    """A signed cursor carrying `value` (anything JSON) for the listing `kind`."""
    payload = orjson.dumps({"k": kind, "v": value})
    return f"{_b64(payload)}.{_b64(_signature(payload))}"


def decode_cursor(kind: str, token: str) -> Any:
    """The value of a cursor made by `encode_cursor(kind, ...)`; InvalidCursor otherwise."""
    token = token.strip()
    if len(token) > MAX_CURSOR_CHARS:
        raise InvalidCursor("cursor is too long")
    body, _, signature = token.partition(".")
    try:
        payload, presented = _unb64(body), _unb64(signature)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("cursor is not a cursor of this API") from exc
    if not hmac.compare_digest(presented, _signature(payload)):
        raise InvalidCursor("cursor is not a cursor of this API")
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:  # signed but unreadable: a key shared by mistake
        raise InvalidCursor("cursor is damaged") from exc
    if not isinstance(data, dict) or data.get("k") != kind:
        raise InvalidCursor("cursor belongs to another listing")
    return data.get("v")
