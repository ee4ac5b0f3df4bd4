"""The FastAPI application. Serve it with `python -m services.api.server` (timeouts, the
exposure check on the real bind address); `uvicorn services.api.app:app` works for
development."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from services.api import docs, security, ui
from services.api.errors import COMMON_RESPONSES, install_error_handlers, responses
from services.api.routes import alerts, articles, failures, health, search
from shared.apikeys import ALERTS, INGEST, SEARCH
from shared.logging import configure_logging
from shared.settings import get_settings


def create_app() -> FastAPI:
    configure_logging()
    security.check_exposure(get_settings())
    # /docs and /redoc with Swagger UI and ReDoc served by newsflow itself (the package
    # bundles them; `docs` serves ReDoc without its CDN logo), not from a CDN: they work on
    # closed networks.
    api = FastAPIOffline(
        redoc_url=None,
        swagger_ui_parameters=docs.SWAGGER_UI_PARAMETERS,
        title="newsflow",
        version="0.1.0",
        description="Ingest news articles and search the enriched index. Every refusal and "
        'error answers `{"reason": ..., "detail": ...}`; a 503 carries `Retry-After`.',
    )
    # Scopes by router: writes to articles need `ingest`, reads `ingest` or `search`.
    read = (INGEST, SEARCH)
    articles_scope = security.require_scope_by_method({"POST": (INGEST,), "GET": read})
    api.include_router(
        articles.router, dependencies=[Depends(articles_scope)], responses=COMMON_RESPONSES
    )
    api.include_router(
        search.router,
        dependencies=[Depends(security.require_scope(SEARCH))],
        responses=COMMON_RESPONSES,
    )
    api.include_router(failures.router, responses=COMMON_RESPONSES)
    api.include_router(
        alerts.router,
        dependencies=[Depends(security.require_scope(ALERTS))],
        responses=COMMON_RESPONSES,
    )
    api.include_router(health.router, responses=responses(400))
    docs.install(api)  # /redoc and its assets
    ui.install(api)  # the web console under /ui
    # Added innermost first; a request meets them outermost first: find the real client,
    # refuse strangers and bad URLs, authenticate, and only then let the body stream in.
    api.add_middleware(security.BodyLimits)
    api.add_middleware(security.AuthenticateBeforeBody)
    api.add_middleware(security.RejectNulInUrl)
    api.add_middleware(security.LoopbackOnlyWithoutKeys)
    api.add_middleware(security.TrustedForwardedFor)
    install_error_handlers(api)
    return api


app = create_app()
