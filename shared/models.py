"""SQLAlchemy models: the store is the source of truth for every article and its state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from shared.states import ArticleState
from shared.times import as_utc

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them without zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value).astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value)


class Base(DeclarativeBase):
    pass


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default=ArticleState.RECEIVED, index=True)

    # What was submitted, kept so any stage can be re-run from the store.
    source: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(Text)
    input_format: Mapped[str] = mapped_column(String(8))  # "text" | "html"
    raw_content: Mapped[str] = mapped_column(Text)
    submitted: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    raw_hash: Mapped[str] = mapped_column(String(64))

    # Ingest output.
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    language: Mapped[str | None] = mapped_column(String(8))
    extracted: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Dedup. `duplicate_of` is the article this one copies (exact: same normalised text;
    # near: MinHash similarity above the threshold); `cluster_id` is the first article of
    # the story, shared by all its copies so search can collapse them.
    duplicate_of: Mapped[str | None] = mapped_column(ForeignKey("articles.id"), index=True)
    duplicate_kind: Mapped[str | None] = mapped_column(String(8))  # "exact" | "near"
    similarity: Mapped[float | None] = mapped_column(Float)  # estimated Jaccard, near copies
    cluster_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # Hash of the normalised submitted content and title: exact copies caught at the door.
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    # MinHash signature of the body (uint32 little-endian), to verify LSH candidates.
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)

    # Enrich output.
    enrichment: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The search document as enrichment left it (serialised JSON, shared/search/documents.py)
    # and the version of the projection that made it. Deferred: only indexing reads them.
    search_document: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    search_projection: Mapped[str | None] = mapped_column(String(16), deferred=True)

    # Failure bookkeeping: a failed article says where and why, and can be replayed.
    failed_stage: Mapped[str | None] = mapped_column(String(16))
    error_class: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    indexed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_articles_state_changed", "state", "state_changed_at"),)


# The columns the search document is projected from (tests/unit/test_projection.py checks it
# against the projection's list). A new value in one of them, set through the ORM, drops the stored
# document: the index stage then projects the row as it is, never a document gone stale.
DOCUMENT_SOURCE_COLUMNS = (
    "revision",
    "title",
    "body",
    "url",
    "canonical_url",
    "source",
    "language",
    "published_at",
    "created_at",
    "extracted",
    "enrichment",
    "cluster_id",
    "duplicate_of",
)


def _drop_stored_document(article: Article, *_: Any) -> None:
    article.search_document = None
    article.search_projection = None


for _column in DOCUMENT_SOURCE_COLUMNS:
    event.listen(getattr(Article, _column), "set", _drop_stored_document)


class StageEvent(Base):
    """One attempt of one stage on one article: the history ops read when something fails."""

    __tablename__ = "stage_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))  # ok | duplicate | failed | retry
    detail: Mapped[str | None] = mapped_column(Text)
    # Indexed: throughput per stage (the pipeline page, metrics) reads the last minutes only.
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ArticleBand(Base):
    """One LSH band of an article's MinHash: articles sharing a band are near-dup candidates.

    Kept in the store (not in a worker's memory) so every ingest process sees every article.
    """

    __tablename__ = "article_bands"

    band: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Feed(Base):
    """An RSS or Atom feed the scheduler polls with conditional GETs."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    source: Mapped[str | None] = mapped_column(String(200))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)  # HTTP status of the last poll
    error: Mapped[str | None] = mapped_column(Text)  # why the last poll (or some entries) failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Alert(Base):
    """A saved search: new articles that match it are pushed to a webhook and kept as matches.

    `query` holds the search parameters (`q` and the filters of `GET /v1/search`). `secret`
    signs the webhook bodies, so it is kept as given (it cannot be hashed) and never shown again.
    """

    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(200))
    # Paused alerts keep matching; their deliveries wait until `resume`.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_reason: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlertMatch(Base):
    """One article that matched one alert, and the state of its delivery.

    An article matches an alert once (a later revision that matches too is not news); a copy
    of a story already matched is recorded with `grouped_with` (the first article of the
    story that matched) and not delivered on its own.
    """

    __tablename__ = "alert_matches"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    article_id: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer)
    cluster_id: Mapped[str | None] = mapped_column(String(32))
    grouped_with: Mapped[str | None] = mapped_column(String(32))
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # pending -> delivered | dead; "grouped" and "pull" (no webhook) are never sent.
    delivery_state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ux_alert_matches_alert_article", "alert_id", "article_id", unique=True),
        Index("ix_alert_matches_due", "delivery_state", "next_attempt_at"),
        # Matching looks up a batch's articles and stories for every alert at once.
        Index("ix_alert_matches_article", "article_id"),
        Index("ix_alert_matches_cluster_id", "cluster_id"),
    )


class AlertDelivery(Base):
    """One attempt to deliver one match: the delivery log of an alert."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    match_id: Mapped[int] = mapped_column(
        ForeignKey("alert_matches.id", ondelete="CASCADE"), index=True
    )
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | retry | rejected | dead
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlertScan(Base):
    """An indexed article revision that was matched against the saved searches.

    The catch-up job matches indexed articles without one, so a lost matching message costs
    latency, not a notification.
    """

    __tablename__ = "alert_scans"

    article_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
