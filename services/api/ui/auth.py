"""Who may use the console: the API's own keys and scopes, read from a header or a cookie.

- The key is checked by `security.caller_scopes`, the API's dependency: same digests, same
  scopes, same constant-time comparison. Without keys configured every caller has every
  scope, and `LoopbackOnlyWithoutKeys` already refuses clients that are not local.
- A browser cannot add `X-API-Key` to a link, so a person signs in once with the key
  (`/ui/login`) and it travels in an HttpOnly, SameSite=Strict cookie scoped to `/ui`.
- Writes (replay, sign-in, sign-out) need the `HX-Request` header that htmx sends and a
  same-origin `Origin` when the browser sends one: a form on another site can set neither,
  and a cross-site script cannot add the header without a CORS preflight this API refuses.
- Without keys, the console answers only requests whose Host is a loopback name, so a
  page on another site cannot reach it by pointing its own domain at 127.0.0.1.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from services.api import security
from services.api.errors import ApiError
from shared.apikeys import ADMIN, INGEST, SCOPES, SEARCH
from shared.settings import get_settings

KEY_COOKIE = "newsflow_console_key"
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


def presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if not key:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            key = credentials.strip()
    return key or request.cookies.get(KEY_COOKIE) or None


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
    try:
        return security.caller_scopes(presented_key(request), None)
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


def role_of(scopes: frozenset[str]) -> str:
    """How the page header names the caller's access."""
    if not security.key_table().enabled:
        return "local access (no API keys configured)"
    names = [name for scope, name in ROLES.items() if scope in scopes]
    return "key with scope " + ", ".join(names)
