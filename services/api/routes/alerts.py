"""Saved searches: create, list, delete; their matches (JSON and Atom) and delivery log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from feedgen.feed import FeedGenerator

from services.api.deps import SessionDep
from services.api.errors import ApiError, responses
from shared.alerts import (
    AlertLimitReached,
    AlertSpec,
    alert_view,
    alert_views,
    create_alert,
    delete_alert,
    delivery_view,
    list_deliveries,
    list_matches,
    match_view,
    replay_dead,
    resume_alert,
)
from shared.cursors import InvalidCursor, decode_cursor, encode_cursor
from shared.models import Alert
from shared.netguard import BlockedURL, check_public_url
from shared.settings import get_settings

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

AlertId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Cursor = Annotated[str | None, Query(max_length=1000, description="`next_cursor`.")]
PageSize = Annotated[int, Query(ge=1, le=200)]
_NOT_FOUND = responses(404)
_PAGED = responses(400, 404)


def _alert(session: SessionDep, alert_id: str) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise ApiError(404, "not_found", "no such alert")
    return alert


def _after(kind: str, cursor: str | None) -> int | None:
    """Pages go backwards from the newest: a cursor holds the last id of the previous page."""
    if not cursor:
        return None
    value = decode_cursor(kind, cursor)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        raise InvalidCursor("cursor is damaged")
    return value


def _cursor(kind: str, last_id: int | None) -> str | None:
    """The next page's cursor: None when this page was the last (shorter than asked)."""
    return encode_cursor(kind, last_id) if last_id is not None else None


@router.post("", status_code=201, responses=responses(409, 422))
def create(spec: AlertSpec, session: SessionDep) -> dict[str, Any]:
    """Save a search; its secret is in this answer only (it signs the webhook bodies)."""
    if spec.webhook_url:
        try:
            check_public_url(spec.webhook_url, allow=get_settings().alert_webhook_allow)
        except BlockedURL as exc:
            raise ApiError(422, f"webhook_{exc.reason}", str(exc)) from exc
    try:
        alert, secret = create_alert(session, spec)
    except AlertLimitReached as exc:
        raise ApiError(409, "too_many_alerts", str(exc)) from exc
    session.commit()
    return {**alert_view(session, alert), "secret": secret}


@router.get("")
def read_alerts(session: SessionDep) -> dict[str, Any]:
    """Every saved search, with its match counts and whether it is paused (and why)."""
    alerts = session.query(Alert).order_by(Alert.created_at).all()
    return {"items": alert_views(session, alerts)}


@router.get("/{alert_id}", responses=_NOT_FOUND)
def read_alert(alert_id: AlertId, session: SessionDep) -> dict[str, Any]:
    return alert_view(session, _alert(session, alert_id))


@router.delete("/{alert_id}", status_code=204, responses=_NOT_FOUND)
def remove(alert_id: AlertId, session: SessionDep) -> Response:
    """Delete a saved search with its matches and delivery log."""
    delete_alert(session, _alert(session, alert_id))
    session.commit()
    return Response(status_code=204)


@router.post("/{alert_id}/resume", responses=_NOT_FOUND)
def resume(alert_id: AlertId, session: SessionDep) -> dict[str, Any]:
    """Unpause an alert: held deliveries go out, in order."""
    alert = _alert(session, alert_id)
    resume_alert(session, alert)
    session.commit()
    return alert_view(session, alert)


@router.post("/{alert_id}/deliveries/replay", responses=_NOT_FOUND)
def replay(alert_id: AlertId, session: SessionDep) -> dict[str, Any]:
    """Send dead deliveries again, each with a fresh retry budget."""
    count = replay_dead(session, _alert(session, alert_id))
    session.commit()
    return {"replayed": count}


@router.get("/{alert_id}/matches", responses=_PAGED)
def read_matches(
    alert_id: AlertId, session: SessionDep, cursor: Cursor = None, size: PageSize = 50
) -> dict[str, Any]:
    """Articles that matched, newest first, with their delivery state (a pull feed)."""
    alert = _alert(session, alert_id)
    page = list_matches(session, alert, after=_after("alert-matches", cursor), size=size)
    last = page[-1][0].id if len(page) == size else None
    return {
        "items": [match_view(m, a) for m, a in page],
        "next_cursor": _cursor("alert-matches", last),
    }


@router.get(
    "/{alert_id}/matches.atom",
    responses={**_NOT_FOUND, 200: {"content": {"application/atom+xml": {}}}},
    response_class=Response,
)
def read_matches_atom(alert_id: AlertId, request: Request, session: SessionDep) -> Response:
    """The newest matches as an Atom feed, for feed readers."""
    alert = _alert(session, alert_id)
    feed = FeedGenerator()
    feed.id(f"urn:newsflow:alert:{alert.id}")
    feed.title(f"newsflow alert: {alert.name}")
    feed.link(href=str(request.url), rel="self")
    feed.updated(alert.created_at)
    for match, article in reversed(list_matches(session, alert, after=None, size=50)):
        entry = feed.add_entry()
        entry.id(f"urn:newsflow:article:{match.article_id}:{match.revision}")
        entry.title((article.title if article else None) or match.article_id)
        entry.updated(match.matched_at)
        link = (article.canonical_url or article.url) if article else None
        entry.link(href=link or f"{request.base_url}v1/articles/{match.article_id}")
        if article and article.published_at:
            entry.published(article.published_at)
        feed.updated(match.matched_at)
    return Response(feed.atom_str(pretty=True), media_type="application/atom+xml")


@router.get("/{alert_id}/deliveries", responses=_PAGED)
def read_deliveries(
    alert_id: AlertId, session: SessionDep, cursor: Cursor = None, size: PageSize = 50
) -> dict[str, Any]:
    """Every delivery attempt, newest first: status, error, duration."""
    alert = _alert(session, alert_id)
    page = list_deliveries(session, alert, after=_after("alert-deliveries", cursor), size=size)
    last = page[-1].id if len(page) == size else None
    return {
        "items": [delivery_view(d) for d in page],
        "next_cursor": _cursor("alert-deliveries", last),
    }
