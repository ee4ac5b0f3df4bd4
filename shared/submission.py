"""Accepting articles: validate, store (committed), then enqueue ingest.

The API, the CLI and the feed poller all submit through `submit_articles`, so an article
is accepted the same way whatever its door.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.celery_app import enqueue
from shared.errors import RejectedInput
from shared.identity import article_id
from shared.metrics import ARTICLES_ACCEPTED
from shared.models import Article, utcnow
from shared.schemas import ArticleIn, SubmitResult
from shared.settings import get_settings
from shared.states import ArticleState, Stage

# Share of control characters above which a text is treated as binary garbage.
_MAX_CONTROL_SHARE = 0.01


def validate_content(item: ArticleIn) -> None:
    """Refuse what no stage could turn into an article, with a machine-readable reason."""
    settings = get_settings()
    content = item.content
    if len(content.encode("utf-8", errors="surrogatepass")) > settings.max_article_bytes:
        raise RejectedInput(
            f"article is larger than {settings.max_article_bytes} bytes",
            reason="too_large",
            status_code=413,
        )
    if len(content.strip()) < settings.min_body_chars:
        raise RejectedInput("article body is empty", reason="empty_body")
    controls = sum(
        1 for ch in content if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\r\t\f"
    )
    if "\x00" in content or controls > _MAX_CONTROL_SHARE * len(content):
        raise RejectedInput("article looks like binary data, not text", reason="binary_content")


def _raw_hash(item: ArticleIn) -> str:
    return hashlib.sha256(
        item.model_dump_json(exclude={"published_at"}).encode("utf-8", errors="surrogatepass")
    ).hexdigest()


def _store(session: Session, item: ArticleIn) -> SubmitResult:
    new_id = article_id(
        source=item.source, external_id=item.external_id, url=item.url, content=item.content
    )
    raw_hash = _raw_hash(item)
    existing = session.get(Article, new_id)
    if existing is not None and existing.raw_hash == raw_hash:
        return SubmitResult(id=new_id, status="unchanged", revision=existing.revision)
    fields = {
        "source": item.source,
        "external_id": item.external_id,
        "url": item.url,
        "input_format": item.input_format,
        "raw_content": item.content,
        "submitted": item.model_dump(mode="json", exclude={"text", "html"}),
        "raw_hash": raw_hash,
        "state": ArticleState.RECEIVED,
        "state_changed_at": utcnow(),
        "attempts": 0,
        "failed_stage": None,
        "error": None,
        "error_class": None,
        "duplicate_of": None,
    }
    if existing is None:
        session.add(Article(id=new_id, revision=1, **fields))
        return SubmitResult(id=new_id, status="accepted", revision=1)
    # A changed version of a known article: a new revision replaces the old one downstream.
    for key, value in fields.items():
        setattr(existing, key, value)
    existing.revision += 1
    return SubmitResult(id=new_id, status="revised", revision=existing.revision)


def submit_articles(session: Session, items: Sequence[ArticleIn]) -> list[SubmitResult]:
    """Store each valid item (one savepoint each), commit, then enqueue the new ones."""
    results: list[SubmitResult] = []
    for item in items:
        try:
            validate_content(item)
            with session.begin_nested():
                result = _store(session, item)
        except RejectedInput as exc:
            result = SubmitResult(status="rejected", reason=exc.reason, detail=str(exc))
        except IntegrityError:
            # Lost a race with a concurrent submission of the same article: it is stored.
            result = SubmitResult(
                status="unchanged",
                id=article_id(
                    source=item.source,
                    external_id=item.external_id,
                    url=item.url,
                    content=item.content,
                ),
            )
        results.append(result)
    session.commit()
    for result in results:
        ARTICLES_ACCEPTED.labels(result.status).inc()
    to_ingest = list(
        dict.fromkeys(r.id for r in results if r.status in ("accepted", "revised") and r.id)
    )
    enqueue(Stage.INGEST, to_ingest)
    return results
