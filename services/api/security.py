"""Who may call the API, and how much they may send.

- API keys with scopes (`shared.apikeys`). A client sends its key as `X-API-Key: KEY` or
  `Authorization: Bearer KEY`. Keys are never logged. `newsflow apikey hash KEY` prints the
  digest of a key.
- No keys configured means no authentication, which is only safe on loopback: the API then
  refuses to start on another host, and answers 403 to clients that are not local, unless
  `api_allow_unauthenticated` says the network in front of it is trusted.
- A request that carries a body is authenticated before its body is read: a client without
  a valid key never makes the API buffer anything (401 at once).
- `X-Forwarded-For` is believed only from `api_trusted_proxies`, and only when it is an
  address; otherwise the TCP peer is the client.
- Request bodies are capped while they stream in (413 as soon as they pass the limit, never
  buffered whole) and must arrive within `api_body_timeout_s` (408); URLs with NUL characters
  are refused (400). Every refusal has the API's one error body (`services.api.errors`).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.errors import ApiError, send_error
from shared.apikeys import ADMIN, SCOPES, KeyTable
from shared.settings import Settings, get_settings

log = structlog.get_logger(__name__)


def key_table() -> KeyTable:
    # Built per request: a handful of entries, and settings swapped in tests are honoured.
    return KeyTable.from_settings(get_settings())


_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="ApiKey")
_bearer = HTTPBearer(auto_error=False, scheme_name="Bearer")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="newsflow"'}


def authenticate(table: KeyTable, key: str | None) -> frozenset[str]:
    """The scopes of a presented key; 401 without one or with a wrong one."""
    if not key:
        raise ApiError(
            401, "api_key_required", "send an API key as X-API-Key or Bearer token", _CHALLENGE
        )
    scopes = table.scopes_of(key)
    if scopes is None:
        raise ApiError(401, "invalid_api_key", "the API key is not valid", _CHALLENGE)
    return scopes


def caller_scopes(
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> frozenset[str]:
    """The scopes of the calling key (every scope when authentication is off)."""
    table = key_table()
    if not table.enabled:
        return SCOPES
    return authenticate(table, api_key or (bearer.credentials if bearer else None))


ScopesDep = Annotated[frozenset[str], Depends(caller_scopes)]


def _check(scopes: frozenset[str], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    if ADMIN in scopes or scopes & allowed:
        return
    raise ApiError(
        403,
        "insufficient_scope",
        f"this needs an API key with scope {' or '.join(sorted(allowed))}",
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


def check_exposure(settings: Settings, bind_host: str | None = None) -> None:
    """Refuse an unauthenticated API on a non-loopback address; warn when auth is off.

    `bind_host` is the address the server really listens on (`services.api.server` passes
    it); the `api_host` setting is only the default."""
    host = bind_host or settings.api_host
    table = KeyTable.from_settings(settings)
    if table.enabled:
        log.info("api_auth_enabled", keys=len(table.entries), host=host)
        return
    if not is_loopback(host) and not settings.api_allow_unauthenticated:
        raise RuntimeError(
            f"refusing to serve the API on {host} without API keys: set "
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
        host=host,
    )


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return bytes(value)
    return None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _client_is_local(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return True  # a Unix socket: only this machine can connect
    address = _address(str(client[0]))
    if address is not None:
        return address.is_loopback
    # Not an address: an in-process transport (tests), never a TCP peer; unless a front
    # server copied an unchecked X-Forwarded-For into it (`evil` is no local client).
    return _header(scope, b"x-forwarded-for") is None


class TrustedForwardedFor:
    """The client of a request relayed by one of `api_trusted_proxies`: the right-most
    X-Forwarded-For address that is not itself a trusted proxy, and the scheme https when
    the proxy says `X-Forwarded-Proto: https` (so the console's cookie is Secure behind a
    TLS proxy). From any other peer the headers are ignored; from a trusted proxy, a value
    that is not an address is refused."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        proxies = get_settings().api_trusted_proxies
        forwarded = _header(scope, b"x-forwarded-for") if scope["type"] == "http" else None
        if proxies and forwarded is not None and self._trusted(scope, proxies):
            client = self._client(forwarded.decode("latin-1"), proxies)
            if client is None:
                await send_error(
                    send,
                    ApiError(400, "invalid_forwarded_for", "X-Forwarded-For is not an address"),
                )
                return
            scope = {**scope, "client": (client, 0)}
            proto = _header(scope, b"x-forwarded-proto")
            if proto is not None and proto.decode("latin-1").strip().lower() == "https":
                scope["scheme"] = "https"
        await self.app(scope, receive, send)

    @staticmethod
    def _networks(proxies: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p.strip(), strict=False) for p in proxies]

    def _trusted(self, scope: Scope, proxies: list[str]) -> bool:
        client = scope.get("client")
        address = _address(str(client[0])) if client else None
        return address is not None and any(address in n for n in self._networks(proxies))

    def _client(self, forwarded: str, proxies: list[str]) -> str | None:
        networks = self._networks(proxies)
        hops = [_address(part) for part in forwarded.split(",")]
        if not hops or any(hop is None for hop in hops):
            return None
        for hop in reversed(hops):
            assert hop is not None
            if not any(hop in n for n in networks):
                return str(hop)
        return str(hops[0])  # every hop is a proxy of ours: the first one is the client


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
            await send_error(
                send,
                ApiError(
                    403,
                    "auth_not_configured",
                    "this API has no keys configured and serves local clients only",
                ),
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
                await send_error(
                    send, ApiError(400, "invalid_characters", "NUL characters in the URL")
                )
                return
        await self.app(scope, receive, send)


def _declares_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length")
    if length is not None:
        return length.strip() not in (b"", b"0")
    return _header(scope, b"transfer-encoding") is not None


def presented_key(scope: Scope) -> str | None:
    """The API key a request presents: `X-API-Key`, else `Authorization: Bearer`."""
    key = _header(scope, b"x-api-key")
    if key:
        return key.decode("latin-1")
    authorization = (_header(scope, b"authorization") or b"").decode("latin-1")
    scheme, _, credentials = authorization.partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


class AuthenticateBeforeBody:
    """With keys configured, an API request (`/v1/...`) that carries a body or presents a
    key is authenticated before anything reads the body: a wrong key, or a body without a
    key, is refused with 401 at once (no API route takes a body without a key). Scopes are
    still checked per route (`require_scope`). The console (`/ui`) signs in with a form
    and a cookie of its own; its bodies are small (`SMALL_BODY_BYTES`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith("/v1/"):
            table = key_table()
            key = presented_key(scope)
            if table.enabled and (key or _declares_body(scope)):
                try:
                    authenticate(table, key)
                except ApiError as refusal:
                    await send_error(send, refusal)
                    return
        await self.app(scope, receive, send)


# --- request size and time ---------------------------------------------------------------

# Only batches take big bodies; a replay selector or anything else is small, and FastAPI
# parses those on the event loop, so they stay far below this.
SMALL_BODY_BYTES = 1_000_000


def article_body_limit(settings: Settings) -> int:
    """The most bytes one JSON-encoded article may take (escapes can double its text): a
    single parse of one article never holds the interpreter for long."""
    return min(settings.max_request_bytes, 2 * settings.max_article_bytes + 100_000)


def body_limit(scope: Scope) -> int:
    """The most bytes the body of this request may have."""
    if scope.get("method") == "POST":
        if scope.get("path") == "/v1/articles/batch":
            return get_settings().max_request_bytes
        if scope.get("path") == "/v1/articles":
            return article_body_limit(get_settings())
    return SMALL_BODY_BYTES


class BodyLimits:
    """The one check of a request body's size and time, made while it streams in.

    A declared Content-Length above the limit is refused before any of it is read. Otherwise
    the body is counted as the app reads it: past the limit the read raises a 413, and a
    body the app waits for longer than `api_body_timeout_s` in all raises a 408; both close the
    connection. Nothing is buffered here, so a refusal never costs more than the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes  # fixed limit for every route (tests); else `body_limit`

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes if self.max_bytes is not None else body_limit(scope)
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await send_error(
                    send, ApiError(400, "invalid_content_length", "Content-Length is not a number")
                )
                return
            if int(declared) > limit:
                await send_error(send, _too_large(limit))
                return
        await self.app(scope, _limited(receive, limit, get_settings().api_body_timeout_s), send)


_CLOSE = {"Connection": "close"}


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413, "request_too_large", f"the request body is larger than {limit} bytes", _CLOSE
    )


def _limited(receive: Receive, limit: int, timeout_s: float) -> Receive:
    # The budget counts only the time spent waiting for the client's bytes, not the time
    # the app takes between reads (parsing a large batch on a busy machine is our delay).
    loop = asyncio.get_running_loop()
    waiting_left = timeout_s
    size = 0
    complete = False

    async def limited_receive() -> Message:
        nonlocal size, complete, waiting_left
        if complete:  # the body is in; later reads wait for a disconnect, unbounded
            return await receive()
        started = loop.time()
        try:
            message = await asyncio.wait_for(receive(), max(waiting_left, 0.0))
        except TimeoutError:
            raise ApiError(
                408,
                "body_timeout",
                f"the request body did not arrive within {timeout_s:g} s",
                _CLOSE,
            ) from None
        waiting_left -= loop.time() - started
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise _too_large(limit)
            complete = not message.get("more_body", False)
        else:
            complete = True
        return message

    return limited_receive
