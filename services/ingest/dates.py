"""Publication dates: always time-zone aware, never in the future."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, timedelta, timezone

from dateutil import parser as date_parser

from shared.times import as_utc

# Abbreviations dateutil cannot resolve on its own; an unknown one would leave the date naive.
_TZINFOS = {
    "UTC": UTC,
    "GMT": UTC,
    "Z": UTC,
    "BST": timezone(timedelta(hours=1)),
    "CET": timezone(timedelta(hours=1)),
    "CEST": timezone(timedelta(hours=2)),
    "MEZ": timezone(timedelta(hours=1)),
    "MESZ": timezone(timedelta(hours=2)),
    "EET": timezone(timedelta(hours=2)),
    "EEST": timezone(timedelta(hours=3)),
    "EST": timezone(timedelta(hours=-5)),
    "EDT": timezone(timedelta(hours=-4)),
    "CST": timezone(timedelta(hours=-6)),
    "CDT": timezone(timedelta(hours=-5)),
    "MST": timezone(timedelta(hours=-7)),
    "MDT": timezone(timedelta(hours=-6)),
    "PST": timezone(timedelta(hours=-8)),
    "PDT": timezone(timedelta(hours=-7)),
    "IST": timezone(timedelta(hours=5, minutes=30)),
    "SAST": timezone(timedelta(hours=2)),
    "AEST": timezone(timedelta(hours=10)),
    "AEDT": timezone(timedelta(hours=11)),
}
# "06.01.2026" is the 6th of January: dotted numeric dates are written day first (German,
# Dutch, Nordic, Russian...); dateutil would read month first.
_DOTTED_DATE = re.compile(r"^\s*\d{1,2}\.\s*\d{1,2}\.\s*\d{2,4}\b")
# Older values are CMS placeholders or parsing accidents (year 1, the Unix epoch).
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1)


def parse_date(value: str | date | None, *, now: datetime | None = None) -> datetime | None:
    """A time-zone-aware datetime (UTC when the value has no zone), or None.

    Dates in the future (a scheduled page, a wrong clock) and implausibly old ones are dropped.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", date_parser.UnknownTimezoneWarning)
                parsed = date_parser.parse(
                    value.strip(), tzinfos=_TZINFOS, dayfirst=bool(_DOTTED_DATE.match(value))
                )
        except (ValueError, OverflowError, TypeError):
            return None
    parsed = as_utc(parsed)
    try:
        parsed.utcoffset()
    except ValueError:  # an offset of a day or more ("+2500"): no zone on Earth
        return None
    if parsed > (now or datetime.now(UTC)) or parsed < _EARLIEST:
        return None
    if parsed.astimezone(UTC).date() == _EPOCH_DAY:
        return None
    return parsed
