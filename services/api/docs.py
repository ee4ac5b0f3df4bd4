"""/docs (Swagger UI) and /redoc with every asset served by newsflow: nothing from a CDN.

fastapi-offline serves both bundles itself, but two requests would still leave: ReDoc's
sidebar shows Redocly's logo from their CDN (hard-coded in the bundle), and Swagger UI asks
validator.swagger.io for a badge whenever the page is not on localhost. ReDoc is served from
a copy of the bundle whose logo is ours; Swagger UI gets `validatorUrl: null`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import FileResponse, HTMLResponse, Response

OFFLINE_STATIC = Path(fastapi_offline.__file__).resolve().parent / "static"
LOGO = Path(__file__).resolve().parent / "docs_assets" / "redoc-logo.svg"
ASSETS_URL = "/docs-assets"
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}  # no badge fetched from validator.swagger.io
_CACHE = {"Cache-Control": "public, max-age=86400"}


@lru_cache(maxsize=1)
def redoc_bundle() -> bytes:
    """ReDoc's bundle with its logo served by us."""
    text = (OFFLINE_STATIC / "redoc.standalone.js").read_text(encoding="utf-8")
    return text.replace(REDOC_CDN_LOGO, f"{ASSETS_URL}/redoc-logo.svg").encode("utf-8")


def install(api: FastAPI) -> None:
    """`/redoc` and its assets (the app is made with fastapi-offline's `redoc_url=None`)."""

    @api.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{api.openapi_url}",
            title=f"{api.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}/static-offline-docs/favicon.png",
            with_google_fonts=False,
        )

    @api.get(f"{ASSETS_URL}/redoc.standalone.js", include_in_schema=False)
    def redoc_script() -> Response:
        return Response(redoc_bundle(), media_type="text/javascript", headers=_CACHE)

    @api.get(f"{ASSETS_URL}/redoc-logo.svg", include_in_schema=False)
    def redoc_logo() -> FileResponse:
        return FileResponse(LOGO, media_type="image/svg+xml", headers=_CACHE)
