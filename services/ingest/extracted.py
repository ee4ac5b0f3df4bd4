"""The result of extraction, whatever the input format."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from services.ingest.dates import parse_date


@dataclass
class Extracted:
    title: str | None
    body: str  # article paragraphs separated by one blank line; no title, headings or chrome
    dateline: str | None = None  # "Anchorage, Alaska" from "Anchorage, Alaska — In their..."
    headings: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None  # always time-zone aware
    site_name: str | None = None
    canonical_url: str | None = None
    description: str | None = None
    image: str | None = None
    tags: list[str] = field(default_factory=list)
    language: str | None = None

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p]

    def with_submitted(
        self, *, title: str | None, published_at: str | None, language: str | None
    ) -> Extracted:
        """A copy in which what the submitter stated wins over what extraction guessed (the
        ingest stage and `newsflow extract` both apply it)."""
        return replace(
            self,
            title=title or self.title,
            published_at=parse_date(published_at) or self.published_at,
            language=language or self.language,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        return data
