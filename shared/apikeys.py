"""API keys: their scopes, the digest stored for each, and the parsed key table.

`settings.api_keys` maps the sha256 hex digest of each key to its scopes (`ingest`, `search`,
`alerts`, `admin`; admin may do everything). Only digests are stored; a presented key is hashed and
compared with every configured digest in constant time (`hmac.compare_digest`). The API
checks keys with it and the CLI (`newsflow apikey`) makes them, so it lives in shared.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from shared.settings import Settings

INGEST, SEARCH, ADMIN, ALERTS = "ingest", "search", "admin", "alerts"
SCOPES = frozenset({INGEST, SEARCH, ADMIN, ALERTS})


def hash_api_key(key: str) -> str:
    """The digest stored in `api_keys` for `key`."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeyTable:
    """The configured key digests and their scopes, validated once."""

    entries: tuple[tuple[bytes, frozenset[str]], ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyTable:
        entries: list[tuple[bytes, frozenset[str]]] = []
        for digest, scopes in settings.api_keys.items():
            normalised = digest.strip().lower()
            if len(normalised) != 64 or any(c not in "0123456789abcdef" for c in normalised):
                # Say which entry, never what it holds: it might be a key pasted by mistake.
                raise ValueError(
                    f"api_keys entry #{len(entries) + 1} is not a sha256 hex digest "
                    "(store `newsflow apikey hash KEY`, never the key itself)"
                )
            unknown = set(scopes) - SCOPES
            if unknown:
                raise ValueError(f"api_keys: unknown scopes {sorted(unknown)}")
            entries.append((normalised.encode(), frozenset(scopes)))
        return cls(tuple(entries))

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    def scopes_of(self, key: str) -> frozenset[str] | None:
        """The scopes of a presented key, or None; the time taken does not depend on which
        digest matched, if any."""
        return self.scopes_of_digest(hash_api_key(key))

    def scopes_of_digest(self, key_digest: str) -> frozenset[str] | None:
        """The scopes of the key with this digest (the key id a console session holds), or
        None once the key is no longer configured."""
        presented = key_digest.strip().lower().encode()
        found: frozenset[str] | None = None
        for digest, scopes in self.entries:
            if hmac.compare_digest(presented, digest):
                found = scopes
        return found
