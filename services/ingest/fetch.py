"""Polite, guarded HTTP fetching for feeds and the pages their entries link to.

- Only http(s), and never into the private network: every host (and every redirect hop) is
  resolved and refused when any of its addresses is loopback, private, link-local, reserved
  or multicast, unless `fetch_allow_private` is set (tests on 127.0.0.1, intranet feeds).
  A host could still resolve differently between our check and httpx's connect (DNS
  rebinding); an egress firewall is the complete answer, this guard the cheap first line.
- A timeout per read and a deadline for the whole fetch (a server that sends one byte
  every few seconds is cut at the deadline), a byte cap checked on Content-Length and again
  while streaming, a User-Agent, at most `fetch_per_host_concurrency` requests at a time
  per host, and robots.txt (urllib.robotparser) for pages.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from shared.errors import PermanentError
from shared.netguard import BlockedURL, check_public_url
from shared.settings import Settings, get_settings

MAX_REDIRECTS = 5
ROBOTS_MAX_BYTES = 500_000  # Google's limit too: anything longer is not a robots.txt


class FetchError(PermanentError):
    """A URL we did not (or could not) fetch; `reason` says why."""

    reason = "fetch_failed"

    def __init__(self, message: str, *, reason: str | None = None, status: int | None = None):
        super().__init__(message, reason=reason)
        self.status = status


@dataclass
class FetchResult:
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    content: bytes = b""

    @property
    def media_type(self) -> str:
        content_type: str = self.headers.get("content-type", "")
        return content_type.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return str(value).strip().strip("\"'")
        return None


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse URLs we must never fetch (shared/netguard.py): other schemes, hosts in the
    private network. The fetcher checks every hop; `feeds add` checks before registering."""
    try:
        check_public_url(url, allow_private=allow_private)
    except BlockedURL as exc:
        raise FetchError(str(exc), reason=exc.reason) from None


class _Deadline:
    """Cuts a request's connection when its deadline passes.

    A read timeout bounds each wait, not the whole: a server that sends one byte every few
    seconds (headers included) would keep a fetch alive for hours. Shutting the socket down
    from a timer ends whatever read is in progress at once. httpcore reports each new TCP
    connection through its `trace` extension; a duplicate of the socket is kept, so the timer
    never touches a descriptor that was closed and reused meanwhile.
    """

    def __init__(self, deadline: float) -> None:
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._cut)
        self._timer.daemon = True
        self.cut = False

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete" and info.get("return_value") is not None:
            sock = info["return_value"].get_extra_info("socket")
            if isinstance(sock, socket.socket):
                with self._lock:
                    self._sockets.append(sock.dup())

    def _cut(self) -> None:
        with self._lock:
            self.cut = True
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


