"""Who may use the console: the API's own keys and scopes, and the browser's signed session.

- A key sent as `X-API-Key` or Bearer is checked by `security.caller_scopes`'s own
  `KeyTable` (same digests, same scopes, same constant-time comparison). Without keys
  configured every caller has every scope, and `LoopbackOnlyWithoutKeys` already refuses
  clients that are not local.
- A browser cannot add `X-API-Key` to a link, so a person signs in once with the key
  (`/ui/login`) and gets a session cookie: never the key, only the key's id (its sha256
  digest, the entry of `NEWSFLOW_API_KEYS`) and a random CSRF token, signed and timestamped
  by itsdangerous with the server's secret (`cursors.cursor_key`, salted for sessions).
  It expires after `SESSION_MAX_AGE_S` and the moment its key leaves the configuration; it
  is HttpOnly, SameSite=Strict, scoped to `/ui`, and Secure when the page is https.
- Writes (replay, sign-in, sign-out) need the `HX-Request` header that htmx sends, a
  same-origin `Origin` when the browser sends one, and the session's CSRF token in
  `X-CSRF-Token` (every page carries it in `hx-headers`; only a page of ours can read it).
- Without keys, the console answers only requests whose Host is a loopback name, so a
  page on another site cannot reach it by pointing its own domain at 127.0.0.1.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from services.api import security
from services.api.errors import ApiError
from shared.apikeys import ADMIN, INGEST, SCOPES, SEARCH, hash_api_key
from shared.cursors import cursor_key
from shared.settings import get_settings

SESSION_COOKIE = "newsflow_console_session"
SESSION_MAX_AGE_S = 12 * 3600  # a signed-in browser signs in again after a working day
CSRF_HEADER = "X-CSRF-Token"
ROLES = {ADMIN: "admin", INGEST: "ingest", SEARCH: "search"}


class ConsoleError(Exception):
    """The console cannot answer this request (refused, invalid, or a dependency is down);
    rendered as a page that says why, or a redirect to sign in."""

    def __init__(
        self, status_code: int, reason: str, message: str, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class ConsoleSession:
    """What the session cookie holds: the signed-in key's id (None before signing in, or
    without keys) and the CSRF token the console's writes must carry."""

    key_id: str | None
    csrf: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(cursor_key(get_settings()), salt="newsflow.console.session")


def _read_session(request: Request) -> ConsoleSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:  # SignatureExpired is a BadSignature: an old cookie is no session
        data: Any = _serializer().loads(token, max_age=SESSION_MAX_AGE_S)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    key_id = data.get("key")
    return ConsoleSession(key_id if isinstance(key_id, str) else None, data["csrf"])


def session_of(request: Request) -> ConsoleSession:
    """The browser's session, or a new anonymous one (`save_session` sends it along)."""
    session = getattr(request.state, "console_session", None)
    if session is None:
        session = _read_session(request)
        if session is None:
            session = ConsoleSession(None, secrets.token_urlsafe(24))
            request.state.console_session_is_new = True
        request.state.console_session = session
    return session


def start_session(request: Request, key: str) -> None:
    """Sign in: a new session (and a new CSRF token) for the key's id, never the key."""
    request.state.console_session = ConsoleSession(hash_api_key(key), secrets.token_urlsafe(24))
    request.state.console_session_is_new = True


def save_session(request: Request, response: Response) -> None:
    """Set the session cookie when this request started or changed the session."""
    session = getattr(request.state, "console_session", None)
    if session is None or not getattr(request.state, "console_session_is_new", False):
        return
    token = _serializer().dumps({"key": session.key_id, "csrf": session.csrf})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path="/ui",
        httponly=True,
        samesite="strict",
        # Behind a TLS proxy the app sees http: the cookie is still SameSite and HttpOnly.
        secure=request.url.scheme == "https",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/ui")


def signed_in(request: Request) -> bool:
    """A person signed in with a key in this browser (so the page offers to sign out)."""
    return security.key_table().enabled and session_of(request).key_id is not None


def _host_is_loopback(request: Request) -> bool:
    host = request.headers.get("host", "")
    name = urlsplit(f"//{host}").hostname if host else None
    return security.is_loopback(name)


def console_scopes(request: Request) -> frozenset[str]:
    """The caller's scopes, as the API would grant them; ConsoleError (401) without a
    valid key when keys are configured."""
    if not security.key_table().enabled:
        if not get_settings().api_allow_unauthenticated and not _host_is_loopback(request):
            raise ConsoleError(
                403,
                "host_not_allowed",
                "Without API keys the console answers only on a loopback address "
                "(open it as http://127.0.0.1:PORT/ui).",
            )
        return SCOPES
    key = security.presented_key(request.scope)
    if key is None:
        key_id = session_of(request).key_id
        scopes = security.key_table().scopes_of_digest(key_id) if key_id else None
        if scopes is not None:
            return scopes
        raise ConsoleError(
            401,
            "api_key_required" if key_id is None else "invalid_api_key",
            "Sign in with an API key to use the console."
            if key_id is None
            else "The API key of this session is no longer valid: sign in again.",
        )
    try:
        return security.caller_scopes(key, None)
    except ApiError as exc:
        raise ConsoleError(
            401,
            exc.reason,
            "Sign in with an API key to use the console."
            if exc.reason != "invalid_api_key"
            else "The API key is not valid: sign in again.",
        ) from None


def require(scopes: frozenset[str], *allowed: str) -> None:
    """ConsoleError (403) unless `scopes` has one of `allowed` (admin has them all)."""
    try:
        security.require_scope(*allowed)(scopes)
    except ApiError:
        raise ConsoleError(
            403,
            "insufficient_scope",
            f"This needs an API key with scope {' or '.join(sorted(allowed))}.",
        ) from None


def is_admin(scopes: frozenset[str]) -> bool:
    return ADMIN in scopes


def check_write(request: Request) -> None:
    """CSRF guard for the console's POSTs (see the module docstring)."""
    if request.headers.get("hx-request") != "true":
        raise ConsoleError(
            403,
            "csrf_check_failed",
            "This action is sent by the console's own page (it needs JavaScript enabled).",
        )
    # Host only, not the scheme: behind a TLS proxy the app sees http for an https page.
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise ConsoleError(403, "csrf_check_failed", "Cross-site requests are refused.")
    session = _read_session(request)
    token = request.headers.get(CSRF_HEADER, "")
    if session is None or not hmac.compare_digest(token.encode(), session.csrf.encode()):
        raise ConsoleError(
            403,
            "csrf_check_failed",
            "This page is out of date or its session ended: reload it and try again.",
        )


def role_of(scopes: frozenset[str]) -> str:
    """How the page header names the caller's access."""
    if not security.key_table().enabled:
        return "local access (no API keys configured)"
    names = [name for scope, name in ROLES.items() if scope in scopes]
    return "key with scope " + ", ".join(names)
