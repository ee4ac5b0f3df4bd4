"""Article payloads as submitted by apps, the CLI and feeds (the ingest contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ArticleIn(BaseModel):
    """One article to ingest: `text` or `html`, plus what the source knows about it."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="Plain text; the first line is the title.")
    html: str | None = Field(None, description="A whole HTML page or an article fragment.")
    url: str | None = Field(None, max_length=4096)
    title: str | None = Field(None, max_length=2000)
    source: str | None = Field(None, max_length=200)
    published_at: datetime | None = None
    language: str | None = Field(None, min_length=2, max_length=8)
    external_id: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _one_content_field(self) -> ArticleIn:
        if (self.text is None) == (self.html is None):
            raise ValueError("give exactly one of `text` or `html`")
        return self

    @property
    def content(self) -> str:
        return self.text if self.text is not None else self.html or ""

    @property
    def input_format(self) -> Literal["text", "html"]:
        return "text" if self.text is not None else "html"


class SubmitResult(BaseModel):
    """What happened to one submitted article."""

    id: str | None = None
    status: Literal["accepted", "unchanged", "revised", "rejected"]
    revision: int | None = None
    reason: str | None = Field(None, description="Machine-readable reason when rejected.")
    detail: str | None = None
