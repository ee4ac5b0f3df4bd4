"""Bulk writes of search documents, shared by the index stage and the reindex.

Documents are cut into bulk requests by count and by bytes (big batches stay at a size
Elasticsearch digests well); every document goes to each target in the same request, so a
request either sees the aliases before or after a swap, never half of each. Documents may
come from an iterator that projects them one by one: a request is sent (up to `parallel` at
a time) as soon as it is full, so the projection of the next one overlaps with it. Items refused
for overload (429) or an unavailable shard are re-sent alone, with the caller's retry policy
(shared/failure_policy.py); every other item result is final and returned to the caller, one
per document and target.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog
from elasticsearch import ApiError, Elasticsearch

from shared.failure_policy import Retry, bulk_item_retry, is_transient_status
from shared.metrics import ES_BULK_ITEMS, ES_BULK_SECONDS
from shared.search.client import with_options

log = structlog.get_logger(__name__)
# Elasticsearch's own guidance is 5-15 MB per request; 500 news articles are ~3-5 MB.
MAX_DOCS_PER_REQUEST = 500
MAX_BYTES_PER_REQUEST = 10 * 1024 * 1024
_FILTER_PATH = "errors,items.*.status,items.*.error.type,items.*.error.reason"
# The threads that send requests belong to the process and outlive a call: starting one was
# ~6% of a lone article's index call. A thread starts only when every one is busy, so this
# bounds the requests in flight of all concurrent calls together.
_REQUEST_THREADS = 16
_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _request_pool() -> ThreadPoolExecutor:
    """This process's request threads (a forked child starts its own)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(_REQUEST_THREADS, thread_name_prefix="bulk"))
        return _pool[1]


