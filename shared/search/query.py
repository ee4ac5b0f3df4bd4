"""Search requests built only from safe constructs; never user DSL, scripts or `query_string`.

User text reaches Elasticsearch only as the text of `multi_match` queries built from our own
parse of `q` (shared/search/query_language.py: words, phrases, bounded prefixes, and/or/not),
as `term`/`terms` filter values, as completion prefixes and as `search_after` values taken
from a cursor we validate. Every search carries a server-side `timeout`.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.cursors import InvalidCursor
from shared.cursors import decode_cursor as decode_signed_cursor
from shared.cursors import encode_cursor as encode_signed_cursor
from shared.names import EntityKind, canonical_name
from shared.schemas import iso_datetime_only
from shared.search.mapping import ENTITY_FIELDS, LANGUAGE_ANALYZERS, LANGUAGE_SUFFIXES
from shared.search.query_language import (
    MAX_PREFIXES,
    MAX_TERMS,
    MIN_PREFIX_CHARS,
    QueryTooComplex,
    highlight_terms,
    parse,
    to_elasticsearch,
    without_prefixes,
)
from shared.settings import get_settings
from shared.times import as_utc

SortMode = Literal["relevance", "newest"]
Interval = Literal["hour", "day", "week", "month", "year"]

# Title first; words anywhere in the body; entity names and keywords as strong signals.
# Each text exists language-neutral (`title`) and, for the article's own language, stemmed
# (`title_en`); both are searched, so exact words and inflected forms both match.
NEUTRAL_FIELDS: list[str] = [
    "title^3",
    "body",
    "persons.text^2",
    "organizations.text^2",
    "places.text^2",
    "events.text^1.5",
    "keywords.text^1.5",
]


def language_suffixes(languages: list[str] | None) -> list[str]:
    """Suffixes of the language-analysed fields of `languages` (ISO codes; None: all)."""
    if languages is None:
        return list(LANGUAGE_SUFFIXES)
    wanted = {LANGUAGE_ANALYZERS[code][0] for code in languages if code in LANGUAGE_ANALYZERS}
    return [suffix for suffix in LANGUAGE_SUFFIXES if suffix in wanted]


def search_fields(languages: list[str] | None = None) -> list[str]:
    """Fields a full-text query searches: the neutral ones and the language-analysed ones of
    `languages` (ISO codes; None: all). Each field is a clause per query word even where it
    holds nothing, so a search names only the languages its documents can be in."""
    suffixes = language_suffixes(languages)
    return [
        *NEUTRAL_FIELDS,
        *(f"title_{s}^3" for s in suffixes),
        *(f"body_{s}" for s in suffixes),
    ]


SEARCH_FIELDS = search_fields()
# Prefixes expand on the language-neutral fields only: stems make poor prefixes, and each
# field is one more term-dictionary walk.
PREFIX_FIELDS: list[str] = NEUTRAL_FIELDS

# What a hit carries: everything but the big or internal fields.
HIT_FIELDS = [
    "article_id",
    "revision",
    "title",
    "summary",
    "description",
    "url",
    "canonical_url",
    "image",
    "source",
    "site_name",
    "authors",
    "language",
    "date",
    "published_at",
    "ingested_at",
    "persons",
    "organizations",
    "places",
    "events",
    "keywords",
    "speakers",
    "cluster_id",
    "duplicate_of",
    "word_count",
    "reading_time_min",
]
# What a copy of a story carries in `copies_sample`.
COPY_FIELDS = ["source", "url", "title", "date"]

# Filters of the API -> keyword sub-fields, folded so "vladimir putin" finds "Vladimir Putin".
FILTER_FIELDS: dict[str, str] = {
    "person": "persons.folded",
    "organization": "organizations.folded",
    "place": "places.folded",
    "event": "events.folded",
    "source": "source.folded",
    "speaker": "speakers.folded",
    "keyword": "keywords.folded",
}
FACET_FIELDS: dict[str, str] = {
    "persons": "persons",
    "organizations": "organizations",
    "places": "places",
    "sources": "source",
    "languages": "language",
}
# `unmapped_type`: an index of an older mapping (before `newsflow index init` upgraded it)
# still sorts instead of failing every search.
_BY_DATE = {"date": {"order": "desc", "unmapped_type": "date"}}
SORTS: dict[str, list[dict[str, Any]]] = {
    "relevance": [{"_score": "desc"}, _BY_DATE, {"article_id": "asc"}],
    "newest": [_BY_DATE, {"article_id": "asc"}],
}
_CURSOR_KIND = "search"
# Hits counted exactly; above, the total is a lower bound (`total_relation` "gte").
TOTAL_HITS_CAP = 10_000
# Sort values go back to Elasticsearch as `search_after`: dates are epoch millis in a long.
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
# The last millisecond of a day: dates in the index have millisecond precision.
_END_OF_DAY = (datetime.min + timedelta(days=1, milliseconds=-1)).time()


class SearchParams(BaseModel):
    """Everything `GET /v1/search` accepts, validated; the CLI uses the same model."""

    q: str = Field(
        default="",
        description='Full text: words (all of them), "phrases", -exclusion, a OR b (also a | b), '
        f"(grouping), prefix* (at least {MIN_PREFIX_CHARS} letters, at most {MAX_PREFIXES} per "
        f"query), at most {MAX_TERMS} words. See docs/search.md.",
    )
    person: list[str] = Field(default_factory=list, description="Exact person names (any).")
    organization: list[str] = Field(default_factory=list)
    place: list[str] = Field(default_factory=list)
    event: list[str] = Field(default_factory=list)
    source: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list, description="ISO 639-1 codes.")
    speaker: list[str] = Field(default_factory=list, description="Quoted speakers (any).")
    keyword: list[str] = Field(default_factory=list)
    since: Annotated[datetime | None, BeforeValidator(iso_datetime_only)] = Field(
        default=None,
        description="Dated on or after (published, else received). ISO 8601; a date alone "
        "(2025-06-01) means the start of that day in UTC; no zone means UTC.",
    )
    until: Annotated[datetime | None, BeforeValidator(iso_datetime_only)] = Field(
        default=None,
        description="Dated on or before. A date alone (2025-06-01) covers that whole day in UTC.",
    )
    sort: SortMode | None = Field(default=None, description="Default: relevance, newest if no `q`.")
    size: int = Field(default=10, ge=1)
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page.")
    collapse: bool = Field(default=True, description="One hit per story (near-duplicates folded).")
    facets: bool = Field(default=True, description="Facets with the first page.")
    facet_size: int = Field(default=10, ge=1, le=50)
    interval: Interval | None = Field(default=None, description="Date histogram bucket size.")
    highlight: bool = Field(
        default=True,
        description="`highlights` in each hit; false for apps that show no snippets (most of "
        "a page's cost: docs/search.md).",
    )

    @model_validator(mode="after")
    def _check(self) -> SearchParams:
        settings = get_settings()
        if len(self.q) > settings.search_max_query_chars:
            raise ValueError(f"q is longer than {settings.search_max_query_chars} characters")
        if self.size > settings.search_max_size:
            raise ValueError(f"size must be at most {settings.search_max_size}")
        if self.since and self.until and self.since > self.until:
            raise ValueError("since must not be after until")
        try:
            parse(self.q)
        except QueryTooComplex as exc:
            raise ValueError(f"q is too complex: {exc}") from exc
        for name in FILTER_FIELDS | {"language": ""}:
            values = getattr(self, name)
            if len(values) > 20 or any(len(v) > 200 for v in values):
                raise ValueError(f"{name}: at most 20 values of at most 200 characters")
        return self

    @field_validator("since", "until", mode="before")
    @classmethod
    def _whole_days(cls, value: Any, info: ValidationInfo) -> Any:
        # A date alone covers the whole day (UTC): `until=2025-06-01` includes 10:00 that day.
        if isinstance(value, str) and _DATE_ONLY.fullmatch(value.strip()):
            day = date.fromisoformat(value.strip())
            if info.field_name == "until":
                return datetime.combine(day, _END_OF_DAY, tzinfo=UTC)
            return datetime.combine(day, time(), tzinfo=UTC)
        return value

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        # A date without a zone means UTC, like every date in the index; the index's dates
        # are years 1-9999 in UTC, so a zone that pushes a date out of them is refused.
        if value is None:
            return None
        try:
            return as_utc(value).astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("date is out of range (years 1 to 9999 in UTC)") from exc

    @property
    def sort_mode(self) -> SortMode:
        if self.sort:
            return self.sort
        return "relevance" if self.q.strip() else "newest"

    def fingerprint(self) -> str:
        """What a cursor is bound to: the query, filters, sort and collapsing."""
        data = self.model_dump(
            mode="json",
            exclude={"size", "cursor", "facets", "facet_size", "interval", "highlight"},
        )
        data["sort"] = self.sort_mode
        return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def encode_cursor(params: SearchParams, sort_values: list[Any]) -> str:
    return encode_signed_cursor(_CURSOR_KIND, {"f": params.fingerprint(), "a": sort_values})


def _sort_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return _LONG_MIN <= value <= _LONG_MAX
    return isinstance(value, float) and math.isfinite(value)


def decode_cursor(params: SearchParams) -> list[Any] | None:
    """The `search_after` values of `params.cursor`; InvalidCursor if it is not ours."""
    if not params.cursor:
        return None
    payload = decode_signed_cursor(_CURSOR_KIND, params.cursor)
    if not isinstance(payload, dict):
        raise InvalidCursor("cursor is damaged")
    if payload.get("f") != params.fingerprint():
        raise InvalidCursor("cursor belongs to another query: send the same q, filters, sort")
    values = payload.get("a")
    expected = len(SORTS[params.sort_mode])
    if not isinstance(values, list) or len(values) != expected:
        raise InvalidCursor("cursor is damaged")
    # The types the sort keys have: score (number), date (epoch millis), id (string).
    *numbers, article_id = values
    if not all(_sort_number(n) for n in numbers):
        raise InvalidCursor("cursor is damaged")
    if not isinstance(article_id, str) or len(article_id) > 64:
        raise InvalidCursor("cursor is damaged")
    return values


def full_text_query(q: str, languages: list[str] | None = None) -> dict[str, Any] | None:
    """The query of `q` (None for no words); QueryTooComplex beyond the language's bounds."""
    node = parse(q)
    if node is None:
        return None
    return to_elasticsearch(node, search_fields(languages), PREFIX_FIELDS)


