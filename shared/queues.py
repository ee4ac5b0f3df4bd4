"""How many messages wait in each queue, read from the Redis broker (for metrics)."""

from __future__ import annotations

from typing import Any

from shared.celery_app import FEEDS_QUEUE, SCHEDULER_QUEUE
from shared.settings import get_settings
from shared.states import Stage


def queue_depths(redis: Any) -> dict[str, int]:
    """Messages waiting in each stage queue (and the scheduler's and feeds'), by `LLEN`."""
    settings = get_settings()
    names = [settings.queue_name(stage) for stage in Stage]
    names += [settings.queue_name(SCHEDULER_QUEUE), settings.queue_name(FEEDS_QUEUE)]
    pipe = redis.pipeline(transaction=False)
    for name in names:
        pipe.llen(name)
    return dict(zip(names, (int(n) for n in pipe.execute()), strict=True))
