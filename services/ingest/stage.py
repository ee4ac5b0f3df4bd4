"""The ingest stage as plain functions: received articles become clean, deduplicated rows."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from billiard.exceptions import SoftTimeLimitExceeded
from sqlalchemy.orm import Session

from services.ingest.dedup import BatchDeduplicator, Match
from services.ingest.extraction import Extracted, extract
from shared.errors import PermanentError
from shared.identity import content_hash
from shared.models import Article
from shared.pipeline import advance_each, claim, mark_failed
from shared.states import ArticleState, Stage

log = structlog.get_logger(__name__)


def apply_extraction(article: Article, extracted: Extracted) -> None:
    submitted = article.submitted or {}
    final = extracted.with_submitted(
        title=submitted.get("title"),
        published_at=submitted.get("published_at"),
        language=submitted.get("language"),
    )
    article.title = final.title
    article.body = extracted.body
    article.canonical_url = extracted.canonical_url or article.url
    article.published_at = final.published_at
    article.language = final.language
    article.extracted = extracted.to_json()  # what extraction found, before the submitter's
    article.content_hash = content_hash(f"{article.title or ''}\n{extracted.body}")


def _extract(session: Session, article: Article) -> bool:
    """Extract one article into its row; on bad input mark it failed and return False."""
    try:
        extracted = extract(article.raw_content, article.input_format, url=article.url)
    except PermanentError as exc:
        mark_failed(session, article, Stage.INGEST, reason=exc.reason, message=str(exc), exc=exc)
        return False
    except SoftTimeLimitExceeded:
        raise  # the batch's time is up, not this article's fault: shared/worker.py splits it
    except Exception as exc:  # noqa: BLE001 - one bad article must not sink its batch
        mark_failed(
            session,
            article,
            Stage.INGEST,
            reason="extraction_error",
            message=f"{type(exc).__name__}: {exc}",
            exc=exc,
        )
        return False
    if not extracted.body.strip():
        mark_failed(
            session,
            article,
            Stage.INGEST,
            reason="no_article_text",
            message="no article text could be extracted from the input",
        )
        return False
    apply_extraction(article, extracted)
    return True


def _apply_match(article: Article, match: Match | None) -> None:
    article.duplicate_of = match.of if match else None
    article.duplicate_kind = match.kind if match else None
    article.similarity = match.similarity if match else None
    article.cluster_id = match.cluster_id if match else article.id


def ingest_articles(session: Session, article_ids: Sequence[str]) -> list[str]:
    """Extract and dedupe each received article; returns the ids ready for enrichment.

    Exact copies stop at `duplicate`. Near copies go on to enrichment and indexing with the
    cluster id of their story, so search can collapse them (see `services.ingest.dedup`).
    """
    # Submission order, so that of two copies in one batch the first one is the original.
    claimed = sorted(claim(session, Stage.INGEST, article_ids), key=lambda a: (a.created_at, a.id))
    extracted = [article for article in claimed if _extract(session, article)]
    dedup = BatchDeduplicator(session, extracted)
    moves: list[tuple[Article, ArticleState]] = []
    for article in extracted:
        match = dedup.check(article)
        _apply_match(article, match)
        dedup.add(article, match)
        # A revision of an article already in the index must reach the index again, even as
        # an exact copy: stopping it here would leave its previous version searchable.
        if match is not None and match.kind == "exact" and article.indexed_at is None:
            moves.append((article, ArticleState.DUPLICATE))
        else:
            moves.append((article, ArticleState.INGESTED))
    advance_each(session, moves, Stage.INGEST)
    ready = [article.id for article, state in moves if state == ArticleState.INGESTED]
    # Only a revision can have bands to replace: a first revision waiting for ingest was never
    # ingested (one DELETE less for a new article).
    dedup.save(article.id for article in extracted if article.revision > 1)
    session.commit()
    return ready
