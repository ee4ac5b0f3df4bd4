"""Zero-downtime reindex: build a new versioned index from the SQL store, swap the alias.

Under a Redis lock (two reindexes never run at once):

1. drop leftovers of a crashed reindex (versioned indices the read alias does not use);
2. create the next index (no replicas, no refresh) behind `{alias}-next`: from now on the
   index stage writes every batch there too, so articles indexed meanwhile are not lost;
3. load every searchable row of the store into it: the document the enrich stage stored
   with it, or the row projected with `from_db` when none is current (no stage is
   re-run); a row whose indexing is in flight is still `enriched` when the load reads it, so
   it is loaded too. External versions let the load and the index stage write the same
   article in any order: the highest revision wins;
4. restore the live settings, refresh, swap the read alias atomically, drop the old index.

Searches read the old index until the swap and the new one after it. On any failure the
new index is deleted and the alias keeps pointing at the old one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import structlog
from elasticsearch import Elasticsearch
from redis import Redis
from redis.exceptions import LockError
from redis.lock import Lock
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.indexer.bulk import BulkStats, Document, bulk_stream
from shared.db import get_sessionmaker
from shared.failure_policy import reindex_bulk_retry
from shared.models import Article, utcnow
from shared.pipeline import mark_failed
from shared.redis_client import redis_client
from shared.search.client import get_client
from shared.search.documents import INDEXED_COLUMNS, SEARCHABLE_STATES, document_source
from shared.search.indices import (
    alias_name,
    create_next_index,
    delete_indices,
    finish_loading,
    live_index,
    managed_indices,
    swap_alias,
)
from shared.states import Stage

log = structlog.get_logger(__name__)


class ReindexInProgress(RuntimeError):
    """Another reindex holds the lock."""


class ReindexFailed(RuntimeError):
    """The new index could not be built; the alias still points at the old one."""


@dataclass
class ReindexResult:
    index: str
    previous: list[str]
    documents: int
    rejected: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    bulk: BulkStats = field(default_factory=BulkStats)

    @property
    def docs_per_second(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0


def lock_name() -> str:
    return f"newsflow:reindex:{alias_name()}"


def reindex_running(redis: Redis) -> bool:
    """Whether a reindex holds the lock: only then may a `-next` index be written to.

    The lock is taken before `-next` is created and released after it is gone (swapped in or
    deleted); a reindex whose lock expired fails at its next `reacquire`, before any swap.
    """
    return bool(redis.exists(lock_name()))


def reindex_lock(redis: Redis, timeout_s: float) -> Lock:
    """The lock a reindex holds; it expires `timeout_s` after the last sign of life, so a
    killed reindex does not block the next one forever."""
    return Lock(redis, lock_name(), timeout=timeout_s, thread_local=False)


def _searchable_documents(sessions: sessionmaker[Session], batch_size: int) -> Iterator[Document]:
    """Every searchable row of the store, read `batch_size` rows per query (keyset order,
    one short transaction each) and projected one by one as `bulk_stream` asks for them."""
    last_id = ""
    loaded_at = utcnow()
    while True:
        with sessions() as session:
            rows = session.execute(
                select(*INDEXED_COLUMNS)
                .where(Article.state.in_(SEARCHABLE_STATES), Article.id > last_id)
                .order_by(Article.id)
                .limit(batch_size)
            ).all()
        if not rows:
            return
        for row in rows:
            # A row still `enriched` has no indexing time yet: the load is its first.
            indexed_at = row.indexed_at or loaded_at
            yield Document(row.id, row.revision, document_source(row, indexed_at))
        last_id = rows[-1].id


def _load(
    es: Elasticsearch,
    sessions: sessionmaker[Session],
    index: str,
    batch_size: int,
    parallel: int,
    lock: Lock,
    stats: BulkStats,
    on_batch: Callable[[int], None] | None,
) -> tuple[int, dict[str, tuple[int, str]]]:
    """Bulk-load every searchable row into `index`; returns (documents, rejected).

    The rows are read and projected as `bulk_stream` asks for them, while `parallel`
    requests of `batch_size` documents are in flight (Elasticsearch indexes one bulk
    request per write thread, so one at a time would leave cores idle).
    """
    loaded = 0
    rejected: dict[str, tuple[int, str]] = {}
    for doc, (result,) in bulk_stream(
        es,
        _searchable_documents(sessions, batch_size),
        [index],
        require_alias=False,
        max_docs=batch_size,
        retry=reindex_bulk_retry(),
        stats=stats,
        parallel=parallel,
    ):
        if not result.ok:
            rejected[doc.id] = (doc.version, result.describe())
        loaded += 1
        if loaded % batch_size == 0:
            _loaded_batch(loaded, lock, on_batch)
    if loaded % batch_size:
        _loaded_batch(loaded, lock, on_batch)
    return loaded, rejected


def _loaded_batch(loaded: int, lock: Lock, on_batch: Callable[[int], None] | None) -> None:
    # Proof of life: keeps the lock while the load runs, lets it expire if we die.
    lock.reacquire()
    if on_batch is not None:
        on_batch(loaded)


def _mark_rejected(sessions: sessionmaker[Session], rejected: dict[str, tuple[int, str]]) -> None:
    """Rejected rows fail visibly (and can be replayed), unless a newer revision came in."""
    with sessions() as session:
        for article_id, (revision, reason) in rejected.items():
            article = session.get(Article, article_id)
            if article is None or article.revision != revision:
                continue
            if article.state in SEARCHABLE_STATES:
                mark_failed(
                    session,
                    article,
                    Stage.INDEX,
                    reason="index_rejected",
                    message=f"reindex: {reason}",
                )
        session.commit()


def reindex_from_store(
    *,
    es: Elasticsearch | None = None,
    sessions: sessionmaker[Session] | None = None,
    redis: Redis | None = None,
    batch_size: int = 500,
    parallel: int = 2,
    max_rejected_ratio: float = 0.01,
    lock_timeout_s: float = 120.0,
    swap_grace_s: float = 2.0,
    on_batch: Callable[[int], None] | None = None,
) -> ReindexResult:
    """Rebuild the index behind the read alias from the store, with zero downtime.

    `on_batch(loaded)` is called after each loaded batch (progress, and tests); `parallel`
    bulk requests of `batch_size` rows are in flight at a time. Rejections
    above `max_rejected_ratio` abort the reindex (a broken mapping must not fail every
    article); below it, rejected articles are marked failed and the reindex completes.
    """
    es = es or get_client()
    sessions = sessions or get_sessionmaker()
    redis = redis or redis_client()
    lock = reindex_lock(redis, lock_timeout_s)
    if not lock.acquire(blocking=False):
        raise ReindexInProgress(f"another reindex of {alias_name()} is running")
    started = time.perf_counter()
    new_index: str | None = None
    try:
        live = live_index(es)
        leftovers = [name for name in managed_indices(es) if name != live]
        if leftovers:
            log.warning("reindex_dropping_leftovers", indices=leftovers)
            delete_indices(es, leftovers)
        new_index = create_next_index(es)
        log.info("reindex_started", index=new_index, live=live)
        stats = BulkStats()
        loaded, rejected = _load(
            es, sessions, new_index, batch_size, parallel, lock, stats, on_batch
        )
        # A ratio above 0 always tolerates one bad row, so a small store can be reindexed.
        allowed = max(loaded * max_rejected_ratio, 1 if max_rejected_ratio > 0 else 0)
        if len(rejected) > allowed:
            sample = next(iter(rejected.values()))[1]
            raise ReindexFailed(
                f"{len(rejected)} of {loaded} documents rejected by {new_index}, e.g. {sample}"
            )
        finish_loading(es, new_index)
        lock.reacquire()
        _mark_rejected(sessions, rejected)
        # Held until `-next` is gone: the index stage writes to it only while it sees the lock.
        lock.reacquire()
        previous = swap_alias(es, new_index)
        # Searches that resolved the alias just before the swap finish on the old index.
        time.sleep(swap_grace_s)
        delete_indices(es, previous)
    except BaseException as exc:
        if new_index is not None:
            try:
                delete_indices(es, [new_index])
            except Exception as cleanup:  # noqa: BLE001 - report the original error
                log.error("reindex_cleanup_failed", index=new_index, error=str(cleanup))
        log.error("reindex_failed", index=new_index, error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("reindex_lock_expired", lock=lock_name())
    result = ReindexResult(
        index=new_index,
        previous=previous,
        documents=loaded,
        rejected={k: v[1] for k, v in rejected.items()},
        seconds=time.perf_counter() - started,
        bulk=stats,
    )
    log.info(
        "reindex_done",
        index=new_index,
        previous=previous,
        documents=loaded,
        rejected=len(rejected),
        seconds=round(result.seconds, 2),
    )
    return result
