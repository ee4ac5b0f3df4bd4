"""Search endpoints over the alias `newsflow-articles`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from elasticsearch import ApiError, TransportError
from fastapi import APIRouter, HTTPException, Query

from services.api.deps import SearchDep
from shared.search.indices import alias_name
from shared.search.query import SearchParams, build_query
from shared.settings import get_settings

router = APIRouter(prefix="/v1", tags=["search"])


@router.get("/search")
def search_articles(
    es: SearchDep,
    q: Annotated[str, Query(max_length=get_settings().search_max_query_chars)] = "",
    person: Annotated[list[str] | None, Query()] = None,
    organization: Annotated[list[str] | None, Query()] = None,
    place: Annotated[list[str] | None, Query()] = None,
    source: Annotated[list[str] | None, Query()] = None,
    language: Annotated[list[str] | None, Query()] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    size: Annotated[int, Query(ge=1, le=get_settings().search_max_size)] = 10,
) -> dict[str, Any]:
    """Full-text search with filters and highlights."""
    params = SearchParams(
        q=q,
        person=person or [],
        organization=organization or [],
        place=place or [],
        source=source or [],
        language=language or [],
        since=since,
        until=until,
        size=size,
    )
    try:
        response = es.search(index=alias_name(), **build_query(params))
    except (ApiError, TransportError) as exc:
        raise HTTPException(status_code=503, detail={"reason": "search_unavailable"}) from exc
    hits = response["hits"]
    return {
        "total": hits["total"]["value"],
        "hits": [
            {
                "id": hit["_id"],
                "score": hit["_score"],
                **hit["_source"],
                "highlights": hit.get("highlight", {}),
            }
            for hit in hits["hits"]
        ],
    }