# Filters whose values are names: read through the same canonical spelling as enrichment
# (shared/names.py), so `place=UK` is `place=United Kingdom`. Speakers are persons.
_NAME_KINDS: dict[str, EntityKind] = {
    "person": "person",
    "speaker": "person",
    "organization": "organization",
    "place": "place",
}


def filter_values(name: str, values: list[str]) -> list[str]:
    """What a filter matches: each value as given and in its canonical spelling."""
    kept: dict[str, None] = {}
    for value in values:
        value = value.strip()
        if not value:
            continue
        kept.setdefault(value, None)
        if name in _NAME_KINDS:
            canonical = canonical_name(_NAME_KINDS[name], value)
            if canonical:
                kept.setdefault(canonical, None)
    return list(kept)


def filters(params: SearchParams) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    for name, field in FILTER_FIELDS.items():
        values = filter_values(name, getattr(params, name))
        if not values:
            continue
        if name == "person":
            # An unambiguous surname matches the full name: `person=Blair` finds Tony Blair.
            either = [{"terms": {field: values}}, {"terms": {"person_surnames": values}}]
            clauses.append({"bool": {"should": either, "minimum_should_match": 1}})
        else:
            clauses.append({"terms": {field: values}})
    if params.language:
        clauses.append({"terms": {"language": _languages(params)}})
    if params.since or params.until:
        bounds = {k: v.isoformat() for k, v in (("gte", params.since), ("lte", params.until)) if v}
        clauses.append({"range": {"date": bounds}})
    return clauses


