"""Running searches against the read alias: pages with collapsed stories, similar, suggest.

The API and the CLI call these; they return plain dicts shaped for JSON. Elasticsearch
being unreachable or overloaded raises SearchUnavailable (the API answers 503 with it).
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from shared.failure_policy import is_dependency_failure
from shared.search.client import with_options
from shared.search.indices import alias_name
from shared.search.mapping import ENTITY_FIELDS, LANGUAGE_ANALYZERS
from shared.search.query import (
    FACET_FIELDS,
    SearchParams,
    auto_interval,
    copies_body,
    decode_cursor,
    encode_cursor,
    facets_body,
    first_page_body,
    heads_body,
    search_body,
    similar_body,
    suggest_body,
)
from shared.search.query_language import parse
from shared.settings import get_settings

T = TypeVar("T")

# Collapsing reads ahead: a page of `size` stories needs more hits when stories have copies.
_READ_AHEAD = 2
_MAX_ROUNDS = 4
_MAX_FETCH = 250
_COPIES_SAMPLE = 3
# Facets are computed next to the hits of a first page, on a thread of their own.
_facet_threads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="search-facets")


class SearchUnavailable(RuntimeError):
    """Elasticsearch cannot answer now (down, overloaded, index missing): retry later."""


class ArticleNotIndexed(LookupError):
    pass


def _call(action: Callable[[], T]) -> T:
    try:
        return action()
    except NotFoundError as exc:
        if exc.error == "index_not_found_exception":
            raise SearchUnavailable(f"the index {alias_name()} does not exist yet") from exc
        raise
    except ApiError as exc:
        if is_dependency_failure(exc):
            raise SearchUnavailable(f"Elasticsearch answered {exc.meta.status}") from exc
        raise
    except TransportError as exc:
        raise SearchUnavailable(f"Elasticsearch is unreachable ({type(exc).__name__})") from exc


class _Searcher:
    """Runs the requests of one search: each with the server-side timeout, none retried on
    a timeout (a timed-out search would only time out again, holding a thread each time);
    remembers whether any answer was partial (timed out, or shards failed)."""

    def __init__(self, es: Elasticsearch, timeout_s: float | None = None) -> None:
        timeout = timeout_s if timeout_s is not None else get_settings().search_timeout_s
        # The client waits a little longer than the server, so the server's partial answer
        # arrives instead of a client-side timeout.
        self.es = with_options(es, request_timeout=timeout + 5, retry_on_timeout=False)
        self.timeout = f"{round(timeout * 1e9)}nanos"  # the unit that rounds nothing away
        self.partial = False

    def search(self, **request: Any) -> Any:
        response = _call(
            lambda: self.es.search(index=alias_name(), timeout=self.timeout, **request)
        )
        shards = response.get("_shards") or {}
        if response.get("timed_out") or shards.get("failed"):
            self.partial = True
        return response


def _highlights(hit: dict[str, Any]) -> dict[str, list[str]]:
    """Fragments per field; the language-analysed field wins (it also marks "banks" for
    a query "bank"), the language-neutral one is the fallback."""
    found = hit.get("highlight") or {}
    out: dict[str, list[str]] = {}
    for base in ("title", "body"):
        language = [v for k, v in found.items() if k.startswith(f"{base}_")]
        fragments = language[0] if language else found.get(base)
        if fragments:
            out[base] = fragments
    return out


def _hit(hit: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": hit["_id"],
        "score": hit.get("_score"),
        **hit.get("_source", {}),
        "highlights": _highlights(hit),
    }


def _facets(params: SearchParams, aggs: dict[str, Any]) -> dict[str, Any]:
    facets: dict[str, Any] = {
        name: [{"value": b["key"], "count": b["doc_count"]} for b in aggs[name]["buckets"]]
        for name in FACET_FIELDS
    }
    facets["dates"] = {
        "interval": auto_interval(params),
        "buckets": [
            {"date": b["key_as_string"], "count": b["doc_count"]} for b in aggs["dates"]["buckets"]
        ],
    }
    return facets


def _facet_results(
    params: SearchParams, response: dict[str, Any], totals: dict[str, Any], sample: int
) -> dict[str, Any]:
    """`stories`, `facets` and `facets_approximate` of a facets response (`facets_body`).
    When it stopped at its sample, each count is the count within the sample: a lower
    bound. `totals`: the page's (`_totals`)."""
    aggs = response["aggregations"]
    # Elasticsearch says `terminated_early` when a shard reached the sample and had segments
    # left to read, matches in them or not: a sample of at least every match counted them all.
    counted_all = totals["total_relation"] == "eq" and totals["total"] <= sample
    return {
        "stories": aggs["stories"]["value"],
        "facets": _facets(params, aggs),
        "facets_approximate": bool(response.get("terminated_early")) and not counted_all,
    }


