"""Turn raw input (plain text or HTML) into a clean article: title, body and metadata.

The entry point of the ingest stage; the work is done per format in `plaintext` and
`webpage`, on text normalised by `cleaning`, with dates from `dates`.
"""

from __future__ import annotations

from services.ingest.cleaning import clean_text
from services.ingest.dates import parse_date
from services.ingest.extracted import Extracted
from services.ingest.plaintext import extract_text
from services.ingest.webpage import extract_html
from shared.errors import PermanentError

__all__ = ["Extracted", "UnknownInputFormat", "clean_text", "extract", "parse_date"]


class UnknownInputFormat(PermanentError):
    reason = "unknown_input_format"


def extract(content: str, input_format: str, *, url: str | None = None) -> Extracted:
    """Extract an article from `content` given as "html" or "text"."""
    if input_format == "html":
        return extract_html(content, url=url)
    if input_format == "text":
        return extract_text(content)
    raise UnknownInputFormat(f"unknown input format {input_format!r}")