def _languages(params: SearchParams) -> list[str]:
    return [v.strip().lower() for v in params.language if v.strip()]


def searched_languages(params: SearchParams, languages: list[str] | None) -> list[str] | None:
    """Languages whose fields a search of `params` reads: those of its language filter, else
    `languages` (those the searched documents are in; None: unknown, all of them)."""
    return _languages(params) or languages


def base_query(params: SearchParams, languages: list[str] | None = None) -> dict[str, Any]:
    """The query and filters of `params`. `languages`: the languages of the documents
    searched, when the caller knows them (only their fields can match); None: all."""
    text = full_text_query(params.q, searched_languages(params, languages))
    return {
        "bool": {
            "must": [text] if text else [{"match_all": {}}],
            "filter": filters(params),
        }
    }


_TITLE_HIGHLIGHT: dict[str, Any] = {"number_of_fragments": 0}
_BODY_HIGHLIGHT: dict[str, Any] = {"fragment_size": 160, "number_of_fragments": 3}


def highlight(params: SearchParams, languages: list[str] | None = None) -> dict[str, Any]:
    # Every highlighted field has offsets in the index: no re-analysis, so bodies beyond
    # `index.highlight.max_analyzed_offset` (1M chars) highlight fine. (A request-level
    # `max_analyzed_offset` would cut them off at that offset instead.) The encoder escapes
    # the text; `<em>` is the only tag (docs/search.md).
    fields: dict[str, Any] = {"title": _TITLE_HIGHLIGHT, "body": _BODY_HIGHLIGHT}
    for suffix in language_suffixes(searched_languages(params, languages)):
        fields[f"title_{suffix}"] = _TITLE_HIGHLIGHT
        fields[f"body_{suffix}"] = _BODY_HIGHLIGHT
    node = parse(params.q)
    marked = highlight_terms(node) if node is not None else None
    if marked is not None:
        # The few words to mark, not the whole query, each field with a query of its own:
        # a field's highlighter walks only its clauses, for each hit (measured against one
        # query on every field: `took` of a first page 11 -> 10 ms p50 at 100,000
        # articles, the same fragments). Prefixes are searched, so marked, on the neutral
        # fields only; a field with nothing to mark is not highlighted.
        words = without_prefixes(marked)
        for name in list(fields):
            on_field = marked if name in ("title", "body") else words
            if on_field is None:
                del fields[name]
            else:
                query = to_elasticsearch(on_field, [name], [name])
                fields[name] = {**fields[name], "highlight_query": query}
    return {"encoder": "html", "fields": fields}


