"""The API's one error model: every refusal and every failure is `{"reason", "detail"}`.

Routes and dependencies raise `ApiError` (or let a known exception through); the handlers
installed here turn each into the same JSON body. The raw ASGI middlewares of `security`,
which run before FastAPI's handlers, answer through `send_error`, which builds the same body.

What each kind of trouble becomes:

| trouble                                             | status | reason                 |
| --------------------------------------------------- | ------ | ---------------------- |
| a refusal raised by a route (`ApiError`)            | 4xx    | the route's reason     |
| a query/body that does not fit the schema           | 422    | `invalid_request`      |
| a page cursor the API did not sign                  | 400    | `invalid_cursor`       |
| a value the store cannot hold (`DataError`)         | 422    | `invalid_value`        |
| PostgreSQL/SQLite unreachable or restarting         | 503    | `store_unavailable`    |
| Redis unreachable                                   | 503    | `queue_unavailable`    |
| Elasticsearch unreachable, overloaded, no index     | 503    | `search_unavailable`   |
| Elasticsearch refused the search (its 400)          | 422    | `invalid_search`       |
| anything else (a bug)                               | 500    | `internal_error`       |

Every 503 carries `Retry-After`: the client may send the same request again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from elasticsearch import ApiError as ElasticsearchApiError
from elasticsearch import TransportError as ElasticsearchTransportError
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kombu.exceptions import OperationalError as BrokerError
from pydantic import BaseModel, Field
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DataError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from shared.cursors import INVALID_CURSOR_STATUS, InvalidCursor
from shared.search.service import SearchUnavailable

log = structlog.get_logger(__name__)

RETRY_AFTER_S = 5


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer of the API."""

    reason: str = Field(description="Machine-readable: what to branch on.", examples=["not_found"])
    detail: Any = Field(None, description="For humans: what was wrong (a string or a list).")


class ApiError(HTTPException):
    """A refusal with its status, machine-readable `reason` and human `detail`.

    A subclass of FastAPI's HTTPException, so FastAPI lets it through unchanged even when it
    is raised while the request body is read (the size and time limits)."""

    def __init__(
        self,
        status_code: int,
        reason: str,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=headers)
        self.reason = reason


def unavailable(reason: str, detail: str) -> ApiError:
    return ApiError(503, reason, detail, headers={"Retry-After": str(RETRY_AFTER_S)})


def error_body(reason: str, detail: Any = None) -> dict[str, Any]:
    return ErrorBody(reason=reason, detail=detail).model_dump(mode="json")


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse(
        status_code=exc.status_code,
        content=error_body(exc.reason, exc.detail),
        headers=exc.headers,
    )


async def send_error(send: Send, exc: ApiError, *, close: bool = True) -> None:
    """The same body from a raw ASGI middleware (they run outside FastAPI's handlers).
    `close`: the request body was not read, so the connection cannot be reused."""
    body = json.dumps(error_body(exc.reason, exc.detail)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": exc.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _slug(status_code: int) -> str:
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        phrase = "error"
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")


def as_api_error(exc: Exception) -> ApiError | None:
    """The answer for an exception the API knows; None for a bug."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, StarletteHTTPException):  # Starlette's 404/405, FastAPI's own
        return ApiError(exc.status_code, _slug(exc.status_code), exc.detail, exc.headers)
    if isinstance(exc, InvalidCursor):
        return ApiError(INVALID_CURSOR_STATUS, "invalid_cursor", str(exc))
    if isinstance(exc, DataError):
        # The store refused a value (out of range, bad characters): the input's fault.
        return ApiError(422, "invalid_value", "a value is outside what the store can hold")
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return unavailable("store_unavailable", "the article store is unavailable; retry")
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | BrokerError):
        return unavailable("queue_unavailable", "the queue (Redis) is unavailable; retry")
    if isinstance(exc, SearchUnavailable):
        return unavailable("search_unavailable", str(exc))
    if isinstance(exc, ElasticsearchTransportError):
        return unavailable("search_unavailable", "Elasticsearch is unreachable; retry")
    if isinstance(exc, ElasticsearchApiError) and exc.meta.status in (429, 502, 503, 504):
        return unavailable("search_unavailable", f"Elasticsearch answered {exc.meta.status}")
    if isinstance(exc, ElasticsearchApiError) and exc.meta.status == 400:
        # Only validated values reach a search; should one still be refused, it is the input.
        return ApiError(422, "invalid_search", "Elasticsearch refused the search parameters")
    return None


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in exc.errors()
    ]


# Statuses documented on every route (besides its own): the error model for each.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Malformed: NUL in the URL, bad headers."},
    422: {"model": ErrorBody, "description": "The request does not fit the schema."},
    503: {
        "model": ErrorBody,
        "description": "A dependency is unavailable: retry after `Retry-After` seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a route's own refusals, all with the error model."""
    return {
        status: {"model": ErrorBody, "description": HTTPStatus(status).phrase}
        for status in statuses
    }


def _allowed_methods(request: Request) -> str:
    methods: set[str] = set()
    for route in request.app.router.routes:
        pattern = getattr(route, "path_regex", None)
        if pattern is not None and pattern.match(request.url.path):
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def install_error_handlers(api: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        error = as_api_error(exc)
        if error is None:
            log.exception("api_internal_error", path=request.url.path)
            error = ApiError(500, "internal_error", "an unexpected error; it has been logged")
        elif error.status_code == 503:
            log.warning("api_dependency_unavailable", reason=error.reason, error=repr(exc))
        elif error.status_code == 405:
            # Starlette names the methods of the first route on the path only; a path served
            # by several routes (GET and DELETE) allows all of theirs.
            error.headers = {**(error.headers or {}), "Allow": _allowed_methods(request)}
        return error_response(error)

    async def validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(ApiError(422, "invalid_request", _validation_detail(exc)))

    api.add_exception_handler(RequestValidationError, validation)  # type: ignore[arg-type]
    # Starlette routes HTTPException subclasses and the rest by class, `Exception` last
    # (to its outermost middleware, so even a bug answers with the error model).
    for kind in (
        StarletteHTTPException,
        InvalidCursor,
        DataError,
        OperationalError,
        InterfaceError,
        DisconnectionError,
        PoolTimeout,
        RedisConnectionError,
        RedisTimeoutError,
        BrokerError,
        SearchUnavailable,
        ElasticsearchTransportError,
        ElasticsearchApiError,
        Exception,
    ):
        api.add_exception_handler(kind, handle)
