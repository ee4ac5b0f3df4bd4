"""The Celery app, its reliability settings and the queue of each stage.

Each worker imports its own `services.<name>.tasks`; producers send tasks by name
(`enqueue`), so no service imports another.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from celery import Celery
from celery.signals import before_task_publish, celeryd_init, setup_logging, worker_ready
from kombu.entity import Queue
from kombu.transport import redis as kombu_redis

from shared.failure_policy import ENQUEUE_RETRY
from shared.logging import configure_logging
from shared.settings import get_settings
from shared.states import Stage

log = structlog.get_logger(__name__)

TASK_NAMES: dict[Stage, str] = {
    Stage.INGEST: "newsflow.ingest.ingest_articles",
    Stage.ENRICH: "newsflow.enrich.enrich_articles",
    Stage.INDEX: "newsflow.indexer.index_articles",
}
STAGE_OF_TASK: dict[str, Stage] = {name: stage for stage, name in TASK_NAMES.items()}
SWEEP_TASK = "newsflow.scheduler.sweep_stuck_articles"
WATCH_BROKER_TASK = "newsflow.scheduler.watch_broker"
# Scheduled by beat (the scheduler), run by the feeds worker (`newsflow worker feeds`, ingest
# code): on its own queue, so that slow feed servers hold neither articles nor the sweeper.
POLL_FEEDS_TASK = "newsflow.ingest.poll_feeds"
SCHEDULER_QUEUE = "scheduler"
FEEDS_QUEUE = "feeds"
# Saved searches: matching after the index stage commits, delivery of matches to webhooks.
ALERTS_QUEUE = "alerts"
ALERT_MATCH_TASK = "newsflow.alerts.match_articles"
ALERT_DELIVER_TASK = "newsflow.alerts.deliver_due"
ALERT_CATCH_UP_TASK = "newsflow.alerts.catch_up"
# Every message carries the time it was sent: the age of the oldest waiting message of a queue.
SENT_AT_HEADER = "newsflow_sent_at"


def stage_time_limits(stage: Stage) -> tuple[float, float]:
    """(soft, hard) time limit in seconds of one task of `stage` (see shared/worker.py)."""
    settings = get_settings()
    soft = {
        Stage.INGEST: settings.ingest_time_limit_s,
        Stage.ENRICH: settings.enrich_time_limit_s,
        Stage.INDEX: settings.index_time_limit_s,
    }[stage]
    return soft, soft + settings.time_limit_grace_s


def _every(task: str, seconds: float) -> dict[str, Any]:
    """A periodic job whose message expires when the next one is sent: a run still waiting
    then is stale (each run takes all the work that is due), so none pile up behind a slow
    one (a slow feed, a broker check during an outage)."""
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


class _RedisChannel(kombu_redis.Channel):
    """kombu's Redis channel builds a new redis-py client object for every command it sends
    (publish, `basic_get`, ack: ~5 per stage task, ~7% of a lone article's task CPU, most
    of it filling the client's table of response callbacks). One client per connection pool
    sends the same commands through the same pool (a client is thread-safe; the pool, which
    kombu replaces after a connection error, is what holds connections)."""

    _shared_client: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        shared = self._shared_client
        if shared is None or shared.connection_pool is not self.pool:
            shared = self._shared_client = self._create_client()  # type: ignore[no-untyped-call]
        yield shared


class RedisTransport(kombu_redis.Transport):
    Channel = _RedisChannel


def create_app() -> Celery:
    settings = get_settings()
    celery = Celery("newsflow", broker=settings.redis_url)
    queues = [settings.queue_name(stage) for stage in Stage]
    queues += [settings.queue_name(q) for q in (SCHEDULER_QUEUE, FEEDS_QUEUE, ALERTS_QUEUE)]
    alerts_route = {"queue": settings.queue_name(ALERTS_QUEUE)}
    celery.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        # Ack only after the task ran, and requeue if the worker process died mid-task:
        # the stage functions are idempotent, so a redelivery is harmless.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Every stage task has a time budget; `StageRequest` splits or fails what overruns it.
        task_annotations={
            TASK_NAMES[stage]: {
                "soft_time_limit": stage_time_limits(stage)[0],
                "time_limit": stage_time_limits(stage)[1],
                "Request": "shared.worker:StageRequest",
            }
            for stage in Stage
        }
        | {
            # A poll that outlasts the polling interval is lagging anyway: stop it (the
            # feeds it did not reach are due again at the next beat).
            POLL_FEEDS_TASK: {
                "soft_time_limit": settings.feed_poll_interval_s,
                "time_limit": settings.feed_poll_interval_s + settings.time_limit_grace_s,
            }
        },
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            # No task is sent with a priority: one Redis list per queue, not kombu's four
            # (0, 3, 6, 9). A look at an empty queue (every lone article's gather, each
            # stage) was four RPOPs, and the workers' BRPOP watched four keys per queue.
            "priority_steps": [0],
        },
        broker_transport=f"{__name__}:RedisTransport",
        broker_connection_retry_on_startup=True,
        task_queues=[Queue(name) for name in queues],
        task_default_queue=settings.queue_name(Stage.INGEST),
        task_routes={
            **{TASK_NAMES[stage]: {"queue": settings.queue_name(stage)} for stage in Stage},
            SWEEP_TASK: {"queue": settings.queue_name(SCHEDULER_QUEUE)},
            WATCH_BROKER_TASK: {"queue": settings.queue_name(SCHEDULER_QUEUE)},
            POLL_FEEDS_TASK: {"queue": settings.queue_name(FEEDS_QUEUE)},
            ALERT_MATCH_TASK: alerts_route,
            ALERT_DELIVER_TASK: alerts_route,
            ALERT_CATCH_UP_TASK: alerts_route,
        },
        beat_schedule={
            "sweep-stuck-articles": {"task": SWEEP_TASK, "schedule": settings.sweeper_interval_s},
            "watch-broker": _every(WATCH_BROKER_TASK, settings.broker_check_interval_s),
            "poll-feeds": _every(POLL_FEEDS_TASK, settings.feed_check_interval_s),
            "deliver-alerts": _every(ALERT_DELIVER_TASK, settings.alert_delivery_interval_s),
            "catch-up-alerts": _every(ALERT_CATCH_UP_TASK, settings.alert_catchup_interval_s),
        },
        worker_hijack_root_logger=False,
        # Logs are JSON lines written by `configure_logging`; Celery must not wrap them.
        worker_redirect_stdouts=False,
        worker_send_task_events=settings.task_events,
        task_send_sent_event=settings.task_events,
    )
    return celery


app = create_app()


@celeryd_init.connect  # the first thing a worker does: even its start-up warnings are JSON
@setup_logging.connect  # connected, so Celery leaves logging alone
def _setup_logging(**_kwargs: object) -> None:
    configure_logging()


@before_task_publish.connect
def _stamp_sent_at(headers: dict[str, Any] | None = None, **_kwargs: object) -> None:
    if headers is not None:
        headers[SENT_AT_HEADER] = time.time()


@worker_ready.connect
def _serve_metrics(sender: Any = None, **_kwargs: object) -> None:
    """Each worker service serves its metrics (children summed) from its main process."""
    settings = get_settings()
    if not settings.metrics_port or sender is None:
        return
    from shared.metrics import serve_worker_metrics, stage_of_queues

    stage = stage_of_queues(sender.app.amqp.queues.consume_from, settings.queue_prefix)
    serve_worker_metrics(
        stage, settings.metrics_host, settings.metrics_port, pipeline=stage == SCHEDULER_QUEUE
    )


def enqueue(stage: Stage, article_ids: list[str], *, alone: bool = False) -> bool:
    """Send one batch of ids to a stage. Call only after the commit that made them ready.

    `alone`: the message runs by itself, never gathered into a bigger batch (shared/gather.py):
    an article isolated after its batch crashed must not take neighbours down with it again.
    Returns False when the broker is unreachable: the articles are safe in the store and the
    sweeper will enqueue them later, so the caller must not fail the request for it.
    """
    if not article_ids:
        return True
    settings = get_settings()
    size = settings.stage_batch_size
    try:
        for start in range(0, len(article_ids), size):
            app.send_task(
                TASK_NAMES[stage],
                args=[article_ids[start : start + size]],
                kwargs={"alone": True} if alone else None,
                queue=settings.queue_name(stage),
                retry=True,
                retry_policy=ENQUEUE_RETRY.kombu_policy(),
            )
    except Exception as exc:  # noqa: BLE001 - any broker failure is recovered by the sweeper
        log.warning("enqueue_failed", stage=stage.value, count=len(article_ids), error=str(exc))
        return False
    return True


def _send_alerts_task(name: str, args: list[object]) -> bool:
    """Best effort: the alerts worker's periodic jobs recover whatever is not sent here."""
    try:
        app.send_task(
            name,
            args=args,
            queue=get_settings().queue_name(ALERTS_QUEUE),
            retry=True,
            retry_policy=ENQUEUE_RETRY.kombu_policy(),
        )
    except Exception as exc:  # noqa: BLE001 - the catch-up job and delivery rounds recover
        log.warning("enqueue_failed", task=name, error=str(exc))
        return False
    return True


def enqueue_alert_matching(article_ids: list[str]) -> bool:
    """After the index stage committed: match these articles against the saved searches."""
    return bool(article_ids) and _send_alerts_task(ALERT_MATCH_TASK, [article_ids])


def enqueue_alert_delivery() -> bool:
    return _send_alerts_task(ALERT_DELIVER_TASK, [])
