"""Search endpoints over the alias `newsflow-articles`: search, similar articles, suggest."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from services.api.deps import SearchDep
from services.api.errors import ApiError, responses
from shared.search.query import SearchParams
from shared.search.service import (
    ArticleNotIndexed,
    search_articles,
    similar_articles,
    suggest,
)

router = APIRouter(prefix="/v1", tags=["search"])

EntityType = Literal["person", "organization", "place", "event"]


class SearchQuery(SearchParams):
    """Query parameters of `GET /v1/search`; unknown parameters are refused (422)."""

    model_config = ConfigDict(extra="forbid")


class Hit(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    score: float | None = None
    title: str | None = None
    highlights: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Fragments per field, as HTML: the text escaped, matches in <em>, no other "
        "tag (docs/search.md).",
    )
    copies: int | None = Field(None, description="Other matching copies of this story.")


class SearchResponse(BaseModel):
    total: int = Field(description="Matching articles (copies included).")
    total_relation: str = Field(description='"eq", or "gte" when above 10000.')
    stories: int | None = Field(
        None,
        description="Matching stories; first page only (with facets). A lower bound when "
        "`facets_approximate`.",
    )
    hits: list[Hit]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")
    facets: dict[str, Any] | None = Field(None, description="First page only.")
    facets_approximate: bool | None = Field(
        None,
        description="With facets: true when more articles matched than the facets sample "
        "(NEWSFLOW_SEARCH_FACET_SAMPLE matches per shard): `facets` and `stories` then count "
        "the sample, each count a lower bound (docs/search.md).",
    )
    partial: bool = Field(
        False,
        description="True when the search stopped at the server-side timeout: hits, totals "
        "and facets may be incomplete.",
    )


@router.get(
    "/search",
    response_model=SearchResponse,
    response_model_exclude_unset=True,
    responses=responses(400, 401, 403),
)
def search(es: SearchDep, params: Annotated[SearchQuery, Query()]) -> Any:
    """Full-text search with filters, highlights, facets, story collapsing and cursors
    (400 `invalid_cursor` for a cursor this API did not make for this query)."""
    return search_articles(es, params)


@router.get("/articles/{article_id}/similar", responses=responses(401, 403, 404))
def read_similar_articles(
    es: SearchDep,
    article_id: Annotated[str, Path(max_length=64)],
    size: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Any:
    """Articles about the same people, places and words; copies of the same story excluded."""
    try:
        return similar_articles(es, article_id, size)
    except ArticleNotIndexed:
        raise ApiError(404, "not_found", f"article {article_id} is not indexed") from None


@router.get("/suggest", responses=responses(401, 403))
def read_suggestions(
    es: SearchDep,
    prefix: Annotated[str, Query(min_length=1, max_length=100)],
    size: Annotated[int, Query(ge=1, le=20)] = 5,
    entity_type: Annotated[EntityType | None, Query(alias="type")] = None,
) -> Any:
    """Completions for a search box: titles and entity names starting with `prefix`."""
    return suggest(es, prefix, size, entity_type)
