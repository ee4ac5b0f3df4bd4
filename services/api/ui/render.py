"""Templates, the console's own assets, and the helpers the templates use."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from services.api.ui.auth import save_session, session_of

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
HTMX = "htmx-2.0.11.min.js"
# Every asset newsflow serves for the console, by public name: nothing comes from a CDN.
ASSETS: dict[str, tuple[Path, str]] = {
    "htmx.min.js": (STATIC / HTMX, "text/javascript; charset=utf-8"),
    "console.css": (STATIC / "console.css", "text/css; charset=utf-8"),
}
# Pages load only our own scripts and styles; no framing (the replay button must not be
# clickjacked).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


_ASSET_VERSIONS = {name: _version(path) for name, (path, _) in ASSETS.items()}


def asset_url(name: str) -> str:
    """A cache-busting URL: the content hash changes when the file does."""
    return f"/ui/static/{name}?v={_ASSET_VERSIONS[name]}"


def ago(value: datetime | str | None, now: datetime | None = None) -> str:
    """'42 s ago', '3 min ago', '5 h ago', '2 d ago'."""
    if value is None:
        return "never"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    seconds = max(0, int(((now or datetime.now(UTC)) - value).total_seconds()))
    return f"{duration(seconds)} ago"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _parse(value: datetime | str) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def when(value: datetime | str | None) -> str:
    """A time people read, always UTC."""
    if value is None:
        return "-"
    parsed = _parse(value)
    if parsed is None:
        return str(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%d %H:%M:%S UTC")


def day(value: datetime | str | None) -> str:
    if value is None:
        return ""
    parsed = _parse(value)
    return parsed.strftime("%Y-%m-%d") if parsed else str(value)[:10]


def highlighted(fragment: str) -> Markup:
    """A highlight fragment from Elasticsearch: the `html` encoder already escaped the text
    and added only `<em>` around matches, so it is shown as it is."""
    return Markup(fragment)  # noqa: S704 - escaped by Elasticsearch's html encoder


def query_url(path: str, params: list[tuple[str, str]]) -> str:
    kept = [(k, v) for k, v in params if v not in ("", None)]
    return f"{path}?{urlencode(kept)}" if kept else path


def mark_entities(body: str, entities: list[dict[str, Any]]) -> list[Markup]:
    """The body's paragraphs, escaped, with every mention of an enrichment entity wrapped in
    `<mark class="ent ent-TYPE">`. The enrichment keeps canonical names, not every mention's
    offsets, so mentions are found by name; a person is also found by the last word of
    the name ("Putin" for "Vladimir Putin") when no other entity shares it."""
    names: dict[str, str] = {}
    for entity in entities:
        name = str(entity.get("name") or "").strip()
        kind = str(entity.get("type") or "other")
        if len(name) >= 2:
            names.setdefault(name, kind)
    surnames: dict[str, list[str]] = {}
    for name, kind in names.items():
        parts = name.split()
        if kind == "person" and len(parts) > 1 and len(parts[-1]) > 2:
            surnames.setdefault(parts[-1], []).append(kind)
    for surname, kinds in surnames.items():
        if len(kinds) == 1 and surname not in names:
            names[surname] = kinds[0]
    if not names:
        return [escape(p) for p in body.split("\n\n") if p.strip()]
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)({alternatives})(?!\w)")
    paragraphs = []
    for paragraph in body.split("\n\n"):
        if not paragraph.strip():
            continue
        out: list[str] = []
        last = 0
        for match in pattern.finditer(paragraph):
            kind = names[match.group(1)]
            out.append(str(escape(paragraph[last : match.start()])))
            out.append(
                f'<mark class="ent ent-{escape(kind)}" title="{escape(kind)}">'
                f"{escape(match.group(1))}</mark>"
            )
            last = match.end()
        out.append(str(escape(paragraph[last:])))
        paragraphs.append(Markup("".join(out)))  # noqa: S704 - every piece escaped above
    return paragraphs


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["asset"] = asset_url
templates.env.filters.update(ago=ago, when=when, day=day, hl=highlighted, duration=duration)


def is_partial(request: Request) -> bool:
    """An htmx request for a piece of a page (not a boosted page load): answer a fragment."""
    return (
        request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    )


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A rendered page with the console's security headers, its session (the CSRF token the
    page's writes carry) and its server time."""
    context = {**context, "csrf_token": session_of(request).csrf}
    response = templates.TemplateResponse(
        request, template, context, status_code=status_code, headers=headers
    )
    response.headers.update(SECURITY_HEADERS)
    save_session(request, response)
    started = getattr(request.state, "console_started", None)
    if started is not None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        timing = f"app;dur={elapsed_ms:.1f}"
        search_ms = getattr(request.state, "console_search_ms", None)
        if search_ms is not None:
            timing += f", search;dur={search_ms:.1f}"
        response.headers["Server-Timing"] = timing
    return response
