"""Duplicate detection at ingest: exact copies by content hash, near copies by MinHash LSH.

- An **exact** copy has the same normalised title and body as an earlier article
  (`content_hash`). It stops at state `duplicate`: indexing it again would only add a second
  identical hit.
- A **near** copy (a lightly edited version, the same story syndicated under another URL
  with other chrome or title) has a body whose word 3-shingles have an estimated Jaccard
  similarity of at least `near_duplicate_threshold` with an earlier article. It continues to
  enrichment and indexing: it may carry words the first one lacks, and search collapses
  copies on the shared `cluster_id` (and can show "N copies").

Both point at the article they copy (`duplicate_of`) and share the cluster id of the story's
first article. The LSH bands of every article are kept in the store (`article_bands`), so
ingest workers in any process see each other's articles; a batch costs one query
(exact originals and near candidates together) whatever its size, and one statement each to replace
the batch's bands.

A race remains between two workers ingesting copies of one story at the same instant: both
become originals. Copies within one batch always see each other.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from sqlalchemy import (
    CompoundSelect,
    Insert,
    Select,
    bindparam,
    delete,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from shared.db import insert_ignoring_duplicates
from shared.identity import normalize_text
from shared.models import Article, ArticleBand
from shared.settings import get_settings
from shared.states import ArticleState

SHINGLE_WORDS = 3
# Below this many words a body only gets exact dedup: a MinHash of a handful of shingles
# would call unrelated short notices copies of each other.
MIN_WORDS = 30
_SEED = 1  # fixed: stored signatures must stay comparable across processes and releases
_WORD = re.compile(r"\w+")
# States whose articles are settled originals or near copies: what a new article may copy.
_SETTLED = (ArticleState.INGESTED, ArticleState.ENRICHED, ArticleState.INDEXED)
_BAND_ROWS_PER_INSERT = 5000
# Two workers that both got the same redelivered article write the same bands: the second
# write is a no-op, not an error that fails the batch.
_INSERT_BANDS_POSTGRESQL = text(
    "INSERT INTO article_bands (band, article_id) "
    "SELECT * FROM unnest(CAST(:band AS bigint[]), CAST(:article_id AS varchar[])) "
    "ON CONFLICT DO NOTHING"
)


@dataclass(frozen=True)
class LshScheme:
    """MinHash permutations and LSH banding for one (threshold, num_perm) setting."""

    threshold: float
    num_perm: int
    permutations: tuple[np.ndarray, np.ndarray]
    hashranges: tuple[tuple[int, int], ...]
    banding: tuple[int, int]  # bands x rows

    def new_index(self) -> MinHashLSH:
        # The banding found once (`lsh_scheme`): finding it again costs ~0.1 s per batch,
        # which a batch of one article (a single post) would pay in full.
        return MinHashLSH(threshold=self.threshold, num_perm=self.num_perm, params=self.banding)


@lru_cache(maxsize=4)
def lsh_scheme(threshold: float, num_perm: int) -> LshScheme:
    # MinHashLSH picks the bands x rows that best separate pairs around the threshold.
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    template = MinHash(num_perm=num_perm, seed=_SEED)
    return LshScheme(
        threshold, num_perm, template.permutations, tuple(lsh.hashranges), (lsh.b, lsh.r)
    )


def current_scheme() -> LshScheme:
    settings = get_settings()
    return lsh_scheme(settings.near_duplicate_threshold, settings.minhash_num_perm)


def shingles(body: str) -> set[bytes]:
    words = _WORD.findall(normalize_text(body))
    if len(words) < MIN_WORDS:
        return set()
    return {
        " ".join(words[i : i + SHINGLE_WORDS]).encode()
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def signature(body: str, scheme: LshScheme) -> LeanMinHash | None:
    """The MinHash of a body's word shingles, or None when it is too short to compare."""
    grams = shingles(body)
    if not grams:
        return None
    minhash = MinHash(num_perm=scheme.num_perm, seed=_SEED, permutations=scheme.permutations)
    minhash.update_batch(list(grams))
    return LeanMinHash(minhash)


