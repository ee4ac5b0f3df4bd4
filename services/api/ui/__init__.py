"""The web console under `/ui`: search, articles, the pipeline; served by the API itself."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from services.api.ui.auth import ConsoleError
from services.api.ui.render import is_partial, page
from services.api.ui.routes import router

__all__ = ["install"]


async def _console_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleError)
    if exc.status_code == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = f"/ui/login?next={quote(target, safe='')}"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": login})
        return RedirectResponse(login, status_code=303)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    # A fragment for htmx's own requests (the replay result area), a page otherwise.
    context = {"section": "error", "error": exc, "role": None, "partial": is_partial(request)}
    return page(request, "error.html", context, exc.status_code, headers)


def install(api: FastAPI) -> None:
    """Mount the console on `api`; `GET /` leads to it."""
    api.include_router(router)
    api.add_exception_handler(ConsoleError, _console_error)

    @api.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/search", status_code=307)
