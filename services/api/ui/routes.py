"""The console's pages: search, article, pipeline (with replay), sign-in.

Pages are rendered on the server; htmx (served by us) swaps them in place (`hx-boost`),
refreshes the pipeline panel, and sends the replay and sign-in forms. Every page calls
the same functions as the API: `shared.search.service`, `shared.failures`, `shared.views`.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

from elasticsearch import Elasticsearch
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from services.api import security
from services.api.deps import SearchDep, SessionDep
from services.api.routes.failures import ReplayRequest
from services.api.ui import auth
from services.api.ui.auth import ConsoleError
from services.api.ui.render import ASSETS, is_partial, mark_entities, page
from services.api.ui.search_form import (
    FACET_FILTERS,
    FILTERS,
    SORTS,
    SearchForm,
    date_bucket_range,
)
from shared.apikeys import ADMIN, INGEST, SEARCH
from shared.cursors import InvalidCursor
from shared.failures import (
    FailureFilter,
    article_history,
    failure_counts,
    failure_view,
    list_failures,
    replay_failures,
)
from shared.models import Article, Feed, utcnow
from shared.pipeline_stats import articles_by_state, stage_backlogs, stage_throughput
from shared.redis_client import HEALTH_TIMEOUT_S, redis_client
from shared.search.service import (
    ArticleNotIndexed,
    SearchUnavailable,
    search_articles,
    similar_articles,
)
from shared.states import ArticleState
from shared.views import article_view

_ARTICLE_ID = re.compile(r"[0-9a-f]{32}")
RAW_LIMIT = 200_000  # characters of raw input shown; the rest is cut, with a note
THROUGHPUT_MINUTES = 10
REFRESH_SECONDS = 5


def _start_clock(request: Request) -> None:
    request.state.console_started = time.perf_counter()


router = APIRouter(prefix="/ui", include_in_schema=False, dependencies=[Depends(_start_clock)])
# The facets of a later search page, fetched next to the page itself.
_facet_searches = ThreadPoolExecutor(max_workers=4, thread_name_prefix="console-facets")


def _context(
    request: Request, scopes: frozenset[str], section: str, **values: Any
) -> dict[str, Any]:
    return {
        "section": section,
        "role": auth.role_of(scopes),
        "signed_in": auth.signed_in(request),
        "is_admin": auth.is_admin(scopes),
        **values,
    }


@router.get("/static/{name}")
def static_asset(name: str) -> Response:
    """The console's scripts and styles (public: the sign-in page needs them too)."""
    if name not in ASSETS:
        return Response(status_code=404)
    path, media_type = ASSETS[name]
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


@router.get("", response_class=RedirectResponse)
@router.get("/", response_class=RedirectResponse)
def console_home() -> RedirectResponse:
    return RedirectResponse("/ui/search", status_code=303)


# --- search --------------------------------------------------------------------------------


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, es: SearchDep) -> Response:
    """Search with filters, facets, highlights, collapsed copies and cursor paging."""
    scopes = auth.console_scopes(request)
    auth.require(scopes, SEARCH)
    form = SearchForm.from_query(request.query_params)
    context = _context(
        request, scopes, "search", form=form, filters=FILTERS, sorts=SORTS, result=None,
        facets=None, errors=[], facet_filters=FACET_FILTERS, date_range=date_bucket_range,
    )  # fmt: skip
    status_code = 200
    headers: dict[str, str] = {}
    params, errors = form.to_params()
    if params is None:
        context["errors"] = errors
        status_code = 422
    else:
        try:
            # Later pages come without facets: the first page's, for the same query, asked
            # for at the same time as the page (its server time is the slower of the two).
            searching = time.perf_counter()
            first_page = None
            if params.cursor and params.facets:
                first = params.model_copy(update={"cursor": None, "size": 1, "collapse": False})
                first_page = _facet_searches.submit(search_articles, es, first)
            result = search_articles(es, params)
            result.setdefault("stories", None)  # counted with the first page only
            with_facets = first_page.result() if first_page is not None else result
            facets = with_facets.get("facets")
            context["facets_approximate"] = with_facets.get("facets_approximate", False)
            # Server-Timing tells the search's share of the page's time from the console's.
            request.state.console_search_ms = (time.perf_counter() - searching) * 1000
            context.update(result=result, facets=facets)
        except InvalidCursor:
            context["errors"] = [
                "This page link does not belong to this search any more (the query or a "
                "filter changed). Start again from the first page."
            ]
            context["cursor_error"] = True
            status_code = 400
        except SearchUnavailable as exc:
            context["errors"] = [
                f"Search is unavailable right now ({exc}). Nothing is lost: try again in a "
                "few seconds."
            ]
            status_code = 503
            headers["Retry-After"] = "5"
    if request.headers.get("hx-boosted") == "true":
        headers["HX-Push-Url"] = form.url  # the clean permalink, not the raw form fields
    return page(request, "search.html", context, status_code, headers)


