"""The grammar of `q` (docs/search.md): what each construct parses to, and the bounds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.search.query import SearchParams, filter_values, search_body
from shared.search.query_language import (
    HIGHLIGHTED_TERMS,
    MAX_PREFIXES,
    MAX_TERMS,
    MIN_PREFIX_CHARS,
    PREFIX_EXPANSIONS,
    And,
    Not,
    Or,
    Phrase,
    Prefix,
    QueryTooComplex,
    Word,
    parse,
)


@pytest.mark.parametrize(
    ("q", "tree"),
    [
        ("blair", Word("blair")),
        ("blair brown", And((Word("blair"), Word("brown")))),
        ("blair AND brown", And((Word("blair"), Word("brown")))),
        ("blair +brown", And((Word("blair"), Word("brown")))),
        ("blair OR brown", Or((Word("blair"), Word("brown")))),
        ("blair | brown", Or((Word("blair"), Word("brown")))),
        ("blair|brown", Or((Word("blair"), Word("brown")))),
        ("blair or brown", And((Word("blair"), Word("or"), Word("brown")))),
        ("a b OR c", Or((And((Word("a"), Word("b"))), Word("c")))),
        ("(a OR b) c", And((Or((Word("a"), Word("b"))), Word("c")))),
        ('"interest rates" -zurich', And((Phrase("interest rates"), Not(Word("zurich"))))),
        ("NOT zurich", Not(Word("zurich"))),
        ("NOT -zurich", Word("zurich")),
        ("-" * 998 + "x", Word("x")),
        ("-" * 999 + "x", Not(Word("x"))),
        ("(" * 8 + "x", Word("x")),
        ("bank -(zurich | geneva)", And((Word("bank"), Not(Or((Word("zurich"), Word("geneva"))))))),
        ("e-mail C++", And((Word("e-mail"), Word("C++")))),
        ("bud*", Prefix("bud")),
        ("bu*", Word("bu")),  # a prefix too short is the word
        (r"\-x \(y\)", And((Word("-x"), Word("(y)")))),
        # Never an error on syntax: unclosed quotes and groups end with the query.
        ('"unclosed phrase', Phrase("unclosed phrase")),
        ("(a | b", Or((Word("a"), Word("b")))),
        ("a ) b", And((Word("a"), Word("b")))),
        ("a OR", Word("a")),
        ("- a", Word("a")),
        ("Putin - Trump", And((Word("Putin"), Word("Trump")))),
        ("", None),
        ("   ", None),
        ("* ** ---", None),
        ("()", None),
        ('""', None),
        ("& :", None),
    ],
)
def test_parse(q: str, tree: object) -> None:
    assert parse(q) == tree


@pytest.mark.parametrize(
    "q",
    [
        " ".join(["harbour"] * (MAX_TERMS + 1)),
        '"' + " ".join(["w"] * (MAX_TERMS + 1)) + '"',
        " | ".join(f"pre{i}*" for i in range(MAX_PREFIXES + 1)),
        # The queries that once held an API thread for 22 s and 92 s.
        "|".join(f"{chr(97 + i % 26)}*" for i in range(104)),
        " ".join(f"{chr(97 + i % 26)}{chr(97 + (i // 26) % 26)}*" for i in range(333)),
        "(" * 9 + "a" + ")" * 9,
    ],
)
def test_queries_beyond_the_bounds_are_refused(q: str) -> None:
    with pytest.raises(QueryTooComplex):
        parse(q)
    with pytest.raises(ValidationError, match=r"too complex|longer than"):
        SearchParams(q=q)


def test_the_largest_query_allowed_is_bounded() -> None:
    prefixes = " ".join(f"{chr(97 + i) * MIN_PREFIX_CHARS}*" for i in range(MAX_PREFIXES))
    words = [f"w{i}" for i in range(MAX_TERMS - MAX_PREFIXES)]
    q = " | ".join([*words, prefixes])
    body = search_body(SearchParams(q=q), size=10)
    query = body["query"]["bool"]["must"][0]
    assert str(query).count("phrase_prefix") == MAX_PREFIXES
    assert str(query).count(f"'max_expansions': {PREFIX_EXPANSIONS}") == MAX_PREFIXES
    # Prefixes expand on the few language-neutral fields only, never the stemmed ones.
    prefix_fields = [
        c["multi_match"]["fields"] for c in query["bool"]["should"][-1]["bool"]["must"]
    ]
    assert all(not f.startswith(("title_", "body_")) for fields in prefix_fields for f in fields)
    # Highlights mark the first few words only, not the whole query, each field with a
    # query on itself alone.
    for name, options in body["highlight"]["fields"].items():
        marked = options["highlight_query"]["bool"]["should"]
        assert [c["multi_match"]["query"] for c in marked] == words[:HIGHLIGHTED_TERMS]
        assert all(c["multi_match"]["fields"] == [name] for c in marked)


def test_or_means_or_in_the_request() -> None:
    query = search_body(SearchParams(q="blair OR brown"), size=5)["query"]["bool"]["must"][0]
    should = query["bool"]["should"]
    assert [c["multi_match"]["query"] for c in should] == ["blair", "brown"]
    assert query["bool"]["minimum_should_match"] == 1


@pytest.mark.parametrize(
    ("since", "until", "gte", "lte"),
    [
        (
            "2025-06-01",
            "2025-06-01",
            "2025-06-01T00:00:00+00:00",
            "2025-06-01T23:59:59.999000+00:00",
        ),
        ("2025-06-01T10:00:00", None, "2025-06-01T10:00:00+00:00", None),
        ("2025-06-01T12:00:00+02:00", None, "2025-06-01T10:00:00+00:00", None),
        (None, "2025-06-01T10:00:00Z", None, "2025-06-01T10:00:00+00:00"),
    ],
)
def test_dates_are_utc_and_a_date_alone_is_the_whole_day(
    since: str | None, until: str | None, gte: str | None, lte: str | None
) -> None:
    params = SearchParams.model_validate({"since": since, "until": until})
    bounds = search_body(params, size=1)["query"]["bool"]["filter"][-1]["range"]["date"]
    assert bounds == {k: v for k, v in (("gte", gte), ("lte", lte)) if v}
    if params.until:
        assert params.until.tzinfo == UTC
        assert datetime(2025, 6, 1, 10, tzinfo=UTC) <= params.until


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "2025-02-30",
        "2025-13-01",
        "yesterday",
        "10000-01-01",
    ],
)
def test_dates_out_of_range_or_invalid_are_refused(value: str) -> None:
    for name in ("since", "until"):
        with pytest.raises(ValidationError):
            SearchParams.model_validate({name: value})


def test_name_filters_read_names_in_their_canonical_spelling() -> None:
    assert filter_values("place", ["UK"]) == ["UK", "United Kingdom"]
    assert filter_values("place", ["United Kingdom"]) == ["United Kingdom"]
    assert filter_values("person", ["Mr Blair"]) == ["Mr Blair", "Blair"]
    assert filter_values("speaker", ["Organiser Maria Kask"]) == [
        "Organiser Maria Kask",
        "Maria Kask",
    ]
    assert filter_values("source", ["UK"]) == ["UK"], "sources are not places"
    assert filter_values("place", [" ", "US", "USA"]) == ["US", "United States", "USA"]


def test_prefixes_are_marked_on_the_neutral_fields_only() -> None:
    from shared.search.query import highlight

    fields = highlight(SearchParams(q="elect* minister"), ["en"])["fields"]
    assert set(fields) == {"title", "body", "title_en", "body_en"}
    assert "phrase_prefix" in str(fields["body"]["highlight_query"])
    assert "phrase_prefix" not in str(fields["body_en"]["highlight_query"])
    assert "minister" in str(fields["body_en"]["highlight_query"])
    # Nothing to mark on the stemmed fields: they are not highlighted.
    assert set(highlight(SearchParams(q="elect*"), ["en"])["fields"]) == {"title", "body"}
