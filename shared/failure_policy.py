"""The failure policy: which troubles are transient, how long to wait, how often to retry.

Every caller names a policy from here (`stage_retry()`, `bulk_item_retry()`, ...) and asks
`is_transient`; none decides for itself. The knobs are settings (the "Failure policy" group
of shared/settings.py).

What happens to an article, by kind of trouble:

    trouble                            | what happens to the article
    -----------------------------------+---------------------------------------------------
    a dependency down or overloaded    | its batch is retried with backoff (`stage_retry`)
    (transient: PostgreSQL, Redis or   | and the attempt it counted is given back; after
    Elasticsearch unreachable, a pool  | the last retry it waits in the store, in the same
    or socket timeout, Elasticsearch   | state, and the sweeper re-sends it
    408, 429, 502, 503, 504)           |
    -----------------------------------+---------------------------------------------------
    bulk items refused for overload    | re-sent alone within the same call
    (item status 429, 503)             | (`bulk_item_retry`, `reindex_bulk_retry`), then
                                       | the batch retry above
    -----------------------------------+---------------------------------------------------
    a document refused (item 400)      | `failed`, reason `index_rejected`
    -----------------------------------+---------------------------------------------------
    Elasticsearch fails on a request   | not transient (the same request fails the same
    (500: a bug, a request it cannot   | way): a write splits the batch and the article
    serve)                             | fails alone (`stage_error`); a search answers 503
                                       | (`is_dependency_failure`), never retried
    -----------------------------------+---------------------------------------------------
    the stage raises on the article    | the batch is split; alone, the article is `failed`
    (bad input, a bug)                 | with the `PermanentError` reason or `stage_error`
    -----------------------------------+---------------------------------------------------
    over its stage's time budget       | the batch is split; alone, the article is
    (the task's soft or hard limit)    | `failed`, reason `timeout`
    -----------------------------------+---------------------------------------------------
    its worker dies (SIGKILL, OOM, a   | the message comes back (redelivery or sweeper)
    segfault)                          | and the article runs alone; after
                                       | `max_stage_attempts`: `failed`, `attempts_exhausted`
    -----------------------------------+---------------------------------------------------
    a search meets any of the above    | 503 with `Retry-After`; the server never retries a
                                       | search (`SEARCH_RETRY`)
    -----------------------------------+---------------------------------------------------
    an alert's webhook answers 408,    | (the article is indexed; its alert match) retried
    429 or 5xx, times out or refuses   | with backoff (`alert_delivery_retry`, `Retry-After`
    the connection                     | honoured), `dead` after the budget, replayable;
                                       | another 4xx: `dead` at once, never retried

Every `failed` article keeps its stage and reason and can be replayed (API and CLI).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from elasticsearch import ApiError
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch import ConnectionTimeout as ESConnectionTimeout
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from shared.errors import TransientError
from shared.settings import get_settings

# Errors that say "a dependency is down", not "this article is bad".
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientError,
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeoutError,
    ESConnectionError,
    ESConnectionTimeout,
    RedisConnectionError,
    RedisTimeoutError,
    BusyLoadingError,
    KombuOperationalError,
    ConnectionError,
    TimeoutError,
)
# HTTP answers that mean "not now" rather than "never" (for a request or one bulk item).
TRANSIENT_STATUSES = frozenset({408, 429, 502, 503, 504})


def is_transient_status(status: int) -> bool:
    return status in TRANSIENT_STATUSES


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says a dependency is unavailable or overloaded."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TRANSIENT_ERRORS):
            return True
        if isinstance(current, ApiError) and is_transient_status(current.meta.status):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


def is_dependency_failure(exc: BaseException) -> bool:
    """For a reader that never retries (a search): transient, or Elasticsearch failed on the
    request (5xx). Either way the client gets a 503, not a 500."""
    if is_transient(exc):
        return True
    return isinstance(exc, ApiError) and exc.meta.status >= 500


@dataclass(frozen=True)
class Retry:
    """Retry up to `times` times; before retry n (0-based) wait `backoff_s(n)`: exponential
    from `base_s`, capped at `cap_s`, with jitter (a uniform draw from the upper half), so
    the retries of many workers refused together spread out."""

    times: int
    base_s: float = 1.0
    cap_s: float = 30.0

    def max_backoff_s(self, retry: int) -> float:
        return float(min(self.cap_s, self.base_s * 2**retry))

    def backoff_s(self, retry: int) -> float:
        ceiling = self.max_backoff_s(retry)
        return random.uniform(ceiling / 2, ceiling)

    def kombu_policy(self) -> dict[str, float]:
        """The same budget as kombu's `retry_policy` (kombu waits linearly: start + n*step)."""
        return {
            "max_retries": self.times,
            "interval_start": self.base_s,
            "interval_step": self.base_s,
            "interval_max": self.cap_s,
        }


def is_retryable_webhook_status(status: int) -> bool:
    """A webhook receiver's answer worth another try: it timed out, throttles or failed."""
    return status in (408, 429) or status >= 500


def stage_retry() -> Retry:
    """A stage task whose batch met a transient error: retried by Celery with backoff."""
    settings = get_settings()
    return Retry(
        times=settings.task_max_retries,
        base_s=settings.retry_backoff_base_s,
        cap_s=settings.retry_backoff_max_s,
    )


def bulk_item_retry() -> Retry:
    """Bulk items the index stage sees refused for overload, re-sent within the call."""
    return Retry(times=get_settings().bulk_item_retries, base_s=0.5, cap_s=30.0)


def reindex_bulk_retry() -> Retry:
    """The reindex competes with live traffic and may meet more 429s: a larger budget."""
    return Retry(times=get_settings().reindex_bulk_retries, base_s=0.5, cap_s=30.0)


def alert_delivery_retry() -> Retry:
    """Deliveries of one alert match: `alert_max_attempts` attempts in all, then `dead`."""
    settings = get_settings()
    return Retry(
        times=settings.alert_max_attempts - 1,
        base_s=settings.alert_retry_base_s,
        cap_s=settings.alert_retry_max_s,
    )


# Sending a message to Redis: short, since an article whose enqueue fails is safe in the
# store and the sweeper sends it later.
ENQUEUE_RETRY = Retry(times=2, base_s=0.2, cap_s=1.0)
# The Elasticsearch client retries a request only on a connection error (another try of the
# same node), never on a timeout: the callers' own policies above decide about those.
ES_TRANSPORT_RETRY = Retry(times=2)
# A search is never retried by the server: a timed-out search would only time out again.
SEARCH_RETRY = Retry(times=0)
