"""Polite, guarded HTTP fetching for feeds and the pages their entries link to.

- Only http(s), and never into the private network: every host (and every redirect hop) is
  resolved and refused when any of its addresses is loopback, private, link-local, reserved
  or multicast, unless `fetch_allow_private` is set (tests on 127.0.0.1, intranet feeds).
  A host could still resolve differently between our check and httpx's connect (DNS
  rebinding); an egress firewall is the complete answer, this guard the cheap first line.
- Timeouts, a byte cap checked on Content-Length and again while streaming, a User-Agent,
  at most `fetch_per_host_concurrency` requests at a time per host, and robots.txt
  (urllib.robotparser) for pages.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from shared.errors import PermanentError
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


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


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
        """Refuse URLs we must never fetch: other schemes, hosts in the private network."""
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port
        except ValueError as exc:
            raise FetchError(f"invalid URL {url!r}: {exc}", reason="invalid_url") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise FetchError(
                f"refusing the {parts.scheme or 'missing'} scheme: only http(s) is fetched",
                reason="unsupported_scheme",
            )
        if not host:
            raise FetchError(f"no host in {url!r}", reason="invalid_url")
        if self.settings.fetch_allow_private:
            return
        try:
            infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"cannot resolve {host}: {exc}", reason="dns_failed") from None
        blocked = sorted({str(info[4][0]) for info in infos if _blocked(str(info[4][0]))})
        if blocked:
            raise FetchError(
                f"{host} resolves to a non-public address ({', '.join(blocked)})",
                reason="blocked_address",
            )

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
        for _hop in range(MAX_REDIRECTS + 1):
            self.check_url(url)
            if check_robots and not self.allowed_by_robots(url):
                raise FetchError(f"robots.txt disallows {url}", reason="robots_disallowed")
            with self._slot(url):
                result = self._get_once(url, headers or {}, limit)
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

    def _get_once(self, url: str, headers: dict[str, str], limit: int) -> FetchResult:
        assert self.client is not None
        try:
            with self.client.stream("GET", url, headers=headers) as response:
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
                    body += chunk
                    if len(body) > limit:
                        raise FetchError(
                            f"{url} is more than the limit of {limit} bytes", reason="too_large"
                        )
                result.content = bytes(body)
                return result
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out fetching {url}: {exc}", reason="timeout") from None
        except httpx.HTTPError as exc:
            raise FetchError(
                f"cannot fetch {url}: {type(exc).__name__}: {exc}", reason="network_error"
            ) from None

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