def encode_signature(minhash: LeanMinHash) -> bytes:
    # Hash values are below 2**32 (datasketch's 32-bit hash space): 4 bytes each.
    return np.asarray(minhash.hashvalues, dtype="<u4").tobytes()


def decode_signature(data: bytes, scheme: LshScheme) -> LeanMinHash | None:
    values = np.frombuffer(data, dtype="<u4")
    if len(values) != scheme.num_perm:
        return None  # stored under another num_perm: not comparable
    return LeanMinHash(seed=_SEED, hashvalues=values.astype(np.uint64))


def band_keys(minhash: LeanMinHash, scheme: LshScheme) -> list[int]:
    """One signed 64-bit key per LSH band. The scheme is part of each key, so bands stored
    under another threshold or num_perm never collide with the current ones."""
    values = np.asarray(minhash.hashvalues, dtype="<u4")
    header = struct.pack("<HH", scheme.num_perm, len(scheme.hashranges))
    keys = []
    for band, (start, end) in enumerate(scheme.hashranges):
        digest = hashlib.blake2b(
            header + struct.pack("<H", band) + values[start:end].tobytes(), digest_size=8
        ).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def similarity(a: LeanMinHash, b: LeanMinHash) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(np.count_nonzero(a.hashvalues == b.hashvalues)) / len(a.hashvalues)


@dataclass(frozen=True)
class Match:
    kind: Literal["exact", "near"]
    of: str  # the article copied
    cluster_id: str  # the story's first article
    similarity: float


@dataclass
class _Known:
    id: str
    cluster_id: str
    seq: int = 0  # order of submission within what this batch knows: earlier wins ties


@lru_cache(maxsize=4)
def _known_statement(*, exact: bool, near: bool) -> CompoundSelect[Any]:
    """The lookup of `BatchDeduplicator._load_known`, built once per process: the content
    hashes (`hashes`) and band keys (`keys`) are parameters, so an article alone does not pay
    for building the statement and its cache key again (more CPU than running it)."""
    columns = (Article.content_hash, Article.id, Article.cluster_id, Article.minhash)
    lookups: list[Select[Any]] = []
    if exact:
        lookups.append(
            select(literal_column("1").label("exact"), *columns, Article.created_at).where(
                Article.content_hash.in_(bindparam("hashes", expanding=True)),
                Article.state.in_(_SETTLED),
            )
        )
    if near:
        banded = select(ArticleBand.article_id).where(
            ArticleBand.band.in_(bindparam("keys", expanding=True))
        )
        lookups.append(
            select(literal_column("0").label("exact"), *columns, Article.created_at).where(
                Article.id.in_(banded),
                Article.state.in_(_SETTLED),
                Article.minhash.is_not(None),
            )
        )
    found = union_all(*lookups)
    return found.order_by(found.selected_columns.created_at, found.selected_columns.id)


