"""The address guard for every outgoing request newsflow makes (feeds, pages, webhooks).

A URL is admitted only with an http(s) scheme and a host whose addresses are all public
unicast ones; an IPv6 address that carries an IPv4 address (mapped, translated, compatible,
NAT64, 6to4, Teredo, ISATAP) is judged by that address too, since a gateway may deliver to
it. `allow` admits named hosts or networks on purpose (an intranet webhook receiver).
A host could still resolve differently between this check and the connect (DNS rebinding);
an egress firewall is the complete answer, this guard the cheap first line.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from shared.errors import PermanentError


class BlockedURL(PermanentError):
    """A URL newsflow must not request; `reason` is `invalid_url`, `unsupported_scheme`,
    `dns_failed` or `blocked_address`."""

    reason = "blocked_url"


_IPV4_IN_LAST_32_BITS = [
    ipaddress.IPv6Network(prefix)
    for prefix in (
        "::/96",  # IPv4-compatible, ::a.b.c.d (deprecated)
        "::ffff:0:0/96",  # IPv4-mapped, ::ffff:a.b.c.d
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT), ::ffff:0:a.b.c.d
        "64:ff9b::/96",  # NAT64, well-known prefix
        "64:ff9b:1::/48",  # NAT64, local-use prefix (RFC 8215), when used as a /96
    )
]
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_ISATAP_ID = 0x0000_5EFE  # interface identifier ::0:5efe:a.b.c.d (or ::200:5efe:...)
_U_G_BITS = 0x0200_0000


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, in every standard embedding: a gateway
    or translator may deliver to them, so each must pass the guard too."""
    value = int(ip)
    found = [
        ipaddress.IPv4Address(value & 0xFFFF_FFFF)
        for network in _IPV4_IN_LAST_32_BITS
        if ip in network
    ]
    if ip in _NAT64_LOCAL:  # RFC 6052 /48 layout: bits 48-63 and 72-87 (skipping "u")
        found.append(ipaddress.IPv4Address(((value >> 64) & 0xFFFF) << 16 | (value >> 40) & 0xFFFF))
    if ip in _SIX_TO_FOUR:  # 2002:AABB:CCDD::/48
        found.append(ipaddress.IPv4Address((value >> 80) & 0xFFFF_FFFF))
    if ip.teredo is not None:  # 2001::/32: (server, client)
        found.extend(ip.teredo)
    if ((value >> 32) & 0xFFFF_FFFF) & ~_U_G_BITS == _ISATAP_ID:
        found.append(ipaddress.IPv4Address(value & 0xFFFF_FFFF))
    return found


def is_blocked_address(address: str) -> bool:
    """Whether an address (or an IPv4 address embedded in it) is not a public unicast one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates += embedded_ipv4(ip)
    return any(not c.is_global or c.is_multicast for c in candidates)


def _allowed(host: str, addresses: Iterable[str], allow: Iterable[str]) -> bool:
    """Whether `allow` names the host, or holds a network containing all its addresses."""
    for entry in (e.strip().lower() for e in allow):
        if not entry:
            continue
        if entry == host.lower():
            return True
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if all(ipaddress.ip_address(a.split("%", 1)[0]) in network for a in addresses):
            return True
    return False


def check_public_url(url: str, *, allow: Iterable[str] = (), allow_private: bool = False) -> None:
    """Raise BlockedURL unless `url` is http(s) to public addresses (or allowed on purpose)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise BlockedURL(f"invalid URL {url!r}: {exc}", reason="invalid_url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BlockedURL(
            f"refusing the {parts.scheme or 'missing'} scheme: only http(s) is fetched",
            reason="unsupported_scheme",
        )
    if not host:
        raise BlockedURL(f"no host in {url!r}", reason="invalid_url")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedURL(f"cannot resolve {host}: {exc}", reason="dns_failed") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if _allowed(host, addresses, allow):
        return
    blocked = [a for a in addresses if is_blocked_address(a)]
    if blocked:
        raise BlockedURL(
            f"{host} resolves to a non-public address ({', '.join(blocked)})",
            reason="blocked_address",
        )
