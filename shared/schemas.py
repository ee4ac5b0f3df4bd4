"""Article payloads as submitted by apps, the CLI and feeds (the ingest contract)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
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


_NUMBER = re.compile(r"\s*[-+]?\d+(\.\d*)?([eE][-+]?\d+)?\s*")


def iso_datetime_only(value: Any) -> Any:
    """Refuse what pydantic would otherwise read as a Unix timestamp (`0.5`, `1700000000`):
    the API's dates are ISO 8601, as its schema says (`format: date-time`)."""
    if isinstance(value, int | float | Decimal) or (
        isinstance(value, str) and _NUMBER.fullmatch(value)
    ):
        raise PydanticCustomError("datetime_type", "expected an ISO 8601 date and time")
    return value


# A datetime field that is always aware and in UTC, given as ISO 8601.
UtcDateTime = Annotated[datetime, BeforeValidator(iso_datetime_only), AfterValidator(utc_or_refuse)]


# What the OpenAPI schema says of the fields (the validators below decide): text with
# something besides spaces and no control characters (a few in a long text are tolerated
# as noise; a text with more is refused as binary), an http(s) URL with a host, no NUL.
_CONTENT_SCHEMA: dict[str, Any] = {
    "allOf": [
        {"pattern": r"\S"},
        {"pattern": "^[^\\u0000-\\u0008\\u000b\\u000e-\\u001f\\u007f-\\u009f]*$"},
    ]
}
# Blank means "no URL"; surrounding spaces are stripped.
_WEB_URL = (
    r"^\s*$|^\s*[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,4})?"
    r"([/?#][^\s\u0000]*)?\s*$"
)
_NO_NUL: dict[str, Any] = {"pattern": "^[^\\u0000]*$"}


class ArticleIn(BaseModel):
    """One article to ingest: `text` or `html`, plus what the source knows about it."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(
        default=None,
        description="Plain text; the first line is the title.",
        json_schema_extra=_CONTENT_SCHEMA,
    )
    html: str | None = Field(
        default=None,
        description="A whole HTML page or an article fragment.",
        json_schema_extra=_CONTENT_SCHEMA,
    )
    url: str | None = Field(
        default=None,
        max_length=4096,
        description="Absolute http(s) URL.",
        json_schema_extra={"pattern": _WEB_URL},
    )
    title: str | None = Field(default=None, max_length=2000, json_schema_extra=_NO_NUL)
    source: str | None = Field(default=None, max_length=200, json_schema_extra=_NO_NUL)
    published_at: UtcDateTime | None = Field(default=None, description="ISO 8601; UTC if no zone.")
    language: str | None = Field(
        default=None, min_length=2, max_length=8, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,4})?$"
    )
    external_id: str | None = Field(default=None, max_length=500, json_schema_extra=_NO_NUL)

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
