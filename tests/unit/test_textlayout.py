"""The layout rules ingest and enrich share (shared/textlayout.py), and the small helpers
that replaced copies: `as_utc`, `Extracted.with_submitted`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.ingest.extracted import Extracted
from shared.textlayout import (
    LIST_MARKER,
    ends_punctuated,
    ends_sentence,
    is_title_case,
    looks_like_heading,
    split_dateline,
)
from shared.times import as_utc


@pytest.mark.parametrize(
    ("line", "sentence", "punctuated"),
    [
        ("He left.", True, True),
        ('He said "no."', True, True),
        ("(as in 2020).", True, True),
        ("What now?", True, True),
        ("The plan:", False, True),  # a clause end: not a heading, not continued...
        ("first; second;", False, True),
        ('the "Deal"', False, True),  # ...nor a line ending in a closing quote
        ("Ukraine at the Center", False, False),
        ("a line that was wrapped", False, False),
        ("", False, False),
    ],
)
def test_sentence_ends_and_punctuated_lines(line: str, sentence: bool, punctuated: bool) -> None:
    assert ends_sentence(line) is sentence
    assert ends_punctuated(line) is punctuated


def test_list_markers() -> None:
    for item in ("- apples", "* pears", "\u2022 plums", "\u2013 figs", "1. one", "12) twelve"):
        assert LIST_MARKER.match(item), item
    for prose in ("-5 degrees", "2025 was a year", "1.5 million people", "*emphasis*"):
        assert not LIST_MARKER.match(prose), prose


def test_title_case_and_headings() -> None:
    assert is_title_case("Trump and Putin Meet in Alaska")
    assert not is_title_case("Trump and Putin meet in Alaska")
    assert looks_like_heading("Ukraine at the Center")
    assert not looks_like_heading("Trade, Business, and Cooperation,")
    assert not looks_like_heading("A Heading That Ends Like Prose.")
    assert not looks_like_heading(" ".join(["Word"] * 13))


@pytest.mark.parametrize(
    ("paragraph", "dateline", "rest"),
    [
        ("Anchorage, Alaska \u2014 In their first summit.", "Anchorage, Alaska", "In their"),
        ("WASHINGTON (Reuters) - The Senate voted.", "WASHINGTON (Reuters)", "The Senate"),
        ("Kiel (dpo) - Finnland ist in Gefahr!", "Kiel (dpo)", "Finnland"),
        ("LONDON -- Markets fell.", "LONDON", "Markets"),
        ("Ryanair - the low-cost airline - cut fares.", None, "Ryanair"),
        ("Paris \u2014 the city of light, said everyone.", None, "Paris"),
    ],
)
def test_datelines(paragraph: str, dateline: str | None, rest: str) -> None:
    found, remainder = split_dateline(paragraph)
    assert found == dateline
    assert remainder.startswith(rest)


def test_as_utc_gives_naive_datetimes_the_utc_zone_and_keeps_others() -> None:
    assert as_utc(datetime(2025, 8, 15, 12, 0)) == datetime(2025, 8, 15, 12, 0, tzinfo=UTC)
    plus_two = datetime(2025, 8, 15, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert as_utc(plus_two).utcoffset() == timedelta(hours=2)
    assert as_utc(None) is None


def test_what_the_submitter_states_wins_over_what_extraction_found() -> None:
    found = Extracted(
        title="Found title",
        body="Body.",
        language="en",
        published_at=datetime(2025, 8, 1, tzinfo=UTC),
    )
    stated = found.with_submitted(
        title="Stated title", published_at="2025-08-15T09:30:00+02:00", language="de"
    )
    assert (stated.title, stated.language) == ("Stated title", "de")
    assert stated.published_at == datetime(2025, 8, 15, 7, 30, tzinfo=UTC)
    # Nothing stated (or a date that cannot be read): the extracted values stay.
    same = found.with_submitted(title=None, published_at="not a date", language="")
    assert (same.title, same.language, same.published_at) == (
        "Found title",
        "en",
        datetime(2025, 8, 1, tzinfo=UTC),
    )
    # An offset of a day or more, as a metadata file may state it, is no date either.
    impossible = found.with_submitted(title=None, published_at="2025-08-15T09:30+2500", language="")
    assert impossible.published_at == datetime(2025, 8, 1, tzinfo=UTC)
    assert found.title == "Found title", "the extraction itself is left as it was"
