"""Search requests built only from safe constructs; never user DSL or `query_string`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.settings import get_settings

SEARCH_FIELDS = ["title^3", "body", "persons^2", "organizations^2", "places^2"]


class SearchParams(BaseModel):
    q: str = Field("", description='Full text: words, "phrases", -exclusion, OR.')
    person: list[str] = Field(default_factory=list)
    organization: list[str] = Field(default_factory=list)
    place: list[str] = Field(default_factory=list)
    source: list[str] = Field(default_factory=list)
    language: list[str] = Field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    size: int = Field(10, ge=1)


def build_query(params: SearchParams) -> dict[str, Any]:
    settings = get_settings()
    filters: list[dict[str, Any]] = []
    for field, values in (
        ("persons", params.person),
        ("organizations", params.organization),
        ("places", params.place),
        ("source", params.source),
        ("language", params.language),
    ):
        if values:
            filters.append({"terms": {field: values}})
    if params.since or params.until:
        bounds = {k: v.isoformat() for k, v in (("gte", params.since), ("lte", params.until)) if v}
        filters.append({"range": {"published_at": bounds}})
    q = params.q.strip()[: settings.search_max_query_chars]
    must: list[dict[str, Any]] = []
    if q:
        must.append(
            {
                "simple_query_string": {
                    "query": q,
                    "fields": SEARCH_FIELDS,
                    "default_operator": "and",
                    # Only phrases, negation, OR and prefix; no fuzzy/regex-like or slop syntax.
                    "flags": "AND|OR|NOT|PHRASE|PREFIX|PRECEDENCE|WHITESPACE|ESCAPE",
                    "lenient": True,
                }
            }
        )
    body: dict[str, Any] = {
        "query": {"bool": {"must": must or [{"match_all": {}}], "filter": filters}},
        "size": min(params.size, settings.search_max_size),
        "highlight": {
            "fields": {
                "title": {"number_of_fragments": 0},
                "body": {"fragment_size": 160, "number_of_fragments": 3},
            },
            "max_analyzed_offset": 1_000_000,
        },
        "_source": {"excludes": ["body"]},
        "track_total_hits": True,
    }
    if not q:
        body["sort"] = [
            {"published_at": {"order": "desc", "missing": "_last"}},
            {"article_id": "asc"},
        ]
    return body