class BatchDeduplicator:
    """Dedup for one batch of freshly extracted articles (title, body and content_hash set).

    Check the articles in submission order, calling `check` then `add` for each, so that a
    copy later in the batch finds the first one; then `save` the batch's bands.
    """

    def __init__(self, session: Session, articles: Sequence[Article]) -> None:
        self.session = session
        self.scheme = current_scheme()
        self.batch_ids = [a.id for a in articles]
        self.signatures: dict[str, LeanMinHash] = {}
        for article in articles:
            minhash = signature(article.body or "", self.scheme)
            if minhash is not None:
                self.signatures[article.id] = minhash
        self.lsh = self.scheme.new_index()
        self.known: dict[str, tuple[_Known, LeanMinHash]] = {}
        # The batch's own rows are not settled yet, so their pending changes cannot alter
        # what these lookups find: no flush before them (one UPDATE per article, not two).
        self.exact: dict[str, list[_Known]] = {}
        with session.no_autoflush:
            self._load_known({a.content_hash for a in articles if a.content_hash})
        self.bands: dict[str, list[int]] = {}

    def _load_known(self, hashes: set[str]) -> None:
        """Settled articles with these content hashes (exact originals) and those sharing a
        band with any article of the batch (near candidates), first submitted first: one
        query for both (a round trip less for an article alone)."""
        keys = {k for m in self.signatures.values() for k in band_keys(m, self.scheme)}
        if not hashes and not keys:
            return
        ordered = _known_statement(exact=bool(hashes), near=bool(keys))
        rows = self.session.execute(ordered, {"hashes": list(hashes), "keys": list(keys)})
        for exact, content_hash, found_id, cluster_id, data, _ in rows:
            known = _Known(found_id, cluster_id or found_id)
            if exact:
                self.exact.setdefault(content_hash, []).append(known)
                continue
            minhash = decode_signature(data, self.scheme)
            if minhash is not None:
                self._remember(known, minhash)

    def _remember(self, known: _Known, minhash: LeanMinHash) -> None:
        if known.id not in self.known:
            known.seq = len(self.known)
            self.known[known.id] = (known, minhash)
            self.lsh.insert(known.id, minhash)

    def check(self, article: Article) -> Match | None:
        """The earlier article this one copies, if any.

        Neither the article itself (a revision of it) nor a copy of it (its cluster) counts:
        a revised original must stay the original of its story.
        """

        def other(known: _Known) -> bool:
            return known.id != article.id and known.cluster_id != article.id

        for known in self.exact.get(article.content_hash or "", []):
            if other(known):
                return Match("exact", known.id, known.cluster_id, 1.0)
        minhash = self.signatures.get(article.id)
        if minhash is None:
            return None
        best: tuple[float, int] | None = None
        found: _Known | None = None
        for key in self.lsh.query(minhash):
            known, candidate = self.known[key]
            score = similarity(minhash, candidate)
            if score < self.scheme.threshold or not other(known):
                continue
            rank = (score, -known.seq)  # the most similar; among equals, the earliest
            if best is None or rank > best:
                best, found = rank, known
        if best is None or found is None:
            return None
        return Match("near", found.id, found.cluster_id, round(best[0], 4))

    def add(self, article: Article, match: Match | None) -> None:
        """Make a checked article visible to the rest of the batch, and plan its bands."""
        if match is not None and match.kind == "exact":
            article.minhash = None
            return  # an exact copy adds nothing its original does not already match
        known = _Known(article.id, article.cluster_id or article.id)
        if article.content_hash:
            self.exact.setdefault(article.content_hash, []).append(known)
        minhash = self.signatures.get(article.id)
        if minhash is None:
            article.minhash = None
            return
        article.minhash = encode_signature(minhash)
        self.bands[article.id] = band_keys(minhash, self.scheme)
        self._remember(known, minhash)

    def save(self, revised_ids: Iterable[str]) -> None:
        """Store the batch's bands; the revisions among its articles drop their old ones."""
        ids = list(revised_ids)
        if ids:
            self.session.execute(delete(ArticleBand).where(ArticleBand.article_id.in_(ids)))
        rows = [{"band": k, "article_id": i} for i, keys in self.bands.items() for k in keys]
        if not rows:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            # Every row in one statement of two arrays, compiled once per process (a
            # multi-row VALUES is compiled again for each batch: ~7% of a lone article's
            # ingest CPU).
            self.session.execute(
                _INSERT_BANDS_POSTGRESQL,
                {"band": [r["band"] for r in rows], "article_id": [r["article_id"] for r in rows]},
            )
            return
        # One multi-row INSERT per few thousand rows: an executemany of row-sized statements
        # costs more than the rest of the dedup (and stays under every bind-parameter limit).
        for start in range(0, len(rows), _BAND_ROWS_PER_INSERT):
            chunk = rows[start : start + _BAND_ROWS_PER_INSERT]
            self.session.execute(self._insert_bands().values(chunk))

    def _insert_bands(self) -> Insert:
        # Two workers that both got the same redelivered article write the same bands:
        # the second write is a no-op, not an error that fails the batch.
        return insert_ignoring_duplicates(self.session, ArticleBand)
