"""The FastAPI application: `uvicorn services.api.app:app`."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.api.routes import articles, health, search
from shared.logging import configure_logging


def create_app() -> FastAPI:
    configure_logging()
    api = FastAPI(
        title="newsflow",
        version="0.1.0",
        description="Ingest news articles and search the enriched index.",
    )
    api.include_router(articles.router)
    api.include_router(search.router)
    api.include_router(health.router)

    @api.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse(
            status_code=422, content={"reason": "invalid_request", "detail": errors}
        )

    return api


app = create_app()
