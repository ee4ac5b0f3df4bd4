"""Delivering matches to webhooks: at least once, signed, in order per alert, with a budget.

A due match is leased before it is sent (its next attempt moved past the request's timeout
and its attempt counted, in a committed transaction), so a worker killed mid-request leaves a
match that is simply sent again when the lease ends, with the same idempotency key.

What happens to a match, by answer:

| answer                                   | match                     | alert                     |
| ---------------------------------------- | ------------------------- | ------------------------- |
| 2xx                                      | delivered                 | failure count reset       |
| 408, 429, 5xx, timeout, connection error | retried with backoff and  | failure count + 1; paused |
|                                          | jitter (`Retry-After` is  | after `alert_pause_after_ |
|                                          | honoured), dead after     | failures` in a row        |
|                                          | `alert_max_attempts`      |                           |
| other 4xx, 3xx (no redirects followed)   | dead at once (replayable) | failure count + 1         |
| URL refused by the address guard         | dead at once              | failure count + 1         |

Matches of one alert go out in the order they were made: while one waits for its retry, the
later ones of the same alert wait behind it. Paused alerts keep their pending matches until
`resume`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import httpx
import orjson
import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.alerts import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    DeliveryState,
    idempotency_key,
    payload,
    signature,
)
from shared.failure_policy import alert_delivery_retry, is_retryable_webhook_status
from shared.models import Alert, AlertDelivery, AlertMatch, Article, utcnow
from shared.netguard import BlockedURL, check_public_url
from shared.settings import get_settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Attempt:
    outcome: str  # delivered | retry | rejected
    status_code: int | None
    error: str | None
    retry_after_s: float | None = None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def send(client: httpx.Client, alert: Alert, match: AlertMatch, article: Article | None) -> Attempt:
    """One signed POST of one match; never raises for what the receiver or network does."""
    settings = get_settings()
    assert alert.webhook_url is not None
    try:
        check_public_url(alert.webhook_url, allow=settings.alert_webhook_allow)
    except BlockedURL as exc:
        return Attempt("rejected", None, f"{exc.reason}: {exc}")
    body = orjson.dumps(payload(alert, match, article))
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(alert.secret, body),
        IDEMPOTENCY_HEADER: idempotency_key(match),
        "User-Agent": settings.fetch_user_agent,
    }
    try:
        response = client.post(alert.webhook_url, content=body, headers=headers)
    except httpx.TimeoutException as exc:
        return Attempt("retry", None, f"timeout: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        return Attempt("retry", None, f"{type(exc).__name__}: {exc}")
    status = response.status_code
    if 200 <= status < 300:
        return Attempt("delivered", status, None)
    error = f"HTTP {status}: {response.text[:200]}"
    if is_retryable_webhook_status(status):
        return Attempt("retry", status, error, _retry_after(response))
    return Attempt("rejected", status, error)


def claim_due(session: Session, limit: int) -> list[AlertMatch]:
    """Lease the matches due now, oldest first, keeping each alert's order."""
    settings = get_settings()
    now = utcnow()
    query = (
        select(AlertMatch)
        .join(Alert, Alert.id == AlertMatch.alert_id)
        .where(
            AlertMatch.delivery_state == DeliveryState.PENDING,
            AlertMatch.next_attempt_at <= now,
            Alert.paused_at.is_(None),
            Alert.webhook_url.is_not(None),
        )
        .order_by(AlertMatch.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=AlertMatch)
    due = list(session.scalars(query))
    if not due:
        session.commit()
        return []
    # The oldest match of each alert that is not due (waiting for a retry, or leased by
    # another worker) holds back the alert's later ones.
    waiting: dict[str, int] = dict(
        session.execute(
            select(AlertMatch.alert_id, func.min(AlertMatch.id))
            .where(
                AlertMatch.alert_id.in_({m.alert_id for m in due}),
                AlertMatch.delivery_state == DeliveryState.PENDING,
                AlertMatch.next_attempt_at > now,
            )
            .group_by(AlertMatch.alert_id)
        )
        .tuples()
        .all()
    )
    lease = now + timedelta(seconds=settings.alert_delivery_timeout_s * 2 + 5)
    claimed = [m for m in due if waiting.get(m.alert_id) is None or m.id < waiting[m.alert_id]]
    for match in claimed:
        match.next_attempt_at = lease
        match.attempts += 1
    session.commit()
    return claimed


def _record(
    session: Session, alert: Alert, match: AlertMatch, attempt: Attempt, duration_ms: float
) -> str:
    settings = get_settings()
    now = utcnow()
    if attempt.outcome == "delivered":
        match.delivery_state = DeliveryState.DELIVERED
        match.delivered_at = now
        match.next_attempt_at = None
        match.last_error = None
        alert.consecutive_failures = 0
        outcome = "delivered"
    else:
        match.last_error = attempt.error
        alert.consecutive_failures += 1
        policy = alert_delivery_retry()
        if attempt.outcome == "rejected" or match.attempts > policy.times:
            match.delivery_state = DeliveryState.DEAD
            match.next_attempt_at = None
            outcome = "dead"
        else:
            delay = max(policy.backoff_s(match.attempts - 1), attempt.retry_after_s or 0.0)
            match.next_attempt_at = now + timedelta(seconds=min(delay, policy.cap_s))
            outcome = "retry"
        if (
            alert.paused_at is None
            and alert.consecutive_failures >= settings.alert_pause_after_failures
        ):
            alert.paused_at = now
            alert.paused_reason = (
                f"paused after {alert.consecutive_failures} failed deliveries in a row; "
                f"last: {attempt.error}"
            )
            log.warning("alert_paused", alert_id=alert.id, reason=alert.paused_reason)
    session.add(
        AlertDelivery(
            match_id=match.id,
            alert_id=alert.id,
            attempt=match.attempts,
            outcome=outcome,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=duration_ms,
            at=now,
        )
    )
    session.commit()
    return outcome


def deliver_due(session: Session, *, limit: int = 100, client: httpx.Client | None = None) -> int:
    """Send every due match (up to `limit`); returns how many were delivered."""
    settings = get_settings()
    claimed = claim_due(session, limit)
    if not claimed:
        return 0
    own_client = client is None
    client = client or httpx.Client(
        timeout=httpx.Timeout(settings.alert_delivery_timeout_s),
        follow_redirects=False,  # a redirect would bypass the address guard
        trust_env=False,  # so would an environment proxy
    )
    delivered = 0
    stopped: set[str] = set()  # alerts whose earlier match failed in this round
    try:
        alerts = {
            a.id: a
            for a in session.scalars(
                select(Alert).where(Alert.id.in_({m.alert_id for m in claimed}))
            )
        }
        articles = {
            a.id: a
            for a in session.scalars(
                select(Article).where(Article.id.in_({m.article_id for m in claimed}))
            )
        }
        for match in claimed:
            alert = alerts[match.alert_id]
            if match.alert_id in stopped or alert.paused_at is not None:
                # Keep the order: give the lease back, it goes after the failed one's retry.
                match.attempts -= 1
                match.next_attempt_at = utcnow()
                session.commit()
                continue
            started = time.perf_counter()
            attempt = send(client, alert, match, articles.get(match.article_id))
            outcome = _record(
                session, alert, match, attempt, (time.perf_counter() - started) * 1000
            )
            log.info(
                "alert_delivery",
                alert_id=alert.id,
                article_id=match.article_id,
                outcome=outcome,
                status=attempt.status_code,
            )
            if outcome == "delivered":
                delivered += 1
            else:
                stopped.add(match.alert_id)
    finally:
        if own_client:
            client.close()
    return delivered
