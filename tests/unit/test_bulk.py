"""Bulk writes without Elasticsearch: how documents are cut into requests, what each request
says, which item results are retried, and what the caller gets back. A scripted stand-in
for the client answers; tests/integration/test_index_stage.py runs the real node."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError

from services.indexer.bulk import (
    BulkStats,
    Document,
    ItemResult,
    _chunks,
    _Pending,
    bulk_stream,
    bulk_write,
)
from shared.failure_policy import Retry

NO_WAIT = Retry(times=2, base_s=0.001, cap_s=0.001)


def _api_error(status: int) -> ApiError:
    meta = ApiResponseMeta(status, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "es", 9200))
    return ApiError("refused", meta=meta, body={})


class ScriptedES:
    """Answers each bulk request with the next script entry: a status per item (in request
    order) or an exception for the whole request; records every request."""

    def __init__(self, *script: list[int] | Exception) -> None:
        self.script = list(script)
        self.requests: list[list[dict[str, Any]]] = []

    def options(self, **_kwargs: Any) -> ScriptedES:
        return self

    def bulk(self, *, operations: list[bytes], **_kwargs: Any) -> dict[str, Any]:
        lines = [orjson.loads(line) for line in operations]
        self.requests.append(lines)
        answer = self.script.pop(0) if self.script else None
        if isinstance(answer, Exception):
            raise answer
        count = len(lines) // 2
        statuses = answer if answer is not None else [201] * count
        assert len(statuses) == count, "the script must answer every item"
        return {
            "errors": any(s >= 300 for s in statuses),
            "items": [
                {
                    "index": {
                        "status": s,
                        **({"error": {"type": "e", "reason": "r"}} if s >= 300 else {}),
                    }
                }
                for s in statuses
            ],
        }


def _docs(n: int) -> list[Document]:
    return [Document(f"a{i}", i + 1, {"title": f"T{i}"}) for i in range(n)]


def test_item_results_tell_written_from_retryable_from_refused() -> None:
    assert ItemResult("idx", 201).ok
    assert ItemResult("idx", 409).ok  # this revision or a newer one is there already
    assert not ItemResult("idx", 429).ok
    assert ItemResult("idx", 429).retryable
    assert ItemResult("idx", 503).retryable
    refused = ItemResult("idx", 400, "mapper_parsing_exception", "bad date")
    assert not refused.ok
    assert not refused.retryable
    assert refused.describe() == "400 mapper_parsing_exception: bad date (idx)"


def test_requests_are_cut_by_document_count_and_by_bytes() -> None:
    pending = [_Pending(doc, b"x" * 880, ["idx"]) for doc in _docs(5)]
    # 880 bytes + 120 for the action line = 1000 per document and target.
    assert [len(c) for c in _chunks(pending, max_docs=2, max_bytes=10_000)] == [2, 2, 1]
    assert [len(c) for c in _chunks(pending, max_docs=100, max_bytes=3_000)] == [3, 2]
    # A document bigger than the byte cap still goes, alone.
    assert [len(c) for c in _chunks(pending, max_docs=100, max_bytes=500)] == [1, 1, 1, 1, 1]


def test_a_full_request_is_handed_over_before_the_next_document_is_asked_for() -> None:
    pulled: list[str] = []

    def projected() -> Any:
        for doc in _docs(5):
            pulled.append(doc.id)  # the next document may cost a query and a projection
            yield _Pending(doc, b"{}", ["idx"])

    chunks = _chunks(projected(), max_docs=3, max_bytes=10_000, first_docs=1)
    assert [len(next(chunks)), len(pulled)] == [1, 1]  # the short first request
    assert [len(next(chunks)), len(pulled)] == [3, 4]
    assert [len(c) for c in chunks] == [1]


def test_every_document_goes_to_every_target_with_its_external_version() -> None:
    es = ScriptedES()
    results = bulk_write(es, _docs(2), ["live", "next"], retry=NO_WAIT)  # type: ignore[arg-type]
    (request,) = es.requests
    actions = request[0::2]
    assert actions == [
        {"index": {"_index": "live", "_id": "a0", "version": 1, "version_type": "external_gte"}},
        {"index": {"_index": "next", "_id": "a0", "version": 1, "version_type": "external_gte"}},
        {"index": {"_index": "live", "_id": "a1", "version": 2, "version_type": "external_gte"}},
        {"index": {"_index": "next", "_id": "a1", "version": 2, "version_type": "external_gte"}},
    ]
    assert request[1] == {"title": "T0"}
    assert {k: [r.target for r in v] for k, v in results.items()} == {
        "a0": ["live", "next"],
        "a1": ["live", "next"],
    }


def test_only_the_refused_items_are_sent_again_and_then_succeed() -> None:
    es = ScriptedES([201, 429, 201], [201])
    stats = BulkStats()
    results = bulk_write(es, _docs(3), ["idx"], retry=NO_WAIT, stats=stats)  # type: ignore[arg-type]
    assert [[a["index"]["_id"] for a in r[0::2]] for r in es.requests] == [
        ["a0", "a1", "a2"],
        ["a1"],
    ]
    assert {k: v[0].status for k, v in results.items()} == {"a0": 201, "a1": 201, "a2": 201}
    assert (stats.requests, stats.documents, stats.retried_items) == (2, 3, 1)


def test_a_whole_request_refused_for_overload_is_retried() -> None:
    es = ScriptedES(_api_error(429), [201, 201])
    results = bulk_write(es, _docs(2), ["idx"], retry=NO_WAIT)  # type: ignore[arg-type]
    assert len(es.requests) == 2
    assert all(v[0].status == 201 for v in results.values())


def test_after_its_retries_an_overloaded_item_comes_back_to_the_caller_as_is() -> None:
    es = ScriptedES([429], [429], [429], [201])
    results = bulk_write(es, _docs(1), ["idx"], retry=NO_WAIT)  # type: ignore[arg-type]
    assert len(es.requests) == 3  # the first try and NO_WAIT's two retries
    assert results["a0"][0].status == 429


def test_a_refused_document_is_final_and_not_retried() -> None:
    es = ScriptedES([400, 201])
    results = bulk_write(es, _docs(2), ["idx"], retry=NO_WAIT)  # type: ignore[arg-type]
    assert len(es.requests) == 1
    assert results["a0"][0].status == 400
    assert results["a1"][0].ok


def test_a_request_error_that_is_not_overload_goes_to_the_caller() -> None:
    es = ScriptedES(_api_error(400))
    with pytest.raises(ApiError):
        bulk_write(es, _docs(1), ["idx"], retry=NO_WAIT)  # type: ignore[arg-type]


@pytest.mark.parametrize("parallel", [1, 2])
def test_documents_from_an_iterator_are_sent_while_the_next_are_built(parallel: int) -> None:
    es = ScriptedES()
    sent_before: list[int] = []

    def projected() -> Any:
        for doc in _docs(6):
            sent_before.append(len(es.requests))
            yield doc

    stats = BulkStats()
    results = bulk_write(es, projected(), ["idx"], max_docs=2, parallel=parallel, stats=stats)  # type: ignore[arg-type]
    assert sorted(results) == [f"a{i}" for i in range(6)]
    assert all(r == [ItemResult("idx", 201)] for r in results.values())
    # A short first request (a quarter of the others, at least one document) starts
    # Elasticsearch while the next documents are built.
    assert (stats.documents, stats.requests, stats.per_request_docs) == (6, 4, [1, 2, 2, 1])
    if parallel == 1:  # with one request in flight, the first one is done by the third's turn
        assert sent_before[-1] >= 1, "every document was built before any request went out"


def test_a_live_target_retried_still_comes_first_in_the_results() -> None:
    # The live alias's item is refused for overload, the next index's is written: the
    # retried result comes back last, but the caller reads the live one first.
    es = ScriptedES([429, 201], [201])
    results = bulk_write(es, _docs(1), ["live", "next"], retry=NO_WAIT)  # type: ignore[arg-type]
    assert [(r.target, r.status) for r in results["a0"]] == [("live", 201), ("next", 201)]


def test_results_stream_out_request_by_request_while_documents_are_still_built() -> None:
    es = ScriptedES()
    built: list[str] = []

    def projected() -> Any:
        for doc in _docs(6):
            built.append(doc.id)
            yield doc

    seen: list[tuple[str, int]] = []
    for doc, results in bulk_stream(es, projected(), ["idx"], max_docs=2, parallel=1):  # type: ignore[arg-type]
        seen.append((doc.id, len(built)))
        assert results == [ItemResult("idx", 201)]
    assert [doc_id for doc_id, _ in seen] == [f"a{i}" for i in range(6)]
    # The first request's results reached the caller before the last document was built.
    assert seen[0][1] < 6
