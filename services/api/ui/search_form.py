"""The search page's form: what the URL holds, and how it becomes `SearchParams`.

The URL is the permalink: the query, every filter value (repeated parameters), the date
range as days, the sort and the page cursor. Facet and filter links are this URL with one
value added or removed, and the cursor dropped (a cursor belongs to one exact query).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from pydantic import ValidationError
from starlette.datastructures import QueryParams

from services.api.ui.render import query_url
from shared.search.query import SearchParams

PATH = "/ui/search"
PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
# Filters people type or click, in the order the form shows them.
FILTERS: dict[str, str] = {
    "person": "Person",
    "organization": "Organization",
    "place": "Place",
    "speaker": "Speaker (quoted)",
    "source": "Source",
    "language": "Language (ISO code, e.g. en)",
}
# Facets of a result page -> the filter a click on a value adds.
FACET_FILTERS: dict[str, tuple[str, str]] = {
    "persons": ("person", "People"),
    "organizations": ("organization", "Organizations"),
    "places": ("place", "Places"),
    "sources": ("source", "Sources"),
    "languages": ("language", "Languages"),
}
SORTS = {
    "": "Automatic (best match; newest without words)",
    "relevance": "Best match",
    "newest": "Newest first",
}


@dataclass(frozen=True)
class SearchForm:
    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    since: str = ""
    until: str = ""
    sort: str = ""
    cursor: str = ""
    page: int = 1
    size: int = PAGE_SIZE

    @classmethod
    def from_query(cls, query: QueryParams) -> SearchForm:
        filters: dict[str, tuple[str, ...]] = {}
        for name in FILTERS:
            values: list[str] = []
            for raw in query.getlist(name):
                value = raw.strip()
                if value and value not in values:
                    values.append(value)
            filters[name] = tuple(values)
        page = _number(query.get("page"), 1, 1, 10_000)
        size = _number(query.get("size"), PAGE_SIZE, 1, MAX_PAGE_SIZE)
        return cls(
            q=query.get("q", "").strip(),
            filters=filters,
            since=query.get("since", "").strip(),
            until=query.get("until", "").strip(),
            sort=query.get("sort", "").strip(),
            cursor=query.get("cursor", "").strip(),
            page=page,
            size=size,
        )

    @property
    def is_empty(self) -> bool:
        return not (self.q or self.since or self.until or any(self.filters.values()))

    def pairs(self, *, with_cursor: bool = False) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = [("q", self.q)]
        for name in FILTERS:
            out.extend((name, value) for value in self.filters.get(name, ()))
        out += [("since", self.since), ("until", self.until), ("sort", self.sort)]
        if self.size != PAGE_SIZE:
            out.append(("size", str(self.size)))
        if with_cursor and self.cursor:
            out += [("cursor", self.cursor), ("page", str(self.page))]
        return out

    @property
    def url(self) -> str:
        """The permalink of this page."""
        return query_url(PATH, self.pairs(with_cursor=True))

    @property
    def first_page_url(self) -> str:
        return query_url(PATH, self.pairs())

    def next_page_url(self, cursor: str) -> str:
        return replace(self, cursor=cursor, page=self.page + 1).url

    def _with_filters(self, name: str, values: tuple[str, ...]) -> str:
        return replace(self, filters={**self.filters, name: values}, cursor="", page=1).url

    def adding(self, name: str, value: str) -> str:
        current = self.filters.get(name, ())
        return self._with_filters(name, current if value in current else (*current, value))

    def removing(self, name: str, value: str) -> str:
        return self._with_filters(name, tuple(v for v in self.filters.get(name, ()) if v != value))

    def with_range(self, since: str, until: str) -> str:
        return replace(self, since=since, until=until, cursor="", page=1).url

    def without(self, name: str) -> str:
        return replace(self, **{name: ""}, cursor="", page=1).url  # type: ignore[arg-type]

    def has(self, name: str, value: str) -> bool:
        return value in self.filters.get(name, ())

    def to_params(self) -> tuple[SearchParams | None, list[str]]:
        """The service's parameters, or None and what is wrong, in words for people."""
        errors: list[str] = []
        since = _day(self.since, "From", errors)
        until = _day(self.until, "To", errors)
        if self.sort not in SORTS:
            errors.append(f"Sort must be relevance or newest, not {self.sort!r}.")
        if errors:
            return None, errors
        values: dict[str, Any] = {name: list(v) for name, v in self.filters.items()}
        try:
            params = SearchParams.model_validate(
                {
                    "q": self.q,
                    # Days: the search covers each whole day (UTC), the last one included.
                    "since": since.isoformat() if since else None,
                    "until": until.isoformat() if until else None,
                    "sort": self.sort or None,
                    "size": self.size,
                    "cursor": self.cursor or None,
                    **values,
                }
            )
        except ValidationError as exc:
            return None, [_explain(e) for e in exc.errors()]
        return params, []


def _number(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(int(text or default), high))
    except ValueError:
        return default


def _day(text: str, label: str, errors: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(f"{label} date {text!r} is not a date like 2025-08-15.")
        return None


def _explain(error: Any) -> str:
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    where = ".".join(str(p) for p in error.get("loc", ()) if not isinstance(p, int))
    if "since must not be after until" in message:
        return "The From date is after the To date."
    return f"{where}: {message}" if where else message


def date_bucket_range(start: str, interval: str) -> tuple[str, str, str]:
    """(since, until, label) of a date-histogram bucket, as days for the form."""
    begin = datetime.fromisoformat(start.replace("Z", "+00:00")).astimezone(UTC)
    first = begin.date()
    steps = {
        "hour": (timedelta(0), begin.strftime("%Y-%m-%d %H:00")),
        "day": (timedelta(0), first.isoformat()),
        "week": (timedelta(days=6), f"week of {first.isoformat()}"),
        "month": (relativedelta(months=1, days=-1), first.strftime("%Y-%m")),
        "year": (relativedelta(years=1, days=-1), first.strftime("%Y")),
    }
    step, label = steps.get(interval, steps["day"])
    return first.isoformat(), (first + step).isoformat(), label
