"""Who may call the API, and how much they may send.

- API keys with scopes (`shared.apikeys`). A client sends its key as `X-API-Key: KEY` or
  `Authorization: Bearer KEY`. Keys are never logged. `newsflow apikey hash KEY` prints the
  digest of a key.
- No keys configured means no authentication, which is only safe on loopback: the API then
  refuses to start on another host, and answers 403 to clients that are not local, unless
  `api_allow_unauthenticated` says the network in front of it is trusted.
- Request bodies are capped at `max_request_bytes` before anything parses them (413), and
  URLs with NUL characters are refused (400).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Annotated, Any

import structlog
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.apikeys import ADMIN, SCOPES, KeyTable
from shared.settings import Settings, get_settings

log = structlog.get_logger(__name__)


def key_table() -> KeyTable:
    # Built per request: a handful of entries, and settings swapped in tests are honoured.
    return KeyTable.from_settings(get_settings())


_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="ApiKey")
_bearer = HTTPBearer(auto_error=False, scheme_name="Bearer")


def _unauthorized(reason: str, message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail={"reason": reason, "message": message},
        headers={"WWW-Authenticate": 'Bearer realm="newsflow"'},
    )


def caller_scopes(
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> frozenset[str]:
    """The scopes of the calling key (every scope when authentication is off)."""
    table = key_table()
    if not table.enabled:
        return SCOPES
    key = api_key or (bearer.credentials if bearer else None)
    if not key:
        raise _unauthorized("api_key_required", "send an API key as X-API-Key or Bearer token")
    scopes = table.scopes_of(key)
    if scopes is None:
        raise _unauthorized("invalid_api_key", "the API key is not valid")
    return scopes


ScopesDep = Annotated[frozenset[str], Depends(caller_scopes)]


def _check(scopes: frozenset[str], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    if ADMIN in scopes or scopes & allowed:
        return
    raise HTTPException(
        status_code=status.HTTP_403_FORBIDDEN,
        detail={
            "reason": "insufficient_scope",
            "message": f"this needs an API key with scope {' or '.join(sorted(allowed))}",
        },
    )


def require_scope(*allowed: str) -> Callable[[frozenset[str]], None]:
    """A dependency: the caller's key must have one of `allowed` (or admin)."""
    unknown = set(allowed) - SCOPES
    if unknown:
        raise ValueError(f"unknown scopes {sorted(unknown)}")

    def dependency(scopes: ScopesDep) -> None:
        _check(scopes, allowed)

    return dependency


def require_scope_by_method(
    by_method: Mapping[str, tuple[str, ...]], default: tuple[str, ...] = (ADMIN,)
) -> Callable[[Request, frozenset[str]], None]:
    """A dependency for a whole router: the scope depends on the HTTP method (reads vs
    writes), so a router needs no change to be protected."""

    def dependency(request: Request, scopes: ScopesDep) -> None:
        _check(scopes, by_method.get(request.method, default))

    return dependency


# --- the network: no keys means loopback only -------------------------------------------


def is_loopback(host: str | None) -> bool:
    """Whether `host` (an address or a name) is this machine only."""
    if not host or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse an unauthenticated API on a non-loopback host; warn when auth is off."""
    table = KeyTable.from_settings(settings)
    if table.enabled:
        log.info("api_auth_enabled", keys=len(table.entries))
        return
    if not is_loopback(settings.api_host) and not settings.api_allow_unauthenticated:
        raise RuntimeError(
            f"refusing to serve the API on {settings.api_host} without API keys: set "
            "NEWSFLOW_API_KEYS (see `newsflow apikey hash`), listen on 127.0.0.1, or set "
            "NEWSFLOW_API_ALLOW_UNAUTHENTICATED=true behind a trusted network"
        )
    log.warning(
        "api_auth_disabled",
        message="no API keys configured: every caller has every scope; "
        + (
            "serving loopback clients only"
            if not settings.api_allow_unauthenticated
            else "api_allow_unauthenticated is set, so any client that reaches the port"
        ),
        host=settings.api_host,
    )


async def _send_json(send: Send, status_code: int, content: dict[str, Any]) -> None:
    body = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _client_is_local(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return True  # a Unix socket: only this machine can connect
    host = str(client[0])
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        # Not an address: an in-process transport (tests), never a TCP peer.
        return True


class LoopbackOnlyWithoutKeys:
    """With no API keys (and no explicit opt-out), answer only clients on this machine."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not key_table().enabled
            and not get_settings().api_allow_unauthenticated
            and not _client_is_local(scope)
        ):
            await _send_json(
                send,
                403,
                {
                    "reason": "auth_not_configured",
                    "detail": "this API has no keys configured and serves local clients only",
                },
            )
            return
        await self.app(scope, receive, send)


# --- request shape -----------------------------------------------------------------------


class RejectNulInUrl:
    """400 for a NUL character in the path or query: no identifier or filter has one, and
    PostgreSQL refuses them in text (which would otherwise surface as a 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string") or b""
            if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
                await _send_json(
                    send,
                    400,
                    {"reason": "invalid_characters", "detail": "NUL characters in the URL"},
                )
                return
        await self.app(scope, receive, send)


# --- request size ------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """413 for a request body above `max_bytes`, decided before anything parses it.

    A declared Content-Length is checked at once; a chunked body is read up to the limit and
    refused as soon as it goes over, so a client cannot make the API buffer more.
    """

    def __init__(self, app: ASGIApp, max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _limit(self) -> int:
        return self.max_bytes if self.max_bytes is not None else get_settings().max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit()
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _send_json(
                    send, 400, {"reason": "invalid_content_length", "detail": "bad Content-Length"}
                )
                return
            if int(declared) > limit:
                await self._refuse(send, limit)
                return
        elif b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        try:
            body = await self._read(receive, limit)
        except _TooLarge:
            await self._refuse(send, limit)
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    async def _read(receive: Receive, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away; the app will see the disconnect when it reads.
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        await _send_json(
            send,
            413,
            {"reason": "request_too_large", "detail": f"request body is larger than {limit} bytes"},
        )


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
