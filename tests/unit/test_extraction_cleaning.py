"""Normalisation shared by all formats: mojibake, Unicode form, control characters, dates."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from services.ingest.cleaning import drop_invisible
from services.ingest.extraction import clean_text, extract, parse_date

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
# Zero-width space, word joiner, BOM, soft hyphen: they only break words for search.
INVISIBLE = "\u200b\u2060\ufeff\u00ad"


def test_mojibake_is_repaired() -> None:
    article = extract((FIXTURES / "mojibake.txt").read_text(encoding="utf-8"), "text")
    assert article.title == "Caf\u00e9 Owners Welcome Tourists Back"
    assert "didn\u2019t expect" in article.body  # the curly apostrophe is kept, not "uncurled"
    assert "season \u2014 the weekend" in article.body
    assert "na\u00efve" in article.body
    assert "\u00c3" not in article.body
    assert "\u00e2\u20ac" not in article.body


def test_text_is_nfc_without_control_or_invisible_characters() -> None:
    text = "Cafe\u0301 owners\x07 met\u200b again.\r\nSecond\x00 line\u00ad here."
    cleaned = clean_text(text)
    assert cleaned == "Caf\u00e9 owners met again.\nSecond line here."
    assert unicodedata.is_normalized("NFC", cleaned)


def test_every_control_character_but_newline_and_tab_is_dropped() -> None:
    # The whole of Unicode against the rule itself: category Cc goes, anything else stays.
    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    expected = "".join(
        ch
        for ch in everything
        if (ch in "\n\t" or unicodedata.category(ch) != "Cc") and ch not in INVISIBLE
    )
    assert drop_invisible(everything) == expected


def test_whitespace_is_collapsed_and_paragraphs_get_one_blank_line() -> None:
    text = "  First\u00a0 paragraph\t here.  \n\n\n\n   Second  paragraph.\n \n"
    assert clean_text(text) == "First paragraph here.\n\nSecond paragraph."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-02T10:00:00+10:00", datetime(2024, 5, 2, tzinfo=UTC)),
        ("Thu, 02 May 2024 10:00:00 GMT", datetime(2024, 5, 2, 10, tzinfo=UTC)),
        ("2024-05-02 10:00 EDT", datetime(2024, 5, 2, 14, tzinfo=UTC)),
        ("2024-05-02", datetime(2024, 5, 2, tzinfo=UTC)),  # no time zone: UTC
        (date(2024, 5, 2), datetime(2024, 5, 2, tzinfo=UTC)),
        # Dotted numeric dates are day first (German, Dutch, Nordic...), slashed US ones not.
        ("06.01.2024", datetime(2024, 1, 6, tzinfo=UTC)),
        ("06.01.2024 14:30", datetime(2024, 1, 6, 14, 30, tzinfo=UTC)),
        ("06/01/2024", datetime(2024, 6, 1, tzinfo=UTC)),
    ],
)
def test_dates_are_time_zone_aware(value: str | date, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is not None


def test_the_stated_offset_is_kept() -> None:
    parsed = parse_date("2024-05-02T10:00:00+02:00")
    assert parsed is not None
    assert parsed.utcoffset() == timezone(timedelta(hours=2)).utcoffset(None)


def test_dates_in_the_future_are_dropped() -> None:
    now = datetime(2024, 6, 1, 12, tzinfo=UTC)
    assert parse_date("2024-06-01T12:00:01Z", now=now) is None
    assert parse_date("2024-06-01T11:59:59Z", now=now) is not None
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert parse_date(tomorrow) is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        "not a date",
        "0001-01-01",
        "1970-01-01T00:00:00Z",
        # Offsets of a day or more, seen on a live page ("-6890"): no zone has them.
        "2024-03-07T16:09:04-6890",
        "Mon, 01 Jan 2020 10:00:00 +2500",
    ],
)
def test_unusable_dates_are_none(value: str | None) -> None:
    assert parse_date(value) is None