def auto_interval(params: SearchParams) -> Interval:
    """A histogram interval giving tens of buckets for the range asked about."""
    if params.interval:
        return params.interval
    if params.since and params.until:
        days = (params.until - params.since).total_seconds() / 86400
        if days <= 3:
            return "hour"
        if days <= 120:
            return "day"
        if days <= 3 * 365:
            return "week"
        return "month"
    return "day" if params.since else "month"


def aggregations(params: SearchParams) -> dict[str, Any]:
    aggs: dict[str, Any] = {
        name: {"terms": {"field": field, "size": params.facet_size}}
        for name, field in FACET_FIELDS.items()
    }
    aggs["dates"] = {
        "date_histogram": {
            "field": "date",
            "calendar_interval": auto_interval(params),
            "min_doc_count": 1,
        }
    }
    # Stories rather than copies; exact below 3000, approximate above.
    aggs["stories"] = {"cardinality": {"field": "cluster_id", "precision_threshold": 3000}}
    return aggs


def search_body(
    params: SearchParams,
    *,
    size: int,
    languages: list[str] | None = None,
    search_after: list[Any] | None = None,
    light: bool = False,
) -> dict[str, Any]:
    """One page of hits, in order. `light`: only the sort values and story ids (from doc
    values, no `_source`), no highlighting: the ranking pass of collapsed search (see
    shared/search/service.py). Facets are a request of their own (`facets_body`)."""
    body: dict[str, Any] = {
        "query": base_query(params, languages),
        "sort": SORTS[params.sort_mode],
        "size": size,
        # Exact up to 10k, "at least 10000" above: counting every hit costs on big indices.
        "track_total_hits": TOTAL_HITS_CAP,
    }
    if light:
        body["_source"] = False
        body["docvalue_fields"] = ["cluster_id"]
    else:
        body["_source"] = {"includes": HIT_FIELDS}
        if params.highlight:
            body["highlight"] = highlight(params, languages)
    if search_after is not None:
        body["search_after"] = search_after
    return body


def facets_body(
    params: SearchParams, languages: list[str] | None = None, sample: int = 0
) -> dict[str, Any]:
    """Facets and the story count of the matches: no hits, so Elasticsearch's request cache
    answers the same facets again until the index changes, and the request runs next to
    the one fetching hits. `sample` > 0: each shard stops after its first `sample` matches
    (in index order; the answer says `terminated_early`), so the cost stays bounded however
    many articles match. (A `sampler` of the best-scoring matches was measured dearer than
    every match: it scores each one.)"""
    body: dict[str, Any] = {
        "query": base_query(params, languages),
        "size": 0,
        "aggs": aggregations(params),
        "track_total_hits": False,
    }
    if sample > 0:
        body["terminate_after"] = sample
    return body


