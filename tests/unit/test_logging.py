"""Every log record of a process, ours or a library's, is one JSON line on stderr."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from shared.logging import configure_logging


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_stage_events_carry_the_bound_batch(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging()
    structlog.contextvars.bind_contextvars(stage="enrich", task_id="t-1", article_ids=["a", "b"])
    try:
        structlog.get_logger("shared.worker").warning("stage_done", received=2, api_key="k")
    finally:
        structlog.contextvars.clear_contextvars()
    [line] = _lines(capsys)
    assert line["event"] == "stage_done"
    assert (line["stage"], line["task_id"], line["article_ids"]) == ("enrich", "t-1", ["a", "b"])
    assert line["api_key"] == "***"
    assert line["level"] == "warning"


def test_library_records_become_json_with_their_fields(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging()
    logging.getLogger("celery.app.trace").warning(
        "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
        {"name": "newsflow.index.index_articles", "id": "abc", "runtime": 0.25, "return_value": 3},
    )
    # uvicorn configures its loggers with handlers of its own before importing the app.
    access = logging.getLogger("uvicorn.access")
    access.addHandler(logging.StreamHandler())
    access.propagate = False
    configure_logging()
    access.warning('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/healthz", "1.1", 200)
    logging.getLogger("elastic_transport.transport").error("node down")
    task, request, transport = _lines(capsys)
    assert task["task_id"] == "abc"
    assert task["task"] == "newsflow.index.index_articles"
    assert task["duration_s"] == 0.25
    assert task["logger"] == "celery.app.trace"
    assert (request["method"], request["path"], request["status"]) == ("GET", "/healthz", 200)
    assert transport["event"] == "node down"
    assert transport["level"] == "error"
