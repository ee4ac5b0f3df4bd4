"""Search requests are built from safe constructs only; cursors are validated."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from shared.cursors import InvalidCursor
from shared.search.documents import language_code, language_suffix
from shared.search.mapping import LANGUAGE_SUFFIXES, MAPPINGS
from shared.search.query import (
    SEARCH_FIELDS,
    SearchParams,
    auto_interval,
    copies_body,
    decode_cursor,
    encode_cursor,
    facets_body,
    first_page_body,
    heads_body,
    search_body,
    suggest_body,
)


def _walk(node: Any) -> list[str]:
    """Every key of a nested request body."""
    if isinstance(node, dict):
        return list(node) + [k for v in node.values() for k in _walk(v)]
    if isinstance(node, list):
        return [k for v in node for k in _walk(v)]
    return []


def test_user_text_only_reaches_multi_match_text() -> None:
    params = SearchParams(q='"a b" -c | dd* {script:1}')
    body = {**search_body(params, size=10), "facets": facets_body(params)}
    keys = set(_walk(body))
    assert not keys & {
        "query_string",
        "simple_query_string",
        "script",
        "script_score",
        "regexp",
        "wildcard",
        "fuzzy",
        "prefix",
    }
    leaves = [v["query"] for k, v in _iter_items(body["query"]) if k == "multi_match"]
    assert sorted(leaves) == sorted(["a b", "c", "dd", "{script:1}"])


def _iter_items(node: Any) -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [(k, v) for k, v in node.items()] + [
            i for v in node.values() for i in _iter_items(v)
        ]
    if isinstance(node, list):
        return [i for v in node for i in _iter_items(v)]
    return []


def test_search_fields_exist_in_the_mapping() -> None:
    properties = MAPPINGS["properties"]
    for spec in SEARCH_FIELDS:
        name = spec.split("^")[0]
        top, _, sub = name.partition(".")
        assert top in properties, name
        if sub:
            assert sub in properties[top]["fields"], name
    assert {f"body_{s}" for s in LANGUAGE_SUFFIXES} <= {f.split("^")[0] for f in SEARCH_FIELDS}


def test_filters_become_terms_on_folded_keywords_and_a_date_range() -> None:
    params = SearchParams(
        person=["Vladimir Putin"],
        place=["Zürich", " "],
        language=["EN"],
        speaker=["Donald Trump"],
        since=datetime(2025, 1, 1),
        until=datetime(2025, 2, 1, tzinfo=UTC),
    )
    filters = search_body(params, size=5)["query"]["bool"]["filter"]
    persons = {"terms": {"persons.folded": ["Vladimir Putin"]}}
    surnames = {"terms": {"person_surnames": ["Vladimir Putin"]}}
    assert {"bool": {"should": [persons, surnames], "minimum_should_match": 1}} in filters
    assert {"terms": {"places.folded": ["Zürich"]}} in filters
    assert {"terms": {"speakers.folded": ["Donald Trump"]}} in filters
    assert {"terms": {"language": ["en"]}} in filters
    assert {
        "range": {"date": {"gte": "2025-01-01T00:00:00+00:00", "lte": "2025-02-01T00:00:00+00:00"}}
    } in filters


def test_empty_query_sorts_newest_first_and_a_query_by_relevance() -> None:
    assert SearchParams().sort_mode == "newest"
    assert SearchParams(q="  ").sort_mode == "newest"
    assert SearchParams(q="putin").sort_mode == "relevance"
    assert SearchParams(q="putin", sort="newest").sort_mode == "newest"
    newest = search_body(SearchParams(), size=5)
    assert newest["sort"] == [
        {"date": {"order": "desc", "unmapped_type": "date"}},
        {"article_id": "asc"},
    ]
    assert newest["query"]["bool"]["must"] == [{"match_all": {}}]
    relevance = search_body(SearchParams(q="x"), size=5)
    assert relevance["sort"][0] == {"_score": "desc"}
    assert relevance["sort"][-1] == {"article_id": "asc"}, "a unique tiebreaker for cursors"


@pytest.mark.parametrize(
    "params",
    [
        {"size": 0},
        {"size": 101},
        {"q": "x" * 1001},
        {"since": datetime(2025, 2, 1), "until": datetime(2025, 1, 1)},
        {"sort": "oldest"},
        {"facet_size": 51},
        {"person": ["x" * 201]},
        {"place": ["p"] * 21},
    ],
)
def test_invalid_parameters_are_refused(params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SearchParams(**params)


def test_a_cursor_round_trips_and_is_bound_to_its_query() -> None:
    params = SearchParams(q="putin", place=["Alaska"])
    values = [3.3500428, 1_755_000_000_000, "abc"]
    cursor = encode_cursor(params, values)
    assert "=" not in cursor
    same_query_other_size = params.model_copy(update={"cursor": cursor, "size": 50})
    assert decode_cursor(same_query_other_size) == values
    for other in [
        SearchParams(q="trump", place=["Alaska"], cursor=cursor),
        SearchParams(q="putin", cursor=cursor),
        SearchParams(q="putin", place=["Alaska"], sort="newest", cursor=cursor),
        SearchParams(q="putin", place=["Alaska"], collapse=False, cursor=cursor),
    ]:
        with pytest.raises(InvalidCursor, match="another query"):
            decode_cursor(other)


def _forge(params: SearchParams, payload: dict[str, Any]) -> SearchParams:
    """A cursor signed with the server's key (as if it leaked): its values are still checked."""
    from shared.cursors import encode_cursor

    token = encode_cursor("search", {"f": payload["f"], "a": payload["a"]})
    return params.model_copy(update={"cursor": token})


