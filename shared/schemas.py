"""Article payloads as submitted by apps, the CLI and feeds (the ingest contract)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.identity import is_web_url
from shared.times import as_utc

SubmitStatus = Literal["accepted", "unchanged", "revised", "duplicate", "rejected"]


def check_characters(value: str) -> str:
    # PostgreSQL refuses NUL in text and lone surrogates cannot be stored as UTF-8: refuse
    # them here, with a reason, instead of failing the whole request at the INSERT.
    if "\x00" in value:
        raise PydanticCustomError("invalid_characters", "contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError(
            "invalid_characters", "contains a lone surrogate (not valid Unicode text)"
        ) from None
    return value


def utc_or_refuse(value: datetime) -> datetime:
    """`value` in UTC (`as_utc`: no zone means UTC); refused when UTC cannot hold it
    (`9999-12-31T23:59:59-23:59` is in the year 10000), instead of overflowing later."""
    try:
        return as_utc(value).astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "date_out_of_range", "date is out of range once converted to UTC"
        ) from None


# A datetime field that is always aware and in UTC.
UtcDateTime = Annotated[datetime, AfterValidator(utc_or_refuse)]


class ArticleIn(BaseModel):
    """One article to ingest: `text` or `html`, plus what the source knows about it."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, description="Plain text; the first line is the title.")
    html: str | None = Field(default=None, description="A whole HTML page or an article fragment.")
    url: str | None = Field(default=None, max_length=4096, description="Absolute http(s) URL.")
    title: str | None = Field(default=None, max_length=2000)
    source: str | None = Field(default=None, max_length=200)
    published_at: UtcDateTime | None = Field(default=None, description="ISO 8601; UTC if no zone.")
    language: str | None = Field(
        default=None, min_length=2, max_length=8, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,4})?$"
    )
    external_id: str | None = Field(default=None, max_length=500)

    @field_validator("url", "title", "source", "language", "external_id", mode="after")
    @classmethod
    def _clean_metadata(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = check_characters(value).strip()
        return value or None  # "" means "not given", not an identity of its own

    @field_validator("url", mode="after")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if value is not None and not is_web_url(value):
            raise PydanticCustomError("invalid_url", "`url` must be an absolute http(s) URL")
        return value

    @model_validator(mode="after")
    def _one_content_field(self) -> ArticleIn:
        if (self.text is None) == (self.html is None):
            raise PydanticCustomError("content_required", "give exactly one of `text` or `html`")
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
    status: SubmitStatus
    revision: int | None = None
    reason: str | None = Field(default=None, description="Machine-readable reason when rejected.")
    detail: str | None = None
    duplicate_of: str | None = Field(
        default=None, description="The article this one is an exact copy of (status `duplicate`)."
    )

    def to_json(self) -> dict[str, Any]:
        """The response body; `duplicate_of` only when set, so the common answer stays small."""
        return self.model_dump(exclude={"duplicate_of"} if self.duplicate_of is None else None)


class BatchItemResult(SubmitResult):
    index: int = Field(description="Position of the item in the array, or its NDJSON line - 1.")


class BatchResult(BaseModel):
    """Answer to a batch: one result per item, in order, and how many of each status."""

    items: list[BatchItemResult]
    counts: dict[str, int]
