"""Deterministic article identity: the same article always gets the same id."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid|ocid)$", re.I)
_WHITESPACE = re.compile(r"\s+")
ID_LENGTH = 32  # hex chars of sha256: 128 bits, collision-free at any realistic scale


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def normalize_url(url: str) -> str:
    """Canonical form of a URL: lowercase scheme and host, no fragment, no tracking params."""
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING_PARAMS.match(k)
    ]
    path = parts.path.rstrip("/") or "/"
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower().removeprefix("www.")
    # The default port names the same resource: http://host:80/a is http://host/a.
    netloc = netloc.removesuffix({"http": ":80", "https": ":443"}.get(scheme, "\0"))
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host: what an article's `url` must be."""
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an invalid IPv6 literal or port
        return False


def normalize_text(text: str) -> str:
    """The text as compared for exact duplicates: NFKC, case-folded, whitespace collapsed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def content_hash(text: str) -> str:
    return _digest("text", normalize_text(text))


def submission_fingerprint(input_format: str, content: str, title: str | None) -> str:
    """Exact copies as submitted (same content and title, any URL or source) share this."""
    return _digest("submitted", input_format, normalize_text(content), normalize_text(title or ""))


def article_id(
    *, source: str | None, external_id: str | None, url: str | None, content: str
) -> str:
    """From the source's own id, else the canonical URL, else the normalised content.

    Sources are namespaces for the last two kinds of id, as for external ids: the same text
    from another source is another article (stored as a `duplicate` of the first one at
    submission), never a revision that would overwrite the first one's source. Without a
    source the id is the content hash alone.
    """
    namespace = (source or "").strip().lower()
    if external_id:
        return _digest("ext", namespace, external_id.strip())[:ID_LENGTH]
    if url:
        return _digest("url", normalize_url(url))[:ID_LENGTH]
    if not namespace:
        return content_hash(content)[:ID_LENGTH]
    return _digest("text", namespace, normalize_text(content))[:ID_LENGTH]
