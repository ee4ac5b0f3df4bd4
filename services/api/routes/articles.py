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
from services.api.security import article_body_limit
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
    "oneOf": [
        {"required": ["text"], "properties": {"text": {"type": "string"}}},
        {"required": ["html"], "properties": {"html": {"type": "string"}}},
    ],
}
# A batch item that is no article is rejected alone, in its place in the answer (202).
_BATCH_ITEM = {
    "anyOf": [_ONE_ARTICLE, {"description": "Anything else: rejected alone, with its reason."}]
}
# An article is an object of a few fields: deeper JSON is no article.
_MAX_DEPTH = 32
_PIECE = 64 * 1024


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


class _BatchReader:
    """Reads a batch while its body streams in, refusing it as soon as it is too big.

    NDJSON: one item per non-blank line, counted chunk by chunk (each line is parsed later,
    alone). A JSON array: ijson's event parser (C) checks each chunk first: it counts the
    top-level values and refuses nesting deeper than any article or more JSON events than
    the batch's articles could have; then ijson builds the items from the same chunk. So no
    step ever parses more than one chunk or one item at once, and a refusal comes as soon as
    the item that crosses a limit has arrived. (yajl, under ijson, reads a lone surrogate
    escape `\\ud800` as `?` where orjson refuses the body; numbers of any size are read,
    as exact ints and Decimals.)
    """

    _EVENTS_PER_ITEM = 64  # an article object has ~20 events (8 keys and their values)

    def __init__(self, ndjson: bool, limit: int) -> None:
        self.ndjson = ndjson
        self.limit = limit
        self.items = 0
        self.values = ijson.utils.sendable_list()
        self._line_has_content = False
        self._depth = 0
        self._seen_events = 0
        self._events = ijson.utils.sendable_list()
        self._checker = None if ndjson else ijson.basic_parse_coro(self._events)
        self._builder = None if ndjson else ijson.items_coro(self.values, "item")
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._offset = 0

    def feed(self, chunk: bytes) -> None:
        if self.ndjson:
            self._feed_lines(chunk)
        else:
            self._feed_json(chunk)
        self._check_count()

    def close(self) -> None:
        if self.ndjson:
            self.items += self._line_has_content
            self._line_has_content = False
        else:
            self._feed_json(None)
        self._check_count()

    def _check_count(self) -> None:
        if self.items > self.limit:
            raise ApiError(
                413, "too_many_items", f"more than {self.limit} items; a batch holds at most that"
            )

    def _feed_lines(self, chunk: bytes) -> None:
        *ended, last = chunk.split(b"\n")
        for line in ended:
            self.items += self._line_has_content or bool(line.strip())
            self._line_has_content = False
        self._line_has_content = self._line_has_content or bool(last.strip())

    def _feed_json(self, chunk: bytes | None) -> None:
        assert self._checker is not None
        assert self._builder is not None
        try:
            if chunk is None:
                self._utf8.decode(b"", final=True)
                self._checker.close()
                self._check()
                self._builder.close()
            else:
                # Checked first, so that bad bytes are named as such (as the full parse does).
                self._utf8.decode(chunk)
                self._offset += len(chunk)
                self._checker.send(chunk)
                self._check()
                self._builder.send(chunk)
        except UnicodeDecodeError:
            raise ApiError(
                400, "invalid_utf8", f"the body is not valid UTF-8 (near byte {self._offset})"
            ) from None
        except ijson.JSONError:
            raise ApiError(400, "malformed_json", "malformed JSON") from None

    def _check(self) -> None:
        self._seen_events += len(self._events)
        for event, _value in self._events:
            if self._depth == 0 and event != "start_array":
                raise ApiError(
                    400, "expected_array", "a batch is a JSON array of articles (or NDJSON)"
                )
            if self._depth == 1 and event not in ("end_array", "map_key"):
                self.items += 1
                if self.items > self.limit:
                    break  # `feed` refuses the batch
            if event in ("start_array", "start_map"):
                self._depth += 1
                if self._depth > _MAX_DEPTH:
                    raise ApiError(422, "too_deep", f"JSON nested deeper than {_MAX_DEPTH} levels")
            elif event in ("end_array", "end_map"):
                self._depth -= 1
        self._events.clear()
        if (
            self.items <= self.limit
            and self._seen_events > (self.limit + 1) * self._EVENTS_PER_ITEM
        ):
            raise ApiError(422, "too_complex", "more JSON values than a batch of articles holds")


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


async def _read_batch(request: Request, ndjson: bool) -> tuple[bytes, list[Any]]:
    """The NDJSON body, or the items of the JSON array, read as the body streams in."""
    reader = _BatchReader(ndjson, get_settings().max_batch_items)
    chunks: list[bytes] = []
    started = False
    async for chunk in request.stream():
        if not started and not ndjson:
            chunk = chunk.lstrip().removeprefix(b"\xef\xbb\xbf")
        if not chunk:
            continue
        started = True
        # Python work per line or JSON event: in the threadpool, off the event loop, and in
        # pieces of at most 64 KiB whatever the server hands over.
        for start in range(0, len(chunk), _PIECE):
            await run_in_threadpool(reader.feed, chunk[start : start + _PIECE])
        if ndjson:
            chunks.append(chunk)
    if not started:
        raise ApiError(400, "empty_request", "the request body is empty")
    await run_in_threadpool(reader.close)
    return b"".join(chunks), list(reader.values)


def _ndjson_entries(body: bytes) -> list[tuple[int, Any]]:
    """(line index, decoded value or the RejectedInput of that line) for each non-blank line."""
    entries: list[tuple[int, Any]] = []
    too_long = article_body_limit(get_settings())
    for index, raw in enumerate(body.split(b"\n")):
        line = raw.strip()
        if not line:
            continue
        if len(line) > too_long:
            entries.append(
                (index, RejectedInput(f"line is over {too_long} bytes", reason="article_too_large"))
            )
            continue
        try:
            entries.append((index, _parse_json(_decode(line))))
        except ApiError as exc:
            entries.append((index, RejectedInput(str(exc.detail), reason=exc.reason)))
    return entries


def _batch_entries(ndjson: bool, body: bytes, values: list[Any]) -> list[tuple[int, Any]]:
    """Every item of the batch, decoded (in the threadpool: this is the heavy part)."""
    entries = _ndjson_entries(body) if ndjson else list(enumerate(values))
    if not entries:
        raise ApiError(400, "empty_batch", "the batch has no articles")
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
                    "schema": {"type": "array", "items": _BATCH_ITEM, "minItems": 1}
                },
                "application/x-ndjson": {
                    "schema": {
                        "type": "string",
                        "pattern": r"\S",
                        "description": "One article object per line (a line that is not one "
                        "is rejected alone).",
                    }
                },
            },
        }
    },
)
async def create_articles(request: Request, session: SessionDep) -> JSONResponse:
    """Accept many articles; one bad item is rejected alone, with its reason."""
    ndjson = _batch_kind(_media_type(request))
    body, values = await _read_batch(request, ndjson)
    entries = await run_in_threadpool(_batch_entries, ndjson, body, values)
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
