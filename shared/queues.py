"""What waits in each queue, read from the Redis broker: depth and age of the oldest message."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from redis import Redis

from shared.celery_app import ALERTS_QUEUE, FEEDS_QUEUE, SCHEDULER_QUEUE, SENT_AT_HEADER
from shared.settings import get_settings
from shared.states import Stage

# Queue names without the deployment's prefix: the stages', the scheduler's, the feeds'.
QUEUES = (*(stage.value for stage in Stage), SCHEDULER_QUEUE, FEEDS_QUEUE, ALERTS_QUEUE)


@dataclass(frozen=True)
class QueueStats:
    depth: int
    oldest_age_s: float  # 0 when the queue is empty or its oldest message has no timestamp


def _sent_at(raw: bytes | None) -> float | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw).get("headers", {}).get(SENT_AT_HEADER)
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def queue_stats(redis: Redis) -> dict[str, QueueStats]:
    """Depth and age of the oldest waiting message of each queue (stage names, no prefix).

    Kombu pushes messages on the left of a Redis list and workers pop from the right, so the
    oldest one is the last element; `enqueue` stamps every message with its send time.
    """
    settings = get_settings()
    pipe = redis.pipeline(transaction=False)
    for queue in QUEUES:
        pipe.llen(settings.queue_name(queue))
        pipe.lindex(settings.queue_name(queue), -1)
    replies = pipe.execute()
    now = time.time()
    stats = {}
    for i, queue in enumerate(QUEUES):
        depth, oldest = int(replies[2 * i]), _sent_at(replies[2 * i + 1])
        age = max(0.0, now - oldest) if depth and oldest is not None else 0.0
        stats[queue] = QueueStats(depth, round(age, 3))
    return stats


def queue_depths(redis: Redis) -> dict[str, int]:
    """Messages waiting in each queue, by its full (prefixed) name."""
    settings = get_settings()
    return {settings.queue_name(q): s.depth for q, s in queue_stats(redis).items()}
