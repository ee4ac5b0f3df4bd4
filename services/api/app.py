"""The FastAPI application: `uvicorn services.api.app:app`."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.api import security, ui
from services.api.errors import install_error_handlers
from services.api.routes import articles, failures, health, search
from shared.apikeys import INGEST, SEARCH
from shared.logging import configure_logging
from shared.settings import get_settings


def create_app() -> FastAPI:
    configure_logging()
    security.check_exposure(get_settings())
    api = FastAPI(
        title="newsflow",
        version="0.1.0",
        description="Ingest news articles and search the enriched index.",
    )
    # Scopes by router: writes to articles need `ingest`, reads `ingest` or `search`.
    read = (INGEST, SEARCH)
    articles_scope = security.require_scope_by_method({"POST": (INGEST,), "GET": read})
    api.include_router(articles.router, dependencies=[Depends(articles_scope)])
    api.include_router(search.router, dependencies=[Depends(security.require_scope(SEARCH))])
    api.include_router(failures.router)
    api.include_router(health.router)
    ui.install(api)  # the web console under /ui
    # Outermost first: refuse strangers, then oversized bodies, before any parsing.
    api.add_middleware(security.BodySizeLimit)
    api.add_middleware(security.RejectNulInUrl)
    api.add_middleware(security.LoopbackOnlyWithoutKeys)
    install_error_handlers(api)

    @api.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse(
            status_code=422, content={"reason": "invalid_request", "detail": errors}
        )

    return api


app = create_app()