def first_request_docs(max_docs: int) -> int:
    """Documents in the first request of a stream: a quarter of the others, so Elasticsearch
    starts on it while the next ones are read and projected."""
    return max(1, max_docs // 4)


@dataclass(frozen=True)
class Document:
    """One search document: `_id`, the external version and the source (a dict, or the JSON
    already serialised: shared/search/documents.py `document_source`)."""

    id: str
    version: int
    source: dict[str, Any] | bytes


@dataclass(frozen=True)
class ItemResult:
    target: str
    status: int
    error_type: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        # 409: this revision or a newer one is already there, which is what we wanted.
        return 200 <= self.status < 300 or self.status == 409

    @property
    def retryable(self) -> bool:
        return is_transient_status(self.status)

    def describe(self) -> str:
        return f"{self.status} {self.error_type}: {self.reason} ({self.target})"


@dataclass
class BulkStats:
    requests: int = 0
    documents: int = 0
    bytes: int = 0
    retried_items: int = 0
    seconds: float = 0.0
    per_request_docs: list[int] = field(default_factory=list)


@dataclass
class _Pending:
    doc: Document
    payload: bytes
    targets: list[str]


def _chunks(
    pending: Iterable[_Pending], max_docs: int, max_bytes: int, first_docs: int | None = None
) -> Iterator[list[_Pending]]:
    """Requests of up to `max_docs` documents and `max_bytes`, the first of `first_docs`;
    each is handed over as soon as it is full, not when the next document comes."""
    chunk: list[_Pending] = []
    size = 0
    limit = first_docs or max_docs
    for item in pending:
        item_bytes = (len(item.payload) + 120) * len(item.targets)
        if chunk and size + item_bytes > max_bytes:
            yield chunk
            chunk, size, limit = [], 0, max_docs
        chunk.append(item)
        size += item_bytes
        if len(chunk) >= limit:
            yield chunk
            chunk, size, limit = [], 0, max_docs
    if chunk:
        yield chunk


def _operations(chunk: list[_Pending]) -> tuple[list[bytes], list[tuple[_Pending, str]]]:
    lines: list[bytes] = []
    order: list[tuple[_Pending, str]] = []
    for item in chunk:
        for target in item.targets:
            action = {
                "index": {
                    "_index": target,
                    "_id": item.doc.id,
                    "version": item.doc.version,
                    # gte: re-projecting the same revision (a replay, a new cluster id)
                    # refreshes the document; a lower revision still loses.
                    "version_type": "external_gte",
                }
            }
            lines += [orjson.dumps(action), item.payload]
            order.append((item, target))
    return lines, order


def _send(
    es: Elasticsearch, chunk: list[_Pending], require_alias: bool, stats: BulkStats
) -> list[tuple[_Pending, ItemResult]]:
    lines, order = _operations(chunk)
    stats.requests += 1
    stats.per_request_docs.append(len(chunk))
    stats.bytes += sum(len(line) + 1 for line in lines)
    started = time.perf_counter()
    try:
        # Lines are serialised once, up front (to size requests by bytes); the client
        # sends bytes as they are, whatever its type hints say.
        response = with_options(es, request_timeout=120).bulk(
            operations=lines,  # type: ignore[arg-type]
            require_alias=require_alias,
            filter_path=_FILTER_PATH,
        )
    except ApiError as exc:
        ES_BULK_SECONDS.observe(time.perf_counter() - started)
        if not is_transient_status(exc.meta.status):
            raise
        # The whole request was refused (overload): every item is retryable.
        ES_BULK_ITEMS.labels("retried").inc(len(order))
        return [
            (item, ItemResult(target, exc.meta.status, "request_rejected", str(exc)))
            for item, target in order
        ]
    ES_BULK_SECONDS.observe(time.perf_counter() - started)
    items = response.get("items", [])
    results = []
    for (item, target), entry in zip(order, items, strict=True):
        outcome = entry["index"]
        error = outcome.get("error") or {}
        results.append(
            (item, ItemResult(target, outcome["status"], error.get("type"), error.get("reason")))
        )
    for _item, result in results:
        verdict = "ok" if result.ok else "retried" if result.retryable else "rejected"
        ES_BULK_ITEMS.labels(verdict).inc()
    return results


def _sent(
    es: Elasticsearch, chunk: list[_Pending], require_alias: bool
) -> tuple[list[tuple[_Pending, ItemResult]], BulkStats]:
    """`_send` with counts of its own (requests in flight must not share one `BulkStats`):
    the caller counts the request as it sends it, and takes its bytes."""
    stats = BulkStats()
    return _send(es, chunk, require_alias, stats), stats


def _first_pass(
    es: Elasticsearch,
    documents: Iterable[Document],
    targets: Sequence[str],
    require_alias: bool,
    max_docs: int,
    max_bytes: int,
    parallel: int,
    stats: BulkStats,
    first_docs: int,
) -> Iterator[tuple[_Pending, ItemResult]]:
    """Send the documents as they come, `parallel` requests at a time; yields item results,
    a request's worth at a time, in the order the requests end."""
    in_flight: set[Future[tuple[list[tuple[_Pending, ItemResult]], BulkStats]]] = set()

    def collect(*, block: bool) -> list[tuple[_Pending, ItemResult]]:
        """Results of every request that has ended (after waiting for one, if `block`)."""
        ended, _ = wait(in_flight, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        items: list[tuple[_Pending, ItemResult]] = []
        for future in ended:
            in_flight.discard(future)
            request_items, request_stats = future.result()
            stats.bytes += request_stats.bytes
            items += request_items
        return items

    def pending() -> Iterator[_Pending]:
        for doc in documents:
            stats.documents += 1
            source = doc.source
            payload = source if isinstance(source, bytes) else orjson.dumps(source)
            yield _Pending(doc, payload, list(targets))

    pool = _request_pool()
    try:
        # The next request is built while `parallel` are in flight; it waits for one of
        # them to end before it is sent, and is sent before the caller gets the ended one's
        # results (what the caller does with them must not hold it back). A short first
        # request: Elasticsearch starts on it while the next documents are read and
        # projected, instead of waiting for a whole request's worth.
        for chunk in _chunks(pending(), max_docs, max_bytes, first_docs):
            ended = collect(block=len(in_flight) >= parallel) if in_flight else []
            # Counted here, in the order the requests are sent (they may end in another).
            stats.requests += 1
            stats.per_request_docs.append(len(chunk))
            in_flight.add(pool.submit(_sent, es, chunk, require_alias))
            yield from ended
        while in_flight:  # whichever ends first, not the first sent
            yield from collect(block=True)
    finally:
        for future in in_flight:  # an error above: do not leave requests behind
            future.cancel()
        # A request already running is waited for, as the call's own pool used to: its
        # results are dropped, but it must not outlive the call that sent it.
        wait(in_flight)


def bulk_stream(
    es: Elasticsearch,
    documents: Iterable[Document],
    targets: Sequence[str],
    *,
    require_alias: bool = True,
    max_docs: int = MAX_DOCS_PER_REQUEST,
    max_bytes: int = MAX_BYTES_PER_REQUEST,
    retry: Retry | None = None,
    stats: BulkStats | None = None,
    parallel: int = 1,
    first_docs: int | None = None,
) -> Iterator[tuple[Document, list[ItemResult]]]:
    """Write every document to every target; yields each document with its final item
    results, in the order of `targets`, as soon as every target has answered for it, so a
    caller streaming millions of documents holds none of them.

    `documents` may be a lazy iterator (a projection): each request is sent once full, with
    up to `parallel` requests in flight while the next ones are built. Connection errors
    propagate (the caller retries the batch); a transient status (429, 503, ...), for an
    item or a whole request, is retried here as `retry` says (default: `bulk_item_retry()`),
    once the first pass is over, and then yielded as is. The first request carries
    `first_docs` documents (default: `first_request_docs(max_docs)`).
    """
    policy = retry or bulk_item_retry()
    stats = stats if stats is not None else BulkStats()
    started = time.perf_counter()
    items: Iterable[tuple[_Pending, ItemResult]] = _first_pass(
        es,
        documents,
        targets,
        require_alias,
        max_docs,
        max_bytes,
        max(1, parallel),
        stats,
        first_docs or first_request_docs(max_docs),
    )
    order = {target: i for i, target in enumerate(targets)}
    answered: dict[str, list[ItemResult]] = {}  # final results of documents still waiting
    try:
        for attempt in range(policy.times + 1):
            again: dict[str, _Pending] = {}
            for item, result in items:
                if result.retryable and attempt < policy.times:
                    entry = again.setdefault(item.doc.id, _Pending(item.doc, item.payload, []))
                    entry.targets.append(result.target)
                    continue
                results = answered.setdefault(item.doc.id, [])
                results.append(result)
                if len(results) == len(targets):  # a retried target answers after the others
                    del answered[item.doc.id]
                    results.sort(key=lambda r: order.get(r.target, len(order)))
                    yield item.doc, results
            if not again:
                break
            pending = list(again.values())
            stats.retried_items += sum(len(p.targets) for p in pending)
            delay = policy.backoff_s(attempt)
            log.warning("bulk_items_retry", items=len(pending), attempt=attempt + 1, delay=delay)
            time.sleep(delay)
            items = (
                pair
                for chunk in _chunks(pending, max_docs, max_bytes)
                for pair in _send(es, chunk, require_alias, stats)
            )
    finally:
        stats.seconds += time.perf_counter() - started


def bulk_write(
    es: Elasticsearch,
    documents: Iterable[Document],
    targets: Sequence[str],
    *,
    require_alias: bool = True,
    max_docs: int = MAX_DOCS_PER_REQUEST,
    max_bytes: int = MAX_BYTES_PER_REQUEST,
    retry: Retry | None = None,
    stats: BulkStats | None = None,
    parallel: int = 1,
) -> dict[str, list[ItemResult]]:
    """`bulk_stream`, collected: the final item results by document id, in the order of
    `targets`."""
    return {
        doc.id: results
        for doc, results in bulk_stream(
            es,
            documents,
            targets,
            require_alias=require_alias,
            max_docs=max_docs,
            max_bytes=max_bytes,
            retry=retry,
            stats=stats,
            parallel=parallel,
        )
    }
