"""Saved searches (alerts): their records, the webhook payload and its signature.

The API and the CLI manage alerts through these functions; the alerts worker
(`services/alerts`) matches indexed articles against them and delivers the matches.

Signing: every webhook body is signed with the alert's secret, Stripe-style:

    X-Newsflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares it in
constant time and refuses timestamps older than a few minutes (replays). `verify_signature`
is that recipe; the README shows it for receivers written without newsflow.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from shared.models import Alert, AlertDelivery, AlertMatch, Article, utcnow
from shared.search.query import SearchParams
from shared.settings import get_settings

# The parameters of `GET /v1/search` that a saved search keeps: what to match, not how to page.
QUERY_FIELDS = (
    "q",
    "person",
    "organization",
    "place",
    "event",
    "source",
    "language",
    "speaker",
    "keyword",
)
SIGNATURE_HEADER = "X-Newsflow-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SIGNATURE_TOLERANCE_S = 300


# The bounds `GET /v1/search` puts on each filter, stated in the schema.
FilterValues = Annotated[
    list[Annotated[str, StringConstraints(max_length=200)]], Field(max_length=20)
]


class DeliveryState:
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"
    DEAD = "dead"  # retries used up or refused by the receiver: replayable
    GROUPED = "grouped"  # a copy of a story already notified: recorded, not sent
    PULL = "pull"  # the alert has no webhook: read through the matches feed


class AlertSpec(BaseModel):
    """What `POST /v1/alerts` accepts: a name, the search, and where to push matches."""

    name: str = Field(min_length=1, max_length=200)
    q: str = Field(default="", max_length=1000, description="As `q` of `GET /v1/search`.")
    person: FilterValues = Field(default_factory=list)
    organization: FilterValues = Field(default_factory=list)
    place: FilterValues = Field(default_factory=list)
    event: FilterValues = Field(default_factory=list)
    source: FilterValues = Field(default_factory=list)
    language: FilterValues = Field(default_factory=list)
    speaker: FilterValues = Field(default_factory=list)
    keyword: FilterValues = Field(default_factory=list)
    webhook_url: str | None = Field(
        default=None, max_length=2048, description="Omit for a pull-only alert (matches feed)."
    )
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=200,
        description="Signs webhook bodies; generated (and shown once) when omitted.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip() or "\x00" in value:
            raise ValueError("name must be printable text")
        return value.strip()

    @model_validator(mode="after")
    def _check(self) -> AlertSpec:
        # The same validation as a search: a saved search is a search.
        SearchParams(**self.query())
        return self

    def query(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in QUERY_FIELDS if getattr(self, name)}


class AlertLimitReached(RuntimeError):
    pass


def search_params(alert: Alert) -> SearchParams:
    return SearchParams(**alert.query)


def create_alert(session: Session, spec: AlertSpec) -> tuple[Alert, str]:
    """Store a new alert; returns it with its secret (shown to the caller once)."""
    limit = get_settings().max_alerts
    if (session.scalar(select(func.count()).select_from(Alert)) or 0) >= limit:
        raise AlertLimitReached(f"at most {limit} alerts (NEWSFLOW_MAX_ALERTS)")
    secret = spec.secret or secrets.token_urlsafe(32)
    alert = Alert(
        id=secrets.token_hex(16),
        name=spec.name,
        query=spec.query(),
        webhook_url=spec.webhook_url,
        secret=secret,
        consecutive_failures=0,
        created_at=utcnow(),
    )
    session.add(alert)
    session.flush()
    return alert, secret


def match_counts(session: Session, alert_ids: list[str]) -> dict[str, dict[str, int]]:
    """Alert id -> its matches by delivery state, for many alerts in one query."""
    counts: dict[str, dict[str, int]] = {alert_id: {} for alert_id in alert_ids}
    for alert_id, state, n in session.execute(
        select(AlertMatch.alert_id, AlertMatch.delivery_state, func.count())
        .where(AlertMatch.alert_id.in_(alert_ids))
        .group_by(AlertMatch.alert_id, AlertMatch.delivery_state)
    ):
        counts[alert_id][state] = int(n)
    return counts


def alert_views(session: Session, alerts: list[Alert]) -> list[dict[str, Any]]:
    """Alerts as apps see them: never their secret."""
    counts = match_counts(session, [a.id for a in alerts])
    return [
        {
            "id": alert.id,
            "name": alert.name,
            "query": alert.query,
            "webhook_url": alert.webhook_url,
            "paused": alert.paused_at is not None,
            "paused_at": alert.paused_at,
            "paused_reason": alert.paused_reason,
            "consecutive_failures": alert.consecutive_failures,
            "created_at": alert.created_at,
            "matches": counts[alert.id],
        }
        for alert in alerts
    ]


def alert_view(session: Session, alert: Alert) -> dict[str, Any]:
    return alert_views(session, [alert])[0]


def delete_alert(session: Session, alert: Alert) -> None:
    # Explicit deletes: SQLite does not cascade unless foreign keys are enforced.
    session.execute(delete(AlertDelivery).where(AlertDelivery.alert_id == alert.id))
    session.execute(delete(AlertMatch).where(AlertMatch.alert_id == alert.id))
    session.delete(alert)


def resume_alert(session: Session, alert: Alert) -> None:
    """Unpause: deliveries held while paused go out in order, the failure count restarts."""
    alert.paused_at = None
    alert.paused_reason = None
    alert.consecutive_failures = 0
    session.execute(
        update(AlertMatch)
        .where(
            AlertMatch.alert_id == alert.id,
            AlertMatch.delivery_state == DeliveryState.PENDING,
        )
        .values(next_attempt_at=utcnow())
    )


def replay_dead(session: Session, alert: Alert) -> int:
    """Dead deliveries of an alert go out again, with a fresh retry budget."""
    result = session.execute(
        update(AlertMatch)
        .where(AlertMatch.alert_id == alert.id, AlertMatch.delivery_state == DeliveryState.DEAD)
        .values(
            delivery_state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=utcnow(),
            last_error=None,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def idempotency_key(match: AlertMatch) -> str:
    """Stable per (alert, article, revision): a redelivery carries the same key."""
    return f"{match.alert_id}:{match.article_id}:{match.revision}"


def match_view(match: AlertMatch, article: Article | None) -> dict[str, Any]:
    return {
        "match_id": match.id,
        "article_id": match.article_id,
        "revision": match.revision,
        "matched_at": match.matched_at,
        "delivery": match.delivery_state,
        "attempts": match.attempts,
        "delivered_at": match.delivered_at,
        "last_error": match.last_error,
        # A copy of a story this alert already notified: the first article of it.
        "grouped_with": match.grouped_with,
        "cluster_id": match.cluster_id,
        "title": article.title if article else None,
        "url": (article.canonical_url or article.url) if article else None,
        "source": article.source if article else None,
        "published_at": article.published_at if article else None,
    }


def list_matches(
    session: Session, alert: Alert, *, after: int | None, size: int
) -> list[tuple[AlertMatch, Article | None]]:
    """Matches newest first; `after` is the last match id of the previous page."""
    query = select(AlertMatch).where(AlertMatch.alert_id == alert.id)
    if after is not None:
        query = query.where(AlertMatch.id < after)
    matches = list(session.scalars(query.order_by(AlertMatch.id.desc()).limit(size)))
    articles = {
        a.id: a
        for a in session.scalars(
            select(Article).where(Article.id.in_([m.article_id for m in matches]))
        )
    }
    return [(m, articles.get(m.article_id)) for m in matches]


def list_deliveries(
    session: Session, alert: Alert, *, after: int | None, size: int
) -> list[AlertDelivery]:
    """Delivery attempts newest first; `after` is the last id of the previous page."""
    query = select(AlertDelivery).where(AlertDelivery.alert_id == alert.id)
    if after is not None:
        query = query.where(AlertDelivery.id < after)
    return list(session.scalars(query.order_by(AlertDelivery.id.desc()).limit(size)))


def delivery_view(delivery: AlertDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "match_id": delivery.match_id,
        "attempt": delivery.attempt,
        "outcome": delivery.outcome,
        "status_code": delivery.status_code,
        "error": delivery.error,
        "duration_ms": round(delivery.duration_ms, 1),
        "at": delivery.at,
    }


def payload(alert: Alert, match: AlertMatch, article: Article | None) -> dict[str, Any]:
    """The webhook body: which alert, which article, and the keys to deduplicate on."""
    enrichment = (article.enrichment if article else None) or {}
    return {
        "type": "alert.match",
        "idempotency_key": idempotency_key(match),
        "alert": {"id": alert.id, "name": alert.name},
        "article": {
            "id": match.article_id,
            "revision": match.revision,
            "title": article.title if article else None,
            "url": (article.canonical_url or article.url) if article else None,
            "source": article.source if article else None,
            "published_at": _iso(article.published_at) if article else None,
            "language": article.language if article else None,
            "summary": enrichment.get("summary"),
        },
        # Copies of this story that match later are recorded under this match, not sent.
        "story": {"cluster_id": match.cluster_id, "copies_grouped": True},
        "matched_at": _iso(match.matched_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def signature(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of the signature header for `body`, sent at `timestamp` (unix seconds)."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance_s: int = SIGNATURE_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """The receiver's check: the HMAC matches and the timestamp is recent."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))
