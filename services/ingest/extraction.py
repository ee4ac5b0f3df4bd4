"""Turn raw input (plain text or HTML) into a clean article: title, body and metadata."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import trafilatura
from dateutil import parser as date_parser

_BLANK_LINES = re.compile(r"\n\s*\n+")
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass
class Extracted:
    title: str | None
    body: str  # paragraphs separated by one blank line
    dateline: str | None = None
    headings: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    description: str | None = None
    image: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        return data


def clean_text(text: str) -> str:
    """NFC, no control characters, single spaces, paragraphs separated by one blank line."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    paragraphs = (_SPACES.sub(" ", p).strip() for p in _BLANK_LINES.split(text))
    lines = ("\n".join(line.strip() for line in p.split("\n")) for p in paragraphs)
    return "\n\n".join(p for p in lines if p)


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = date_parser.parse(value)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return None if parsed > datetime.now(UTC) else parsed


def extract_text(text: str) -> Extracted:
    """Plain text: the first non-empty line is the title, the rest the body."""
    cleaned = clean_text(text)
    first, _, rest = cleaned.partition("\n")
    return Extracted(title=first.strip() or None, body=clean_text(rest))


def extract_html(html: str, *, url: str | None = None) -> Extracted:
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
        as_dict=True,
    )
    if not document:
        return Extracted(title=None, body="")
    data: dict[str, Any] = document if isinstance(document, dict) else document.as_dict()
    authors = [a.strip() for a in (data.get("author") or "").split(";") if a.strip()]
    return Extracted(
        title=data.get("title"),
        body=clean_text(data.get("text") or ""),
        authors=authors,
        published_at=parse_date(data.get("date")),
        site_name=data.get("sitename"),
        canonical_url=data.get("url"),
        description=data.get("description"),
        image=data.get("image"),
        tags=[t for t in (data.get("tags") or []) if t]
        if isinstance(data.get("tags"), list)
        else [t.strip() for t in (data.get("tags") or "").split(",") if t.strip()],
        language=data.get("language"),
    )


def extract(content: str, input_format: str, *, url: str | None = None) -> Extracted:
    if input_format == "html":
        return extract_html(content, url=url)
    return extract_text(content)
