"""The index stage as a plain function: enriched articles are bulk-written to the alias.

Each document's `_id` is the article id and its external version the article revision,
so a redelivered batch or a replay never makes a second document, and a stale revision
can never overwrite a newer one. While a reindex runs, every batch is also written to the
index being built (see shared/search/indices.py and `_write_targets`), so nothing indexed
meanwhile is lost.

A call's fixed cost is kept small, since single posts make batches of one: the claim reads
the projected columns in its own locking SELECT, the outcome is recorded in two statements
per call (up to `STAGE_ROWS_PER_ADVANCE` rows), Elasticsearch is asked about `-next` only
while a reindex holds its lock, and the alerts worker only when a saved search exists.
"""

from __future__ import annotations

import gc
from collections import namedtuple
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

import structlog
from elasticsearch import Elasticsearch
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.indexer.bulk import Document, ItemResult, bulk_stream
from services.indexer.reindex import reindex_running
from shared.celery_app import enqueue_alert_matching
from shared.errors import TransientError
from shared.metrics import ACCEPTED_TO_SEARCHABLE
from shared.models import Alert, Article, utcnow
from shared.pipeline import advance_all, claim_rows, mark_failed
from shared.redis_client import redis_client
from shared.search.client import get_client
from shared.search.documents import INDEXED_COLUMNS, document_source
from shared.search.indices import (
    alias_name,
    ensure_index,
    mapping_version,
    write_targets,
)
from shared.search.mapping import MAPPING_VERSION
from shared.states import ArticleState, Stage

log = structlog.get_logger(__name__)

_INDEX_GONE = "index_not_found_exception"
# Requests smaller than a batch: the projection of the next one overlaps with those in
# flight, and Elasticsearch's write threads get one each.
STAGE_DOCS_PER_REQUEST = 100
STAGE_REQUESTS_IN_FLIGHT = 2
# Indexed articles recorded in the store per statement pair while later requests are in
# flight: a batch of up to this many is recorded once, at the end.
STAGE_ROWS_PER_ADVANCE = 250
# What the claim reads: the stored document (or what it is projected from), and the columns
# the outcome is recorded with.
_CLAIMED_COLUMNS = (*INDEXED_COLUMNS, Article.attempts)


def _named_row_type(columns: Sequence[Any]) -> Any:
    """A named tuple type of `columns`, for each claimed row: a SQLAlchemy `Row` looks a
    column up by name in ~1 us, a named tuple in ~0.05, and projecting and recording an
    article read ~25."""
    return namedtuple("ClaimedRow", [column.key for column in columns])


_ClaimedRow = _named_row_type(_CLAIMED_COLUMNS)
_ready: dict[str, bool] = {}
_ANY_ALERT = select(Alert.id).limit(1)


def ensure_ready(es: Elasticsearch) -> None:
    """Create the index on first use and refuse to write into an outdated mapping.

    Documents of a newer mapping would be rejected by the old one (its `dynamic: strict`), and
    rejected means failed: better to wait (retry) until `newsflow index init` has reindexed.
    Only success is cached, so a worker notices the upgrade without a restart.
    """
    if _ready.get(alias_name()):
        return
    index = ensure_index(es)
    version = mapping_version(es, index)
    if version < MAPPING_VERSION:
        raise TransientError(
            f"index {index} has mapping v{version}, this code writes v{MAPPING_VERSION}: "
            "run `newsflow index init` to reindex"
        )
    _ready[alias_name()] = True


def outcome(results: Sequence[ItemResult]) -> tuple[str, str | None]:
    """ "indexed", "retry" or "rejected" (with the reason) from one article's item results.

    The first result is the read alias's. A missing `-next` alias means a reindex swapped
    (or gave up) while this request ran: the read alias write is then the one that counts.
    """
    if not results:
        return "retry", "no result"
    live, others = results[0], results[1:]
    rejected = [r for r in results if not r.ok and not r.retryable and r.error_type != _INDEX_GONE]
    if rejected:
        return "rejected", rejected[0].describe()
    if live.error_type == _INDEX_GONE:
        _ready.pop(alias_name(), None)
        return "retry", live.describe()
    if not live.ok or any(r.retryable for r in others):
        return "retry", live.describe() if not live.ok else None
    return "indexed", None


