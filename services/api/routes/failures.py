"""Failed articles (list, replay) and each article's stage history."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.api.deps import SessionDep
from services.api.security import require_scope
from shared.apikeys import ADMIN, INGEST, SEARCH
from shared.failures import (
    MAX_PAGE,
    FailureFilter,
    InvalidCursor,
    article_history,
    count_failures,
    failure_counts,
    failure_view,
    list_failures,
    replay_failures,
)
from shared.models import Article
from shared.states import Stage

router = APIRouter(prefix="/v1", tags=["failures"])

_MAX_REPLAY_IDS = 1000
_ARTICLE_ID = r"^[0-9a-f]{32}$"


@router.get("/failures", dependencies=[Depends(require_scope(ADMIN))])
def read_failures(
    session: SessionDep,
    stage: Stage | None = None,
    reason: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Failed articles, newest first, filtered by stage, reason and time; paged by cursor."""
    failures = FailureFilter(stage=stage, reason=reason, since=since, until=until)
    try:
        page, next_cursor = list_failures(session, failures, limit=limit, cursor=cursor)
    except InvalidCursor as exc:
        raise HTTPException(status_code=400, detail={"reason": "invalid_cursor"}) from exc
    return {
        "total": count_failures(session, failures),
        "items": [failure_view(article) for article in page],
        "next_cursor": next_cursor,
    }


@router.get("/failures/summary", dependencies=[Depends(require_scope(ADMIN))])
def read_failure_summary(session: SessionDep) -> dict[str, Any]:
    """How many articles failed, per stage and reason."""
    return {"counts": failure_counts(session)}


class ReplayRequest(BaseModel):
    """Which failures to replay: ids, a filter, or `all`; at least one must be given."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[str, Field(pattern=_ARTICLE_ID)]] = Field(
        default_factory=list, max_length=_MAX_REPLAY_IDS
    )
    stage: Stage | None = None
    reason: str | None = Field(None, max_length=100)
    since: datetime | None = None
    until: datetime | None = None
    all: bool = Field(False, description="Replay every failure (no other selector needed).")

    @model_validator(mode="after")
    def _some_selector(self) -> ReplayRequest:
        if not self.all and not (self.ids or self.stage or self.reason or self.since or self.until):
            raise ValueError("give ids, a filter (stage, reason, since, until) or all=true")
        return self


@router.post("/failures/replay", dependencies=[Depends(require_scope(ADMIN))])
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
)
def read_article_history(article_id: str, session: SessionDep) -> dict[str, Any]:
    """Every stage attempt of one article: outcome, revision, error detail, time."""
    article = session.get(Article, article_id) if re.match(_ARTICLE_ID, article_id) else None
    if article is None:
        raise HTTPException(status_code=404, detail={"reason": "not_found"})
    return {
        "id": article.id,
        "state": article.state,
        "attempts": article.attempts,
        "events": article_history(session, article_id),
    }