# --- article -------------------------------------------------------------------------------


def _load_article(session: Session, article_id: str) -> Article:
    article = session.get(Article, article_id) if _ARTICLE_ID.fullmatch(article_id) else None
    if article is None:
        raise ConsoleError(404, "not_found", f"There is no article {article_id}.")
    return article


def _copies(session: Session, article: Article) -> list[Article]:
    """The article's story: the article it copies, and every copy of it or of its story."""
    clauses = [Article.duplicate_of == article.id]
    if article.cluster_id:
        clauses.append(Article.cluster_id == article.cluster_id)
    if article.duplicate_of:
        clauses.append(Article.id == article.duplicate_of)
    return list(
        session.scalars(
            select(Article)
            .where(or_(*clauses), Article.id != article.id)
            .order_by(Article.created_at)
            .limit(50)
        ).all()
    )


def _similar(es: Elasticsearch, article: Article) -> tuple[list[dict[str, Any]], str | None]:
    if article.state != ArticleState.INDEXED:
        return [], f"Similar articles are found once this article is indexed ({article.state})."
    try:
        return similar_articles(es, article.id, 8)["hits"], None
    except ArticleNotIndexed:
        return [], "This article is not in the search index yet."
    except SearchUnavailable as exc:
        return [], f"Similar articles are unavailable right now ({exc})."


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: str, session: SessionDep) -> Response:
    """Everything the pipeline made of one article, and every attempt on it."""
    scopes = auth.console_scopes(request)
    auth.require(scopes, INGEST, SEARCH)
    article = _load_article(session, article_id)
    view = article_view(article)
    enrichment = view["enrichment"] or {}
    entities = enrichment.get("entities") or []
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entity in entities:
        by_type.setdefault(str(entity.get("type") or "other"), []).append(entity)
    context = _context(
        request,
        scopes,
        "article",
        article=view,
        extracted=view["extracted"] or {},
        enrichment=enrichment,
        entity_groups=sorted(by_type.items(), key=lambda kv: -len(kv[1])),
        paragraphs=mark_entities(view["body"] or "", entities),
        history=article_history(session, article.id),
        copies=_copies(session, article),
        entity_filter={"person": "person", "organization": "organization", "place": "place"},
    )
    return page(request, "article.html", context)


@router.get("/articles/{article_id}/similar", response_class=HTMLResponse)
def article_similar(
    request: Request, article_id: str, session: SessionDep, es: SearchDep
) -> Response:
    """Articles like this one (more like this, its own story left out), loaded by the page."""
    scopes = auth.console_scopes(request)
    auth.require(scopes, INGEST, SEARCH)
    article = _load_article(session, article_id)
    searching = time.perf_counter()
    similar, note = _similar(es, article)
    request.state.console_search_ms = (time.perf_counter() - searching) * 1000
    context = _context(
        request, scopes, "article", article=article, similar=similar, note=note,
        partial=is_partial(request),
    )  # fmt: skip
    return page(request, "similar.html", context)


@router.get("/articles/{article_id}/raw", response_class=HTMLResponse)
def article_raw(request: Request, article_id: str, session: SessionDep) -> Response:
    """The input as it was submitted (shown on demand: it can be large)."""
    scopes = auth.console_scopes(request)
    auth.require(scopes, INGEST, SEARCH)
    article = _load_article(session, article_id)
    raw = article.raw_content or ""
    context = _context(
        request,
        scopes,
        "article",
        article=article,
        raw=raw[:RAW_LIMIT],
        raw_size=len(raw),
        cut=len(raw) > RAW_LIMIT,
        partial=is_partial(request),
    )
    return page(request, "raw.html", context)


# --- pipeline ------------------------------------------------------------------------------


