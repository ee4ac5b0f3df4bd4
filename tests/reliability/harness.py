"""Test-only Celery entry point: the real stage tasks, with faults a test asks for by env.

`celery -A tests.reliability.harness worker -Q <queue>` runs the same tasks as the service
workers. Production code has no test branches; the faults live here, around
`shared.pipeline.claim` (every stage claims its rows through it), so they strike after the
attempt was counted, as a real crash in the middle of a batch would:

- NEWSFLOW_HARNESS_DELAY_S: sleep after claiming a batch (widens "mid-batch" for kill tests);
- NEWSFLOW_HARNESS_POISON_EXIT: an article whose text holds this marker kills the enrich
  worker process (`os._exit`) every time it is claimed;
- NEWSFLOW_HARNESS_POISON_RAISE: an article whose text holds this marker makes the enrich
  stage raise every time;
- NEWSFLOW_HARNESS_SLOW: an article whose raw content holds this marker makes the ingest stage
  sleep far beyond its time budget (the soft time limit interrupts it);
- NEWSFLOW_HARNESS_HANG: the same, but the stage ignores the soft time limit, like native code
  that never returns to Python (only the hard limit, killing the process, stops it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from billiard.exceptions import SoftTimeLimitExceeded
from sqlalchemy.orm import Session

from shared import pipeline
from shared.models import Article
from shared.states import Stage

_real_claim = pipeline.claim
_DELAY_S = float(os.environ.get("NEWSFLOW_HARNESS_DELAY_S") or 0)
_POISON_EXIT = os.environ.get("NEWSFLOW_HARNESS_POISON_EXIT") or None
_POISON_RAISE = os.environ.get("NEWSFLOW_HARNESS_POISON_RAISE") or None
_SLOW = os.environ.get("NEWSFLOW_HARNESS_SLOW") or None
_HANG = os.environ.get("NEWSFLOW_HARNESS_HANG") or None


def _hang() -> None:
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        try:
            time.sleep(1)
        except SoftTimeLimitExceeded:
            continue  # native code would not even notice


def _claim_with_faults(session: Session, stage: Stage, article_ids: Sequence[str]) -> list[Article]:
    articles = _real_claim(session, stage, article_ids)
    if articles and _DELAY_S:
        time.sleep(_DELAY_S)
    if stage == Stage.INGEST:
        for article in articles:
            if _SLOW and _SLOW in article.raw_content:
                time.sleep(3600)
            if _HANG and _HANG in article.raw_content:
                _hang()
    if stage == Stage.ENRICH:
        for article in articles:
            text = article.body or ""
            if _POISON_EXIT and _POISON_EXIT in text:
                os._exit(70)  # like a segfault in a native library: no cleanup, no ack
            if _POISON_RAISE and _POISON_RAISE in text:
                raise RuntimeError(f"poison article {article.id}")
    return articles


pipeline.claim = _claim_with_faults  # type: ignore[assignment]

# The stage modules bind `claim` when they are imported: import them after the patch.
from services.enrich import tasks as _enrich_tasks  # noqa: E402
from services.indexer import tasks as _index_tasks  # noqa: E402
from services.ingest import tasks as _ingest_tasks  # noqa: E402
from services.scheduler import tasks as _scheduler_tasks  # noqa: E402
from shared.celery_app import app  # noqa: E402

__all__ = ["_enrich_tasks", "_index_tasks", "_ingest_tasks", "_scheduler_tasks", "app"]