def test_an_unsigned_or_re_signed_cursor_is_refused() -> None:
    params = SearchParams(q="putin")
    payload = {"f": params.fingerprint(), "a": [1.0, 2, "id"]}
    good = _forge(params, payload)
    assert decode_cursor(good) == [1.0, 2, "id"]
    unsigned = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    body, _, signature = str(good.cursor).partition(".")
    other = base64.urlsafe_b64encode(json.dumps({**payload, "a": [9.0, 2, "id"]}).encode())
    for token in (unsigned, f"{other.decode().rstrip('=')}.{signature}", f"{body}.AAAA"):
        with pytest.raises(InvalidCursor, match="not a cursor of this API"):
            decode_cursor(params.model_copy(update={"cursor": token}))


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2],  # too short for a relevance sort
        [1.0, 2, "id", 4],
        ["1.0", 2, "id"],
        [1.0, True, "id"],
        [1.0, 2, 3],
        [1.0, 2, "x" * 65],
        [1.0, {"script": "boom"}, "id"],
        [1.0, 2**63, "id"],  # no long holds it: Elasticsearch would answer 400
        [float("inf"), 2, "id"],
        "not a list",
    ],
)
def test_a_forged_cursor_is_refused(values: Any) -> None:
    params = SearchParams(q="putin")
    forged = _forge(params, {"v": 1, "f": params.fingerprint(), "a": values})
    with pytest.raises(InvalidCursor):
        decode_cursor(forged)


@pytest.mark.parametrize("token", ["%%%", "bm90IGpzb24", "W10", "eyJ2IjoyfQ", "x" * 1001])
def test_garbage_cursors_are_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(SearchParams(q="putin", cursor=token))


def test_pages_after_the_first_carry_search_after_and_no_aggregations() -> None:
    body = search_body(SearchParams(q="x"), size=5, search_after=[1.0, 2, "a"])
    assert body["search_after"] == [1.0, 2, "a"]
    assert "aggs" not in body
    assert "from" not in body


def test_collapse_heads_use_the_same_query_and_sort() -> None:
    params = SearchParams(q="putin", source=["bbc"])
    heads = heads_body(params, ["c1", "c2"])
    page = search_body(params, size=5)
    assert heads["sort"] == page["sort"]
    assert heads["query"]["bool"]["must"] == page["query"]["bool"]["must"]
    assert {"terms": {"cluster_id": ["c1", "c2"]}} in heads["query"]["bool"]["filter"]
    assert heads["collapse"]["field"] == "cluster_id"
    assert heads["size"] == 2


def test_a_first_page_collapses_in_one_request_and_counts_copies_in_one_aggregation() -> None:
    params = SearchParams(q="putin", source=["bbc"], sort="newest")
    first = first_page_body(params, 10, ["en"])
    page = search_body(params, size=10, languages=["en"])
    assert first["collapse"] == {"field": "cluster_id"}
    assert {k: v for k, v in first.items() if k != "collapse"} == page
    assert "inner_hits" not in first["collapse"], "inner_hits runs a search per story"
    copies = copies_body(params, ["c1", "c2"], 3, ["en"])
    assert copies["size"] == 0
    assert copies["query"]["bool"]["must"] == page["query"]["bool"]["must"]
    assert {"terms": {"cluster_id": ["c1", "c2"]}} in copies["query"]["bool"]["filter"]
    stories = copies["aggs"]["stories"]
    assert stories["terms"] == {"field": "cluster_id", "size": 2, "execution_hint": "map"}
    sample = stories["aggs"]["copies"]["top_hits"]
    assert sample["size"] == 4, "the head is among the top hits of its story"
    assert sample["sort"] == page["sort"]


def test_histogram_interval_follows_the_range() -> None:
    day = datetime(2025, 1, 1, tzinfo=UTC)
    assert auto_interval(SearchParams()) == "month"
    assert auto_interval(SearchParams(since=day, until=day.replace(day=2))) == "hour"
    assert auto_interval(SearchParams(since=day, until=day.replace(month=3))) == "day"
    assert auto_interval(SearchParams(since=day, until=day.replace(year=2026))) == "week"
    assert auto_interval(SearchParams(since=day, until=day.replace(year=2030))) == "month"
    assert auto_interval(SearchParams(interval="year")) == "year"


