"""The process's Redis client for everything but Celery's own broker connection.

Queue depths, the sweeper's and the reindex's locks, health checks and the console's backlogs
all read Redis through `redis_client`: one connection pool per process and timeout, reused
across calls (redis-py's pool reconnects after a Redis restart and after fork()). Kombu keeps
its own connections for the broker.
"""

from __future__ import annotations

from functools import lru_cache

from redis import Redis

from shared.settings import get_settings

# Short enough that a health check or a console page answers while Redis is unreachable;
# long enough for a lock or a queue scan on a busy Redis.
HEALTH_TIMEOUT_S = 2.0
WORK_TIMEOUT_S = 5.0


@lru_cache(maxsize=8)
def _client(url: str, timeout_s: float) -> Redis:
    return Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)


def redis_client(timeout_s: float = WORK_TIMEOUT_S) -> Redis:
    """The client for the configured `redis_url` (a changed setting gets a new one)."""
    return _client(get_settings().redis_url, timeout_s)
