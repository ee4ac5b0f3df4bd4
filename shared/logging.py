"""Structured logs: one JSON object per line on stderr, from every process and every library.

Our own code logs through structlog, with `stage`, `task_id` and `article_ids` bound where a
stage runs (`shared.worker`). Records of other libraries (Celery, uvicorn's access and error
logs, elastic_transport, SQLAlchemy) go through the same chain: the root logger has one
handler, which renders every record as JSON, with the useful fields of Celery's task records
(`task_id`, `task`) and uvicorn's access lines (`client`, `method`, `path`, `status`) lifted
out of the message.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from shared.settings import get_settings

_SECRET_KEYS = frozenset({"api_key", "password", "authorization", "secret", "token"})
# Loggers that install their own handlers (uvicorn configures them before importing the app):
# they hand their records to the root handler instead.
_TAKEN_OVER = ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "elastic_transport")


def _drop_secrets(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    for key in event.keys() & _SECRET_KEYS:
        event[key] = "***"
    return event


def _library_fields(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """Fields hidden in the arguments of Celery's task records and uvicorn's access records."""
    record = event.get("_record")
    args = event.pop("positional_args", None)
    if record is None:
        return event
    if isinstance(args, dict) and "id" in args:  # celery.app.trace / celery.worker.strategy
        event.setdefault("task_id", args["id"])
        if "name" in args:
            event.setdefault("task", args["name"])
        if "runtime" in args:
            event.setdefault("duration_s", round(float(args["runtime"]), 4))
    elif record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
        client, method, path, _version, status = args
        event.update(client=client, method=method, path=path, status=status)
    return event


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to `sys.stderr` as it is at each record: test runners, pytest's capture and
    daemons swap it, and a handler must not keep writing to a closed one."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging() -> None:
    """Send every log record of this process to stderr as one JSON line (idempotent)."""
    settings = get_settings()
    level = logging.getLevelName(settings.log_level.upper())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    common: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*common, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = _CurrentStderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            pass_foreign_args=True,
            foreign_pre_chain=[*common, _library_fields],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _drop_secrets,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in _TAKEN_OVER:
        taken = logging.getLogger(name)
        taken.handlers = []
        taken.propagate = True
        taken.setLevel(logging.NOTSET)  # the root's level decides, however it was set before
    logging.captureWarnings(True)  # warnings.warn() of libraries: JSON lines too
    # One line per Elasticsearch request is noise at INFO; it is there at DEBUG.
    if level != logging.DEBUG:
        logging.getLogger("elastic_transport").setLevel(max(level, logging.WARNING))