def _cluster(hit: dict[str, Any]) -> str:
    return str((hit.get("fields") or {}).get("cluster_id", [hit["_id"]])[0])


def _stories(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The story buckets of a response with the copies aggregation, by story id."""
    return {b["key"]: b for b in response["aggregations"]["stories"]["buckets"]}


def _story(head: dict[str, Any], story: dict[str, Any] | None) -> dict[str, Any]:
    """A story's hit: its head with the number of its other matching copies and a sample
    (`story`: its bucket of the copies aggregation; None: no copies found)."""
    matching = story["doc_count"] if story else 1
    copies = story["copies"]["hits"]["hits"] if story else []
    return {
        **_hit(head),
        "copies": matching - 1,
        "copies_sample": [
            {"id": c["_id"], **c.get("_source", {})} for c in copies if c["_id"] != head["_id"]
        ][:_COPIES_SAMPLE],
    }


def _heads(
    searcher: _Searcher,
    params: SearchParams,
    clusters: list[str],
    preference: str,
    languages: list[str] | None,
) -> dict[str, dict[str, Any] | None]:
    """Per story: its best hit under the query, in full (fields, highlights), with the
    number and a sample of its other matching copies; None if it no longer matches."""
    response = searcher.search(
        preference=preference, **heads_body(params, clusters, _COPIES_SAMPLE, languages)
    )
    heads: dict[str, dict[str, Any] | None] = dict.fromkeys(clusters)
    stories = _stories(response)
    for head in response["hits"]["hits"]:
        cluster = _cluster(head)
        heads[cluster] = _story(head, stories.get(cluster))
    return heads


def _totals(response: dict[str, Any]) -> dict[str, Any]:
    total = response["hits"]["total"]
    return {"total": total["value"], "total_relation": total["relation"]}


# The languages the index holds change rarely (a first article in a new language), so each
# process keeps them a short while. Meanwhile an article in a new language still matches on
# the language-neutral fields, and a page showing a language missing from them drops them.
LANGUAGES_TTL_S = 30.0
_languages_lock = threading.Lock()
_languages: dict[str, tuple[float, list[str]]] = {}  # alias -> (expiry, languages)
_clock = time.monotonic


def indexed_languages(searcher: _Searcher) -> list[str]:
    """The languages with an analyzer that documents behind the alias are in: a search reads
    only their fields. A terms aggregation over all documents (answered from term counts),
    kept for LANGUAGES_TTL_S by this process."""
    alias = alias_name()
    with _languages_lock:
        expiry, known = _languages.get(alias, (0.0, []))
    if _clock() < expiry:
        return known
    response = searcher.search(
        size=0,
        request_cache=True,
        aggs={
            "languages": {
                "terms": {
                    "field": "language",
                    "include": list(LANGUAGE_ANALYZERS),
                    "size": len(LANGUAGE_ANALYZERS),
                }
            }
        },
    )
    languages = [bucket["key"] for bucket in response["aggregations"]["languages"]["buckets"]]
    if not searcher.partial:  # a partial answer may miss languages: ask again next time
        with _languages_lock:
            _languages[alias] = (_clock() + LANGUAGES_TTL_S, languages)
    return languages


def forget_indexed_languages() -> None:
    """The next search asks Elasticsearch which languages the index holds."""
    with _languages_lock:
        _languages.clear()


def _notice_languages(searched: list[str] | None, shown: set[str]) -> None:
    """Drop the kept languages when a page shows an analysed language the search did not
    read the fields of (an article of a language new to the index matched on the neutral
    fields): the next search reads that language's fields too."""
    if not searched:
        return
    if any(code in LANGUAGE_ANALYZERS and code not in searched for code in shown):
        with _languages_lock:
            _languages.pop(alias_name(), None)


def _searched_languages(searcher: _Searcher, params: SearchParams) -> list[str] | None:
    """What `languages` the requests of a page get: None with a language filter (it names
    them itself), none without words (no text field is read), else those indexed."""
    if params.language:
        return None
    if parse(params.q) is None:
        return []
    return indexed_languages(searcher)


def search_articles(
    es: Elasticsearch, params: SearchParams, *, timeout_s: float | None = None
) -> dict[str, Any]:
    """One page of results: hits (one per story unless `collapse` is off), the cursor of
    the next page, totals, facets with the first page, and `partial` when Elasticsearch
    stopped at the search timeout (`timeout_s`, default: the setting `search_timeout_s`).
    InvalidCursor on a bad cursor."""
    return _search_page(_Searcher(es, timeout_s), params)


def _search_page(searcher: _Searcher, params: SearchParams) -> dict[str, Any]:
    after = decode_cursor(params)
    # Same shard copies for every request of a page: scores, hence story leaders, agree.
    preference = params.fingerprint()
    languages = _searched_languages(searcher, params)
    facets = None
    sample = get_settings().search_facet_sample
    if after is None and params.facets:
        facets = _facet_threads.submit(
            searcher.search,
            preference=preference,
            request_cache=True,
            **facets_body(params, languages, sample),
        )
    result = _hits_page(searcher, params, after, preference, languages)
    if facets is not None:
        result.update(_facet_results(params, facets.result(), result, sample))
    shown = {hit.get("language") for hit in result["hits"]}
    shown.update(v["value"] for v in (result.get("facets") or {}).get("languages", []))
    _notice_languages(languages, shown)
    result["partial"] = searcher.partial
    return result


def _hits_page(
    searcher: _Searcher,
    params: SearchParams,
    after: list[Any] | None,
    preference: str,
    languages: list[str] | None,
) -> dict[str, Any]:
    """The hits of one page, its totals and the cursor of the next."""
    size = params.size

    def ranked(size: int, light: bool) -> Any:
        body = search_body(params, size=size, languages=languages, search_after=after, light=light)
        return searcher.search(preference=preference, **body)

    if not params.collapse:
        response = ranked(size, light=False)
        hits = response["hits"]["hits"]
        result = _totals(response)
        result["hits"] = [_hit(h) for h in hits]
        result["next_cursor"] = (
            encode_cursor(params, hits[-1]["sort"]) if len(hits) == size else None
        )
        return result

    if after is None:
        return _first_collapsed_page(searcher, params, preference, languages)

    # Collapsed: a light ranking pass in the usual order, `search_after` for the cursor; a
    # hit is shown only if it is its story's best hit (else the story ranked earlier, on
    # this page or a previous one). Reading ahead covers the copies skipped on the way.
    fetch = min(_MAX_FETCH, size * _READ_AHEAD + 5)
    known: dict[str, dict[str, Any] | None] = {}
    page: list[dict[str, Any]] = []
    result = {}
    exhausted = False
    for round_ in range(_MAX_ROUNDS):
        response = ranked(fetch, light=True)
        if round_ == 0:
            result = _totals(response)
        hits = response["hits"]["hits"]
        exhausted = len(hits) < fetch
        position = 0
        while position < len(hits) and len(page) < size:
            # Look up as many new stories as the page still needs (all heads, usually).
            wanted: list[str] = []
            for hit in hits[position:]:
                cluster = _cluster(hit)
                if cluster not in known and cluster not in wanted:
                    if len(wanted) == size - len(page):
                        break
                    wanted.append(cluster)
            if wanted:
                known.update(_heads(searcher, params, wanted, preference, languages))
            for hit in hits[position:]:
                cluster = _cluster(hit)
                if cluster not in known:
                    break
                position += 1
                after = hit["sort"]
                head = known[cluster]
                if head is not None and head["id"] == hit["_id"]:
                    page.append(head)
                    if len(page) == size:
                        break
        if len(page) == size:
            exhausted = exhausted and position == len(hits)
            break
        if exhausted:
            break
    result["hits"] = page
    result["next_cursor"] = None if exhausted or after is None else encode_cursor(params, after)
    return result


def _first_collapsed_page(
    searcher: _Searcher, params: SearchParams, preference: str, languages: list[str] | None
) -> dict[str, Any]:
    """A first page of stories: Elasticsearch's `collapse` returns each story's head with
    its fields and highlights in one request, then one aggregation counts and samples the
    copies of just those stories. The cursor is the last head's sort values: the two-pass
    pages go on from there as if they had made this page."""
    size = params.size
    response = searcher.search(preference=preference, **first_page_body(params, size, languages))
    heads = response["hits"]["hits"]
    stories: dict[str, dict[str, Any]] = {}
    if heads:
        clusters = [_cluster(head) for head in heads]
        body = copies_body(params, clusters, _COPIES_SAMPLE, languages)
        stories = _stories(searcher.search(preference=preference, **body))
    result = _totals(response)
    result["hits"] = [_story(head, stories.get(_cluster(head))) for head in heads]
    # Every match of the page's stories is counted: any match beyond them is another story.
    shown = sum(hit["copies"] + 1 for hit in result["hits"])
    more = result["total_relation"] != "eq" or shown < result["total"]
    result["next_cursor"] = (
        encode_cursor(params, heads[-1]["sort"]) if len(heads) == size and more else None
    )
    return result


def similar_articles(es: Elasticsearch, article_id: str, size: int = 10) -> dict[str, Any]:
    """Articles about the same things as `article_id`, one per story, its own story excluded."""
    try:
        doc = _call(
            lambda: es.get(index=alias_name(), id=article_id, source_includes=["cluster_id"])
        )
    except NotFoundError as exc:
        raise ArticleNotIndexed(article_id) from exc
    cluster_id = doc["_source"].get("cluster_id") or article_id
    searcher = _Searcher(es)
    response = searcher.search(**similar_body(doc["_index"], article_id, cluster_id, size))
    hits = [_hit(h) for h in response["hits"]["hits"]]
    return {"id": article_id, "hits": hits, "partial": searcher.partial}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def suggest(
    es: Elasticsearch, prefix: str, size: int = 5, entity_type: str | None = None
) -> dict[str, Any]:
    """Titles and entity names starting with `prefix` (at any word of them)."""
    response = _Searcher(es).search(**suggest_body(prefix, size, entity_type))
    titles: dict[str, dict[str, Any]] = {}
    for option in response["suggest"]["titles"][0]["options"]:
        title = option["_source"].get("title") or option["text"]
        titles.setdefault(title, {"id": option["_id"], "title": title})
    entities: dict[tuple[str, str], dict[str, Any]] = {}
    for option in response["suggest"]["entities"][0]["options"]:
        kind = (option.get("contexts") or {}).get("type", ["person"])[0]
        matched = _fold(option["text"])
        # The input that matched may be the end of a name ("Putin"): report the whole name.
        names = option["_source"].get(ENTITY_FIELDS.get(kind, "")) or []
        name = next(
            (n for n in names if _fold(n) == matched or _fold(n).endswith(" " + matched)),
            option["text"],
        )
        entities.setdefault((name, kind), {"name": name, "type": kind})
    return {
        "prefix": prefix,
        "titles": list(titles.values())[:size],
        "entities": list(entities.values())[:size],
    }