def _copies_aggregation(params: SearchParams, stories: int, copies: int) -> dict[str, Any]:
    """Per story: the number of its matching articles and the first `copies` + 1 of them in
    the page's sort (the head itself is among them). One aggregation over the stories of a
    page: `inner_hits` would run a query per story."""
    return {
        "stories": {
            # A few stories' documents: a map of their ids beats global ordinals of every
            # story id (measured: the request's `took` 10 -> 8 ms at 100,000 articles).
            "terms": {"field": "cluster_id", "size": stories, "execution_hint": "map"},
            "aggs": {
                "copies": {
                    "top_hits": {
                        "size": copies + 1,
                        "sort": SORTS[params.sort_mode],
                        "_source": {"includes": COPY_FIELDS},
                    }
                }
            },
        }
    }


def _within_stories(
    params: SearchParams, cluster_ids: list[str], languages: list[str] | None
) -> dict[str, Any]:
    query = base_query(params, languages)
    query["bool"]["filter"] = [*query["bool"]["filter"], {"terms": {"cluster_id": cluster_ids}}]
    return query


def heads_body(
    params: SearchParams,
    cluster_ids: list[str],
    copies: int = 3,
    languages: list[str] | None = None,
) -> dict[str, Any]:
    """The best hit of each of `cluster_ids` under the same query and sort, with its fields,
    highlights and matching copies.

    Collapsing is not allowed with `search_after` on a multi-key sort, so pages after the
    first are cut with `search_after` over a light ranking pass, and this request tells
    which hits of it lead their story, and fetches just those in full.
    """
    body = {
        **copies_body(params, cluster_ids, copies, languages),
        "sort": SORTS[params.sort_mode],
        "size": len(cluster_ids),
        "_source": {"includes": HIT_FIELDS},
        "collapse": {"field": "cluster_id"},
    }
    if params.highlight:
        body["highlight"] = highlight(params, languages)
    return body


def first_page_body(
    params: SearchParams, size: int, languages: list[str] | None = None
) -> dict[str, Any]:
    """The first page of collapsed search: Elasticsearch's `collapse` keeps each story's
    best hit under the page's sort (the head `heads_body` picks on later pages), with its
    fields and highlights, in one request. Its copies come from `copies_body`."""
    return {
        **search_body(params, size=size, languages=languages),
        "collapse": {"field": "cluster_id"},
    }


def copies_body(
    params: SearchParams,
    cluster_ids: list[str],
    copies: int = 3,
    languages: list[str] | None = None,
) -> dict[str, Any]:
    """The matching copies of the stories of a first page (`first_page_body`): no hits,
    one aggregation over just those stories."""
    return {
        "query": _within_stories(params, cluster_ids, languages),
        "size": 0,
        "aggs": _copies_aggregation(params, len(cluster_ids), copies),
        "track_total_hits": False,
    }


def similar_body(index: str, article_id: str, cluster_id: str, size: int) -> dict[str, Any]:
    """Articles like one article, its own story (near-duplicates) left out."""
    return {
        "query": {
            "bool": {
                "must": [
                    {
                        "more_like_this": {
                            "fields": [
                                "title",
                                "body",
                                "persons.text",
                                "organizations.text",
                                "places.text",
                                "keywords.text",
                            ],
                            "like": [{"_index": index, "_id": article_id}],
                            "min_term_freq": 1,
                            "min_doc_freq": 1,
                            "max_query_terms": 40,
                            "minimum_should_match": "10%",
                        }
                    }
                ],
                "must_not": [{"term": {"cluster_id": cluster_id}}],
            }
        },
        "collapse": {"field": "cluster_id"},
        "size": size,
        "_source": {"includes": HIT_FIELDS},
        "track_total_hits": False,
    }


# Entity types offered as completions (not "other": "Russian", "Democrats"...).
ENTITY_TYPES = tuple(ENTITY_FIELDS)


def suggest_body(prefix: str, size: int, entity_type: str | None) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "field": "suggest_entity",
        "size": size * 3,  # several inputs of one entity may match; folded to names later
        "skip_duplicates": True,
    }
    # A context-enabled completion field insists on contexts in the query: all by default.
    entity["contexts"] = {"type": [entity_type] if entity_type else list(ENTITY_TYPES)}
    return {
        "_source": {"includes": ["article_id", "title", *ENTITY_FIELDS.values()]},
        "suggest": {
            "titles": {
                "prefix": prefix,
                "completion": {"field": "suggest_title", "size": size, "skip_duplicates": True},
            },
            "entities": {"prefix": prefix, "completion": entity},
        },
    }
