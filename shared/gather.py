"""Micro-batching: a stage task takes in the messages waiting in its queue.

Apps post one article at a time, so most stage messages carry one id. A task that starts
with fewer ids than its gather size (`stage_batch_size`; `index_gather_size` for the index
stage, whose bulk requests pay off at larger sizes than spaCy's batches) takes the messages
waiting in its own queue (and, once it found some, what arrives within
`stage_batch_window_ms`) and runs them as one
batch: spaCy and the bulk request see many articles, and the claim, commits and enqueue are
paid once. A task whose queue is empty runs at once: a lone article waits for nothing.

No loss: a gathered message is taken the way Celery takes one (Redis keeps it in `unacked`
until acknowledged) and acknowledged only once the batch is done with (committed, split,
or sent again for a retry), by `Gathered.ack`. A worker that dies before that leaves it in
`unacked`, where the sweeper finds it dead after `sweeper_stuck_after_s` and re-sends its
articles (services/scheduler/sweeper.py); a warm shutdown puts it back in the queue.
A message with a retry countdown still running, or one that must run alone (an article
isolated after its batch crashed), is put back untouched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from kombu import Connection

from shared.celery_app import TASK_NAMES, app
from shared.settings import get_settings
from shared.states import Stage

log = structlog.get_logger(__name__)

_POLL_S = 0.005
# One broker connection per worker process, opened on first use (never across fork()).
_connection: Connection | None = None


@dataclass
class Gathered:
    """Ids taken from other messages of the queue, and those messages, not yet acknowledged."""

    ids: list[str] = field(default_factory=list)
    messages: list[Any] = field(default_factory=list)

    def ack(self) -> None:
        """The batch is done with: its messages leave Redis for good."""
        for message in self.messages:
            try:
                message.ack()
            except Exception as exc:  # noqa: BLE001 - the sweeper skips finished articles
                log.warning("gathered_ack_failed", error=f"{type(exc).__name__}: {exc}"[:300])
        self.messages.clear()


def reset_connection() -> None:
    """Forget the parent's connection in a forked worker process (it must not be shared)."""
    global _connection
    _connection = None


def _channel() -> Any:
    global _connection
    if _connection is None:
        _connection = app.connection_for_read()
    return _connection.default_channel


def _article_ids(message: Any, stage: Stage) -> list[str] | None:
    """The ids of a message of `stage`'s task that may run now; None for anything else."""
    headers = message.headers or {}
    if headers.get("task") != TASK_NAMES[stage]:
        return None
    eta = headers.get("eta")
    if eta and datetime.fromisoformat(eta).timestamp() > time.time():
        return None  # a retry waiting for its countdown
    args, kwargs = message.decode()[:2]
    if kwargs.get("alone") or not args or not isinstance(args[0], list):
        return None
    return [str(i) for i in args[0]]


def gather(stage: Stage, own: list[str]) -> Gathered:
    """Take waiting messages of `stage`'s queue until the batch has the stage's gather size
    (a message is taken whole, so a batch stays under twice that) or the window has passed;
    with none waiting, take none and do not wait. Broker trouble only means a smaller batch."""
    settings = get_settings()
    gathered = Gathered()
    wanted = settings.gather_size(stage) - len(own)
    if wanted <= 0:
        return gathered
    deadline = time.monotonic() + settings.stage_batch_window_ms / 1000
    queue = settings.queue_name(stage)
    try:
        channel = _channel()
        while len(gathered.ids) < wanted:
            message = channel.basic_get(queue, no_ack=False)
            if message is None:
                # The window is for a burst, whose next messages are on their way: a task
                # that finds its queue empty is a lone article and runs at once.
                if not gathered.messages or time.monotonic() >= deadline:
                    break
                time.sleep(_POLL_S)
                continue
            try:
                ids = _article_ids(message, stage)
            except (ValueError, TypeError, IndexError, KeyError) as exc:
                # Celery's own consumer discards a message it cannot decode: so do we.
                log.error("gathered_message_unreadable", error=str(exc)[:300])
                message.ack()
                continue
            if ids is None:
                message.requeue()  # not ours to run now; and stop here, not to take it again
                break
            gathered.messages.append(message)
            gathered.ids += ids
    except Exception as exc:  # noqa: BLE001 - the batch runs with what it has
        log.warning("gather_failed", stage=stage.value, error=f"{type(exc).__name__}: {exc}"[:300])
        reset_connection()
    return gathered
