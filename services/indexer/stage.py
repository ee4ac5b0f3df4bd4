"""The index stage as a plain function: enriched articles are bulk-written to the alias.

Each document's `_id` is the article id and its external version the article revision,
so a redelivered batch or a replay never makes a second document, and a stale revision
can never overwrite a newer one. While a reindex runs, every batch is also written to the
index being built (see shared/search/indices.py and `_write_targets`), so nothing indexed
meanwhile is lost.

A call's fixed cost is kept small, since single posts make batches of one: the claim reads
the projected columns in its own locking SELECT, the outcome is recorded in two statements
and a commit, Elasticsearch is asked about `-next` only while a reindex holds its lock, and
the alerts worker only when a saved search exists. A batch of more than one request's
worth (a backlog the worker gathered) is claimed and recorded in parts of a request's worth,
each in a transaction of its own, overlapping the bulk requests (`index_articles`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import structlog
from elasticsearch import Elasticsearch
from sqlalchemy import Engine, Row, select
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
from shared.search.documents import PROJECTED_COLUMNS, from_db
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
# What the claim reads: the columns projected, and those the outcome is recorded with.
_CLAIMED_COLUMNS = (*PROJECTED_COLUMNS, Article.attempts)
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


@dataclass
class _Part:
    """Ids of a batch claimed, locked and recorded together, in a transaction of their own."""

    session: Session
    rows: Iterator[Row[Any]]
    claimed: dict[str, Row[Any]] = field(default_factory=dict)
    read: bool = False  # every row was handed to the bulk requests (or failed)
    open: int = 0  # rows handed over, not settled yet
    indexed: list[Row[Any]] = field(default_factory=list)
    recorded: bool = False


def _own_transactions(session: Session) -> Engine | None:
    """The engine that claims parts of a batch in sessions of their own: PostgreSQL's; SQLite
    serialises writers, so there (or on a session bound to one connection) a batch is one part."""
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        return bind
    return None


def alerts_saved(session: Session) -> bool:
    """Whether any saved search exists, so the indexed articles must be matched: asked in
    the transaction that records the first part of a call, not in one of its own.

    Without one, no message: a search saved while a batch was indexed hears of its articles
    from the catch-up job (services/alerts/matching.py: indexed articles since the oldest
    search that no matching run has seen), once, as of a lost message.
    """
    return session.scalar(_ANY_ALERT) is not None


def index_articles(session: Session, article_ids: Sequence[str]) -> list[str]:
    """Index every enriched article of the batch in bulk; returns the ids now indexed.

    A batch of more than a request's worth of ids goes in parts (PostgreSQL): each is
    claimed (locked) as the bulk requests need its documents, while those of the part
    before are in flight, and recorded and committed as soon as its documents are
    settled, while later requests are in flight. So a big batch is not claim -> bulk ->
    record in series, and every row stays locked from its claim to its record. A part
    recorded stays recorded if a later one fails: the batch's retry finds nothing to do
    for its articles.
    """
    ids = sorted(set(article_ids))
    per_request = docs_per_request(len(ids))
    engine = _own_transactions(session)
    size = per_request if engine is not None else max(1, len(ids))
    waiting = [ids[start : start + size] for start in range(0, len(ids), size)]
    with ExitStack() as opened:
        free = [session]  # the caller's session claims the first part with rows

        def claim_next() -> _Part | None:
            """The next part with rows still waiting for the stage, locked; None at the end."""
            while waiting:
                part_session = free[0] if free else opened.enter_context(Session(bind=engine))
                rows = claim_rows(part_session, Stage.INDEX, waiting.pop(0), _CLAIMED_COLUMNS)
                first = next(rows, None)
                if first is not None:
                    free.clear()
                    return _Part(part_session, chain([first], rows))
            return None

        part = claim_next()
        if part is None:
            return []
        return _index_parts(part, claim_next, len(ids), per_request)


def _index_parts(
    first: _Part, claim_next: Callable[[], _Part | None], batch: int, per_request: int
) -> list[str]:
    # Elasticsearch unreachable or overloaded here or in the bulk write: the error goes up
    # to the stage runner, and the failure policy says whether the batch is retried.
    es = get_client()
    ensure_ready(es)
    targets = _write_targets(es)
    now = utcnow()
    owner: dict[str, _Part] = {}
    alerts: list[bool] = []  # whether a saved search exists, asked once per call
    indexed: list[Row[Any]] = []
    retry: list[str] = []
    # A short first request lets the reading of the next ones overlap it, when there are
    # next ones to read: a batch sent in one round of requests goes out in equal requests.
    one_round = batch <= per_request * STAGE_REQUESTS_IN_FLIGHT

    def settle(part: _Part, row: Row[Any] | None = None) -> None:
        """One row of `part` settled (`row` when indexed)."""
        part.open -= 1
        if row is not None:
            part.indexed.append(row)
        record_if_settled(part)

    def record_if_settled(part: _Part) -> None:
        """A part whose rows are all read and settled is recorded: one INSERT of history
        lines, one UPDATE and a commit (its failed rows are in that commit too)."""
        if part.read and part.open == 0 and not part.recorded:
            advance_all(
                part.session, part.indexed, Stage.INDEX, ArticleState.INDEXED, indexed_at=now
            )
            if not alerts:
                alerts.append(alerts_saved(part.session))
            part.session.commit()
            part.recorded = True
            indexed.extend(part.indexed)

    def fail(
        part: _Part, article_id: str, reason: str, message: str, exc: Exception | None = None
    ) -> None:
        article = part.session.get(Article, article_id)  # locked by the claim: read as claimed
        assert article is not None
        mark_failed(part.session, article, Stage.INDEX, reason=reason, message=message, exc=exc)

    def documents() -> Iterator[Document]:
        part: _Part | None = first
        while part is not None:
            for row in part.rows:
                part.claimed[row.id] = row
                owner[row.id] = part
                part.open += 1
                try:
                    document = Document(row.id, row.revision, from_db(row, indexed_at=now))
                except Exception as exc:  # noqa: BLE001 - one odd row must not sink its batch
                    fail(part, row.id, "projection_error", f"{type(exc).__name__}: {exc}", exc)
                    settle(part)
                    continue
                yield document
            part.read = True
            record_if_settled(part)
            part = claim_next()

    for doc, results in bulk_stream(
        es,
        documents(),
        targets,
        max_docs=per_request,
        parallel=STAGE_REQUESTS_IN_FLIGHT,
        first_docs=per_request if one_round else None,
    ):
        # Every target answered: the article's state is settled while later requests are
        # in flight.
        part = owner[doc.id]
        verdict, reason = outcome(results)
        if verdict == "indexed":
            settle(part, part.claimed[doc.id])
            continue
        if verdict == "retry":
            retry.append(doc.id)
        else:
            fail(part, doc.id, "index_rejected", reason or "rejected by Elasticsearch")
        settle(part)
    for row in indexed:  # committed: the articles are searchable at the next refresh
        if row.revision == 1:  # a revision's acceptance time is not kept
            ACCEPTED_TO_SEARCHABLE.observe((now - row.created_at).total_seconds())
    indexed_ids = [row.id for row in indexed]
    # Saved searches hear of the new articles; a lost message is found by the catch-up job.
    if indexed_ids and alerts[0]:
        enqueue_alert_matching(indexed_ids)
    if retry:
        log.warning("index_items_retry", count=len(retry))
        raise TransientError(f"{len(retry)} documents were not accepted by Elasticsearch yet")
    return indexed_ids
