"""/docs (Swagger UI) and /redoc work offline: a real headless Chromium that may reach
nothing but the API renders every operation, and no request leaves the machine (no script,
style, font or image: ReDoc's logo and Swagger UI's validator badge included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.apiserver import running_api

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log: Path = tmp_path_factory.mktemp("api-docs") / "api.log"
    with running_api(log) as base:
        yield base


def _offline(page: Page, base: str) -> list[str]:
    """Let the page reach the API only; returns what it tried to load from elsewhere."""
    outside: list[str] = []
    host = urlsplit(base).netloc

    def route(route: Route) -> None:
        if urlsplit(route.request.url).netloc == host:
            route.continue_()
        else:
            outside.append(f"{route.request.resource_type} {route.request.url}")
            route.abort()

    page.route("**/*", route)
    return outside


def _operations(base: str) -> list[tuple[str, str]]:
    spec = httpx.get(f"{base}/openapi.json", timeout=10).json()
    return [(m.upper(), p) for p, ops in spec["paths"].items() for m in ops]


def test_swagger_ui_lists_every_operation_offline(api_url: str, page: Page) -> None:
    outside = _offline(page, api_url)
    page.goto(f"{api_url}/docs")
    page.wait_for_selector(".opblock-summary", timeout=30_000)
    shown = {
        (
            block.locator(".opblock-summary-method").inner_text().strip().upper(),
            block.locator(".opblock-summary-path").get_attribute("data-path"),
        )
        for block in page.locator(".opblock-summary").all()
    }
    assert shown == set(_operations(api_url))
    assert not outside, outside


def test_redoc_lists_every_operation_offline(api_url: str, page: Page) -> None:
    outside = _offline(page, api_url)
    page.goto(f"{api_url}/redoc")
    page.wait_for_selector("[data-section-id^='operation/']", timeout=30_000)
    sections = page.locator("[data-section-id^='operation/']").count()
    assert sections == len(_operations(api_url))
    assert page.get_by_text("/v1/search", exact=True).count() >= 1
    # The sidebar's logo is drawn, from newsflow.
    logo = page.get_by_role("img", name="redocly logo")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.naturalWidth") > 0
    assert logo.get_attribute("src") == "/docs-assets/redoc-logo.svg"
    assert not outside, outside


def test_swagger_ui_never_asks_the_online_validator(api_url: str) -> None:
    """Swagger UI fetches a validator badge from validator.swagger.io for any page not on
    localhost (so not here, but on a real host): it is switched off."""
    page = httpx.get(f"{api_url}/docs", timeout=10).text
    assert '"validatorUrl": null' in page
    bundle = httpx.get(f"{api_url}/docs-assets/redoc.standalone.js", timeout=10).text
    assert "cdn.redoc.ly" not in bundle