def docs_per_request(batch: int) -> int:
    """Documents per bulk request for a batch of `batch` articles: requests of equal size, a
    multiple of those in flight, so even a small batch keeps every write thread busy and the
    last requests end together."""
    slots = STAGE_REQUESTS_IN_FLIGHT
    rounds = -(-batch // (STAGE_DOCS_PER_REQUEST * slots))
    return -(-batch // (rounds * slots))


def _write_targets(es: Elasticsearch) -> list[str]:
    """The aliases this batch is written to (`write_targets`), asked of Elasticsearch only
    while a reindex runs.

    A `-next` index exists only while a reindex holds its lock (`reindex_running`), and this
    is called after the batch is claimed: a reindex that takes its lock after this check
    creates `-next` and reads the store after it too, so it reads what was claimed here
    (committed before the claim) and loads it itself.
    """
    if not reindex_running(redis_client()):
        return [alias_name()]
    return write_targets(es)


def alerts_saved(session: Session) -> bool:
    """Whether any saved search exists, so the indexed articles must be matched: asked in
    the transaction that records the call, not in one of its own.

    Without one, no message: a search saved while a batch was indexed hears of its articles
    from the catch-up job (services/alerts/matching.py: indexed articles since the oldest
    search that no matching run has seen), once, as of a lost message.
    """
    return session.scalar(_ANY_ALERT) is not None


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection during a call: its passes walked the batch's decoded rows
    and documents again and again while they were projected (a third of `from_db`'s CPU).
    They are freed by their reference counts as usual; the collector runs again after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def index_articles(session: Session, article_ids: Sequence[str]) -> list[str]:
    """Index every enriched article of the batch in bulk; returns the ids now indexed."""
    with collector_paused():
        return _index_articles(session, article_ids)


def _index_articles(session: Session, article_ids: Sequence[str]) -> list[str]:
    # Every row is locked by now; each is decoded and projected as the bulk requests ask for
    # it (bulk_stream), so the first request leaves before the batch is read.
    rows = claim_rows(session, Stage.INDEX, article_ids, _CLAIMED_COLUMNS)
    first = next(rows, None)
    if first is None:
        return []
    # Elasticsearch unreachable or overloaded here or in the bulk write: the error goes up
    # to the stage runner, and the failure policy says whether the batch is retried.
    es = get_client()
    ensure_ready(es)
    targets = _write_targets(es)
    now = utcnow()
    claimed: dict[str, Any] = {}
    batch = len(set(article_ids))
    per_request = docs_per_request(batch)
    # A short first request lets the reading of the next ones overlap it, when there are
    # next ones to read: a batch sent in one round of requests goes out in equal requests.
    one_round = batch <= per_request * STAGE_REQUESTS_IN_FLIGHT

    def documents() -> Iterator[Document]:
        for row in map(_ClaimedRow._make, chain([first], rows)):
            claimed[row.id] = row
            try:
                yield Document(row.id, row.revision, document_source(row, now))
            except Exception as exc:  # noqa: BLE001 - one odd row must not sink its batch
                fail(row.id, "projection_error", f"{type(exc).__name__}: {exc}", exc)

    def fail(article_id: str, reason: str, message: str, exc: Exception | None = None) -> None:
        article = session.get(Article, article_id)  # locked by the claim: read as claimed
        assert article is not None
        mark_failed(session, article, Stage.INDEX, reason=reason, message=message, exc=exc)

    indexed: list[Any] = []
    settled: list[Any] = []  # indexed, not yet sent to the store
    retry: list[str] = []
    for doc, results in bulk_stream(
        es,
        documents(),
        targets,
        max_docs=per_request,
        parallel=STAGE_REQUESTS_IN_FLIGHT,
        first_docs=per_request if one_round else None,
    ):
        # Every target answered: the article's state is settled while later requests are
        # in flight, and sent to the store in a few statements per call.
        verdict, reason = outcome(results)
        if verdict == "indexed":
            settled.append(claimed[doc.id])
        elif verdict == "retry":
            retry.append(doc.id)
        else:
            fail(doc.id, "index_rejected", reason or "rejected by Elasticsearch")
        if len(settled) >= STAGE_ROWS_PER_ADVANCE:
            advance_all(session, settled, Stage.INDEX, ArticleState.INDEXED, indexed_at=now)
            indexed += settled
            settled = []
    advance_all(session, settled, Stage.INDEX, ArticleState.INDEXED, indexed_at=now)
    indexed += settled
    alerts = bool(indexed) and alerts_saved(session)
    session.commit()
    for row in indexed:  # committed: the articles are searchable at the next refresh
        if row.revision == 1:  # a revision's acceptance time is not kept
            ACCEPTED_TO_SEARCHABLE.observe((now - row.created_at).total_seconds())
    # Saved searches hear of the new articles; a lost message is found by the catch-up job.
    indexed_ids = [row.id for row in indexed]
    if alerts:
        enqueue_alert_matching(indexed_ids)
    if retry:
        log.warning("index_items_retry", count=len(retry))
        raise TransientError(f"{len(retry)} documents were not accepted by Elasticsearch yet")
    return indexed_ids
