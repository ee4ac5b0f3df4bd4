"""Failed articles (list, replay) and each article's stage history."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from services.api.deps import SessionDep
from services.api.errors import ApiError, responses
from services.api.security import require_scope
from shared.apikeys import ADMIN, INGEST, SEARCH
from shared.failures import (
    MAX_PAGE,
    FailureFilter,
    article_history,
    count_failures,
    failure_counts,
    failure_view,
    list_failures,
    replay_failures,
)
from shared.models import Article
from shared.schemas import UtcDateTime, check_characters
from shared.states import Stage

router = APIRouter(prefix="/v1", tags=["failures"])

_MAX_REPLAY_IDS = 1000
_ARTICLE_ID = r"^[0-9a-f]{32}$"


Reason = Annotated[str, Field(max_length=100), AfterValidator(check_characters)]
_ADMIN_ONLY = [Depends(require_scope(ADMIN))]


@router.get("/failures", dependencies=_ADMIN_ONLY, responses=responses(400, 401, 403))
def read_failures(
    session: SessionDep,
    stage: Stage | None = None,
    reason: Annotated[Reason | None, Query()] = None,
    since: Annotated[UtcDateTime | None, Query()] = None,
    until: Annotated[UtcDateTime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    """Failed articles, newest first, filtered by stage, reason and time; paged by cursor
    (400 `invalid_cursor` for a cursor this API did not make)."""
    failures = FailureFilter(stage=stage, reason=reason, since=since, until=until)
    page, next_cursor = list_failures(session, failures, limit=limit, cursor=cursor)
    return {
        "total": count_failures(session, failures),
        "items": [failure_view(article) for article in page],
        "next_cursor": next_cursor,
    }


@router.get("/failures/summary", dependencies=_ADMIN_ONLY, responses=responses(401, 403))
def read_failure_summary(session: SessionDep) -> dict[str, Any]:
    """How many articles failed, per stage and reason."""
    return {"counts": failure_counts(session)}


class ReplayRequest(BaseModel):
    """Which failures to replay: ids, a filter, or `all`; at least one must be given."""

    ids: list[Annotated[str, Field(pattern=_ARTICLE_ID)]] = Field(
        default_factory=list, max_length=_MAX_REPLAY_IDS
    )
    stage: Stage | None = None
    reason: Reason | None = None
    since: UtcDateTime | None = None
    until: UtcDateTime | None = None
    all: StrictBool = Field(False, description="Replay every failure (no other selector needed).")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # The schema says it too: at least one selector.
            "anyOf": [
                {"required": ["ids"], "properties": {"ids": {"minItems": 1}}},
                {"required": ["stage"], "properties": {"stage": {"not": {"type": "null"}}}},
                {
                    "required": ["reason"],
                    "properties": {"reason": {"type": "string", "minLength": 1}},
                },
                {"required": ["since"], "properties": {"since": {"type": "string"}}},
                {"required": ["until"], "properties": {"until": {"type": "string"}}},
                {"required": ["all"], "properties": {"all": {"const": True}}},
            ]
        },
    )

    @model_validator(mode="after")
    def _some_selector(self) -> ReplayRequest:
        if not self.all and not (self.ids or self.stage or self.reason or self.since or self.until):
            raise ValueError("give ids, a filter (stage, reason, since, until) or all=true")
        return self


@router.post("/failures/replay", dependencies=_ADMIN_ONLY, responses=responses(401, 403, 413))
def replay(request: ReplayRequest, session: SessionDep) -> dict[str, Any]:
    """Re-run failed articles from the stage that failed them."""
    failures = FailureFilter(
        stage=request.stage,
        reason=request.reason,
        since=request.since,
        until=request.until,
        ids=request.ids,
    )
    return replay_failures(session, failures)


@router.get(
    "/articles/{article_id}/history",
    dependencies=[Depends(require_scope(INGEST, SEARCH))],
    responses=responses(401, 403, 404),
)
def read_article_history(article_id: str, session: SessionDep) -> dict[str, Any]:
    """Every stage attempt of one article: outcome, revision, error detail, time."""
    article = session.get(Article, article_id) if re.match(_ARTICLE_ID, article_id) else None
    if article is None:
        raise ApiError(404, "not_found", f"no article {article_id}")
    return {
        "id": article.id,
        "state": article.state,
        "attempts": article.attempts,
        "events": article_history(session, article_id),
    }
