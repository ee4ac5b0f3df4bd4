"""Ingest and article endpoints.

Bodies are read and parsed here rather than by FastAPI, so that every refusal has a
machine-readable `reason`, a batch answers for each item instead of failing whole for one
bad item, and nothing large is parsed on the event loop: the body streams in (its size and
time are bounded by `security.BodyLimits`), a batch's items are counted while it streams, and
decoding, parsing and validation run in the threadpool.
"""

from __future__ import annotations

import codecs
from typing import Any

import ijson
import orjson
from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from services.api.deps import SessionDep
from services.api.errors import ApiError, responses
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
_ARTICLE_SCHEMA = ArticleIn.model_json_schema()
# What the body of one article may be: exactly one of `text` or `html`.
_ONE_ARTICLE = {
    **_ARTICLE_SCHEMA,
    "oneOf": [{"required": ["text"]}, {"required": ["html"]}],
}
# An article is an object of a few fields: deeper JSON is no article.
_MAX_DEPTH = 32


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    # No content type at all is taken as JSON: curl and scripts often leave it out.
    return media_type in ("", "application/json") or media_type.endswith("+json")


def _decode(data: bytes) -> str:
    """JSON is UTF-8 (RFC 8259); anything else is refused rather than guessed."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400, "invalid_utf8", f"the body is not valid UTF-8 (byte {exc.start})"
        ) from None


def _parse_json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "malformed_json", f"malformed JSON: {exc}") from None


def _single_item(body: bytes) -> ArticleIn:
    if not body.strip():
        raise ApiError(400, "empty_request", "the request body is empty")
    try:
        return parse_article(_parse_json(_decode(body)))
    except RejectedInput as exc:
        raise ApiError(exc.status_code, exc.reason, str(exc)) from None


async def _read_body(request: Request) -> bytes:
    """The raw body; its size and time are bounded while it streams (`BodyLimits`)."""
    chunks = [chunk async for chunk in request.stream()]
    return b"".join(chunks)


class _BatchCounter:
    """Counts a batch's items while its body streams in, and refuses it as soon as it holds
    more than `max_batch_items` (or is not a batch at all), before anything parses it whole.

    NDJSON: one item per non-blank line. A JSON array: its top-level values, found by ijson's
    event parser (C) chunk by chunk; nesting deeper than any article is refused there too.
    """

    def __init__(self, ndjson: bool, limit: int) -> None:
        self.ndjson = ndjson
        self.limit = limit
        self.items = 0
        self._line_has_content = False
        self._depth = 0
        self._events = ijson.utils.sendable_list()
        self._parser = None if ndjson else ijson.basic_parse_coro(self._events, use_float=True)
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._offset = 0

    def feed(self, chunk: bytes) -> None:
        if self.ndjson:
            self._feed_lines(chunk)
        else:
            self._feed_json(chunk)
        if self.items > self.limit:
            raise ApiError(
                413, "too_many_items", f"more than {self.limit} items; a batch holds at most that"
            )

    def close(self) -> None:
        if self.ndjson:
            self.items += self._line_has_content
            self._line_has_content = False
        elif self._parser is not None:
            self._send(None)

    def _feed_lines(self, chunk: bytes) -> None:
        *ended, last = chunk.split(b"\n")
        for line in ended:
            self.items += self._line_has_content or bool(line.strip())
            self._line_has_content = False
        self._line_has_content = self._line_has_content or bool(last.strip())

    def _send(self, chunk: bytes | None) -> None:
        assert self._parser is not None
        try:
            if chunk is None:
                self._utf8.decode(b"", final=True)
                self._parser.close()
            else:
                # Checked first, so that bad bytes are named as such (as the full parse does).
                self._utf8.decode(chunk)
                self._offset += len(chunk)
                self._parser.send(chunk)
        except UnicodeDecodeError:
            raise ApiError(
                400, "invalid_utf8", f"the body is not valid UTF-8 (near byte {self._offset})"
            ) from None
        except ijson.JSONError:
            raise ApiError(400, "malformed_json", "malformed JSON") from None
        finally:
            self._count()

    def _feed_json(self, chunk: bytes) -> None:
        self._send(chunk)

    def _count(self) -> None:
        for event, _value in self._events:
            if self._depth == 0 and event != "start_array":
                raise ApiError(
                    400, "expected_array", "a batch is a JSON array of articles (or NDJSON)"
                )
            if self._depth == 1 and event not in ("end_array", "map_key"):
                self.items += 1
            if event in ("start_array", "start_map"):
                self._depth += 1
                if self._depth > _MAX_DEPTH:
                    raise ApiError(422, "too_deep", f"JSON nested deeper than {_MAX_DEPTH} levels")
            elif event in ("end_array", "end_map"):
                self._depth -= 1
        self._events.clear()


def _batch_kind(media_type: str) -> bool:
    """True for NDJSON, False for a JSON array; 415 for anything else."""
    if media_type in NDJSON_TYPES:
        return True
    if _is_json(media_type):
        return False
    raise ApiError(
        415,
        "unsupported_media_type",
        "send a JSON array as application/json or one article per line as application/x-ndjson",
    )


async def _read_batch(request: Request, ndjson: bool) -> bytes:
    counter = _BatchCounter(ndjson, get_settings().max_batch_items)
    chunks: list[bytes] = []
    async for chunk in request.stream():
        if not chunks and not ndjson:
            chunk = chunk.lstrip().removeprefix(b"\xef\xbb\xbf")
        if chunk:
            counter.feed(chunk)
            chunks.append(chunk)
    body = b"".join(chunks)
    if body.strip():
        counter.close()
    return body


def _ndjson_entries(body: bytes) -> list[tuple[int, Any]]:
    """(line index, decoded value or the RejectedInput of that line) for each non-blank line."""
    entries: list[tuple[int, Any]] = []
    for index, raw in enumerate(body.split(b"\n")):
        line = raw.strip()
        if not line:
            continue
        try:
            entries.append((index, _parse_json(_decode(line))))
        except ApiError as exc:
            entries.append((index, RejectedInput(str(exc.detail), reason=exc.reason)))
    return entries


def _batch_entries(ndjson: bool, body: bytes) -> list[tuple[int, Any]]:
    """Every item of the batch, decoded (in the threadpool: this is the heavy part)."""
    if ndjson:
        entries = _ndjson_entries(body)
    else:
        if not body.strip():
            raise ApiError(400, "empty_request", "the request body is empty")
        value = _parse_json(_decode(body))
        if not isinstance(value, list):
            raise ApiError(400, "expected_array", "a batch is a JSON array of articles (or NDJSON)")
        entries = list(enumerate(value))
    if not entries:
        raise ApiError(400, "empty_batch", "the batch has no articles")
    limit = get_settings().max_batch_items
    if len(entries) > limit:  # the streaming count already refused these; kept as the rule
        raise ApiError(
            413, "too_many_items", f"{len(entries)} items; a batch holds at most {limit}"
        )
    return entries


def _validate_batch(
    entries: list[tuple[int, Any]],
) -> tuple[dict[int, SubmitResult], list[tuple[int, ArticleIn]]]:
    rejected: dict[int, SubmitResult] = {}
    valid: list[tuple[int, ArticleIn]] = []
    for position, (_index, value) in enumerate(entries):
        try:
            if isinstance(value, RejectedInput):
                raise value
            valid.append((position, parse_article(value)))
        except RejectedInput as exc:
            rejected[position] = SubmitResult(status="rejected", reason=exc.reason, detail=str(exc))
    return rejected, valid


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmitResult,
    responses={
        200: {"model": SubmitResult, "description": "Already stored: unchanged or duplicate."},
        **responses(400, 401, 403, 408, 413, 415),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ONE_ARTICLE}},
        }
    },
)
async def create_article(request: Request, session: SessionDep) -> JSONResponse:
    """Accept one article; answers 202 once it is committed to the store."""
    media_type = _media_type(request)
    if not _is_json(media_type):
        raise ApiError(415, "unsupported_media_type", "send the article as application/json")
    body = await _read_body(request)
    item = await run_in_threadpool(_single_item, body)
    result = (await run_in_threadpool(submit_articles, session, [item]))[0]
    if result.status == "rejected":
        code = 413 if result.reason == "article_too_large" else 422
        raise ApiError(code, result.reason or "rejected", result.detail)
    code = 202 if result.status in ("accepted", "revised") else 200
    return JSONResponse(status_code=code, content=result.to_json())


@router.post(
    "/batch",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchResult,
    responses=responses(400, 401, 403, 408, 413, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": _ARTICLE_SCHEMA, "minItems": 1}
                },
                "application/x-ndjson": {
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "description": "One article object per line.",
                    }
                },
            },
        }
    },
)
async def create_articles(request: Request, session: SessionDep) -> JSONResponse:
    """Accept many articles; one bad item is rejected alone, with its reason."""
    ndjson = _batch_kind(_media_type(request))
    body = await _read_batch(request, ndjson)
    entries = await run_in_threadpool(_batch_entries, ndjson, body)
    results, valid = await run_in_threadpool(_validate_batch, entries)
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


@router.get("/{article_id}", responses=responses(401, 403, 404))
def read_article(article_id: str, session: SessionDep) -> Any:
    """An article's state, stage outputs and failure, straight from the store."""
    article = session.get(Article, article_id)
    if article is None:
        raise ApiError(404, "not_found", f"no article {article_id}")
    return article_view(article)