@dataclass
class Fetcher:
    """One fetcher per poll: it holds the HTTP client, robots.txt cache and host slots."""

    settings: Settings = field(default_factory=get_settings)
    client: httpx.Client | None = None
    _robots: dict[str, RobotFileParser] = field(default_factory=dict)
    _host_slots: dict[str, threading.BoundedSemaphore] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = httpx.Client(
                timeout=httpx.Timeout(self.settings.fetch_timeout_s),
                headers={"User-Agent": self.settings.fetch_user_agent},
                follow_redirects=False,  # each hop goes through the address guard
                trust_env=False,  # an environment proxy would bypass the guard
                # A fresh connection per request: the deadline watches the connections it
                # sees opened (and a reused one could lead to an address no longer checked).
                limits=httpx.Limits(max_keepalive_connections=0),
            )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    def check_url(self, url: str) -> None:
        check_url(url, allow_private=self.settings.fetch_allow_private)

    def _slot(self, url: str) -> threading.BoundedSemaphore:
        host = (urlsplit(url).hostname or "").lower()
        with self._guard:
            if host not in self._host_slots:
                limit = self.settings.fetch_per_host_concurrency
                self._host_slots[host] = threading.BoundedSemaphore(limit)
            return self._host_slots[host]

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        max_bytes: int | None = None,
        check_robots: bool = True,
    ) -> FetchResult:
        """GET `url`, following up to MAX_REDIRECTS redirects, each hop guarded.

        Returns 2xx and 304 responses; raises `FetchError` for anything else.
        """
        assert self.client is not None
        limit = max_bytes or self.settings.fetch_max_bytes
        deadline = time.monotonic() + self.settings.fetch_deadline_s
        for _hop in range(MAX_REDIRECTS + 1):
            self.check_url(url)
            if check_robots and not self.allowed_by_robots(url):
                raise FetchError(f"robots.txt disallows {url}", reason="robots_disallowed")
            with self._slot(url):
                result = self._get_once(url, headers or {}, limit, deadline)
            location = result.headers.get("location")
            if result.status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                continue
            if result.status == 304 or 200 <= result.status < 300:
                return result
            raise FetchError(
                f"HTTP {result.status} from {url}", reason="http_error", status=result.status
            )
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}", reason="redirects")

    def _get_once(
        self, url: str, headers: dict[str, str], limit: int, deadline: float
    ) -> FetchResult:
        assert self.client is not None
        # No single wait may outlast the deadline; the body loop checks it between reads.
        timeout = min(self.settings.fetch_timeout_s, deadline - time.monotonic())
        if timeout <= 0:
            raise self._past_deadline(url)
        try:
            with (
                _Deadline(deadline) as watchdog,
                self.client.stream(
                    "GET",
                    url,
                    headers=headers,
                    timeout=httpx.Timeout(timeout),
                    extensions={"trace": watchdog.trace},
                ) as response,
            ):
                result = FetchResult(str(response.url), response.status_code, response.headers)
                if not 200 <= response.status_code < 300:
                    return result  # no body wanted: redirects, 304 and errors
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise FetchError(
                        f"{url} is {declared} bytes, more than the limit of {limit}",
                        reason="too_large",
                    )
                body = bytearray()
                for chunk in response.iter_bytes():
                    if time.monotonic() > deadline:
                        raise self._past_deadline(url)
                    body += chunk
                    if len(body) > limit:
                        raise FetchError(
                            f"{url} is more than the limit of {limit} bytes", reason="too_large"
                        )
                if watchdog.cut:  # a body that ends with the connection looks complete
                    raise self._past_deadline(url)
                result.content = bytes(body)
                return result
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out fetching {url}: {exc}", reason="timeout") from None
        except (httpx.HTTPError, OSError, ValueError) as exc:
            if time.monotonic() >= deadline:  # the watchdog cut the connection
                raise self._past_deadline(url) from None
            if not isinstance(exc, httpx.HTTPError):
                raise

            raise FetchError(
                f"cannot fetch {url}: {type(exc).__name__}: {exc}", reason="network_error"
            ) from None

    def _past_deadline(self, url: str) -> FetchError:
        return FetchError(
            f"fetching {url} took more than {self.settings.fetch_deadline_s:g} s",
            reason="timeout",
        )

    def allowed_by_robots(self, url: str) -> bool:
        """Whether the site's robots.txt lets our User-Agent fetch `url` (cached per site)."""
        parts = urlsplit(url)
        site = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        with self._guard:
            lock = self._locks.setdefault(site, threading.Lock())
        with lock:  # one robots.txt request per site, even with many pages in flight
            if site not in self._robots:
                self._robots[site] = self._read_robots(site)
        return self._robots[site].can_fetch(self.settings.fetch_user_agent, url)

    def _read_robots(self, site: str) -> RobotFileParser:
        parser = RobotFileParser(f"{site}/robots.txt")
        try:
            result = self.get(f"{site}/robots.txt", max_bytes=ROBOTS_MAX_BYTES, check_robots=False)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 403):
                parser.parse([])  # no robots.txt: no rules
            else:
                # Refused (401/403), unreachable or a server error: stay out for now (the
                # next poll asks again), as crawlers do.
                parser.parse(["User-agent: *", "Disallow: /"])
            return parser
        parser.parse(result.content.decode("utf-8", errors="replace").splitlines())
        return parser
