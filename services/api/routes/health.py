"""Liveness, readiness and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from services.api.errors import RETRY_AFTER_S, ErrorBody, error_body, responses
from services.api.security import require_scope
from shared.apikeys import ADMIN
from shared.db import get_engine
from shared.redis_client import HEALTH_TIMEOUT_S, redis_client
from shared.search.client import get_client, with_options
from shared.search.indices import alias_name

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (answered on the event loop: no threadpool queue in between)."""
    return {"status": "ok"}


def _check_database() -> None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))


def _check_redis() -> None:
    redis_client(HEALTH_TIMEOUT_S).ping()


def _check_elasticsearch() -> None:
    with_options(get_client(), request_timeout=2).indices.exists_alias(name=alias_name())


@router.get(
    "/readyz",
    responses={
        200: {"description": "Every dependency answers."},
        503: {
            "model": ErrorBody,
            "description": "Not ready: `detail` (and `checks`) say which dependency is down.",
        },
    },
)
def readyz() -> Response:
    """Every dependency answers: 200, else 503 with the failing ones."""
    checks: dict[str, Any] = {}
    for name, check in (
        ("database", _check_database),
        ("redis", _check_redis),
        ("elasticsearch", _check_elasticsearch),
    ):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports, it never raises
            checks[name] = f"unavailable: {type(exc).__name__}"
    if all(v == "ok" for v in checks.values()):
        return JSONResponse(status_code=200, content={"status": "ready", "checks": checks})
    return JSONResponse(
        status_code=503,
        content={
            **error_body("dependency_unavailable", checks),
            "status": "not_ready",
            "checks": checks,
        },
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


@router.get(
    "/metrics",
    dependencies=[Depends(require_scope(ADMIN))],
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "Prometheus text exposition format.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **responses(401, 403),
    },
)
def metrics() -> Response:
    """Prometheus metrics of the API process (pipeline-wide gauges: the scheduler's)."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