def _pipeline(session: Session, scopes: frozenset[str]) -> dict[str, Any]:
    try:
        states = articles_by_state(session)
        context: dict[str, Any] = {
            "states": [(s.value, states.get(s.value)) for s in ArticleState],
            "total": sum(s.articles for s in states.values()),
            "backlogs": stage_backlogs(session, redis_client(HEALTH_TIMEOUT_S), states),
            "throughput": stage_throughput(session, THROUGHPUT_MINUTES),
            "minutes": THROUGHPUT_MINUTES,
            "feeds": list(session.scalars(select(Feed).order_by(Feed.url).limit(200)).all()),
            "refresh": REFRESH_SECONDS,
            "now": utcnow(),
        }
        if auth.is_admin(scopes):
            recent, _ = list_failures(session, FailureFilter(), limit=10)
            context["failure_groups"] = failure_counts(session)
            context["recent_failures"] = [failure_view(a) for a in recent]
    except SQLAlchemyError as exc:
        raise ConsoleError(
            503,
            "store_unavailable",
            f"The article store cannot be read right now ({type(exc).__name__}); "
            "this page retries by itself.",
            retry_after=5,
        ) from exc
    return context


@router.get("/pipeline", response_class=HTMLResponse)
def pipeline_page(request: Request, session: SessionDep) -> Response:
    """States, queues, throughput, failures (replay needs admin) and feeds; self-refreshing."""
    scopes = auth.console_scopes(request)
    context = _context(request, scopes, "pipeline", **_pipeline(session, scopes))
    return page(request, "pipeline.html", context)


@router.get("/pipeline/panel", response_class=HTMLResponse)
def pipeline_panel(request: Request, session: SessionDep) -> Response:
    """The pipeline page's figures alone, for its periodic refresh."""
    scopes = auth.console_scopes(request)
    context = _context(request, scopes, "pipeline", **_pipeline(session, scopes))
    return page(request, "pipeline_panel.html", context)


async def _form(request: Request) -> list[tuple[str, str]]:
    if request.headers.get("content-type", "").split(";")[0].strip() not in (
        "application/x-www-form-urlencoded",
        "",
    ):
        raise ConsoleError(415, "unsupported_media_type", "Send the form as the page does.")
    body = await request.body()
    return parse_qsl(body.decode("utf-8", "replace"), max_num_fields=1100)


@router.post("/failures/replay", response_class=HTMLResponse)
async def replay_page(request: Request, session: SessionDep) -> Response:
    """Replay failed articles (by ids, or a stage and reason): admin, as the API's replay."""
    auth.check_write(request)
    scopes = auth.console_scopes(request)
    auth.require(scopes, ADMIN)
    fields = await _form(request)
    values = dict(fields)
    try:
        replay = ReplayRequest.model_validate(
            {
                "ids": [v for k, v in fields if k == "ids"],
                "stage": values.get("stage") or None,
                "reason": values.get("reason") or None,
            }
        )
    except ValidationError as exc:
        errors = "; ".join(str(e.get("msg")) for e in exc.errors())
        raise ConsoleError(422, "invalid_request", f"Nothing to replay: {errors}.") from None
    failures = FailureFilter(
        stage=replay.stage, reason=replay.reason, since=None, until=None, ids=replay.ids
    )
    result = await run_in_threadpool(replay_failures, session, failures)
    context = _context(request, scopes, "pipeline", result=result, selection=values)
    return page(
        request,
        "replay_result.html",
        context,
        headers={"HX-Trigger-After-Settle": "pipeline-changed"},
    )


# --- signing in ----------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return "/ui/search"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    context = {
        "section": "login",
        "keys_enabled": security.key_table().enabled,
        "next": _safe_next(request.query_params.get("next")),
        "message": None,
    }
    return page(request, "login.html", context)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the key like the API does; the session cookie keeps its id, never the key."""
    auth.check_write(request)
    values = dict(await _form(request))
    key = values.get("api_key", "").strip()
    target = _safe_next(values.get("next"))
    if not key or security.key_table().scopes_of(key) is None:
        context = {
            "section": "login",
            "keys_enabled": True,
            "next": target,
            "message": "That API key is not valid.",
        }
        return page(request, "login.html", context, status_code=401)
    response = Response(status_code=204, headers={"HX-Redirect": target})
    auth.start_session(request, key)
    auth.save_session(request, response)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    auth.check_write(request)
    response = Response(status_code=204, headers={"HX-Redirect": "/ui/login"})
    auth.end_session(response)
    return response