def test_suggest_queries_every_entity_type_unless_one_is_asked_for() -> None:
    every = suggest_body("put", 5, None)["suggest"]["entities"]["completion"]
    assert set(every["contexts"]["type"]) == {"person", "organization", "place", "event"}
    one = suggest_body("put", 5, "person")["suggest"]["entities"]["completion"]
    assert one["contexts"] == {"type": ["person"]}


@pytest.mark.parametrize(
    ("value", "code", "suffix"),
    [
        ("en", "en", "en"),
        ("en-GB", "en", "en"),
        ("DE_at", "de", "de"),
        ("nb", "nb", "no"),
        ("zh-Hant", "zh", "cjk"),
        ("sw", "sw", None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_language_codes_pick_the_language_fields(
    value: str | None, code: str | None, suffix: str | None
) -> None:
    assert language_code(value) == code
    assert language_suffix(value) == suffix


def test_a_language_filter_narrows_the_language_fields_searched() -> None:
    every = search_body(SearchParams(q="haus"), size=5)
    fields = every["query"]["bool"]["must"][0]["multi_match"]["fields"]
    assert {"body_en", "body_de", "body_cjk"} <= set(fields)
    german = search_body(SearchParams(q="haus", language=["DE", "xx"]), size=5)
    fields = german["query"]["bool"]["must"][0]["multi_match"]["fields"]
    assert [f for f in fields if f.startswith(("title_", "body_"))] == ["title_de^3", "body_de"]
    assert "body" in fields, "the language-neutral fields are always searched"
    assert {"terms": {"language": ["de", "xx"]}} in german["query"]["bool"]["filter"]


def _language_fields(fields: list[str]) -> list[str]:
    return [f for f in fields if f.startswith(("title_", "body_"))]


def test_the_languages_the_index_holds_bound_the_fields_searched_and_highlighted() -> None:
    params = SearchParams(q="haus")
    body = search_body(params, size=5, languages=["en", "de", "sw"])
    fields = body["query"]["bool"]["must"][0]["multi_match"]["fields"]
    assert _language_fields(fields) == ["title_de^3", "title_en^3", "body_de", "body_en"]
    assert _language_fields(list(body["highlight"]["fields"])) == [
        "title_de",
        "body_de",
        "title_en",
        "body_en",
    ]
    # No language with an analyzer: the neutral fields alone.
    bare = search_body(params, size=5, languages=[])
    fields = bare["query"]["bool"]["must"][0]["multi_match"]["fields"]
    assert _language_fields(fields) == []
    assert "body" in fields
    # A language filter wins: its fields, whatever else the index holds.
    german = search_body(SearchParams(q="haus", language=["de"]), size=5, languages=["en"])
    fields = german["query"]["bool"]["must"][0]["multi_match"]["fields"]
    assert _language_fields(fields) == ["title_de^3", "body_de"]
    heads = heads_body(params, ["c"], languages=["en"])
    assert (
        heads["query"]["bool"]["must"]
        == search_body(params, size=1, languages=["en"])["query"]["bool"]["must"]
    )


def test_facets_are_a_request_of_their_own_without_hits() -> None:
    params = SearchParams(q="putin", place=["Alaska"])
    facets = facets_body(params, ["en"])
    assert facets["size"] == 0
    assert facets["query"] == search_body(params, size=5, languages=["en"])["query"]
    assert set(facets["aggs"]) == {
        "persons",
        "organizations",
        "places",
        "sources",
        "languages",
        "dates",
        "stories",
    }
    light = search_body(params, size=25, light=True)
    assert "aggs" not in light
    assert "highlight" not in light
    assert light["_source"] is False
    assert light["docvalue_fields"] == ["cluster_id"]


def test_facets_on_a_sample_stop_after_its_size() -> None:
    params = SearchParams(q="putin")
    exact = facets_body(params, ["en"])
    assert "terminate_after" not in exact
    sampled = facets_body(params, ["en"], sample=300)
    assert sampled == {**exact, "terminate_after": 300}


def test_searches_have_a_server_side_timeout_and_are_never_retried_on_timeout() -> None:
    from elasticsearch import Elasticsearch

    from shared.search.service import _Searcher
    from shared.settings import get_settings

    shared_client = Elasticsearch("http://127.0.0.1:1", retry_on_timeout=True)  # never called
    searcher = _Searcher(shared_client)
    timeout = get_settings().search_timeout_s
    assert searcher.timeout == f"{round(timeout * 1e9)}nanos"
    assert searcher.es._retry_on_timeout is False
    client_timeout = searcher.es._request_timeout
    assert isinstance(client_timeout, float)
    assert client_timeout > timeout, "the server's partial answer comes first"


def test_only_a_search_with_words_and_no_language_filter_asks_for_the_indexed_languages() -> None:
    from elasticsearch import Elasticsearch

    from shared.search.service import _searched_languages, _Searcher

    searcher = _Searcher(Elasticsearch("http://127.0.0.1:1"))  # never called below
    assert _searched_languages(searcher, SearchParams(q="haus", language=["de"])) is None
    assert _searched_languages(searcher, SearchParams(q="  -  ")) == []
    assert _searched_languages(searcher, SearchParams(sort="newest")) == []
