"""Ingest and article endpoints.

Bodies are read and parsed here rather than by FastAPI, so that every refusal has a
machine-readable `reason`, the request size limit holds before anything is parsed, and a
batch answers for each item instead of failing whole for one bad item.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from services.api.deps import SessionDep
from shared.errors import RejectedInput
from shared.models import Article
from shared.schemas import ArticleIn, BatchItemResult, BatchResult, SubmitResult
from shared.settings import get_settings
from shared.submission import parse_article, submit_articles
from shared.views import article_view

router = APIRouter(prefix="/v1/articles", tags=["articles"])

NDJSON_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    }
)
_REJECTION = {
    "model": dict[str, Any],
    "description": "Refused: `reason` is machine-readable, `detail` says why.",
}
_ARTICLE_SCHEMA = ArticleIn.model_json_schema()


class RequestRejected(Exception):
    """The request as a whole is refused (no item of it is stored)."""

    def __init__(self, status_code: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.reason = reason
        self.detail = detail


def _refusal(status_code: int, reason: str | None, detail: str | None) -> JSONResponse:
    return JSONResponse(status_code=status_code, content={"reason": reason, "detail": detail})


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    # No content type at all is taken as JSON: curl and scripts often leave it out.
    return media_type in ("", "application/json") or media_type.endswith("+json")


async def _read_body(request: Request) -> bytes:
    """The raw body, refused with 413 as soon as it passes `max_request_bytes`."""
    limit = get_settings().max_request_bytes
    too_large = RequestRejected(
        413, "request_too_large", f"the request body is larger than {limit} bytes"
    )
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise too_large
        except ValueError:
            raise RequestRejected(
                400, "invalid_content_length", "Content-Length is not a number"
            ) from None
    body = bytearray()
    # Without a Content-Length (chunked upload) count while reading: never buffer more.
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _decode(data: bytes) -> str:
    """JSON is UTF-8 (RFC 8259); anything else is refused rather than guessed."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestRejected(
            400, "invalid_utf8", f"the body is not valid UTF-8 (byte {exc.start})"
        ) from None


def _parse_json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RequestRejected(400, "malformed_json", f"malformed JSON: {exc}") from None


def _single_item(media_type: str, body: bytes) -> ArticleIn:
    if not _is_json(media_type):
        raise RequestRejected(415, "unsupported_media_type", "send the article as application/json")
    if not body.strip():
        raise RequestRejected(400, "empty_request", "the request body is empty")
    try:
        return parse_article(_parse_json(_decode(body)))
    except RejectedInput as exc:
        raise RequestRejected(exc.status_code, exc.reason, str(exc)) from None


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmitResult,
    responses={
        200: {"model": SubmitResult, "description": "Already stored: unchanged or duplicate."},
        400: _REJECTION,
        413: _REJECTION,
        415: _REJECTION,
        422: _REJECTION,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ARTICLE_SCHEMA}},
        }
    },
)
async def create_article(request: Request, session: SessionDep) -> JSONResponse:
    """Accept one article; answers 202 once it is committed to the store."""
    try:
        body = await _read_body(request)
        item = _single_item(_media_type(request), body)
    except RequestRejected as exc:
        return _refusal(exc.status_code, exc.reason, exc.detail)
    result = (await run_in_threadpool(submit_articles, session, [item]))[0]
    if result.status == "rejected":
        code = 413 if result.reason == "article_too_large" else 422
        return _refusal(code, result.reason, result.detail)
    code = 202 if result.status in ("accepted", "revised") else 200
    return JSONResponse(status_code=code, content=result.to_json())


def _ndjson_entries(body: bytes) -> list[tuple[int, Any]]:
    """(line index, decoded value or the RejectedInput of that line) for each non-blank line."""
    entries: list[tuple[int, Any]] = []
    for index, raw in enumerate(body.split(b"\n")):
        line = raw.strip()
        if not line:
            continue
        try:
            entries.append((index, _parse_json(_decode(line))))
        except RequestRejected as exc:
            entries.append((index, RejectedInput(exc.detail, reason=exc.reason)))
    return entries


def _batch_entries(media_type: str, body: bytes) -> list[tuple[int, Any]]:
    if media_type in NDJSON_TYPES:
        entries = _ndjson_entries(body)
    elif _is_json(media_type):
        if not body.strip():
            raise RequestRejected(400, "empty_request", "the request body is empty")
        value = _parse_json(_decode(body))
        if not isinstance(value, list):
            raise RequestRejected(
                400, "expected_array", "a batch is a JSON array of articles (or NDJSON)"
            )
        entries = list(enumerate(value))
    else:
        raise RequestRejected(
            415,
            "unsupported_media_type",
            "send a JSON array as application/json or one article per line as application/x-ndjson",
        )
    if not entries:
        raise RequestRejected(400, "empty_batch", "the batch has no articles")
    limit = get_settings().max_batch_items
    if len(entries) > limit:
        raise RequestRejected(
            413, "too_many_items", f"{len(entries)} items; a batch holds at most {limit}"
        )
    return entries


@router.post(
    "/batch",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchResult,
    responses={400: _REJECTION, 413: _REJECTION, 415: _REJECTION},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": _ARTICLE_SCHEMA}},
                "application/x-ndjson": {
                    "schema": {"type": "string", "description": "One article object per line."}
                },
            },
        }
    },
)
async def create_articles(request: Request, session: SessionDep) -> JSONResponse:
    """Accept many articles; one bad item is rejected alone, with its reason."""
    try:
        body = await _read_body(request)
        entries = _batch_entries(_media_type(request), body)
    except RequestRejected as exc:
        return _refusal(exc.status_code, exc.reason, exc.detail)
    results: dict[int, SubmitResult] = {}
    valid: list[tuple[int, ArticleIn]] = []
    for position, (_index, value) in enumerate(entries):
        try:
            if isinstance(value, RejectedInput):
                raise value
            valid.append((position, parse_article(value)))
        except RejectedInput as exc:
            results[position] = SubmitResult(status="rejected", reason=exc.reason, detail=str(exc))
    submitted = await run_in_threadpool(submit_articles, session, [item for _, item in valid])
    results.update(
        (position, result) for (position, _), result in zip(valid, submitted, strict=True)
    )
    items = [
        BatchItemResult(index=index, **results[position].model_dump())
        for position, (index, _value) in enumerate(entries)
    ]
    counts: dict[str, int] = {}
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    return JSONResponse(
        status_code=202,
        content=BatchResult(items=items, counts=counts).model_dump(mode="json"),
    )


@router.get("/{article_id}", responses={404: _REJECTION})
def read_article(article_id: str, session: SessionDep) -> Any:
    """An article's state, stage outputs and failure, straight from the store."""
    article = session.get(Article, article_id)
    if article is None:
        return _refusal(404, "not_found", f"no article {article_id}")
    return article_view(article)
