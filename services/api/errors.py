"""Error answers with a machine-readable `reason`, whatever refused the request."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


def reason_for(status_code: int, detail: Any) -> str:
    """`detail["reason"]` when the handler gave one, else the status phrase as a slug."""
    reason = detail.get("reason") if isinstance(detail, dict) else None
    if isinstance(reason, str):
        return reason
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        phrase = "error"
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")


def install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # `detail` keeps the shape handlers gave it; `reason` is added at the top for clients.
        return JSONResponse(
            status_code=exc.status_code,
            content={"reason": reason_for(exc.status_code, exc.detail), "detail": exc.detail},
            headers=getattr(exc, "headers", None),
        )
