"""The index stage as a plain function: enriched articles are bulk-written to the alias.

Each document's `_id` is the article id and its external version the article revision,
so a redelivered batch or a replay never makes a second document, and a stale revision
can never overwrite a newer one. While a reindex runs, every batch is also written to the
index being built (see shared/search/indices.py), so nothing indexed meanwhile is lost.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import structlog
from elasticsearch import Elasticsearch
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.indexer.bulk import Document, ItemResult, bulk_stream, first_request_docs
from shared.celery_app import enqueue_alert_matching
from shared.errors import TransientError
from shared.metrics import ACCEPTED_TO_SEARCHABLE
from shared.models import Article, utcnow
from shared.pipeline import advance_all, claim, mark_failed
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
_ready: dict[str, bool] = {}


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


def index_articles(session: Session, article_ids: Sequence[str]) -> list[str]:
    """Index every enriched article of the batch in bulk; returns the ids now indexed."""
    articles = claim(session, Stage.INDEX, article_ids)
    if not articles:
        return []
    # Elasticsearch unreachable or overloaded here or in the bulk write: the error goes up
    # to the stage runner, and the failure policy says whether the batch is retried.
    es = get_client()
    ensure_ready(es)
    targets = write_targets(es)
    now = utcnow()
    by_id = {article.id: article for article in articles}
    per_request = docs_per_request(len(articles))

    def documents() -> Iterator[Document]:
        """Read (the short first request's rows, then a request's worth per query) and
        projected while the requests before are in flight (bulk_stream): the first one
        leaves before the batch is read. `claim` holds the rows' locks, so what is read here
        is what was claimed."""
        ids, start, size = list(by_id), 0, first_request_docs(per_request)
        while start < len(ids):
            rows = session.execute(
                select(*PROJECTED_COLUMNS)
                .where(Article.id.in_(ids[start : start + size]))
                .order_by(Article.id)
            ).all()
            start, size = start + size, per_request
            for row in rows:
                try:
                    yield Document(row.id, row.revision, from_db(row, indexed_at=now))
                except Exception as exc:  # noqa: BLE001 - one odd row must not sink its batch
                    mark_failed(
                        session,
                        by_id[row.id],
                        Stage.INDEX,
                        reason="projection_error",
                        message=f"{type(exc).__name__}: {exc}",
                        exc=exc,
                    )

    indexed: list[Article] = []
    settled: list[Article] = []  # indexed, not yet sent to the store
    retry: list[str] = []
    for doc, results in bulk_stream(
        es, documents(), targets, max_docs=per_request, parallel=STAGE_REQUESTS_IN_FLIGHT
    ):
        # Every target answered: the article's state is settled while later requests are
        # in flight, and sent to the store a request's worth at a time.
        article = by_id[doc.id]
        verdict, reason = outcome(results)
        if verdict == "indexed":
            settled.append(article)
        elif verdict == "retry":
            retry.append(doc.id)
        else:
            mark_failed(
                session,
                article,
                Stage.INDEX,
                reason="index_rejected",
                message=reason or "rejected by Elasticsearch",
            )
        if len(settled) == per_request:
            advance_all(session, settled, Stage.INDEX, ArticleState.INDEXED, indexed_at=now)
            indexed += settled
            settled = []
    advance_all(session, settled, Stage.INDEX, ArticleState.INDEXED, indexed_at=now)
    indexed += settled
    session.commit()
    for article in indexed:  # committed: the articles are searchable at the next refresh
        if article.revision == 1:  # a revision's acceptance time is not kept
            ACCEPTED_TO_SEARCHABLE.observe((now - article.created_at).total_seconds())
    # Saved searches hear of the new articles; a lost message is found by the catch-up job.
    indexed_ids = [article.id for article in indexed]
    enqueue_alert_matching(indexed_ids)
    if retry:
        log.warning("index_items_retry", count=len(retry))
        raise TransientError(f"{len(retry)} documents were not accepted by Elasticsearch yet")
    return indexed_ids
